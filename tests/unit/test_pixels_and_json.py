"""JSON pixel arrays to model input: accepted forms, scale detection, and every rejection."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.api.json_body import json_field, parse_json
from app.errors import EmptyBodyError, InvalidPixelsError, InvalidRequestError, MalformedJSONError
from app.preprocessing.pixels import to_digit


def test_flat_and_nested_arrays_give_the_same_digit() -> None:
    values = np.arange(784) % 256
    flat = to_digit(values.tolist())
    nested = to_digit(values.reshape(28, 28).tolist())
    np.testing.assert_array_equal(flat, nested)
    assert flat.shape == (28, 28)
    assert flat.dtype == np.float32


def test_values_up_to_255_are_scaled_to_unit_range() -> None:
    digit = to_digit([0] * 783 + [255])
    assert digit.max() == pytest.approx(1.0)


def test_values_never_above_one_are_read_as_unit_range() -> None:
    digit = to_digit([0.0] * 783 + [0.5])
    assert digit.max() == pytest.approx(0.5)


def test_channel_dimension_is_accepted() -> None:
    assert to_digit(np.zeros((28, 28, 1)).tolist()).shape == (28, 28)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2, 3], "got 3 items"),
        ("0" * 784, "expected an array"),
        ([0] * 10_000_000, "got 10000000 items"),
        ([[0] * 27] * 28, "rows of unequal length|shape"),
        ([[0] * 28] * 27 + [[0] * 27], "rows of unequal length"),
        (["1"] * 784, "every value must be a number"),
        ([True] * 784, "every value must be a number"),
        ([None] * 784, "every value must be a number"),
        ([0] * 783 + [256], "0-255"),
        ([0] * 783 + [-1], "0-255"),
        ([0] * 783 + [1e309], "finite"),
        ([[[0] * 28] * 28] * 28, "shape"),
    ],
)
def test_to_digit_rejects(value: Any, message: str) -> None:
    with pytest.raises(InvalidPixelsError, match=message):
        to_digit(value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "malformed JSON"),
        (b'{"pixels": [NaN]}', "NaN and Infinity"),
        (b'{"pixels": [Infinity]}', "NaN and Infinity"),
        (b"[" * 5000 + b"]" * 5000, "malformed JSON"),
    ],
)
def test_parse_json_rejects(body: bytes, message: str) -> None:
    with pytest.raises(MalformedJSONError, match=message):
        parse_json(body)


@pytest.mark.parametrize("body", [b"", b" \n"])
def test_an_empty_json_body_is_an_empty_body_as_for_images(body: bytes) -> None:
    with pytest.raises(EmptyBodyError, match="empty"):
        parse_json(body)


def test_json_field_names_the_missing_field_and_what_was_sent() -> None:
    with pytest.raises(InvalidRequestError, match=r'missing "pixels" field .*"image"'):
        json_field({"image": []}, "pixels")
