"""Turn MNIST arrays into the tf.data pipelines training reads: scaling, validation split, augmentation."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from training.sources import MnistSplit

# Augmentation ranges: the small rotations, shifts and scale changes that separate a real
# handwritten digit (and the service's normalised uploads) from MNIST's tidy centring.
ROTATION_FRACTION = 0.03  # of a full turn: about +/-11 degrees
TRANSLATION_FRACTION = 0.1  # of the side: about +/-3 pixels
ZOOM_FRACTION = 0.1
MAX_VALIDATION_FRACTION = 0.2


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 ``(n, 28, 28)`` to the float32 ``(n, 28, 28, 1)`` in 0-1 that every model takes."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


@dataclass(frozen=True)
class TrainValidation:
    train: MnistSplit
    validation: MnistSplit


def split_validation(split: MnistSplit, validation_size: int, seed: int) -> TrainValidation:
    """Hold out a seeded random ``validation_size`` examples of the training set (never the test set)."""
    size = min(validation_size, int(len(split) * MAX_VALIDATION_FRACTION))
    order = np.random.default_rng(seed).permutation(len(split))
    held, kept = order[:size], order[size:]
    return TrainValidation(
        train=MnistSplit(split.images[kept], split.labels[kept]),
        validation=MnistSplit(split.images[held], split.labels[held]),
    )


def build_augmenter(seed: int) -> keras.Sequential:
    """Random rotation, shift and zoom, filling with black background like MNIST's own border."""
    return keras.Sequential(
        [
            keras.layers.RandomRotation(ROTATION_FRACTION, fill_mode="constant", seed=seed),
            keras.layers.RandomTranslation(
                TRANSLATION_FRACTION, TRANSLATION_FRACTION, fill_mode="constant", seed=seed + 1
            ),
            keras.layers.RandomZoom(ZOOM_FRACTION, fill_mode="constant", seed=seed + 2),
        ],
        name="augmentation",
    )


def training_dataset(split: MnistSplit, batch_size: int, augment: bool, seed: int) -> tf.data.Dataset:
    """Shuffled, batched, optionally augmented batches; augmentation stays out of the saved model."""
    dataset = tf.data.Dataset.from_tensor_slices((to_model_input(split.images), split.labels))
    dataset = dataset.shuffle(len(split), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if augment:
        augmenter = build_augmenter(seed)
        dataset = dataset.map(lambda x, y: (augmenter(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def evaluation_dataset(split: MnistSplit, batch_size: int) -> tf.data.Dataset:
    dataset = tf.data.Dataset.from_tensor_slices((to_model_input(split.images), split.labels))
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
