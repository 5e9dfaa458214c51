import datetime
import io

import pytest

from reports.writers import cell_safe, csv_chunks, csv_text, xlsx_bytes, xlsx_write

from .factories import csv_rows, xlsx_rows

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x.example","Click")', '\'=HYPERLINK("http://x.example","Click")'),
        ("+44 1244 000000", "'+44 1244 000000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Oakfield Primary", "Oakfield Primary"),
        ("O'Neill", "O'Neill"),
        ("", ""),
        (-5, -5),  # numbers stay numbers: they cannot hold a formula
        (None, None),
    ],
)
def test_text_that_would_start_a_formula_gets_a_leading_quote(value, safe):
    assert cell_safe(value) == safe


def test_csv_cells_show_times_in_uk_time_and_yes_or_no():
    summer = datetime.datetime(2028, 6, 1, 8, 0, tzinfo=UTC)

    assert csv_text(summer) == "2028-06-01 09:00"  # British Summer Time
    assert csv_text(datetime.date(2028, 6, 1)) == "2028-06-01"
    assert [csv_text(True), csv_text(False), csv_text(None)] == ["Yes", "No", ""]
    assert csv_text(140001) == "140001"


def test_a_csv_file_neutralises_formulas_and_reads_back_with_csv_reader():
    chunks = csv_chunks(headers=["Name", "Note"], rows=[["=cmd|' /C calc'!A0", 'a, "b"\nc']])

    data = "".join(chunks).encode("utf-8")

    assert data.startswith(b"\xef\xbb\xbf")
    assert csv_rows(data) == [["Name", "Note"], ["'=cmd|' /C calc'!A0", 'a, "b"\nc']]


def test_an_excel_file_neutralises_formulas_and_keeps_numbers_and_dates_typed():
    moment = datetime.datetime(2028, 1, 10, 16, 30, tzinfo=UTC)

    data = xlsx_bytes(
        headers=["Name", "URN", "Sent", "Day", "Funded"],
        rows=[
            ["=1+1", 140001, moment, datetime.date(2028, 1, 10), True],
            ["@x", None, None, None, False],
        ],
        title="Applications",
    )

    rows = xlsx_rows(data)
    assert rows[0] == ["Name", "URN", "Sent", "Day", "Funded"]
    assert rows[1][:2] == ["'=1+1", 140001]
    assert rows[1][2] == datetime.datetime(2028, 1, 10, 16, 30)  # GMT in January
    assert rows[1][3].date() == datetime.date(2028, 1, 10)
    assert rows[1][4] == "Yes"
    assert rows[2] == ["'@x", None, None, None, "No"]


def test_an_excel_sheet_name_drops_characters_excel_refuses():
    out = io.BytesIO()

    xlsx_write(headers=["A"], rows=[], out=out, title="Outcomes: 2028/29 [all] of a long name")

    import openpyxl

    title = openpyxl.load_workbook(out).worksheets[0].title
    assert len(title) <= 31
    assert not set(title) & set("[]:*?/\\")
