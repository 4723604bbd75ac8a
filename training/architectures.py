"""The model architectures and the recipe each one is trained with.

Every model takes ``(28, 28, 1)`` float32 pixels scaled to 0-1, white digit on black (MNIST's own
format), and ends in a 10-way softmax. Keeping the input contract identical across architectures
lets the service serve any of them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
from keras import layers

from mnist_format import INPUT_SHAPE, NUM_CLASSES


@dataclass(frozen=True)
class Recipe:
    """How an architecture is trained by default: the documented, reproducible settings."""

    epochs: int
    batch_size: int
    learning_rate: float
    augment: bool
    early_stopping_patience: int
    early_stopping_monitor: str
    early_stopping_from_epoch: int
    cosine_decay: bool


def build_mlp() -> keras.Model:
    """The 784-512-512-10 dense network of the Keras MNIST tutorials (ReLU, dropout 0.2)."""
    inputs = keras.Input(INPUT_SHAPE, name="pixels")
    x = layers.Flatten()(inputs)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mlp")


def _conv_block(x: keras.KerasTensor, filters: int, kernel: int, padding: str) -> keras.KerasTensor:
    """Convolution, batch norm, ReLU: the bias is redundant before batch norm."""
    x = layers.Conv2D(filters, kernel, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def _build_convnet(filters: tuple[int, int, int], dense_units: int, name: str) -> keras.Model:
    """Three conv blocks (5x5 at 28x28, pool, 3x3 at 14x14, pool, 3x3 valid at 7x7), then a dense layer.

    Batch norm folds into the preceding layers when the model is converted for serving, so it
    costs nothing at inference.
    """
    inputs = keras.Input(INPUT_SHAPE, name="pixels")
    x = _conv_block(inputs, filters[0], 5, "same")  # 28x28
    x = layers.MaxPooling2D()(x)  # 14x14
    x = _conv_block(x, filters[1], 3, "same")
    x = layers.MaxPooling2D()(x)  # 7x7
    x = _conv_block(x, filters[2], 3, "valid")  # 5x5
    x = layers.Flatten()(x)
    x = layers.Dense(dense_units, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


def build_cnn() -> keras.Model:
    """The default: 12, 24 and 48 filters and 64 dense units, 2.2 MFLOP and 91k parameters a digit.

    The smallest of the networks measured that reaches 99.5% (99.50% with the shipped recipe), since
    the model's cost per image bounds the service: it runs on the event loop's CPU. Halving it again
    (8, 16, 32 filters, 1.1 MFLOP) stopped at 99.31%. Networks of this size land at 99.4-99.5% from
    run to run (45 epochs instead of 30 gave 99.41%), so it sits right at the bar; ``cnn-large``
    clears it with room, at 3.6 times the cost.
    """
    return _build_convnet((12, 24, 48), 64, "cnn")


def build_cnn_large() -> keras.Model:
    """24, 48 and 96 filters and 128 dense units: 7.7 MFLOP, 362k parameters, 99.58%.

    The shipped model before the small one; the same convolutions with no hidden dense layer
    (7.1 MFLOP) stopped at 99.39%.
    """
    return _build_convnet((24, 48, 96), 128, "cnn-large")


@dataclass(frozen=True)
class Architecture:
    build: Callable[[], keras.Model]
    recipe: Recipe
    optimizer: Callable[[float | keras.optimizers.schedules.LearningRateSchedule], keras.Optimizer]


# Both convolutional networks train the same way.
CONVNET_RECIPE = Recipe(
    epochs=30,
    batch_size=128,
    learning_rate=2e-3,
    augment=True,
    # The cosine schedule's best epochs come last: judge (and restore) by validation
    # accuracy only once the learning rate has come down from its noisy first third.
    early_stopping_monitor="val_accuracy",
    early_stopping_patience=10,
    early_stopping_from_epoch=10,
    cosine_decay=True,
)


def _adam(learning_rate: float | keras.optimizers.schedules.LearningRateSchedule) -> keras.Optimizer:
    return keras.optimizers.Adam(learning_rate=learning_rate)


ARCHITECTURES: dict[str, Architecture] = {
    "mlp": Architecture(
        build=build_mlp,
        recipe=Recipe(
            epochs=20,
            batch_size=128,
            learning_rate=1e-3,
            augment=False,
            early_stopping_patience=5,
            early_stopping_monitor="val_accuracy",
            early_stopping_from_epoch=0,
            cosine_decay=False,
        ),
        optimizer=lambda lr: keras.optimizers.RMSprop(learning_rate=lr),
    ),
    "cnn": Architecture(build=build_cnn, recipe=CONVNET_RECIPE, optimizer=_adam),
    "cnn-large": Architecture(build=build_cnn_large, recipe=CONVNET_RECIPE, optimizer=_adam),
}
DEFAULT_ARCHITECTURE = "cnn"


def build_judge() -> keras.Model:
    """The digit judge: P(the 28x28 input is a digit), for letters, doodles, words and digit pairs.

    Small (two conv blocks and a dense layer): it runs beside the digit model on every input.
    """
    inputs = keras.Input(INPUT_SHAPE, name="pixels")
    x = _conv_block(inputs, 16, 5, "same")  # 28x28
    x = layers.MaxPooling2D()(x)  # 14x14
    x = _conv_block(x, 32, 3, "same")
    x = layers.MaxPooling2D()(x)  # 7x7
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(1, activation="sigmoid", name="is_digit")(x)
    return keras.Model(inputs, outputs, name="judge")
