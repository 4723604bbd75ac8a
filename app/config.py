"""Every setting of the service, read from the environment (and an optional ``.env``) in one place."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIB = 1024 * 1024
LogFormat = Literal["text", "json"]
RuntimeName = Literal["auto", "tflite", "tensorflow-cpu", "tensorflow-gpu"]


class Settings(BaseSettings):
    """Service configuration; each field is the upper-cased environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", protected_namespaces=())

    model_path: Path = Field(
        Path("models/mnist.keras"),
        description="Keras model file (its mnist.json metadata lies beside it), a directory holding one, or a "
        "repository of versions, <dir>/<version>/mnist.keras (see app/inference/repository.py)",
    )
    model_poll_s: float | None = Field(
        None,
        ge=0.0,
        description="how often MODEL_PATH is checked for a new version (0: never; default 30 s for a repository, "
        "never for a single file); POST /v2/repository/models/mnist/load loads one at once",
    )
    model_versions_kept: int = Field(
        1, ge=1, description="newest versions kept loaded (reachable under /versions/{v}); older ones are freed"
    )
    host: str = "0.0.0.0"
    port: int = Field(8000, ge=0, le=65535, description="0 picks a free port")
    shutdown_timeout_s: int = Field(
        20, gt=0, description="on SIGTERM, how long in-flight requests get to finish before exit"
    )
    keepalive_timeout_s: int = Field(
        75,
        gt=0,
        description="idle keep-alive connections are closed after this; keep it above any client's or "
        "load balancer's idle timeout, or a request sent as the server closes is lost",
    )
    log_format: LogFormat = Field("text", description="text for people, json for log pipelines (one object a line)")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    access_log: bool = Field(
        False,
        description="log a line per request (uvicorn's access log); off by default, since at thousands of "
        "requests a second it costs more than the prediction, and /metrics already counts every request",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated origins allowed by CORS; empty turns CORS off"
    )

    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="comma-separated keys; when set, prediction and metadata endpoints require one",
    )
    metrics_require_key: bool = Field(False, description="with API_KEYS set, /metrics needs a key too")

    max_body_bytes: int = Field(
        10 * MIB,
        gt=0,
        description="largest request body accepted; 1,024 digits take at most 4 MB as JSON integers 0-255, "
        "3.2 MB as v2 binary FP32",
    )
    max_image_pixels: int = Field(
        25_000_000, gt=0, description="largest image (width x height) decoded; checked before decoding"
    )
    max_request_digits: int = Field(
        1024, gt=0, description="most digits one request may carry; more is 413 batch_too_large on every API"
    )
    max_batch_size: int = Field(
        64,
        gt=0,
        description="most digits the model runs at once (a micro-batch); larger requests are split into "
        "micro-batches that share the batcher with every other request",
    )

    max_number_digits: int = Field(
        20, gt=0, description="most digits /predict/number reads in one image; more: 422 too_many_digits"
    )

    metrics_enabled: bool = Field(True, description="serve Prometheus metrics at /metrics")

    runtime: RuntimeName = Field(
        "auto",
        description="auto (GPU if TensorFlow sees one, else TF Lite), tflite, tensorflow-cpu, tensorflow-gpu",
    )
    inference_threads: int = Field(1, gt=0, description="threads TF Lite / TensorFlow may use per batch")
    preprocess_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        gt=0,
        description="threads decoding and normalising images (default: one per core)",
    )
    colocate_inference: Literal["auto", "on", "off"] = Field(
        "auto",
        description="run the inference thread on the event loop's CPU (see app/inference/affinity.py); auto: only "
        "when the process may use at most 2 CPUs, since pinned threads cannot move off a busy CPU",
    )
    batch_wait_ms: float = Field(
        0.0, ge=0.0, description="extra time a micro-batch waits to gather requests (0: take what is queued)"
    )
    inline_max_us: float = Field(
        100.0,
        ge=0.0,
        description="a lone digit arriving while the inference thread is idle runs on the event loop if a "
        "one-digit model call, timed at startup, takes less than this (0: never); see app/inference/batching.py",
    )
    digit_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="an input whose digit score (the judge's P(it is a digit)) is below this is answered "
        '"is_digit": false; default: the threshold in judge.json, tuned so that 1% of held-out digits fall '
        "below it (raise it to flag more, lower it to flag fewer; 0 turns the judge's verdict off)",
    )

    @field_validator("cors_origins", "api_keys", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
