import io

import pytest
from django.db import connection

from schools import gias as gias_module
from schools import gias_postgres, services
from schools.gias import open_text, parse_gias
from schools.models import GiasImport, LocalAuthority, School, normalise_name, normalise_postcode
from schools.services import gias_import_run

from .test_gias import _edit, _extract

pytestmark = pytest.mark.django_db

FIELDS = gias_postgres.FIELDS


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's.")


@pytest.fixture
def copy_only(postgresql_only, monkeypatch):
    """Fail any import that does not go through COPY."""

    def refuse(**kwargs):
        raise AssertionError("The import went through schools_import_rows.")

    monkeypatch.setattr(services, "schools_import_rows", refuse)


def _import(data: bytes, progress=None) -> GiasImport:
    record = GiasImport.objects.create(file_name="edubasealldata20261122.csv")
    return gias_import_run(record=record, source=io.BytesIO(data), progress=progress)


def _stored() -> list[tuple]:
    return list(School.objects.order_by("urn").values_list(*FIELDS))


def _expected(data: bytes) -> list[tuple]:
    """What the rows path makes of the extract, school by school."""
    return [
        (
            row.urn,
            row.ukprn,
            row.name,
            normalise_name(row.name),
            row.la_code,
            row.la_name,
            row.establishment_type_code,
            row.establishment_type_name,
            row.status_code,
            row.phase_name,
            row.town,
            row.postcode,
            normalise_postcode(row.postcode),
            row.number_of_pupils,
            row.open_date,
            row.close_date,
            row.last_changed_date,
        )
        for row in sorted(parse_gias(open_text(data)), key=lambda row: row.urn)
    ]


def _indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1",
            [School._meta.db_table],
        )
        return cursor.fetchall()


def test_a_first_import_goes_through_copy_and_stores_what_the_rows_path_would(copy_only):
    data = _extract(rows=120)
    indexes = _indexes()

    record = _import(data)

    assert record.status == GiasImport.Status.DONE
    assert (record.created_count, record.updated_count, record.unchanged_count) == (120, 0, 0)
    assert _stored() == _expected(data)
    assert _indexes() == indexes  # dropped for the load, then made again as they were


def test_awkward_values_are_stored_as_the_rows_path_would(copy_only):
    data = _edit(_extract(rows=10), 100003, "EstablishmentName", 'St Mary’s "Big", C\\of\tE ')
    data = _edit(data, 100004, "Postcode", " ch41\xa02ab")
    data = _edit(data, 100005, "EstablishmentName", "ÉCOLE ŠKODA   Œuvre—Ÿes")

    _import(data)

    assert _stored() == _expected(data)


def test_new_changed_and_unchanged_schools_are_each_stored_as_the_rows_path_would(copy_only):
    data = _extract(rows=40)
    _import(data)
    closing = School.objects.exclude(status_code=School.Status.CLOSED).order_by("urn")[0].urn
    changed = _edit(data, closing, "EstablishmentStatus (code)", "2")
    changed = _edit(changed, closing, "LastChangedDate", "01-09-2026")
    changed = _edit(changed, 100001, "EstablishmentName", "Renamed, but not dated, School")
    five_more = _extract(rows=45).split(b"\r\n")[41:]  # the same generator: five new schools
    changed += b"\r\n".join(five_more)

    record = _import(changed)

    assert (record.created_count, record.updated_count, record.unchanged_count) == (5, 1, 39)
    assert record.closed_count == 1
    before, after = _by_urn(_expected(data)), _by_urn(_expected(changed))
    new = {urn: school for urn, school in after.items() if urn not in before}
    # 100001's LastChangedDate did not move, so its new name is not taken.
    assert _stored() == sorted({**before, **new, closing: after[closing]}.values())


def _by_urn(schools: list[tuple]) -> dict[int, tuple]:
    return {school[0]: school for school in schools}


def test_the_last_name_a_local_authority_has_in_the_file_wins(copy_only):
    data = _extract(rows=30)
    rows = parse_gias(open_text(data))
    first = next(row for row in rows if row.la_code == rows[-1].la_code)
    data = _edit(data, first.urn, "LA (name)", "An old name")
    data = _edit(data, rows[-1].urn, "LA (name)", "The new name")

    _import(data)

    assert LocalAuthority.objects.get(code=rows[-1].la_code).name == "The new name"


def test_progress_is_reported_chunk_by_chunk(copy_only, monkeypatch):
    monkeypatch.setattr(services, "read_gias_chunks", _in_chunks_of(25))
    reported = []

    _import(_extract(rows=60), progress=lambda done, total: reported.append((done, total)))

    assert reported == [(25, 60), (50, 60), (60, 60), (60, 60)]


def _in_chunks_of(size):
    reader = gias_module.read_gias_chunks
    return lambda data: reader(data, rows_per_chunk=size)


def test_a_bad_row_in_a_later_chunk_rolls_back_what_copy_wrote(postgresql_only, monkeypatch):
    monkeypatch.setattr(services, "read_gias_chunks", _in_chunks_of(20))
    indexes = _indexes()

    record = _import(_extract(rows=60, bad_row=50))

    assert record.status == GiasImport.Status.FAILED
    assert record.error.startswith("Row 50 (URN 100048): NumberOfPupils “about 200”")
    assert not School.objects.exists()
    assert _indexes() == indexes


def test_a_value_copy_cannot_carry_goes_through_the_rows_path(postgresql_only):
    data = _edit(_extract(rows=20), 100004, "Postcode", "cw1 1µß")  # upper-case: "ΜSS"

    record = _import(data)

    assert record.status == GiasImport.Status.DONE
    assert School.objects.get(urn=100004).postcode_normalised == "CW11ΜSS"
    assert _stored() == _expected(data)


def test_a_file_the_quick_reader_leaves_alone_is_imported_through_the_rows_path(
    postgresql_only, monkeypatch
):
    # A quote inside an unquoted field: csv takes it literally, the quick reader leaves it.
    data = _extract(rows=20).replace(b"Road", b'Ro"ad', 1)
    through_rows = []
    rows_path = services.schools_import_rows
    monkeypatch.setattr(
        services,
        "schools_import_rows",
        lambda **kwargs: through_rows.append(1) or rows_path(**kwargs),
    )

    record = _import(data)

    assert through_rows
    assert record.status == GiasImport.Status.DONE and record.created_count == 20
    assert _stored() == _expected(data)


UNFORESEEN = "A shape the quick reader did not foresee"


def _reader_that_trips_on_the_unforeseen(monkeypatch):
    """Stand in for a fault in the quick reader (an exception other than NotQuick) on the
    chunk holding the crafted row; no real file is known to cause one."""
    read_chunk = gias_module._read_chunk

    def tripping(lines, *args):
        if any(UNFORESEEN.encode() in line for line in lines):
            raise IndexError("list index out of range")
        return read_chunk(lines, *args)

    monkeypatch.setattr(gias_module, "_read_chunk", tripping)


def test_a_fault_in_the_quick_reader_part_way_rolls_back_and_the_rows_path_imports_the_file(
    postgresql_only, monkeypatch
):
    monkeypatch.setattr(services, "read_gias_chunks", _in_chunks_of(20))
    _reader_that_trips_on_the_unforeseen(monkeypatch)
    data = _edit(_extract(rows=60), 100045, "EstablishmentName", UNFORESEEN)
    indexes = _indexes()

    record = _import(data)

    assert record.status == GiasImport.Status.DONE
    assert (record.created_count, record.updated_count) == (60, 0)
    assert _stored() == _expected(data)
    assert _indexes() == indexes


def test_a_fault_in_the_quick_reader_leaves_a_bad_file_to_parse_gias_to_name_the_row(
    postgresql_only, monkeypatch
):
    monkeypatch.setattr(services, "read_gias_chunks", _in_chunks_of(20))
    _reader_that_trips_on_the_unforeseen(monkeypatch)
    data = _edit(_extract(rows=60, bad_row=50), 100045, "EstablishmentName", UNFORESEEN)

    record = _import(data)

    assert record.status == GiasImport.Status.FAILED
    assert record.error.startswith("Row 50 (URN 100048): NumberOfPupils “about 200”")
    assert not School.objects.exists()


def test_a_fault_as_the_quick_reader_opens_the_file_leaves_it_to_the_rows_path(
    postgresql_only, monkeypatch
):
    def tripping(data):
        raise UnicodeDecodeError("cp1252", b"\x81", 0, 1, "character maps to <undefined>")

    monkeypatch.setattr(services, "read_gias_chunks", tripping)
    data = _extract(rows=20)

    record = _import(data)

    assert record.status == GiasImport.Status.DONE and record.created_count == 20
    assert _stored() == _expected(data)


def test_normalising_bytes_does_what_normalise_name_and_normalise_postcode_do():
    characters = [c for c in gias_postgres.CHARACTERS.values() if c and c != "\x00"]
    names = [f"A{c}b {c}{c}" for c in characters] + [" x ", "", "  ", "a  b", "’", "Ab’C D'E"]
    postcodes = [f"c{c}w 1" for c in characters if c not in "ƒµß"]  # these go the rows path

    names_normalised = gias_postgres._normalised_names([n.encode("cp1252") for n in names])
    postcodes_normalised = gias_postgres._normalised_postcodes(
        [postcode.encode("cp1252") for postcode in postcodes]
    )

    assert [name.decode("cp1252") for name in names_normalised] == list(map(normalise_name, names))
    assert [postcode.decode("cp1252") for postcode in postcodes_normalised] == list(
        map(normalise_postcode, postcodes)
    )
