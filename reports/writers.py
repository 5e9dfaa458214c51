"""Writing rows as CSV or Excel, with every text cell a spreadsheet would run as a formula
made plain text first.

Rows are lists of plain Python values: text, numbers, dates, times (shown in UK time),
yes/no and None (an empty cell). CSV comes out in pieces, so a download can stream.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from django.utils import timezone

# A cell starting with one of these runs as a formula when the file is opened in Excel,
# LibreOffice or Google Sheets (tab and carriage return can hide one after a space).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit on the characters in one cell.
XLSX_CELL_MAX = 32_767

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_safe(value: Any) -> Any:
    """Text that would start a formula gets a leading single quote, so it shows as typed.

    Names, schools and comments come from public forms: "=HYPERLINK(…)" in a surname must
    not run in the spreadsheet of the person who opens the export.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _local(moment: datetime.datetime) -> datetime.datetime:
    """A time as the hub reads it: in Europe/London, without a zone (spreadsheets have none)."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.replace(tzinfo=None, microsecond=0)


def csv_text(value: Any) -> str:
    """One cell of CSV: times as 2027-11-09 16:00, dates as 2027-11-09, yes/no as words."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return f"{_local(value):%Y-%m-%d %H:%M}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(cell_safe(str(value)) if isinstance(value, str) else value)


def xlsx_value(value: Any) -> Any:
    """One cell of Excel: numbers, dates and times stay typed so they sort and sum."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.datetime):
        return _local(value)
    if isinstance(value, str):
        return cell_safe(value)[:XLSX_CELL_MAX]
    return value


class _Line:
    """A file-like object csv.writer writes one line to, which hands the line back."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(*, headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text, a line at a time: a byte-order mark first, so Excel reads accented names
    (Zoë, Siân) as UTF-8, then the header line, then each row."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([cell_safe(header) for header in headers])
    for row in rows:
        yield writer.writerow([csv_text(value) for value in row])


def xlsx_write(*, headers: list[str], rows: Iterable[list], out: BinaryIO, title: str) -> None:
    """Write an Excel workbook of one sheet to `out`: a bold, frozen header row, then the
    rows, written as they come (openpyxl's write-only mode keeps memory flat)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = min(max(len(header) + 4, 12), 40)
        sheet.column_dimensions[_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=xlsx_value(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    workbook.save(out)


def xlsx_bytes(*, headers: list[str], rows: Iterable[list], title: str) -> bytes:
    """A small workbook, made in memory."""
    out = io.BytesIO()
    xlsx_write(headers=headers, rows=rows, out=out, title=title)
    return out.getvalue()


def _xlsx_cell(sheet, value: Any):
    from openpyxl.cell import WriteOnlyCell

    value = xlsx_value(value)
    if isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str):
        # Typed as text, so openpyxl never reads a value as a formula of its own accord.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _sheet_title(title: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    kept = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return (kept or "Export")[:31]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
