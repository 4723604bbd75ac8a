"""The facts of the MNIST format that training and the service share, and nothing else.

An MNIST digit is white on black, scaled into a 20x20 box with its aspect ratio kept and centred by
its centre of mass in a 28x28 field; a model maps such a field, one channel of float32 in 0-1, to
the probabilities of the 10 digits. Importable without TensorFlow or FastAPI, so the training module
never imports the service, nor the service the training module. The model's metadata schema is in
``mnist_format.metadata``.
"""

from __future__ import annotations

FIELD_SIDE = 28
"""An MNIST image is this many pixels square."""
PIXELS = FIELD_SIDE * FIELD_SIDE
BOX_SIDE = 20
"""The digit itself is scaled to fit a box this many pixels square, centred in the field."""
CENTRE = FIELD_SIDE / 2
"""Where MNIST puts the digit's centre of mass, in pixel indices (row and column)."""
INPUT_SHAPE = (FIELD_SIDE, FIELD_SIDE, 1)
"""What every model takes per digit: height, width, one channel."""
NUM_CLASSES = 10

MODEL_NAME = "mnist"
MODEL_FILE = "mnist.keras"
METADATA_FILE = "mnist.json"
"""The metadata file, beside the model file in every model directory."""
