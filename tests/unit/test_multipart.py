"""``single_file``: the one file part of a plain multipart body, and ``None`` for every other shape."""

from __future__ import annotations

import pytest

from app.api.multipart import single_file

IMAGE = b"\x89PNG\r\n\x1a\n\r\n--not-the-boundary\r\n\r\nbytes"
TYPE = "multipart/form-data; boundary=XyZ"


def part(headers: str, content: bytes = IMAGE, boundary: bytes = b"XyZ") -> bytes:
    return b"--" + boundary + b"\r\n" + headers.encode() + b"\r\n\r\n" + content + b"\r\n"


def form(*parts: bytes, boundary: bytes = b"XyZ") -> bytes:
    return b"".join(parts) + b"--" + boundary + b"--\r\n"


FILE = 'Content-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png'


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (form(part(FILE)), TYPE),
        (form(part(FILE)), 'multipart/form-data; charset=utf-8; BOUNDARY="XyZ"'),
        (form(part('content-disposition: FORM-DATA; filename="a.png"; name="files"'), b""), TYPE),
        (form(part(FILE + "\r\nContent-Transfer-Encoding: binary")), TYPE),
        (form(part(FILE)) + b"an epilogue\r\n", TYPE),
    ],
)
def test_one_file_part_is_found(body: bytes, content_type: str) -> None:
    assert single_file(body, content_type) == IMAGE


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (form(part(FILE)), "multipart/form-data"),  # no boundary
        (form(part(FILE)), "multipart/form-data; boundary=other"),
        (b"a preamble\r\n" + form(part(FILE)), TYPE),
        (form(part('Content-Disposition: form-data; name="note"'), part(FILE)), TYPE),  # a text field first
        (form(part(FILE), part(FILE)), TYPE),  # two files
        (form(part('Content-Disposition: form-data; name="image"; filename="a.png"')), TYPE),
        (form(part('Content-Disposition: form-data; name="file"')), TYPE),  # a text field named file
        (form(part('Content-Disposition: form-data; name="myfile"; filename="a.png"')), TYPE),
        (form(part(FILE + "\r\nContent-Transfer-Encoding: base64")), TYPE),
        (form(part(FILE))[:-12], TYPE),  # truncated: no closing delimiter
        (part(FILE)[:-20], TYPE),  # truncated inside the file
        (b"--XyZ\r\n" + FILE.encode() + b"\r\n", TYPE),  # headers never end
        (b"", TYPE),
    ],
)
def test_anything_else_is_left_to_the_full_parser(body: bytes, content_type: str) -> None:
    assert single_file(body, content_type) is None
