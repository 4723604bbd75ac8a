# Two commands set up a fresh machine: `make run` serves the shipped model, `make test` tests it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MNIST_DIR ?= $(abspath ../shared/datasets/mnist)
export MNIST_DIR
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: help install run test test-browser docker-test lock load train train-judge train-mlp evaluate bench bench-uploads bench-numbers lint format clean bench-swap

help:
	@echo "make run       install if needed, then serve the shipped model on port 8000"
	@echo "make test      install if needed, then run the test suite"
	@echo "make test-browser  only the browser tests (installs Debian's chromium if missing)"
	@echo "make train     retrain the shipped model (models/) from MNIST_DIR=$(MNIST_DIR)"
	@echo "make train-judge  retrain the digit judge (is_digit) beside it"
	@echo "make evaluate  score models/mnist.keras on the 10,000 MNIST test images"
	@echo "make bench     throughput and latency against the HTTP ceiling (needs wrk)"
	@echo "make bench-swap  ten model swaps under 64 clients: failed requests, p99, RSS"
	@echo "make docker-test  build the CPU image, compose up, predict, check non-root, tear down"
	@echo "make chaos     2 replicas behind nginx: SIGKILL one under load, count failures, time its rejoin"
	@echo "make load      60 s soak at concurrency 64 with a realistic mix (DURATION=300 for longer)"
	@echo "make lint      ruff and mypy"

$(STAMP): pyproject.toml client/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet -e ./client
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m app

test: $(STAMP)
	$(BIN)/pytest

# The browser tests need Debian's Chromium (Playwright cannot download its own browser here).
test-browser: $(STAMP)
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	$(BIN)/pytest -m browser

train: $(STAMP)
	$(BIN)/python -m training.train --arch cnn --data $(MNIST_DIR) --out models

# The digit judge (is_digit) beside the shipped model, tuned against it: run after make train.
# Printed letters and symbols are drawn in every typeface of these Debian font packages.
JUDGE_FONTS := fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf
train-judge: $(STAMP)
	@dpkg -s $(JUDGE_FONTS) >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $(JUDGE_FONTS); }
	$(BIN)/python -m training.judge --data $(MNIST_DIR) --out models

train-mlp: $(STAMP)
	$(BIN)/python -m training.train --arch mlp --data $(MNIST_DIR) --out models/mlp

evaluate: $(STAMP)
	$(BIN)/python -m training.evaluate models/mnist.keras --data $(MNIST_DIR)

bench: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.throughput --baseline --metrics-off

load: $(STAMP)
	$(BIN)/python -m bench.load --duration $(or $(DURATION),60)

bench-uploads: $(STAMP)
	$(BIN)/python -m bench.realistic_uploads --data $(MNIST_DIR)

# Ten model swaps under 64 clients (wrk): failed requests, p99 during the swaps and without, RSS after each.
bench-swap: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.model_swap --swaps 10 --concurrency 64

# Whole numbers (/predict/number) per style against the contour tutorial; PER_STYLE=300 for tighter figures.
bench-numbers: $(STAMP)
	$(BIN)/python -m bench.numbers --data $(MNIST_DIR) --per-style $(or $(PER_STYLE),100)

# Needs a Docker engine (here: ../shared/tools/docker-standin.sh) and MNIST_DIR for the test digits.
docker-test: $(STAMP)
	$(BIN)/hadolint Dockerfile
	PYTHON=$(BIN)/python deploy/docker-test.sh

# Needs a Docker engine too; builds the CPU image if missing. Not part of `make test`.
.PHONY: chaos
chaos: $(STAMP)
	$(BIN)/python deploy/chaos.py $(CHAOS_ARGS)

# Re-pin the service's dependencies (with hashes) for the image after changing pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app mnist_format training tests bench client/digit_client

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-output
