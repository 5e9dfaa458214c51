import csv
import io

import factory
import openpyxl

from reports.models import Export


class ExportFactory(factory.django.DjangoModelFactory):
    """An export of applications as CSV, waiting for its task."""

    class Meta:
        model = Export

    requested_by = factory.SubFactory("npq_portal.tests.factories.StaffUserFactory")
    kind = Export.Kind.APPLICATIONS
    file_format = Export.Format.CSV
    filters = factory.LazyFunction(dict)
    file_name = "applications-2027-11-09.csv"


def body_of(response) -> bytes:
    """A download's bytes, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(data: bytes) -> list[list[str]]:
    """Rows as csv.reader reads a UTF-8 file with a byte-order mark (as Excel writes them)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list]:
    """Rows of the first sheet, as openpyxl reads the workbook."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def rows_of(response, file_format: str) -> list[list]:
    data = body_of(response)
    return xlsx_rows(data) if file_format == "xlsx" else csv_rows(data)


def column(rows: list[list], header: str) -> list:
    """One column's values under its header, header row left out."""
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]
