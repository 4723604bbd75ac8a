# The prediction service. GPU-capable by default (TensorFlow with its CUDA libraries: uses an
# NVIDIA GPU when run with the NVIDIA container toolkit, the CPU otherwise); build with
# --build-arg TENSORFLOW_EXTRAS= for a CPU-only image a fraction of the size.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG TENSORFLOW_EXTRAS=and-cuda
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock \
    && if [ -n "$TENSORFLOW_EXTRAS" ]; then pip install "tensorflow[${TENSORFLOW_EXTRAS}]==2.21.0"; fi
COPY pyproject.toml README.md ./
COPY app ./app
COPY training ./training
COPY mnist_format ./mnist_format
RUN pip install --no-deps .

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    LOG_FORMAT=json \
    MODEL_PATH=/srv/models/mnist.keras \
    HOST=0.0.0.0 \
    PORT=8000
RUN useradd --uid 10001 --no-create-home --home-dir /srv --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY --chown=root:root models/mnist.keras models/mnist.json ./models/
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health/ready\", timeout=2).status != 200)"]
ENTRYPOINT ["python", "-m", "app"]
