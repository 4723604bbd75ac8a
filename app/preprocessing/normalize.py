"""Make a real-world picture of a digit look like an MNIST digit.

MNIST digits are white on black, size-normalised to fit a 20x20 box with their aspect ratio kept,
and centred by centre of mass in a 28x28 field. An upload is a photo or scan of dark ink on paper,
any size, unevenly lit, noisy and off-centre. The steps, each a function below:

1. polarity: find which end of the grey scale is background, so ink becomes bright;
2. ink map: divide out (or subtract) a smooth background estimate, which removes uneven lighting,
   then cut the paper-noise floor and stretch strokes to full intensity;
3. digit mask: keep the connected ink components that carry real mass, dropping specks;
4. crop to their bounding box, thicken strokes that would vanish when shrunk, scale into 20x20;
5. centre by centre of mass in 28x28.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from app.errors import NoDigitFoundError
from mnist_format import BOX_SIDE, CENTRE, FIELD_SIDE

BACKGROUND_BLOCKS = 6  # the background estimate's grid: coarser than a digit, finer than lighting
PLANE_SAMPLES = 20_000  # pixels the background plane is fitted to
PLANE_PASSES = 3
MIN_POLARITY_MARGIN = 20.0  # grey levels: ink differs from paper by at least this
MIN_CONTRAST = 0.12  # weakest ink (fraction of full scale) still taken as a digit
MIN_NOISE_FLOOR = 0.04
COMPONENT_MIN_SHARE = 0.08  # components lighter than this share of the largest are specks
STROKE_THRESHOLD = 0.5  # ink level taken as the body of a stroke
MASK_THRESHOLD = 0.2  # ink level that still joins pixels into one component
TARGET_STROKE = 2.2  # MNIST strokes are about this wide, in pixels of the 20x20 box


def _background_plane(gray: np.ndarray) -> np.ndarray:
    """A plane fitted to the background alone: robust to the digit, follows one-sided lighting.

    Starting from the median (background is the majority), each pass refits the plane to the pixels
    close to the current fit, so ink, however thick, never pulls the fit towards itself.
    """
    height, width = gray.shape
    stride = max(1, int(np.sqrt(height * width / PLANE_SAMPLES)))
    rows, cols = np.mgrid[0:height:stride, 0:width:stride]
    samples = gray[::stride, ::stride].ravel()
    design = np.column_stack([np.ones(samples.size), rows.ravel() / height, cols.ravel() / width])
    coefficients = np.array([np.median(samples), 0.0, 0.0])
    for _ in range(PLANE_PASSES):
        residual = samples - design @ coefficients
        spread = 1.4826 * float(np.median(np.abs(residual)))
        inliers = np.abs(residual) <= max(3.0 * spread, MIN_POLARITY_MARGIN / 2)
        if inliers.sum() < 3:
            break
        coefficients = np.linalg.lstsq(design[inliers], samples[inliers], rcond=None)[0]
    full_rows, full_cols = np.mgrid[0:height, 0:width]
    plane: np.ndarray = coefficients[0] + coefficients[1] * full_rows / height + coefficients[2] * full_cols / width
    return plane


def light_background(gray: np.ndarray) -> bool:
    """True when the background is the light end of the grey scale.

    Ink is what lies far from the background plane. Counting strong outliers on each side, beyond
    six robust standard deviations of the paper's noise, works however little or much of the image
    the digit covers.
    """
    residual = gray - _background_plane(gray)
    spread = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    margin = max(6.0 * spread, MIN_POLARITY_MARGIN)
    darker = int(np.count_nonzero(residual < -margin))
    lighter = int(np.count_nonzero(residual > margin))
    return darker > lighter


def _block_background(gray: np.ndarray, percentile: float) -> np.ndarray:
    """A smooth background map: one percentile per block of a coarse grid, interpolated back."""
    height, width = gray.shape
    block = max(4, int(np.ceil(max(height, width) / BACKGROUND_BLOCKS)))
    rows, cols = -(-height // block), -(-width // block)
    padded = np.pad(gray, ((0, rows * block - height), (0, cols * block - width)), mode="edge")
    blocks = padded.reshape(rows, block, cols, block).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    grid = np.percentile(blocks, percentile, axis=2)
    grid = ndimage.uniform_filter(grid, size=3, mode="nearest")
    zoomed = ndimage.zoom(grid, block, order=1, mode="nearest")
    background: np.ndarray = zoomed[:height, :width]
    return background


def ink_map(gray: np.ndarray) -> np.ndarray:
    """Ink intensity 0-1 (1 = full stroke), lighting removed and paper noise cut to 0."""
    if light_background(gray):
        # Paper reflects; light varies multiplicatively, so ink is the fraction of light absorbed.
        paper = np.maximum(_block_background(gray, 90), 1.0)
        ink = np.clip(1.0 - gray / paper, 0.0, 1.0)
    else:
        dark = _block_background(gray, 10)
        ink = np.clip((gray - dark) / 255.0, 0.0, 1.0)
    return _cut_noise_floor(ink.astype(np.float32))


def _otsu_threshold(values: np.ndarray) -> float:
    histogram, edges = np.histogram(values, bins=128, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight_below = np.cumsum(histogram)
    weight_above = weight_below[-1] - weight_below
    mean_below = np.cumsum(histogram * centres) / np.maximum(weight_below, 1)
    total = (histogram * centres).sum()
    mean_above = (total - np.cumsum(histogram * centres)) / np.maximum(weight_above, 1)
    between = weight_below * weight_above * (mean_below - mean_above) ** 2
    return float(centres[int(np.argmax(between))])


def _cut_noise_floor(ink: np.ndarray) -> np.ndarray:
    """Zero what is paper texture or sensor noise and stretch the strokes so their core reaches 1."""
    threshold = _otsu_threshold(ink)
    strokes = ink[ink > threshold]
    background = ink[ink <= threshold]
    if strokes.size == 0 or float(np.percentile(strokes, 90)) < MIN_CONTRAST:
        raise NoDigitFoundError("no digit found: the image is blank or has too little contrast")
    peak = float(np.percentile(strokes, 90))
    median = float(np.median(background))
    spread = 1.4826 * float(np.median(np.abs(background - median)))
    floor = float(np.clip(median + 4.0 * spread, MIN_NOISE_FLOOR, 0.5 * threshold))
    floor = min(floor, 0.5 * peak)
    stretched: np.ndarray = np.clip((ink - floor) / (peak - floor), 0.0, 1.0)
    return stretched


def digit_mask(ink: np.ndarray) -> np.ndarray:
    """Boolean mask of the components that make up the digit (specks and dust dropped)."""
    labels, count = ndimage.label(ink > MASK_THRESHOLD, structure=np.ones((3, 3)))
    if count == 0:
        raise NoDigitFoundError("no digit found: no ink strokes in the image")
    masses = ndimage.sum_labels(ink, labels, index=np.arange(1, count + 1))
    keep = np.flatnonzero(masses >= COMPONENT_MIN_SHARE * masses.max()) + 1
    mask: np.ndarray = np.isin(labels, keep)
    return mask


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels, from the distance transform (a band of width w averages (w+2)/4)."""
    strokes = ink > STROKE_THRESHOLD
    if not strokes.any():
        return 1.0
    distances = ndimage.distance_transform_edt(np.pad(strokes, 1))[1:-1, 1:-1]
    return max(1.0, 4.0 * float(distances[strokes].mean()) - 2.0)


def _crop(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    cropped: np.ndarray = np.where(mask, ink, 0.0)[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return cropped


def fit_box(digit: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 20 pixels, keeping the aspect ratio and a visible stroke width."""
    height, width = digit.shape
    scale = BOX_SIDE / max(height, width)
    wanted_width = TARGET_STROKE / scale
    current_width = stroke_width(digit)
    if current_width < wanted_width - 1:
        grow = round(wanted_width - current_width) + 1
        digit = ndimage.grey_dilation(digit, size=(grow, grow))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(digit.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS, reducing_gap=3.0
    )
    boxed = np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)
    peak = float(boxed.max())
    if peak <= 0.0:
        raise NoDigitFoundError("no digit found: the strokes vanish at MNIST's scale")
    scaled: np.ndarray = boxed / peak
    return scaled


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place the boxed digit in a 28x28 field with its centre of mass at MNIST's centre."""
    height, width = digit.shape
    com_row, com_col = ndimage.center_of_mass(digit)
    top = int(np.clip(round(CENTRE - com_row), 0, FIELD_SIDE - height))
    left = int(np.clip(round(CENTRE - com_col), 0, FIELD_SIDE - width))
    field = np.zeros((FIELD_SIDE, FIELD_SIDE), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return field


def normalize_digit(gray: np.ndarray) -> np.ndarray:
    """Grayscale 0-255 of any size and polarity to an MNIST-style 28x28 float32 in 0-1."""
    ink = ink_map(gray)
    return centre_by_mass(fit_box(_crop(ink, digit_mask(ink))))
