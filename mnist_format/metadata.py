"""The model's metadata (``mnist.json``, beside the model file): one schema, written by training, read
by the service.

Only what the service needs to describe and check a model is required; the rest records how the
model was made and is written by ``training.train`` for people and for reproducing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mnist_format import BOX_SIDE, FIELD_SIDE, INPUT_SHAPE, MODEL_FILE, MODEL_NAME, NUM_CLASSES


class InputFormat(BaseModel):
    """What the model takes: MNIST's own format."""

    name: str = "pixels"
    shape: list[int] = Field(default_factory=lambda: list(INPUT_SHAPE))
    dtype: str = "float32"
    value_range: list[float] = Field(default_factory=lambda: [0.0, 1.0])
    polarity: str = "white digit on black background"
    layout: str = (
        f"MNIST: digit scaled into a {BOX_SIDE}x{BOX_SIDE} box, centred by centre of mass in a "
        f"{FIELD_SIDE}x{FIELD_SIDE} field"
    )


class OutputFormat(BaseModel):
    """What the model answers: one probability per digit."""

    name: str = "probabilities"
    shape: list[int] = Field(default_factory=lambda: [NUM_CLASSES])
    classes: list[int] = Field(default_factory=lambda: list(range(NUM_CLASSES)))


class TrainingRun(BaseModel):
    """How the model was trained: the recipe as run, and what it took."""

    epochs_max: int
    epochs_run: int
    batch_size: int
    learning_rate: float
    cosine_decay: bool
    augmentation: bool
    early_stopping_patience: int
    early_stopping_monitor: str
    early_stopping_from_epoch: int
    optimizer: str
    seed: int
    training_examples: int
    validation_examples: int
    seconds: float
    history: dict[str, list[float]]


class DataSource(BaseModel):
    """Where the training data came from, with the sha256 of each file as stored."""

    source: str
    sha256: dict[str, str]


class ModelMetadata(BaseModel):
    """Everything ``mnist.json`` holds. Unknown keys (from newer training code) are kept, not refused."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    name: str = MODEL_NAME
    version: str
    architecture: str
    parameters: int | None = None
    flops_per_image: int | None = None
    input: InputFormat
    output: OutputFormat = Field(default_factory=OutputFormat)
    test_accuracy: float | None = None
    validation_accuracy: float | None = None
    per_class_accuracy: list[float] | None = None
    confusion_matrix: list[list[int]] | None = None
    test_examples: int | None = None
    training: TrainingRun | None = None
    data: DataSource | None = None
    trained_at: str | None = None
    versions: dict[str, str] | None = None
    model_file: str = MODEL_FILE
    sha256: str | None = Field(None, description="of the model file as written; the service warns on a mismatch")

    @classmethod
    def read(cls, path: Path) -> ModelMetadata:
        """Parse and validate ``path`` (raises ``OSError`` or pydantic's ``ValidationError``)."""
        return cls.model_validate_json(path.read_bytes())

    def write(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2, exclude_none=True) + "\n")


JUDGE_FILE = "judge.keras"
JUDGE_METADATA_FILE = "judge.json"


class JudgeMetadata(BaseModel):
    """``judge.json``, beside ``judge.keras``: the digit judge and the verdict settings it was tuned with.

    The judge maps the same ``(28, 28, 1)`` input as the digit model to P(the input is a digit). Its
    threshold and the digit model's temperature were fitted on held-out examples against the digit
    model of ``digit_model_version``; the rates are measured on examples made from MNIST *test* digits.
    """

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    version: str
    architecture: str
    digit_model_version: str
    threshold: float = Field(description="inputs scoring below it are not digits")
    temperature: float = Field(description="the digit model's probabilities are tempered by it (p ** (1/T))")
    parameters: int | None = None
    digits_flagged: dict[str, float] | None = Field(None, description="share of real digits judged not a digit")
    non_digits_flagged: dict[str, float] | None = Field(None, description="share of non-digits judged so")
    calibration_error: dict[str, float] | None = Field(None, description="expected calibration error, before/after")
    training: dict[str, Any] | None = None
    trained_at: str | None = None
    sha256: str | None = None

    @classmethod
    def read(cls, path: Path) -> JudgeMetadata:
        return cls.model_validate_json(path.read_bytes())

    def write(self, path: Path) -> None:
        path.write_text(self.model_dump_json(indent=2, exclude_none=True) + "\n")
