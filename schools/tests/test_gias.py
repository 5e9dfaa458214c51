import csv
import io
import random

import pytest
from django.core.management import CommandError, call_command

from schools import gias_postgres, services
from schools.gias import (
    ALL_COLUMNS,
    GiasFileError,
    NotQuick,
    open_text,
    parse_gias,
    read_gias_chunks,
    read_gias_columns,
)
from schools.gias_generator import write_gias_file
from schools.models import GiasImport, LocalAuthority, School
from schools.services import gias_import_run

pytestmark = pytest.mark.django_db


def _extract(rows=120, *, seed=2026, bad_row=0) -> bytes:
    out = io.BytesIO()
    write_gias_file(out, rows, seed=seed, bad_row=bad_row)
    return out.getvalue()


def _import(data: bytes) -> GiasImport:
    record = GiasImport.objects.create(file_name="edubasealldata20261122.csv")
    return gias_import_run(record=record, source=io.BytesIO(data))


def _edit(data: bytes, urn: int, column: str, value: str) -> bytes:
    lines = data.decode("cp1252").split("\r\n")
    position = ALL_COLUMNS.index(column)
    rows = list(csv.reader(lines[:-1]))
    for row in rows[1:]:
        if row[0] == str(urn):
            row[position] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp1252")


def test_the_generated_extract_is_in_the_real_format():
    data = _extract(rows=50)

    header = data.split(b"\r\n", 1)[0].decode("cp1252")
    assert header == ",".join(ALL_COLUMNS)
    assert len(ALL_COLUMNS) == 139
    text = data.decode("cp1252")
    assert "’" in text and '"' in text  # curly apostrophes and quoted names, as GIAS has


def test_an_import_creates_every_school_with_its_details():
    record = _import(_extract(rows=120))

    assert record.status == GiasImport.Status.DONE
    assert (record.created_count, record.updated_count, record.unchanged_count) == (120, 0, 0)
    assert School.objects.count() == 120
    school = School.objects.get(urn=100000)
    assert school.name and school.la_name and school.establishment_type_name
    assert LocalAuthority.objects.filter(code=school.la_code, name=school.la_name).exists()
    accented = School.objects.filter(name__contains="’").first()
    assert accented is not None  # Windows-1252 characters survive


def test_one_bad_row_imports_nothing_and_names_the_row_and_the_problem():
    record = _import(_extract(rows=120, bad_row=57))

    assert record.status == GiasImport.Status.FAILED
    assert record.error == (
        "Row 57 (URN 100055): NumberOfPupils “about 200” is not a whole number. "
        "Nothing was imported."
    )
    assert not School.objects.exists()


def test_reimporting_an_unchanged_file_updates_nothing():
    data = _extract(rows=120)
    _import(data)
    before = list(School.objects.order_by("urn").values())

    record = _import(data)

    assert (record.created_count, record.updated_count, record.unchanged_count) == (0, 0, 120)
    assert list(School.objects.order_by("urn").values()) == before


def test_a_changed_school_is_updated_and_a_newly_closed_one_counted():
    data = _extract(rows=40)
    _import(data)
    open_school = School.objects.exclude(status_code=School.Status.CLOSED).first()
    changed = _edit(data, open_school.urn, "EstablishmentStatus (code)", "2")
    changed = _edit(changed, open_school.urn, "LastChangedDate", "01-09-2026")

    record = _import(changed)

    assert (record.created_count, record.updated_count, record.closed_count) == (0, 1, 1)
    open_school.refresh_from_db()
    assert open_school.status_code == School.Status.CLOSED


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("URN", "", "URN is empty"),
        ("EstablishmentName", "", "EstablishmentName is empty"),
        ("EstablishmentStatus (code)", "9", "EstablishmentStatus (code) “9” is not 1 to 4"),
        ("OpenDate", "2024-09-01", "OpenDate “2024-09-01” is not a date like 31-08-2024"),
        ("UKPRN", "1234", "UKPRN “1234” is not an 8-digit number"),
        ("TypeOfEstablishment (code)", "x1", "TypeOfEstablishment (code) “x1” is not a whole"),
    ],
)
def test_each_kind_of_bad_value_is_named(column, value, message):
    data = _edit(_extract(rows=5), 100002, column, value)

    with pytest.raises(GiasFileError, match="Row 4") as raised:
        parse_gias(open_text(data))

    assert message in str(raised.value)


def test_a_file_that_is_not_a_gias_extract_is_refused_clearly():
    with pytest.raises(GiasFileError, match="header has no “URN”"):
        parse_gias(open_text(b"Name,Email\r\nJo,jo@example.org\r\n"))


def test_a_urn_twice_in_the_file_is_refused():
    data = _extract(rows=3)
    data = _edit(data, 100001, "URN", "100000")

    with pytest.raises(GiasFileError, match="Row 3 \\(URN 100000\\): URN 100000 appears twice"):
        parse_gias(open_text(data))


def test_the_command_reports_counts_and_fails_on_a_bad_file(tmp_path, capsys):
    good = tmp_path / "edubasealldata20261122.csv"
    good.write_bytes(_extract(rows=30))
    bad = tmp_path / "edubasealldata20261123.csv"
    bad.write_bytes(_extract(rows=30, bad_row=10))

    call_command("import_gias", str(good))
    assert "30 created, 0 updated, 0 unchanged, 0 closed." in capsys.readouterr().out
    with pytest.raises(CommandError, match="Row 10"):
        call_command("import_gias", str(bad))
    assert School.objects.count() == 30


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("NumberOfPupils", "²", "NumberOfPupils “²” is not a whole number"),
        ("URN", "99999999999", "URN 99999999999 is too large to be right"),
        ("TypeOfEstablishment (code)", "40000", "is too large to be right"),
    ],
)
def test_values_the_database_would_refuse_are_caught_while_checking(column, value, message):
    data = _edit(_extract(rows=5), 100002, column, value)

    record = _import(data)

    assert record.status == GiasImport.Status.FAILED
    assert message in record.error
    assert not School.objects.exists()


def test_a_byte_that_is_not_windows_1252_names_its_row():
    data = _extract(rows=6)
    lines = data.split(b"\r\n")
    lines[3] = lines[3].replace(b"Road", b"R\x81ad", 1)

    record = _import(b"\r\n".join(lines))

    assert record.error.startswith("Row 4 cannot be read: byte 0x81 is not Windows-1252")


def test_a_file_re_saved_as_utf8_is_refused_rather_than_garbled():
    data = _extract(rows=10).decode("cp1252").encode("utf-8")

    record = _import(data)

    assert "re-saved as UTF-8" in record.error
    assert not School.objects.exists()


def test_a_school_without_a_last_changed_date_is_still_updated():
    data = _edit(_extract(rows=3), 100001, "LastChangedDate", "")
    _import(data)

    record = _import(_edit(data, 100001, "EstablishmentName", "Renamed Primary School"))

    assert record.updated_count == 1
    assert School.objects.get(urn=100001).name == "Renamed Primary School"


def test_an_older_file_does_not_overwrite_newer_data():
    newer = _edit(_extract(rows=3), 100001, "LastChangedDate", "01-10-2026")
    newer = _edit(newer, 100001, "EstablishmentName", "New Name Academy")
    _import(newer)
    older = _edit(_extract(rows=3), 100001, "LastChangedDate", "01-01-2026")

    record = _import(older)

    assert record.unchanged_count == 3
    assert School.objects.get(urn=100001).name == "New Name Academy"


def test_a_database_failure_while_writing_fails_the_import_cleanly(monkeypatch):
    from schools import services

    def refuse(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "schools_import_rows", refuse)
    monkeypatch.setattr(services, "schools_import_copy", refuse)

    record = _import(_extract(rows=5))

    assert record.status == GiasImport.Status.FAILED
    assert "nothing was imported" in record.error


# ---- The quick reader: the same establishments as parse_gias, or it leaves the file alone ----


def _write(rows: list[list[str]], *, newline: str = "\r\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    return out.getvalue().encode("cp1252")


def _rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("cp1252"), newline="")))


def _read_both(data: bytes):
    quick = read_gias_columns(data)
    return (quick.rows() if quick else None), parse_gias(open_text(data))


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"EstablishmentName": "  Padded Primary School \xa0"},
        {"EstablishmentName": 'The "Quoted", Comma, Academy'},
        {"EstablishmentName": "Ends with a comma,"},
        {"Town": ""},
        {"Postcode": " ch41 2ab "},
        {"Postcode": "cw1 1ßµ"},
        {"EstablishmentName": "École " + "Très Longue " * 30},
        {"LA (code)": "89512", "LA (name)": "x" * 150},
        {"OpenDate": "1-9-2024", "CloseDate": " 31-08-2025 "},
        {"NumberOfPupils": "0012", "TypeOfEstablishment (code)": " 34"},
        {"EstablishmentStatus (code)": "02"},
        {"UKPRN": ""},
        {"LastChangedDate": ""},
        {"Street": 'A "quoted" street, with commas', "HeadLastName": '""'},
        {"FSM": "back\\slash\tand tab"},
    ],
    ids=lambda change: ",".join(change) or "as generated",
)
def test_the_quick_reader_reads_each_value_as_parse_gias_does(change):
    data = _extract(rows=30)
    if change:
        data = _write(
            [row if row[0] != "100007" else _changed(row, change) for row in _rows_of(data)]
        )

    quick, rows = _read_both(data)

    assert quick == rows


def _changed(row: list[str], change: dict[str, str]) -> list[str]:
    row = list(row)
    for column, value in change.items():
        row[ALL_COLUMNS.index(column)] = value
    return row


def test_the_quick_reader_reads_a_file_with_unix_line_breaks_and_none_at_the_end():
    data = _write(_rows_of(_extract(rows=20)), newline="\n").rstrip(b"\n")

    quick, rows = _read_both(data)

    assert quick == rows and len(rows) == 20


def test_the_quick_reader_reads_in_chunks_as_in_one():
    data = _extract(rows=57)

    chunks = list(read_gias_chunks(data, rows_per_chunk=10))

    assert [len(chunk) for chunk in chunks] == [10, 10, 10, 10, 10, 7]
    assert [row for chunk in chunks for row in chunk.rows()] == parse_gias(open_text(data))


@pytest.mark.parametrize(
    ("description", "spoil"),
    [
        ("a quote inside an unquoted field", lambda text: text.replace("Road", 'Ro"ad', 1)),
        (
            "a quoted field running over two lines",
            lambda text: text.replace("Road", '"Ro\r\nad"', 1),
        ),
        ("a lone carriage return", lambda text: text.replace("Road", "Ro\rad", 1)),
        ("a blank line", lambda text: text.replace("\r\n", "\r\n\r\n", 3)),
        ("a quoted header", lambda text: '"URN"' + text[3:]),
        ("a row one field short", lambda text: text.replace(",United Kingdom,", ",", 1)),
        ("a URN with spaces", lambda text: text.replace("\r\n100003,", "\r\n 100003 ,", 1)),
        ("a NUL", lambda text: text.replace("Road", "Ro\x00ad", 1)),
        ("text after a closing quote", lambda text: text.replace('",', '"x,', 1)),
    ],
)
def test_the_quick_reader_leaves_to_parse_gias_what_it_cannot_be_sure_of(description, spoil):
    text = _extract(rows=20).decode("cp1252")

    data = spoil(text).encode("cp1252")

    assert data != text.encode("cp1252")
    assert read_gias_columns(data) is None, description


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("URN", ""),
        ("EstablishmentName", " "),
        ("EstablishmentStatus (code)", "9"),
        ("OpenDate", "31-02-2024"),
        ("OpenDate", "2024-09-01"),
        ("UKPRN", "1234"),
        ("NumberOfPupils", "about 200"),
        ("NumberOfPupils", "1,200"),
        ("TypeOfEstablishment (code)", "40000"),
    ],
)
def test_the_quick_reader_gives_a_bad_value_to_parse_gias_to_name(column, value):
    data = _edit(_extract(rows=5), 100002, column, value)

    assert read_gias_columns(data) is None
    with pytest.raises(GiasFileError, match="Row 4"):
        parse_gias(open_text(data))


def test_a_urn_twice_in_different_chunks_is_left_to_parse_gias():
    data = _edit(_extract(rows=30), 100025, "URN", "100001")

    with pytest.raises(NotQuick):
        list(read_gias_chunks(data, rows_per_chunk=10))


# Characters that make csv quote a field, or that a reader might trip on.
AWKWARD = [",", '"', "'", "’", " ", "\xa0", "\t", "é", "ß", "µ", "\\", "-", "x", "7"]


@pytest.mark.parametrize("seed", range(12))
def test_random_awkward_values_read_alike_either_way(seed):
    """Values made of awkward characters, written by csv in the standard way as GIAS writes
    them: the quick reader reads each file exactly as parse_gias does."""
    rng = random.Random(seed)
    rows = _rows_of(_extract(rows=40, seed=seed))
    text_columns = [
        "EstablishmentName", "LA (name)", "Town", "Postcode", "Street", "PhaseOfEducation (name)",
        "TypeOfEstablishment (name)", "SchoolWebsite", "FSM",
    ]  # fmt: skip
    for row in rows[1:]:
        for column in rng.sample(text_columns, 4):
            value = "".join(rng.choices(AWKWARD, k=rng.randint(0, 12)))
            row[ALL_COLUMNS.index(column)] = value + "x" if column == "EstablishmentName" else value
    data = _write(rows)

    quick, expected = _read_both(data)

    assert quick == expected


def test_a_fault_in_the_quick_reader_leaves_the_file_to_parse_gias(monkeypatch):
    from schools import gias

    def tripping(*args):
        raise IndexError("list index out of range")  # a shape the quick reader did not foresee

    monkeypatch.setattr(gias, "_read_chunk", tripping)
    data = _extract(rows=20, bad_row=15)

    record = _import(data)

    assert record.status == GiasImport.Status.FAILED
    assert record.error.startswith("Row 15 ")
    assert not School.objects.exists()
    assert _import(_extract(rows=20)).created_count == 20


def test_both_import_paths_write_every_school_column_from_one_list():
    # The COPY path and the ordinary path must write the same columns; one list keeps them so,
    # and a School column added for GIAS without being listed would never be filled in.
    columns = {field.name for field in School._meta.concrete_fields} - {"id", "urn"}

    assert services.SCHOOL_FIELDS is gias_postgres.SCHOOL_FIELDS
    assert set(gias_postgres.SCHOOL_FIELDS) == columns
    assert gias_postgres.FIELDS == ["urn", *gias_postgres.SCHOOL_FIELDS]
