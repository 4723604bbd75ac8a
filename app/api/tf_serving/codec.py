"""The TensorFlow Serving REST API (also KServe's v1 protocol): request and response bodies.

Mirrors what ``tensorflow_model_server`` answers for the SavedModel the training module exports
(``serving_default``: input ``pixels``, outputs ``probabilities`` and ``digit``), so a client written
against the TF Serving documentation works unchanged against either server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.api.json_body import parse_json
from app.api.limits import check_digit_count
from app.errors import InvalidPixelsError, InvalidRequestError, MalformedJSONError
from app.http.fast_route import OrjsonResponse
from app.inference.predictor import Scores
from app.postprocessing.verdict import tensor_is_digit
from app.preprocessing.pixels import numeric_array, to_digit_batch
from mnist_format import INPUT_SHAPE, NUM_CLASSES

SIGNATURE = "serving_default"
INPUT_NAME = "pixels"


@dataclass(frozen=True)
class PredictRequest:
    digits: np.ndarray  # (n, 28, 28) float32 in 0-1
    columnar: bool


def _instances_tensor(instances: Any) -> np.ndarray:
    if not isinstance(instances, list) or not instances:
        raise InvalidPixelsError('"instances" must be a non-empty list')
    if all(isinstance(instance, dict) for instance in instances):  # named-input rows
        if any(set(instance) != {INPUT_NAME} for instance in instances):
            raise InvalidRequestError(f'each instance object must hold exactly the input "{INPUT_NAME}"')
        instances = [instance[INPUT_NAME] for instance in instances]
    return numeric_array(instances, "instances")


def _inputs_tensor(inputs: Any) -> np.ndarray:
    if isinstance(inputs, dict):
        if set(inputs) != {INPUT_NAME}:
            raise InvalidRequestError(f'"inputs" must hold exactly the input "{INPUT_NAME}"')
        inputs = inputs[INPUT_NAME]
    return numeric_array(inputs, "inputs")


def decode_request(body: bytes, max_digits: int) -> PredictRequest:
    """A predict request, row (``instances``) or columnar (``inputs``), to its digits."""
    document = parse_json(body)
    if not isinstance(document, dict):
        raise MalformedJSONError('a predict request is a JSON object with "instances" or "inputs"')
    signature = document.get("signature_name", SIGNATURE)
    if signature != SIGNATURE:
        raise InvalidRequestError(f'Serving signature name: "{signature}" not found in signature def')
    if ("instances" in document) == ("inputs" in document):
        raise InvalidRequestError('send exactly one of "instances" (row format) or "inputs" (columnar format)')
    columnar = "inputs" in document
    tensor = _inputs_tensor(document["inputs"]) if columnar else _instances_tensor(document["instances"])
    if tensor.ndim >= 1:
        check_digit_count(tensor.shape[0], max_digits)
    return PredictRequest(to_digit_batch(tensor, "inputs" if columnar else "instances"), columnar)


def encode_response(request: PredictRequest, scores: Scores, threshold: float) -> OrjsonResponse:
    """The answer in the request's format: ``{"outputs": {...}}`` for columnar, else ``{"predictions": [...]}``.

    ``is_digit`` is false where the judge's score falls below ``threshold`` (``DIGIT_THRESHOLD``), or
    where the judge and the digit model both doubt the input (``app.postprocessing.verdict``).
    """
    digits = scores.probabilities.argmax(axis=1).tolist()
    rows = scores.probabilities.tolist()  # as Python floats, the digits TF Serving writes
    is_digit = (tensor_is_digit(scores, threshold)).tolist()
    if request.columnar:
        return OrjsonResponse({"outputs": {"probabilities": rows, "digit": digits, "is_digit": is_digit}})
    predictions = [
        {"probabilities": row, "digit": digit, "is_digit": judged}
        for row, digit, judged in zip(rows, digits, is_digit, strict=True)
    ]
    return OrjsonResponse({"predictions": predictions})


def model_status(versions: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    """TF Serving's status of ``(version, state, error)``s: ``LOADING``, ``AVAILABLE``, ``UNLOADING`` or
    ``END``; a version refused at loading ends with its error (``UNKNOWN``, and the reason)."""
    return {
        "model_version_status": [
            {
                "version": version,
                "state": state,
                "status": {"error_code": "UNKNOWN" if error else "OK", "error_message": error or ""},
            }
            for version, state, error in versions
        ]
    }


def _tensor_info(name: str, dtype: str, dims: list[int]) -> dict[str, Any]:
    return {
        "dtype": dtype,
        "tensor_shape": {"dim": [{"size": str(size), "name": ""} for size in dims], "unknown_rank": False},
        "name": name,
    }


def model_metadata(name: str, version: str) -> dict[str, Any]:
    return {
        "model_spec": {"name": name, "signature_name": "", "version": version},
        "metadata": {
            "signature_def": {
                "signature_def": {
                    SIGNATURE: {
                        "inputs": {
                            INPUT_NAME: _tensor_info(f"serving_default_{INPUT_NAME}:0", "DT_FLOAT", [-1, *INPUT_SHAPE])
                        },
                        "outputs": {
                            "probabilities": _tensor_info("StatefulPartitionedCall:1", "DT_FLOAT", [-1, NUM_CLASSES]),
                            "digit": _tensor_info("StatefulPartitionedCall:0", "DT_INT64", [-1]),
                            "is_digit": _tensor_info("StatefulPartitionedCall:2", "DT_BOOL", [-1]),
                        },
                        "method_name": "tensorflow/serving/predict",
                    }
                }
            }
        },
    }
