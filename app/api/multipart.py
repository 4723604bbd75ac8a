"""A multipart body that holds one file, split by its boundary in a few searches.

Starlette's form parser (python-multipart) is made for streams of any size and shape: a callback
per header and per chunk, a spooled temporary file per upload. A prediction's upload is one small
image in a body the body limit has already bounded. Splitting it with ``bytes.find`` instead took
the event loop's CPU per request from 0.73 to 0.49 ms for the page's canvas, 0.83 to 0.58 for a
600x600 photo, 1.02 to 0.76 for a number (JSON: 0.27-0.29; ``python -m bench.loop_cpu``). A body
that is not plainly one file part (a preamble, a second part, a text field, an encoded transfer,
anything malformed) gives ``None`` and goes to Starlette's parser, which reads every valid form and
words every error.
"""

from __future__ import annotations

import re

FILE_FIELDS = ("file", "files")
"""The form fields an image may come in: ``files`` is what several-file clients tend to send."""
_DISPOSITION = re.compile(rb'^\s*form-data\s*;(?=.*\bfilename\*?=)(?=.*\bname="(file|files)")', re.IGNORECASE)
"""A file part of a form in one of ``FILE_FIELDS`` (``\\bname`` does not match inside ``filename``)."""
_PLAIN_ENCODINGS = (b"binary", b"8bit", b"7bit")


def _boundary(content_type: str) -> bytes | None:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "boundary":
            boundary = value.strip().strip('"')
            return boundary.encode("latin-1") if 0 < len(boundary) <= 70 and boundary.isascii() else None
    return None


def _is_file_part(headers: bytes) -> bool:
    disposition = False
    for line in headers.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-disposition":
            disposition = _DISPOSITION.match(value) is not None
        elif name == b"content-transfer-encoding" and value.strip().lower() not in _PLAIN_ENCODINGS:
            return False
    return disposition


def single_file(body: bytes, content_type: str) -> bytes | None:
    """The content of ``body``'s one part when that part is a file in a ``FILE_FIELDS`` field, else ``None``."""
    boundary = _boundary(content_type)
    if boundary is None:
        return None
    delimiter = b"--" + boundary
    if not body.startswith(delimiter + b"\r\n"):
        return None
    headers_end = body.find(b"\r\n\r\n", len(delimiter))
    if headers_end < 0 or not _is_file_part(body[len(delimiter) + 2 : headers_end]):
        return None
    content_end = body.find(b"\r\n" + delimiter, headers_end + 4)
    closing = content_end + 2 + len(delimiter)
    if content_end < 0 or body[closing : closing + 2] != b"--":
        return None
    return body[headers_end + 4 : content_end]
