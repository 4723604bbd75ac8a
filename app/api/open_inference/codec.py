"""The Open Inference Protocol (KServe v2, as NVIDIA Triton speaks it): request and response bodies.

Covers the JSON tensor format (data flat or nested, row-major), the binary tensor data extension
(``Inference-Header-Content-Length``: a JSON header followed by raw little-endian tensors, which
tritonclient uses by default) and the classification extension (top-k as ``"score:index"``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from starlette.responses import Response

from app.api.json_body import parse_json
from app.api.limits import check_digit_count
from app.errors import InvalidPixelsError, InvalidRequestError, MalformedJSONError
from app.inference.predictor import Scores
from app.postprocessing.verdict import tensor_is_digit
from app.preprocessing.pixels import BATCH_SHAPES, numeric_array, to_digit_batch
from mnist_format import INPUT_SHAPE, NUM_CLASSES

HEADER_LENGTH = "inference-header-content-length"
INPUT_NAME = "pixels"
INPUT_DATATYPES: dict[str, np.dtype[Any]] = {"FP32": np.dtype("<f4"), "UINT8": np.dtype("u1")}
OUTPUTS = {"probabilities": ("FP32", [-1, NUM_CLASSES]), "digit": ("INT64", [-1]), "is_digit": ("BOOL", [-1])}


@dataclass(frozen=True)
class RequestedOutput:
    name: str
    binary: bool
    classification: int | None = None


@dataclass(frozen=True)
class InferRequest:
    id: str | None
    digits: np.ndarray  # (n, 28, 28) float32 in 0-1
    outputs: list[RequestedOutput]


def model_metadata(name: str, version: str) -> dict[str, Any]:
    return {
        "name": name,
        "versions": [version],
        "platform": "tensorflow_keras",
        "inputs": [{"name": INPUT_NAME, "datatype": "FP32", "shape": [-1, *INPUT_SHAPE]}],
        "outputs": [{"name": key, "datatype": dtype, "shape": shape} for key, (dtype, shape) in OUTPUTS.items()],
        "parameters": {
            "accepted_input_shapes": BATCH_SHAPES,
            "accepted_input_datatypes": sorted(INPUT_DATATYPES),
            "input_format": "white digit on black; FP32 0-255 or 0-1 per image, UINT8 0-255",
        },
    }


def _split_body(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    if header_length is None:
        return body, b""
    if not header_length.isdigit() or int(header_length) > len(body):
        raise MalformedJSONError(
            f"Inference-Header-Content-Length {header_length!r} does not fit a {len(body)}-byte body"
        )
    length = int(header_length)
    return body[:length], body[length:]


def _input_tensor(spec: Any, binary: bytes) -> np.ndarray:
    """The input's array in its declared shape, from its JSON data or the binary part of the body."""
    if not isinstance(spec, dict):
        raise InvalidRequestError("each input must be an object with name, shape, datatype and data")
    name = spec.get("name")
    if name != INPUT_NAME:
        raise InvalidRequestError(f'unknown input {name!r}; this model has one input, "{INPUT_NAME}"')
    datatype = spec.get("datatype")
    if datatype not in INPUT_DATATYPES:
        raise InvalidRequestError(f"input datatype {datatype!r}; send one of {', '.join(INPUT_DATATYPES)}")
    shape = spec.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
        raise InvalidPixelsError(f"input shape {shape!r} must be a list of positive integers, e.g. [1, 784]")
    count = int(np.prod(shape))
    parameters = spec.get("parameters") or {}
    size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
    if size is not None:
        dtype = INPUT_DATATYPES[datatype]
        if not isinstance(size, int) or size != count * dtype.itemsize or size > len(binary):
            raise InvalidPixelsError(
                f"binary_data_size {size!r}: shape {shape} of {datatype} needs {count * dtype.itemsize} bytes, "
                f"{len(binary)} remain in the body"
            )
        return np.frombuffer(binary, dtype=dtype, count=count).reshape(shape)
    if "data" not in spec:
        raise InvalidRequestError(f'input "{INPUT_NAME}" has neither data nor binary_data_size')
    array = numeric_array(spec["data"], f'input "{INPUT_NAME}"')
    if array.size != count:
        raise InvalidPixelsError(f"input shape {shape} holds {count} values, data has {array.size}")
    if datatype == "UINT8" and (array.dtype.kind == "f" or array.min() < 0 or array.max() > 255):
        raise InvalidPixelsError("UINT8 input data must be integers 0-255")
    return array.reshape(shape)


def _requested_outputs(document: dict[str, Any]) -> list[RequestedOutput]:
    parameters = document.get("parameters") or {}
    binary_default = bool(isinstance(parameters, dict) and parameters.get("binary_data_output", False))
    requested = document.get("outputs")
    if requested is None:
        return [RequestedOutput(name, binary_default) for name in OUTPUTS]
    if not isinstance(requested, list):
        raise InvalidRequestError('"outputs" must be a list of {"name": ...} objects')
    outputs = []
    for spec in requested:
        name = spec.get("name") if isinstance(spec, dict) else None
        if name not in OUTPUTS:
            raise InvalidRequestError(f"unknown output {name!r}; outputs are {', '.join(OUTPUTS)}")
        options = spec.get("parameters") or {}
        classification = options.get("classification")
        if classification is not None and (
            name != "probabilities" or not isinstance(classification, int) or not 1 <= classification <= 10
        ):
            raise InvalidRequestError('classification applies to "probabilities", with k from 1 to 10')
        outputs.append(RequestedOutput(name, bool(options.get("binary_data", binary_default)), classification))
    return outputs


def decode_request(body: bytes, header_length: str | None, max_digits: int) -> InferRequest:
    """An inference request (JSON, or JSON header and binary tensors) to its digits and requested outputs."""
    header, binary = _split_body(body, header_length)
    document = parse_json(header)
    if not isinstance(document, dict):
        raise MalformedJSONError("an inference request is a JSON object")
    inputs = document.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1:
        raise InvalidRequestError(f'"inputs" must list exactly one input, "{INPUT_NAME}"')
    tensor = _input_tensor(inputs[0], binary)
    check_digit_count(tensor.shape[0], max_digits)
    if tensor.dtype == np.uint8:
        tensor = tensor.astype(np.float32) / np.float32(255.0)
    request_id = document.get("id")
    return InferRequest(
        id=str(request_id) if request_id is not None else None,
        digits=to_digit_batch(tensor, f'input "{INPUT_NAME}"'),
        outputs=_requested_outputs(document),
    )


def _top_k(probabilities: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    labels = [
        [f"{row[index]:f}:{index}" for index in indices] for row, indices in zip(probabilities, order, strict=True)
    ]
    return np.asarray(labels, dtype=object)


def _serialize(array: np.ndarray, datatype: str) -> bytes:
    if datatype == "BYTES":  # each element: 4-byte little-endian length, then the bytes
        return b"".join(struct.pack("<I", len(item)) + item for item in (str(v).encode() for v in array.ravel()))
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def encode_response(request: InferRequest, scores: Scores, threshold: float, model_name: str, version: str) -> Response:
    """The answer: plain JSON, or a JSON header followed by binary tensors.

    ``is_digit`` is false where the judge's score falls below ``threshold`` (``DIGIT_THRESHOLD``), or
    where the judge and the digit model both doubt the input (``app.postprocessing.verdict``).
    """
    probabilities = scores.probabilities
    outputs: list[dict[str, Any]] = []
    binary_parts: list[bytes] = []
    for output in request.outputs:
        if output.classification:
            array, datatype = _top_k(probabilities, output.classification), "BYTES"
        elif output.name == "probabilities":
            array, datatype = probabilities.astype(np.float32, copy=False), "FP32"
        elif output.name == "is_digit":
            array, datatype = tensor_is_digit(scores, threshold), "BOOL"
        else:
            array, datatype = probabilities.argmax(axis=1).astype(np.int64), "INT64"
        entry: dict[str, Any] = {"name": output.name, "datatype": datatype, "shape": list(array.shape)}
        if output.binary:
            raw = _serialize(array, datatype)
            entry["parameters"] = {"binary_data_size": len(raw)}
            binary_parts.append(raw)
        else:
            entry["data"] = array.ravel().tolist()
        outputs.append(entry)
    document: dict[str, Any] = {"model_name": model_name, "model_version": version, "outputs": outputs}
    if request.id is not None:
        document["id"] = request.id
    header = orjson.dumps(document)
    if not binary_parts:
        return Response(header, media_type="application/json")
    return Response(
        header + b"".join(binary_parts),
        media_type="application/octet-stream",
        headers={HEADER_LENGTH: str(len(header))},
    )
