"""Multipart uploads of every shape read as the raw image does, whichever parser splits them.

A plain one-file body takes the fast split (``app.api.multipart``); everything else goes to
Starlette's parser. Both must give the same answers, and no body, however mangled, a 5xx.
"""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.support.images import encode_image
from training.sources import MnistSplit

BOUNDARY = b"----b0undary"
FILE = b'Content-Disposition: form-data; name="file"; filename="digit.png"\r\nContent-Type: image/png'


def part(headers: bytes, content: bytes) -> bytes:
    return b"--" + BOUNDARY + b"\r\n" + headers + b"\r\n\r\n" + content + b"\r\n"


def form(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


def shapes(image: bytes) -> dict[str, bytes]:
    note = part(b'Content-Disposition: form-data; name="note"', b"from the form")
    return {
        "plain": form(part(FILE, image)),
        "files field": form(part(FILE.replace(b'"file"', b'"files"'), image)),
        "text field first": form(note, part(FILE, image)),
        "text field after": form(part(FILE, image), note),
    }


def multipart_type(quoted: bool) -> str:
    boundary = BOUNDARY.decode()
    return f'multipart/form-data; boundary="{boundary}"' if quoted else f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("quoted", [False, True])
def test_every_shape_reads_as_the_raw_image(client: TestClient, test_digits: MnistSplit, quoted: bool) -> None:
    for image in test_digits.images[:5]:
        data = encode_image(image)
        raw = client.post("/predict", content=data, headers={"content-type": "image/png"}).json()
        for shape, body in shapes(data).items():
            response = client.post("/predict", content=body, headers={"content-type": multipart_type(quoted)})
            assert response.status_code == 200, (shape, response.text)
            assert response.json() == raw, shape


def test_a_batch_of_one_plain_part_reads_as_one(client: TestClient, test_digits: MnistSplit) -> None:
    data = encode_image(test_digits.images[0])
    response = client.post(
        "/predict/batch", content=form(part(FILE, data)), headers={"content-type": multipart_type(False)}
    )
    assert response.status_code == 200
    assert [p["digit"] for p in response.json()["predictions"]] == [int(test_digits.labels[0])]


def test_two_files_to_predict_are_refused(client: TestClient, test_digits: MnistSplit) -> None:
    body = form(*(part(FILE, encode_image(image)) for image in test_digits.images[:2]))
    response = client.post("/predict", content=body, headers={"content-type": multipart_type(False)})
    assert response.status_code == 400
    assert "Too many files" in response.json()["error"]


def test_mangled_bodies_get_4xx_json_never_5xx(client: TestClient, test_digits: MnistSplit) -> None:
    """Truncations, flipped bytes and cut delimiters, 300 of them, seeded."""
    body = form(part(FILE, encode_image(test_digits.images[0])))
    rng = np.random.default_rng(16)
    for _ in range(300):
        mangled = bytearray(body)
        kind = rng.integers(3)
        if kind == 0:
            mangled = mangled[: rng.integers(len(mangled))]
        elif kind == 1:  # flip bytes in the headers or the closing delimiter, where the split looks
            for at in [*rng.integers(0, 120, 3).tolist(), len(mangled) - int(rng.integers(1, 20))]:
                mangled[at] ^= int(rng.integers(1, 256))
        else:
            cut = int(rng.integers(len(mangled)))
            mangled = mangled[:cut] + b"\r\n--" + BOUNDARY + mangled[cut:]
        response = client.post("/predict", content=bytes(mangled), headers={"content-type": multipart_type(False)})
        assert response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/json"
        if response.status_code != 200:
            assert response.json()["code"]
