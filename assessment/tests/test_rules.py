import io
import zipfile

import pytest

from assessment.rules import count_words, file_kind

from .factories import minimal_docx


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   \n\t ", 0),
        ("One", 1),
        ("Two  words", 2),
        ("Line one\nline two\r\nthree", 5),
        ("Year-6 pupils' work, e.g. fractions.", 5),
        ("Tabs\tand\u00a0non-breaking spaces", 4),
    ],
)
def test_words_are_counted_as_a_word_processor_counts_them(text, words):
    assert count_words(text) == words


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (minimal_docx(), "docx"),
        (b"Just some text pretending to be a PDF", None),
        (b"PK\x03\x04 not really a zip", None),
        (_zip(["[Content_Types].xml", "xl/workbook.xml"]), None),  # a spreadsheet
        (_zip(["word/document.xml"]), None),
        (b"", None),
    ],
)
def test_files_are_recognised_by_their_content(data, kind):
    assert file_kind(data) == kind
