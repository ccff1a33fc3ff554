"""The source YAML embedded in a registry PDF (PDF/A-3 attachments), read back for verification.

The PDF comes from outside: it is parsed with pypdf's limits on decompression, only its embedded
files are read, and any failure to parse is :class:`NotAPdf` (a 400), never a crash.
"""

from __future__ import annotations

import io
import logging

#: at most this many embedded files are read (a registry PDF has one)
MAX_ATTACHMENTS = 8
#: an embedded file larger than this is not a standard's source (the upload limit is smaller anyway)
MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024


class NotAPdf(Exception):
    """The bytes are not a PDF that can be read."""


def embedded_sources(pdf: bytes) -> list[tuple[str, bytes]]:
    """``(name, bytes)`` of the YAML files embedded in ``pdf`` (names ending in .yaml or .yml)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not pdf.startswith(b"%PDF-"):
        raise NotAPdf("it does not start with %PDF-")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged upload is not the server's problem
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        found = []
        for name, contents in list(reader.attachments.items())[:MAX_ATTACHMENTS]:
            if not name.lower().endswith((".yaml", ".yml")):
                continue
            for data in contents[:1]:
                if len(data) <= MAX_ATTACHMENT_BYTES:
                    found.append((name, bytes(data)))
        return found
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OSError, AssertionError, UnicodeError, ZeroDivisionError) as exc:
        raise NotAPdf(type(exc).__name__) from None
