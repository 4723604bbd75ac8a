"""Train a digit classifier and write it, its metadata and its plots into a model directory.

    python -m training.train --arch cnn --data ../shared/datasets/mnist --out models/

The defaults are the recipe of the shipped model; ``make train`` runs exactly this.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from mnist_format import METADATA_FILE, MODEL_FILE, MODEL_NAME
from mnist_format.metadata import DataSource, InputFormat, ModelMetadata, OutputFormat, TrainingRun
from training.architectures import ARCHITECTURES, DEFAULT_ARCHITECTURE, Architecture, Recipe
from training.evaluate import Evaluation, evaluate, predict_probabilities
from training.export import export_savedmodel
from training.pipelines import evaluation_dataset, split_validation, training_dataset
from training.plots import (
    CONFUSION_MATRIX_FILE,
    TRAINING_CURVES_FILE,
    plot_confusion_matrix,
    plot_training_curves,
)
from training.provenance import count_flops, file_sha256, runtime_versions
from training.sources import Mnist, MnistFormatError, MnistSplit, load_mnist

DEFAULT_SEED = 42
DEFAULT_VALIDATION_SIZE = 5000
RELOAD_TOLERANCE = 1e-6


class ReloadMismatchError(RuntimeError):
    """The model read back from disk does not predict what the trained model predicted."""


@dataclass(frozen=True)
class TrainingConfig:
    arch: str
    recipe: Recipe
    out: Path
    data: str | None = None
    seed: int = DEFAULT_SEED
    validation_size: int = DEFAULT_VALIDATION_SIZE
    limit: int | None = None
    version: int | None = None
    export_dir: Path | None = None
    verbose: int | str = "auto"


@dataclass(frozen=True)
class TrainingResult:
    model_path: Path
    metadata: ModelMetadata
    evaluation: Evaluation
    savedmodel_path: Path | None


def _learning_rate(recipe: Recipe, steps_per_epoch: int) -> float | keras.optimizers.schedules.LearningRateSchedule:
    if not recipe.cosine_decay:
        return recipe.learning_rate
    return keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate, decay_steps=recipe.epochs * steps_per_epoch, alpha=0.01
    )


def _fit(
    architecture: Architecture, config: TrainingConfig, train: MnistSplit, validation: MnistSplit
) -> tuple[keras.Model, dict[str, list[float]]]:
    recipe = config.recipe
    model = architecture.build()
    steps_per_epoch = int(np.ceil(len(train) / recipe.batch_size))
    model.compile(
        optimizer=architecture.optimizer(_learning_rate(recipe, steps_per_epoch)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    early_stopping = keras.callbacks.EarlyStopping(
        monitor=recipe.early_stopping_monitor,
        patience=recipe.early_stopping_patience,
        start_from_epoch=recipe.early_stopping_from_epoch,
        restore_best_weights=True,
    )
    history = model.fit(
        training_dataset(train, recipe.batch_size, recipe.augment, config.seed),
        validation_data=evaluation_dataset(validation, recipe.batch_size),
        epochs=recipe.epochs,
        callbacks=[early_stopping],
        shuffle=False,  # the dataset reshuffles itself each epoch
        verbose=config.verbose,
    )
    return model, {key: [float(v) for v in values] for key, values in history.history.items()}


def save_and_verify(model: keras.Model, path: Path, probe_images: np.ndarray) -> None:
    """Save in the .keras format, reload, and insist the reloaded model predicts the same.

    What is saved is an uncompiled copy: weights without optimizer state, a third of the size,
    since the file is for serving and evaluation, not for resuming training.
    """
    before = predict_probabilities(model, probe_images)
    weights_only = keras.Model.from_config(model.get_config())  # clone_model would copy the optimizer
    weights_only.set_weights(model.get_weights())
    weights_only.save(path)
    after = predict_probabilities(keras.models.load_model(path), probe_images)
    difference = float(np.abs(before - after).max())
    if difference > RELOAD_TOLERANCE or not np.array_equal(before.argmax(1), after.argmax(1)):
        raise ReloadMismatchError(f"{path}: reloaded model differs by up to {difference:.3g}")


def train(config: TrainingConfig, mnist: Mnist | None = None) -> TrainingResult:
    """Train, evaluate on the test set, save, verify the reload, and write metadata and plots."""
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()  # same seed, same model, run after run
    architecture = ARCHITECTURES[config.arch]
    mnist = mnist or load_mnist(config.data)
    full_train = mnist.train
    if config.limit:
        full_train = MnistSplit(full_train.images[: config.limit], full_train.labels[: config.limit])
    splits = split_validation(full_train, config.validation_size, config.seed)

    started = time.perf_counter()
    model, history = _fit(architecture, config, splits.train, splits.validation)
    training_seconds = time.perf_counter() - started

    evaluation = evaluate(model, mnist.test)
    validation_accuracy = evaluate(model, splits.validation).accuracy
    config.out.mkdir(parents=True, exist_ok=True)
    model_path = config.out / MODEL_FILE
    save_and_verify(model, model_path, mnist.test.images)

    trained_at = datetime.now(UTC)
    version = config.version or int(trained_at.strftime("%Y%m%d%H%M"))
    metadata = ModelMetadata(
        name=MODEL_NAME,
        version=str(version),
        architecture=config.arch,
        parameters=int(model.count_params()),
        flops_per_image=count_flops(model),
        input=InputFormat(),
        output=OutputFormat(),
        test_accuracy=evaluation.accuracy,
        validation_accuracy=validation_accuracy,
        per_class_accuracy=evaluation.per_class_accuracy,
        confusion_matrix=evaluation.confusion_matrix,
        test_examples=evaluation.examples,
        training=TrainingRun(
            epochs_max=config.recipe.epochs,
            epochs_run=len(history["loss"]),
            batch_size=config.recipe.batch_size,
            learning_rate=config.recipe.learning_rate,
            cosine_decay=config.recipe.cosine_decay,
            augmentation=config.recipe.augment,
            early_stopping_patience=config.recipe.early_stopping_patience,
            early_stopping_monitor=config.recipe.early_stopping_monitor,
            early_stopping_from_epoch=config.recipe.early_stopping_from_epoch,
            optimizer=type(model.optimizer).__name__,
            seed=config.seed,
            training_examples=len(splits.train),
            validation_examples=len(splits.validation),
            seconds=round(training_seconds, 1),
            history=history,
        ),
        data=DataSource(source=mnist.source, sha256=mnist.checksums),
        trained_at=trained_at.isoformat(timespec="seconds"),
        versions=runtime_versions(),
        model_file=MODEL_FILE,
        sha256=file_sha256(model_path),
    )
    metadata.write(config.out / METADATA_FILE)
    plot_training_curves(history, config.out / TRAINING_CURVES_FILE)
    plot_confusion_matrix(evaluation.confusion_matrix, evaluation.accuracy, config.out / CONFUSION_MATRIX_FILE)
    exported = export_savedmodel(model, config.export_dir, MODEL_NAME, version) if config.export_dir else None
    return TrainingResult(model_path, metadata, evaluation, exported)


def _parse_args(argv: list[str] | None) -> TrainingConfig:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCHITECTURE)
    parser.add_argument("--epochs", type=int, help="maximum epochs (default: the recipe's)")
    parser.add_argument("--batch-size", type=int, help="default: the recipe's")
    parser.add_argument("--data", help="MNIST directory of IDX files or mnist.npz (default: $MNIST_DIR, else download)")
    parser.add_argument("--out", type=Path, default=Path("models"), help="output directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--validation-size", type=int, default=DEFAULT_VALIDATION_SIZE)
    parser.add_argument("--limit", type=int, help="train on only the first N training examples")
    parser.add_argument("--version", type=int, help="model version (default: UTC time, YYYYMMDDHHMM)")
    parser.add_argument(
        "--export-savedmodel",
        dest="export_dir",
        type=Path,
        metavar="DIR",
        help="also export a SavedModel to DIR/mnist/<version>/ for TF Serving or Triton",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    options = vars(parser.parse_args(argv))
    recipe = ARCHITECTURES[options["arch"]].recipe
    recipe = replace(
        recipe,
        epochs=options.pop("epochs") or recipe.epochs,
        batch_size=options.pop("batch_size") or recipe.batch_size,
    )
    verbose = 0 if options.pop("quiet") else "auto"
    # Every other option is named as the config field it sets, so a new one needs no copying here.
    return TrainingConfig(recipe=recipe, verbose=verbose, **options)


def _print_summary(result: TrainingResult) -> None:
    meta, evaluation = result.metadata, result.evaluation
    training = meta.training
    assert training is not None
    assert meta.parameters is not None
    assert meta.flops_per_image is not None
    print(
        f"\n{meta.architecture} model, version {meta.version}: "
        f"{meta.parameters:,} parameters, {meta.flops_per_image / 1e6:.1f} MFLOP per image\n"
        f"  trained {training.epochs_run} epochs on {training.training_examples:,} examples "
        f"in {training.seconds:.0f} s (seed {training.seed})\n"
        f"  validation accuracy {meta.validation_accuracy or 0:.4%}\n"
        f"  test accuracy       {evaluation.accuracy:.4%} on {evaluation.examples:,} images\n"
        f"  saved {result.model_path} (reload verified), sha256 {(meta.sha256 or '')[:16]}..."
    )
    if result.savedmodel_path:
        print(f"  SavedModel exported to {result.savedmodel_path}")


def main(argv: list[str] | None = None) -> int:
    config = _parse_args(argv)
    try:
        result = train(config)
    except MnistFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_summary(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
