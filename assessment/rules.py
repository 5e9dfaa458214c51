"""The assessment's pure rules: counting words in typed text and uploaded files.

Recognising a file by its content is npq_portal.uploads' job (file_kind, file_kind_of), shared
with every upload; those names are imported here for the assessment's callers.
"""

from __future__ import annotations

import io
import logging
import zipfile
from xml.etree import ElementTree

from npq_portal.uploads import DOCX, PDF
from npq_portal.uploads import file_kind as file_kind
from npq_portal.uploads import file_kind_of as file_kind_of

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# A document.xml larger than this unpacked is a ZIP bomb, not a case study.
DOCX_XML_MAX_BYTES = 50 * 1024 * 1024


def count_words(text: str) -> int:
    """Words as a word processor counts them: runs of characters between whitespace."""
    return len(text.split())


def _docx_text(data: bytes) -> str:
    """The text of a Word document's body, a line per paragraph."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if archive.getinfo("word/document.xml").file_size > DOCX_XML_MAX_BYTES:
            raise ValueError("document.xml is implausibly large")
        root = ElementTree.fromstring(archive.read("word/document.xml"))
    paragraphs = []
    for paragraph in root.iter(f"{WORD_NS}p"):
        pieces = []
        for node in paragraph.iter():
            if node.tag == f"{WORD_NS}t":
                pieces.append(node.text or "")
            elif node.tag in {f"{WORD_NS}tab", f"{WORD_NS}br"}:
                pieces.append(" ")
        paragraphs.append("".join(pieces))
    return "\n".join(paragraphs)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def file_word_count(data: bytes, kind: str) -> int | None:
    """Words in an uploaded PDF or Word document, counted as count_words counts typed text;
    None when the text cannot be read (a scanned PDF is pictures of words)."""
    try:
        text = _docx_text(data) if kind == DOCX else _pdf_text(data)
    except Exception:  # a damaged or hostile file: any parser error means "cannot count"
        logger.info("Could not read the words of an uploaded %s", kind)
        return None
    words = count_words(text)
    return words if words or kind == DOCX else None
