"""The assessment's pure rules: counting words and recognising uploaded files. No Django."""

from __future__ import annotations

import io
import zipfile

PDF = "pdf"
DOCX = "docx"
CONTENT_TYPES = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
DOCX_PARTS = frozenset({"[Content_Types].xml", "word/document.xml"})


def count_words(text: str) -> int:
    """Words as a word processor counts them: runs of characters between whitespace."""
    return len(text.split())


def file_kind(data: bytes) -> str | None:
    """ "pdf" or "docx" when the content is one (whatever the file is called), else None.

    A DOCX is a ZIP holding [Content_Types].xml and word/document.xml; a damaged or
    disguised ZIP is not one.
    """
    if data.startswith(b"%PDF-"):
        return PDF
    if not data.startswith(b"PK"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return None
    return DOCX if DOCX_PARTS <= names else None
