"""Property-based tests: every importer, given random and hostile files, either imports the
whole file or refuses it with a sentence naming the row, and writes nothing when it refuses."""

import csv
import datetime
import io
from contextlib import contextmanager

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from participants.models import Attendance, AttendanceChange
from participants.services import register_import
from schools.gias import ALL_COLUMNS
from schools.models import (
    EligibilityList,
    EligibilityListEntry,
    GiasImport,
    PrivateChildcareProvider,
    School,
)
from schools.services import childcare_providers_upload, eligibility_list_upload, gias_import_run

from .factories import EnrolmentFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
ON_THE_DAY = datetime.datetime(2027, 11, 1, 16, 10, tzinfo=UTC)

# Counts for `make test` (the "ci" profile's 100), scaled by the Hypothesis profile conftest.py
# loads: far more in `make fuzz`. These settings take derandomize and the database from it too.
SCALE = settings.default.max_examples / 100
SERVICE = settings(
    max_examples=int(60 * SCALE),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
VIEW = settings(
    max_examples=int(25 * SCALE),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


class _RolledBack(Exception):
    pass


@contextmanager
def rolled_back():
    """Run an example inside a transaction that is then undone: each example starts clean."""
    try:
        with transaction.atomic():
            yield
            raise _RolledBack
    except _RolledBack:
        pass


# ---- What goes into the files ----

HOSTILE_CELLS = [
    "",
    " ",
    "=cmd|' /C calc'!A0",  # formula injection, as a spreadsheet would run it
    "+44 1234",
    "-1",
    "@SUM(A1:A2)",
    "\x00",
    "\ufeff",
    "é’“”…",
    "\u2028",
    'a "quoted" value',
    "a,comma",
    "line\nbreak",
    "31-02-2024",
    "99999999999999999999999",
    "x" * 140_000,  # over csv's field size limit
    "EY123456",
    "123456",
    "12345678",
    "ada@school.example",
    "not-an-address",
]
cells = st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=30))
records = st.lists(st.lists(cells, max_size=6), max_size=8)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@st.composite
def encoded(draw, text: str) -> bytes:
    """The text as some program might have saved it, or mangled."""
    how = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "junk"]))
    if how == "junk":
        return draw(st.binary(max_size=300))
    data = text.encode(how, errors="replace")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


def header_from(names: list[str]):
    """Headers: the right names, some missing, duplicated, reordered or misspelt."""
    return st.lists(st.one_of(st.sampled_from(names), cells), min_size=0, max_size=len(names) + 2)


@st.composite
def csv_files(draw, names: list[str]) -> bytes:
    header = draw(header_from(names))
    return draw(encoded(_csv(header, draw(records))))


def _refusal_is_clear(error: ValidationError) -> str:
    message = " ".join(error.messages)
    assert message.strip()
    # Each refusal says that nothing changed ("Nothing was uploaded.", "Nothing changed.").
    assert "Nothing" in message
    assert len(message) < 1000  # a huge field is not echoed back whole
    return message


# ---- Eligibility lists ----


def _lists_snapshot():
    return (
        sorted(EligibilityList.objects.values_list("pk", "kind", "is_current", "entry_count")),
        EligibilityListEntry.objects.count(),
    )


def _entries_fit_their_columns():
    for identifier, name in EligibilityListEntry.objects.values_list("identifier", "name"):
        assert len(identifier) <= 20 and len(name) <= 255


@SERVICE
@given(
    kind=st.sampled_from(EligibilityList.Kind.values),
    data=csv_files(["URN", "UKPRN", "Ofsted URN", "Name", "urn", "name"]),
)
def test_an_eligibility_list_upload_imports_all_or_nothing(kind, data):
    with rolled_back():
        before = _lists_snapshot()

        try:
            eligibility_list_upload(kind=kind, source=io.BytesIO(data), file_name="x.csv", by=None)
        except ValidationError as error:
            _refusal_is_clear(error)
            assert _lists_snapshot() == before
        else:
            _entries_fit_their_columns()


@SERVICE
@given(
    good=st.lists(st.from_regex(r"1[0-9]{5}", fullmatch=True), min_size=1, max_size=20),
    bad=st.sampled_from(["EY12", "=1+1", "12345678", "x" * 30, "1" * 25, "１２３４５６"]),
    at=st.integers(0, 20),
)
@example(good=["100001"], bad="1" * 25, at=0)  # too long for the column: PostgreSQL refused it
def test_one_bad_row_in_an_eligibility_list_uploads_nothing_and_is_named(good, bad, at):
    at = min(at, len(good))
    rows = [[urn, "A school"] for urn in good]
    rows.insert(at, [bad, "A bad row"])
    data = _csv(["URN", "Name"], rows).encode()
    with rolled_back():
        before = _lists_snapshot()

        with pytest.raises(ValidationError) as raised:
            eligibility_list_upload(
                kind=EligibilityList.Kind.RISE, source=io.BytesIO(data), file_name="x", by=None
            )

        assert f"Row {at + 2:,}:" in raised.value.messages[0]
        assert _lists_snapshot() == before


def test_a_field_too_large_for_csv_is_refused_naming_its_row():
    # It raised csv.Error ("field larger than field limit"): a 500 on the upload page.
    data = ("URN\r\n100001\r\n" + "1" * 200_000 + "\r\n").encode()

    with pytest.raises(ValidationError, match=r"Row 3 cannot be read as CSV .*Nothing was"):
        eligibility_list_upload(
            kind=EligibilityList.Kind.RISE, source=io.BytesIO(data), file_name="x", by=None
        )

    assert not EligibilityList.objects.exists()


def test_a_name_with_a_line_separator_is_kept_as_written():
    # Lines were split with str.splitlines(), which also splits at U+2028 (and \x1c, \x85…):
    # csv then joined the pieces of the quoted name back with a plain line break.
    data = 'URN,Name\r\n100001,"Oakfield\u2028Primary"\r\n100002,"St Mary\x1cs"\r\n'

    version = eligibility_list_upload(
        kind=EligibilityList.Kind.RISE, source=io.BytesIO(data.encode()), file_name="x", by=None
    )

    names = dict(version.entries.values_list("identifier", "name"))
    assert names == {"100001": "Oakfield\u2028Primary", "100002": "St Mary\x1cs"}


def test_an_ofsted_urn_too_long_for_its_column_is_refused_naming_the_row():
    # Any run of digits passed as an Ofsted URN; PostgreSQL then refused the 13th character
    # with a DataError (a 500), and SQLite stored it.
    data = b"Ofsted URN,Name\r\nEY123456,Little Acorns\r\n1234567890123,Too Long\r\n"

    with pytest.raises(ValidationError, match="Row 3: “1234567890123” is not an Ofsted URN"):
        childcare_providers_upload(source=io.BytesIO(data))

    assert not PrivateChildcareProvider.objects.exists()


# ---- Childcare providers ----


def _providers_snapshot():
    return sorted(PrivateChildcareProvider.objects.values_list("provider_urn", "name", "postcode"))


@SERVICE
@given(data=csv_files(["Ofsted URN", "Name", "Postcode", "LA code", "provider_urn", "urn"]))
@example(data=b"Ofsted URN,Name\r\nEY1234567890123,A\r\n")
def test_a_childcare_provider_upload_imports_all_or_nothing(data):
    with rolled_back():
        before = _providers_snapshot()

        try:
            childcare_providers_upload(source=io.BytesIO(data))
        except ValidationError as error:
            _refusal_is_clear(error)
            assert _providers_snapshot() == before
        else:
            for urn, name, postcode in _providers_snapshot():
                assert len(urn) <= 12 and len(name) <= 255 and len(postcode) <= 10


# ---- The attendance register ----


@pytest.fixture
def register():
    session = SessionFactory(
        cohort=CohortFactory(),
        starts_at=datetime.datetime(2027, 11, 1, 16, tzinfo=UTC),
        ends_at=datetime.datetime(2027, 11, 1, 17, 30, tzinfo=UTC),
    )
    with time_machine.travel(datetime.datetime(2027, 9, 1, tzinfo=UTC)):
        enrolments = [EnrolmentFactory(cohort=session.cohort) for _ in range(2)]
    return session, enrolments


def _marks():
    return (
        sorted(Attendance.objects.values_list("enrolment_id", "mark")),
        AttendanceChange.objects.count(),
    )


people = st.sampled_from(["ada", "ben", "guest@elsewhere.example", "not-an-address", ""])


@SERVICE
@given(
    header=st.one_of(st.just(["Email"]), header_from(["Email", "Full Name", "E-mail address"])),
    rows=st.lists(st.lists(st.one_of(people, cells), max_size=4), max_size=8),
    mangle=st.booleans(),
    data=st.data(),
)
def test_an_attendance_import_marks_everyone_or_changes_nothing(
    register, header, rows, mangle, data
):
    session, (ada, ben) = register
    emails = {"ada": ada.participant.email, "ben": ben.participant.email}
    rows = [[emails.get(cell, cell) for cell in row] for row in rows]
    text = _csv(header, rows)
    raw = data.draw(encoded(text)) if mangle else text.encode()
    with rolled_back(), time_machine.travel(ON_THE_DAY):
        before = _marks()

        try:
            result = register_import(session=session, source=io.BytesIO(raw), by=None)
        except ValidationError as error:
            _refusal_is_clear(error)
            assert _marks() == before
        else:
            marked = dict(Attendance.objects.values_list("enrolment_id", "mark"))
            assert set(marked) == {ada.pk, ben.pk}
            assert result.present + result.absent == 2


# ---- GIAS ----


def _gias_line(values: dict) -> list[str]:
    return [values.get(column, "") for column in ALL_COLUMNS]


def _good_school(urn: int) -> dict:
    return {
        "URN": str(urn),
        "EstablishmentName": f"School {urn}",
        "EstablishmentStatus (code)": "1",
        "TypeOfEstablishment (code)": "1",
        "OpenDate": "01-09-2000",
        "LastChangedDate": "01-01-2024",
    }


gias_values = st.fixed_dictionaries(
    {},
    optional={
        "URN": st.one_of(st.integers(-5, 10**12).map(str), cells),
        "EstablishmentName": cells,
        "EstablishmentStatus (code)": st.one_of(st.integers(-1, 6).map(str), cells),
        "TypeOfEstablishment (code)": st.one_of(st.integers(0, 10**6).map(str), cells),
        "NumberOfPupils": st.one_of(st.integers(0, 10**11).map(str), cells),
        "OpenDate": st.one_of(st.dates().map(lambda d: d.strftime("%d-%m-%Y")), cells),
        "LastChangedDate": cells,
        "UKPRN": st.one_of(st.integers(0, 10**9).map(str), cells),
        "Postcode": cells,
    },
)


def _schools():
    return sorted(School.objects.values_list("urn", "name", "status_code", "last_changed_date"))


@SERVICE
@given(
    good=st.lists(st.integers(100000, 999999), unique=True, max_size=5),
    odd=gias_values,
    at=st.integers(0, 5),
    header=st.one_of(
        st.just(list(ALL_COLUMNS)),
        st.permutations(ALL_COLUMNS),
        header_from(list(ALL_COLUMNS[:20])),
    ),
    how=st.sampled_from(["cp1252", "utf-8-sig", "utf-16", "as is"]),
)
@example(good=[100001], odd={"URN": "9" * 5000}, at=1, header=list(ALL_COLUMNS), how="cp1252")
def test_a_gias_import_imports_every_school_or_none(good, odd, at, header, how):
    rows = [_gias_line(_good_school(urn)) for urn in good]
    rows.insert(min(at, len(rows)), _gias_line(odd))
    by_name = [dict(zip(ALL_COLUMNS, row, strict=True)) for row in rows]
    text = _csv(header, [[row.get(column, "") for column in header] for row in by_name])
    data = (
        text.encode("cp1252", errors="replace")
        if how == "as is"
        else text.encode(how, errors="replace")
    )
    with rolled_back():
        before = _schools()
        record = GiasImport.objects.create(file_name="edubasealldata.csv", stored_path="x")

        record = gias_import_run(record=record, source=data)

        if record.status == GiasImport.Status.FAILED:
            assert record.error.strip() and len(record.error) < 1000
            assert "database refused" not in record.error  # a bad value is named, not a 500
            assert _schools() == before
        else:
            assert record.status == GiasImport.Status.DONE
            assert School.objects.count() == len(before) + record.created_count


def test_a_urn_of_thousands_of_digits_names_its_row():
    # int() refused it with a ValueError, which the import reported as "the database refused
    # a row" instead of naming the row.
    rows = [_gias_line(_good_school(100001)), _gias_line({**_good_school(1), "URN": "9" * 5000})]
    data = _csv(list(ALL_COLUMNS), rows).encode("cp1252")
    record = GiasImport.objects.create(file_name="edubasealldata.csv", stored_path="x")

    record = gias_import_run(record=record, source=data)

    assert record.status == GiasImport.Status.FAILED
    assert record.error.startswith("Row 3 (URN 99999999999999999999): URN 9999")
    assert "too large to be right" in record.error
    assert not School.objects.exists()


# ---- Through the pages ----


@pytest.fixture
def admin(client):
    user = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, user)
    return user


uploads = st.one_of(
    csv_files(["URN", "UKPRN", "Ofsted URN", "Name", "Email", "EstablishmentName"]),
    st.sampled_from(
        [
            b"%PDF-1.7\n%\xe2\xe3\n1 0 obj",
            b"PK\x03\x04\x14\x00\x06\x00",
            b"MZ\x90\x00\x03\x00\x00\x00",
            b"\x7fELF\x02\x01\x01",
            b"",
        ]
    ),
)
file_names = st.sampled_from(["list.csv", "list.pdf", "list.exe", "list", "../../etc/passwd"])


@VIEW
@given(data=uploads, name=file_names, kind=st.sampled_from(EligibilityList.Kind.values))
def test_the_eligibility_list_page_never_fails_on_any_upload(client, admin, data, name, kind):
    url = reverse("funding:eligibility-lists")
    with rolled_back():
        before = _lists_snapshot()

        response = client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, data)})

        if response.status_code == 200:  # the form again, with the reason
            assert 'class="invalid-feedback' in response.content.decode() or (
                "alert" in response.content.decode()
            )
            assert _lists_snapshot() == before
        else:
            assert response.status_code == 302


@VIEW
@given(data=uploads, name=file_names)
def test_the_childcare_provider_page_never_fails_on_any_upload(client, admin, data, name):
    url = reverse("funding:childcare-provider-upload")
    with rolled_back():
        before = _providers_snapshot()

        response = client.post(url, {"provider-file": SimpleUploadedFile(name, data)})

        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert _providers_snapshot() == before


@VIEW
@given(data=uploads, name=file_names)
def test_the_gias_page_never_fails_on_any_upload(
    client, admin, django_capture_on_commit_callbacks, data, name
):
    with rolled_back():
        before = _schools()

        with django_capture_on_commit_callbacks(execute=True):  # the import task runs here
            response = client.post(
                reverse("schools:gias-import"), {"file": SimpleUploadedFile(name, data)}
            )

        assert response.status_code in (200, 302)
        if response.status_code == 302:
            record = GiasImport.objects.latest("pk")
            assert record.status in (GiasImport.Status.DONE, GiasImport.Status.FAILED)
            if record.status == GiasImport.Status.FAILED:
                assert _schools() == before


@VIEW
@given(data=uploads, name=file_names)
def test_the_register_import_page_never_fails_on_any_upload(client, register, data, name):
    session, _ = register
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    session.cohort.facilitators.add(facilitator)
    url = reverse("participants:register-import", args=[session.pk])
    with rolled_back(), time_machine.travel(ON_THE_DAY):
        sign_in(client, facilitator)  # on the day: signing in is recent, as the page needs
        before = _marks()

        response = client.post(url, {"file": SimpleUploadedFile(name, data)})

        if response.status_code == 200:
            assert _marks() == before
        else:
            assert response.url == reverse("participants:session-register", args=[session.pk])


# ---- Content and size, on every upload ----

DISGUISED = [
    (b"%PDF-1.7\n1 0 obj", "a PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive"),
    (b"MZ\x90\x00\x03\x00", "a Windows program"),
    ("URN,Name\r\n100001,Oakfield\r\n".encode("utf-16"), "text saved as UTF-16"),
]


@pytest.mark.parametrize(("data", "what"), DISGUISED)
@pytest.mark.parametrize(
    ("url", "field", "extra"),
    [
        ("funding:eligibility-lists", "file", {"kind": "rise"}),
        ("funding:childcare-provider-upload", "provider-file", {}),
        ("schools:gias-import", "file", {}),
    ],
)
def test_a_file_whose_content_is_not_a_csv_is_refused_whatever_its_name(
    client, admin, data, what, url, field, extra
):
    response = client.post(
        reverse(url), {**extra, field: SimpleUploadedFile("list.csv", data, "text/csv")}
    )

    assert response.status_code == 200
    assert f"This file is {what}" in response.content.decode()
    assert not EligibilityList.objects.exists() and not GiasImport.objects.exists()


@pytest.mark.parametrize(
    ("url", "field", "extra", "limit"),
    [
        ("funding:eligibility-lists", "file", {"kind": "rise"}, "eligibility_list"),
        ("funding:childcare-provider-upload", "provider-file", {}, "childcare_providers"),
        ("schools:gias-import", "file", {}, "gias"),
    ],
)
def test_a_file_over_its_limit_is_refused_before_it_is_read(
    client, admin, settings, url, field, extra, limit
):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, limit: 1024 * 1024}
    data = b"URN,Name,EstablishmentName\r\n" + b"100001,Oakfield,Oakfield\r\n" * 45_000

    response = client.post(reverse(url), {**extra, field: SimpleUploadedFile("a.csv", data)})

    assert "The file is 1.1 MB; the largest you can upload here is 1 MB." in (
        response.content.decode()
    )
    assert not EligibilityList.objects.exists() and not GiasImport.objects.exists()


def test_an_attendance_report_that_is_a_spreadsheet_or_too_large_is_refused(
    client, register, settings
):
    session, _ = register
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    session.cohort.facilitators.add(facilitator)
    url = reverse("participants:register-import", args=[session.pk])
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "attendance_register": 1024}

    with time_machine.travel(ON_THE_DAY):
        sign_in(client, facilitator)
        workbook = client.post(url, {"file": SimpleUploadedFile("a.csv", b"PK\x03\x04xl/")})
        large = client.post(url, {"file": SimpleUploadedFile("a.csv", b"Email\n" * 1000)})

    assert "This file is a ZIP archive" in workbook.content.decode()
    assert "the largest you can upload here is" in large.content.decode()
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n1 0 obj", b"Email\r\nsam\x81@oakfield.example\r\n"],
    ids=["a PDF", "neither UTF-8 nor Windows-1252"],
)
def test_an_attendance_report_that_is_not_text_says_nothing_changed(register, data):
    session, _ = register

    # Marking a register uploads nothing: it changes marks, and every refusal says so alike.
    with pytest.raises(ValidationError, match=r"\. Nothing changed\."):
        register_import(session=session, source=io.BytesIO(data), by=None)

    assert not Attendance.objects.exists()
