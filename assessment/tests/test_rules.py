import io
import zipfile

import pytest

from assessment.rules import count_words, file_kind, file_kind_of, file_word_count

from .factories import docx_with, minimal_docx, minimal_pdf


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


def test_the_words_of_an_uploaded_pdf_and_word_document_are_counted():
    assert file_word_count(minimal_pdf("Leading maths across our school"), "pdf") == 5
    assert file_word_count(docx_with("One two\nthree four five"), "docx") == 5


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7 not really a PDF", "pdf"),
        (minimal_pdf(""), "pdf"),  # a scanned PDF: pictures, no text
        (b"PK\x03\x04 damaged", "docx"),
    ],
)
def test_a_file_whose_words_cannot_be_read_has_no_count(data, kind):
    assert file_word_count(data, kind) is None


@pytest.mark.parametrize(
    ("data", "kind"),
    [(minimal_pdf("My case study"), "pdf"), (minimal_docx(), "docx"), (b"<html></html>", None)],
)
def test_a_stored_files_kind_is_read_from_it_and_it_is_left_at_its_start(data, kind):
    stream = io.BytesIO(data)
    stream.seek(3)

    assert file_kind_of(stream) == kind
    assert stream.tell() == 0
