"""Uploaded files checked by what they hold and how large they are, for every app's uploads.

A file's name and the type the browser claims are whatever the sender chose, so only the bytes
decide what a file is. Each upload's size limit is in settings.UPLOAD_LIMITS.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import IO, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError

PDF = "pdf"
DOCX = "docx"
DOCX_PARTS = frozenset({"[Content_Types].xml", "word/document.xml"})

# How much of a file's start is enough to tell a binary file from text.
HEAD_BYTES = 8192

# Signatures at the start of common non-text files, and how to name each to a person.
SIGNATURES = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook or a Word document, perhaps)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Excel or Word file (.xls or .doc)"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a program"),
    (b"\xcf\xfa\xed\xfe", "a program"),
    (b"\x89PNG", "a picture (PNG)"),
    (b"\xff\xd8\xff", "a picture (JPEG)"),
    (b"GIF8", "a picture (GIF)"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"7z\xbc\xaf", "a compressed (7-Zip) file"),
    (b"Rar!", "a compressed (RAR) file"),
    (b"\xff\xfe", "text saved as UTF-16 (“Unicode text”)"),
    (b"\xfe\xff", "text saved as UTF-16 (“Unicode text”)"),
)


def file_kind_of(stream: BinaryIO) -> str | None:
    """ "pdf" or "docx" when an open, seekable file holds one (whatever it is called), else None.

    Only its start and (for a ZIP) its directory are read, so learning a stored file's kind is
    cheap; a damaged or disguised ZIP is not a Word document. The file is left at its start.
    """
    stream.seek(0)
    try:
        head = stream.read(5)
        if head.startswith(b"%PDF-"):
            return PDF
        if not head.startswith(b"PK"):
            return None
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            return None
        return DOCX if DOCX_PARTS <= names else None
    finally:
        stream.seek(0)


def file_kind(data: bytes) -> str | None:
    """file_kind_of for bytes already in memory."""
    return file_kind_of(io.BytesIO(data))


def not_text(head: bytes) -> str | None:
    """What a file starting with these bytes is, in words, when it is not plain text (so not
    a CSV, whatever it is called); None when it could be text."""
    for signature, name in SIGNATURES:
        if head.startswith(signature):
            return name
    # No text encoding a spreadsheet saves CSV in (UTF-8, Windows-1252) has NUL bytes; UTF-16
    # without its byte order mark and binary files do.
    if b"\x00" in head:
        return "not text (it has NUL bytes): a binary file, or text saved as UTF-16"
    return None


def csv_refusal(head: bytes) -> str | None:
    """A sentence saying why a file starting with these bytes is not a CSV, or None."""
    what = not_text(head)
    if what is None:
        return None
    return f"This file is {what}, not a CSV, whatever its name says: save it as CSV and try again."


def upload_limit(name: str) -> int:
    """The largest file, in bytes, the upload called `name` in settings.UPLOAD_LIMITS takes."""
    return settings.UPLOAD_LIMITS[name]


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")


def refuse_if_too_large(upload, *, limit: str) -> None:
    """Raise ValidationError when the upload is larger than its limit: judged by the size
    Django counted as it arrived, before anything reads the file into memory."""
    largest = upload_limit(limit)
    if upload.size > largest:
        raise ValidationError(
            f"The file is {_megabytes(upload.size)}; the largest you can upload here is "
            f"{_megabytes(largest)}. Nothing was uploaded."
        )


def refuse_unless_csv(upload, *, limit: str) -> None:
    """Raise ValidationError for an upload too large, empty, or not text (a PDF, a
    spreadsheet, a program…), whatever it is called; the file is left at its start."""
    refuse_if_too_large(upload, limit=limit)
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if not head:
        raise ValidationError("The file is empty. Nothing was uploaded.")
    refusal = csv_refusal(head)
    if refusal:
        raise ValidationError(refusal)


# ---- Reading an uploaded CSV, for every importer ----


NOTHING_UPLOADED = "Nothing was uploaded."


def uploaded_csv(
    source: IO[bytes], *, nothing_done: str = NOTHING_UPLOADED
) -> Iterator[tuple[int, list[str]]]:
    """Each record of an uploaded CSV, saved as UTF-8 or by Excel (Windows-1252), with its row
    number as a spreadsheet shows it (the header is row 1).

    Raises ValidationError, ending with `nothing_done`, for a file that is not such text (a
    binary file, whatever it is called; UTF-16) at once, and for a row csv cannot read (a
    field over csv's size limit) when the reading reaches it.
    """
    text = _uploaded_csv_text(source.read(), nothing_done)
    return _csv_records(text, nothing_done)


def csv_header(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    """The first record's column names, trimmed and in lower case; [] for an empty file."""
    return [name.strip().lower() for name in next(records, (1, []))[1]]


def _uploaded_csv_text(data: bytes, nothing_done: str) -> str:
    refusal = csv_refusal(data[:HEAD_BYTES])
    if refusal:
        raise ValidationError(f"{refusal} {nothing_done}")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "This file is neither UTF-8 nor Windows-1252 text: save it as CSV and try again. "
        f"{nothing_done}"
    )


def _csv_records(text: str, nothing_done: str) -> Iterator[tuple[int, list[str]]]:
    # Not str.splitlines(): it also breaks at characters such as U+2028 inside a name, and
    # at every line break inside a quoted field, which then reads as two broken rows.
    reader = csv.reader(io.StringIO(text, newline=""))
    row = 0
    try:
        for row, record in enumerate(reader, start=1):
            yield row, record
    except csv.Error as error:
        raise ValidationError(
            f"Row {row + 1:,} cannot be read as CSV ({error}). {nothing_done}"
        ) from None
