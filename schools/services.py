"""Changes of state for schools: GIAS imports, eligibility lists, childcare providers, leaders."""

from __future__ import annotations

import datetime
import io
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import IO, TypeVar

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from npq_portal.models import User
from npq_portal.outbox import outbox_enqueue
from npq_portal.roles import Role, user_roles
from npq_portal.services import user_set_roles
from npq_portal.signals import rows_written
from npq_portal.uploads import csv_header, uploaded_csv
from programmes.models import Programme

from . import gias_postgres
from .gias import (
    ENCODING,
    GiasChunks,
    GiasFileError,
    GiasImportCounts,
    GiasRow,
    check_gias_bytes,
    cycle_collection_paused,
    parse_gias,
    read_gias_chunks,
    read_gias_columns,
    sort_establishments,
)
from .gias_postgres import SCHOOL_FIELDS
from .models import (
    EligibilityList,
    EligibilityListEntry,
    EligibilityListsCurrentFrom,
    GiasImport,
    LocalAuthority,
    PrivateChildcareProvider,
    ProgrammeHistoryImport,
    School,
    SchoolLeadership,
    SchoolProgrammeYear,
    normalise_name,
    normalise_postcode,
)
from .prerequisites import school_year_words
from .search_cache import schools_changed
from .tasks import gias_import_task

logger = logging.getLogger(__name__)


BATCH = 2000


def _school_from(row: GiasRow) -> School:
    return School(
        urn=row.urn,
        ukprn=row.ukprn,
        name=row.name,
        name_normalised=normalise_name(row.name),
        la_code=row.la_code,
        la_name=row.la_name,
        establishment_type_code=row.establishment_type_code,
        establishment_type_name=row.establishment_type_name,
        status_code=row.status_code,
        phase_name=row.phase_name,
        town=row.town,
        postcode=row.postcode,
        postcode_normalised=normalise_postcode(row.postcode),
        number_of_pupils=row.number_of_pupils,
        open_date=row.open_date,
        close_date=row.close_date,
        last_changed_date=row.last_changed_date,
    )


def _local_authorities_save(pairs: Iterable[tuple[str, str]]) -> None:
    """Create or rename the local authorities the extract names (the last name given wins)."""
    named = {code: name for code, name in pairs if code and name}
    LocalAuthority.objects.bulk_create(
        [LocalAuthority(code=code, name=name) for code, name in named.items()],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name"],
    )


def schools_import_rows(
    *, rows: list[GiasRow], progress: Callable[[int, int], None] | None = None
) -> GiasImportCounts:
    """Create new schools and update changed ones in bulk, in one transaction.

    A school whose LastChangedDate has not moved is skipped (sort_establishments).
    """
    known = {
        urn: (changed, status)
        for urn, changed, status in School.objects.values_list(
            "urn", "last_changed_date", "status_code"
        ).iterator(chunk_size=10000)
    }
    new, update, counts = sort_establishments(
        [row.urn for row in rows],
        [row.last_changed_date for row in rows],
        [row.status_code for row in rows],
        known,
    )
    to_write = [
        _school_from(row) for row, *write in zip(rows, new, update, strict=True) if any(write)
    ]
    with transaction.atomic():
        for start in range(0, len(to_write), BATCH):
            School.objects.bulk_create(
                to_write[start : start + BATCH],
                update_conflicts=True,
                unique_fields=["urn"],
                update_fields=SCHOOL_FIELDS,
            )
            if progress:
                progress(min(start + BATCH, len(to_write)), len(to_write))
        _local_authorities_save((row.la_code, row.la_name) for row in rows)
        rows_written.send(sender=School, cohort_ids=set())
    return counts


def schools_import_copy(
    *, reading: GiasChunks, progress: Callable[[int, int], None] | None = None
) -> GiasImportCounts | None:
    """Create new schools and update changed ones on PostgreSQL with COPY, checking the
    extract a chunk at a time as it streams in, in one transaction: the same rules and counts
    as schools_import_rows, in a fraction of the time. None, having written nothing, when the
    quick reader leaves the file to parse_gias (or fails on it) or COPY cannot carry a value."""
    try:
        with transaction.atomic():
            counts, authorities = gias_postgres.copy_schools(
                reading, progress=progress and (lambda done: progress(done, reading.rows))
            )
            _local_authorities_save(
                (code.decode(ENCODING), name.decode(ENCODING)) for code, name in authorities.items()
            )
            rows_written.send(sender=School, cohort_ids=set())
    except gias_postgres.LeftToPython:
        return None
    if progress:
        progress(reading.rows, reading.rows)
    return counts


def gias_import_failed(record: GiasImport, error: str) -> GiasImport:
    record.status = GiasImport.Status.FAILED
    record.error = error
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "error", "finished_at", "updated_at"])
    cache.delete(gias_import_progress_key(record.pk))
    return record


def gias_import_progress_key(record_id: int) -> str:
    return f"gias-import-{record_id}-processed"


Read = TypeVar("Read")


def _read_quickly(reader: Callable[[bytes], Read | None], data: bytes) -> Read | None:
    """What the quick reader makes of the extract, or None to leave it to parse_gias: when the
    reader declines it, and when the reader fails on a shape it did not foresee (logged)."""
    try:
        return reader(data)
    except Exception:
        logger.exception("The quick GIAS reader failed; parse_gias reads the file")
        return None


def _gias_rows(data: bytes, progress: Callable[[int], None]) -> list[GiasRow]:
    """Every establishment of the extract, read quickly if the quick reader can.

    Raises GiasFileError, naming the row, if the file cannot be imported."""
    columns = _read_quickly(read_gias_columns, data)
    if columns is not None:
        return columns.rows()
    return parse_gias(io.StringIO(data.decode(ENCODING), newline=""), progress=progress)


def _gias_import_writing(record: GiasImport, rows: int) -> None:
    record.status = GiasImport.Status.IMPORTING
    record.total_rows = rows
    record.save(update_fields=["status", "total_rows", "updated_at"])


def gias_import_run(
    *,
    record: GiasImport,
    source: IO[bytes] | bytes,
    progress: Callable[[int, int], None] | None = None,
) -> GiasImport:
    """Check the whole extract and import it; the record says how far it got and what it did.

    A bad row fails the import with the row and the problem, and nothing is written. On
    PostgreSQL the quick reader checks the file a chunk at a time as COPY writes it, all in
    one transaction; elsewhere, or when the quick reader leaves the file to parse_gias, the
    whole file is read first and written by schools_import_rows.
    """
    record.status = GiasImport.Status.VALIDATING
    record.save(update_fields=["status", "updated_at"])
    key = gias_import_progress_key(record.pk)

    def checked(done: int) -> None:
        cache.set(key, (done, 0), timeout=3600)

    data = source if isinstance(source, bytes) else source.read()

    # Progress goes to the cache: the import's own transaction would hide it from the page.
    def report(done: int, total: int) -> None:
        cache.set(key, (done, total), timeout=3600)
        if progress:
            progress(done, total)

    try:
        with cycle_collection_paused():
            check_gias_bytes(data)
            counts = None
            # On PostgreSQL the quick reader checks each chunk of the file as COPY takes it,
            # all in one transaction, unless it leaves the file to parse_gias.
            quick = connection.vendor == "postgresql"
            reading = _read_quickly(read_gias_chunks, data) if quick else None
            if reading:
                _gias_import_writing(record, reading.rows)
                counts = schools_import_copy(reading=reading, progress=report)
            if counts is None:
                if reading:  # left to parse_gias after all: nothing was written
                    record.status = GiasImport.Status.VALIDATING
                    record.save(update_fields=["status", "updated_at"])
                rows = _gias_rows(data, checked)
                _gias_import_writing(record, len(rows))
                counts = schools_import_rows(rows=rows, progress=report)
    except GiasFileError as error:
        return gias_import_failed(record, str(error))
    except Exception:  # the transaction rolled back: nothing was written
        logger.exception("GIAS import %s failed while writing", record.pk)
        return gias_import_failed(
            record,
            "The database refused a row while importing, so nothing was imported. The error "
            "is in the server log; please report it with the file.",
        )
    record.status = GiasImport.Status.DONE
    record.processed_rows = counts.total
    record.created_count = counts.created
    record.updated_count = counts.updated
    record.unchanged_count = counts.unchanged
    record.closed_count = counts.closed
    record.finished_at = timezone.now()
    record.save()
    cache.delete(key)
    schools_changed()  # the autocomplete's kept answers are out of date
    logger.info("GIAS import %s: %s", record.pk, counts)
    return record


@transaction.atomic
def gias_import_start(*, upload, by: User | None) -> GiasImport:
    """Keep an uploaded extract on disk and queue its import; the page follows its progress."""
    # The default storage, so a worker on another machine can read it where it is shared.
    stored = default_storage.save(f"gias/{uuid.uuid4().hex}.csv", upload)
    record = GiasImport.objects.create(
        file_name=upload.name[:255], stored_path=stored, uploaded_by=by
    )
    outbox_enqueue(gias_import_task, record.pk)
    return record


def gias_import_live_progress(record: GiasImport) -> tuple[int, int]:
    """(rows written, rows to write) while an import runs, from the cache the import fills."""
    return cache.get(gias_import_progress_key(record.pk)) or (record.processed_rows, 0)


OFSTED_HEADERS = ("ofsted urn", "provider urn", "provider_urn", "ofsted_urn", "urn")


IDENTIFIER_COLUMNS = {
    "URN": ("urn",),
    "UKPRN": ("ukprn",),
    "Ofsted URN": OFSTED_HEADERS,
    "URN or Ofsted URN": OFSTED_HEADERS,
}


OFSTED_URN_MAX_LENGTH = 12


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _identifier_ok(kind: str, identifier: str) -> bool:
    column = EligibilityList.IDENTIFIER[kind]
    if column == "UKPRN":
        return _digits(identifier) and len(identifier) == 8
    if column == "URN":
        return _digits(identifier) and len(identifier) <= 7
    # Ofsted URNs: digits, or EY, CA, SC… followed by digits; never longer than the column
    # that keeps them (PrivateChildcareProvider.provider_urn), which PostgreSQL enforces.
    if len(identifier) > OFSTED_URN_MAX_LENGTH:
        return False
    prefix, rest = identifier[:2], identifier[2:]
    return _digits(identifier) or (prefix.isascii() and prefix.isalpha() and _digits(rest))


@transaction.atomic
def eligibility_list_upload(
    *, kind: str, source: IO[bytes], file_name: str, by: User | None
) -> EligibilityList:
    """Replace the current list of this kind with the uploaded CSV, keeping the old versions.

    The CSV has a header row with the identifier column (URN, UKPRN or Ofsted URN) and
    optionally a name column. Raises ValidationError naming the first bad row; then nothing
    changes.
    """
    if kind not in EligibilityList.Kind.values:
        raise ValidationError("Choose which list this is.")
    column = EligibilityList.IDENTIFIER[kind]
    reader = uploaded_csv(source)
    header = csv_header(reader)
    accepted = IDENTIFIER_COLUMNS[column]
    position = next((header.index(name) for name in accepted if name in header), None)
    if position is None:
        names = " or ".join(f"“{name}”" for name in column.split(" or "))
        raise ValidationError(
            f"The first row must name the columns, with one called {names}. Nothing was uploaded."
        )
    name_position = header.index("name") if "name" in header else None
    entries: dict[str, str] = {}
    for line, record in reader:
        if not any(field.strip() for field in record):
            continue
        identifier = record[position].strip().upper() if len(record) > position else ""
        if not identifier or not _identifier_ok(kind, identifier):
            raise ValidationError(
                f"Row {line:,}: “{identifier}” is not a {column}. Nothing was uploaded."
            )
        name = ""
        if name_position is not None and len(record) > name_position:
            name = record[name_position].strip()[:255]
        entries[identifier] = name
    if not entries:
        raise ValidationError("The file lists no institutions. Nothing was uploaded.")
    # Lock the current version: two uploads at once must not both become current.
    current = EligibilityList.objects.select_for_update().filter(kind=kind, is_current=True)
    list(current)
    current.update(is_current=False)
    version = EligibilityList.objects.create(
        kind=kind,
        file_name=file_name[:255],
        uploaded_by=by,
        uploaded_at=timezone.now(),
        entry_count=len(entries),
    )
    EligibilityListEntry.objects.bulk_create(
        [
            EligibilityListEntry(eligibility_list=version, identifier=identifier, name=name)
            for identifier, name in entries.items()
        ],
        batch_size=BATCH,
    )
    return version


def eligibility_lists_current_from_set(
    *, current_from: datetime.date, by: User | None
) -> EligibilityListsCurrentFrom:
    """Count the lists as current only when uploaded on or after this date: one uploaded
    before it is out of date, and decisions needing it are provisional until it is replaced.

    Raises ValidationError for a date in the future.
    """
    if current_from > timezone.localdate():
        raise ValidationError("The date the lists are current from cannot be in the future.")
    return EligibilityListsCurrentFrom.objects.create(current_from=current_from, set_by=by)


@transaction.atomic
def childcare_providers_upload(*, source: IO[bytes]) -> tuple[int, int]:
    """Add or update private childcare providers from a CSV of Ofsted's register.

    Columns: Ofsted URN and Name (needed), Postcode and LA code (optional). Raises
    ValidationError naming the first bad row; then nothing changes. Returns (added, updated).
    """
    reader = uploaded_csv(source)
    header = csv_header(reader)
    urn_at = next((header.index(name) for name in OFSTED_HEADERS if name in header), None)
    if urn_at is None or "name" not in header:
        raise ValidationError(
            "The first row must name the columns, with “Ofsted URN” and “Name”. "
            "Nothing was uploaded."
        )
    name_at = header.index("name")
    postcode_at = header.index("postcode") if "postcode" in header else None
    la_at = header.index("la code") if "la code" in header else None

    def cell(record: list[str], at: int | None) -> str:
        return record[at].strip() if at is not None and at < len(record) else ""

    providers: dict[str, PrivateChildcareProvider] = {}
    for line, record in reader:
        if not any(field.strip() for field in record):
            continue
        urn = cell(record, urn_at).upper()
        if not _identifier_ok(EligibilityList.Kind.CHILDMINDERS, urn):
            raise ValidationError(
                f"Row {line:,}: “{urn}” is not an Ofsted URN. Nothing was uploaded."
            )
        name = cell(record, name_at)
        if not name:
            raise ValidationError(f"Row {line:,}: the name is empty. Nothing was uploaded.")
        providers[urn] = PrivateChildcareProvider(
            provider_urn=urn,
            name=name[:255],
            postcode=cell(record, postcode_at)[:10],
            la_code=cell(record, la_at)[:3],
        )
    if not providers:
        raise ValidationError("The file lists no providers. Nothing was uploaded.")
    known = set(
        PrivateChildcareProvider.objects.filter(provider_urn__in=providers).values_list(
            "provider_urn", flat=True
        )
    )
    PrivateChildcareProvider.objects.bulk_create(
        providers.values(),
        update_conflicts=True,
        unique_fields=["provider_urn"],
        update_fields=["name", "postcode", "la_code"],
        batch_size=BATCH,
    )
    return len(providers) - len(known), len(known)


@transaction.atomic
def school_leader_remove(*, leadership: SchoolLeadership, by: User) -> None:
    """Take away a leader's view of a school; the role goes when they lead no school."""
    user = leadership.user
    school = leadership.school
    leadership.delete()
    if not SchoolLeadership.objects.filter(user=user).exists():
        roles = [
            role for role in user_roles(user) if role not in {Role.TEACHER, Role.SCHOOL_LEADER}
        ]
        user_set_roles(user=user, roles=roles, by=by, reason=f"No longer leads {school}")


@transaction.atomic
def school_leader_confirm(*, user: User, school: School, by: User) -> SchoolLeadership:
    """Let a verified account see one school's applicants and participants, as its leader."""
    leadership, _ = SchoolLeadership.objects.get_or_create(
        user=user, school=school, defaults={"confirmed_by": by}
    )
    roles = [role for role in user_roles(user) if role != Role.TEACHER]
    if Role.SCHOOL_LEADER not in roles:
        user_set_roles(
            user=user, roles=[*roles, Role.SCHOOL_LEADER], by=by, reason=f"Leader of {school}"
        )
    return leadership


@transaction.atomic
def programme_year_record(*, school: School, programme, academic_year: int, status: str) -> None:
    """Keep the school's year in a Work Group programme as its place in the portal stands now
    (taking part, completed or withdrawn): the history prerequisites read."""
    SchoolProgrammeYear.objects.update_or_create(
        school=school,
        programme=programme,
        academic_year=academic_year,
        source=SchoolProgrammeYear.Source.PORTAL,
        defaults={"status": status},
    )


@transaction.atomic
def hub_area_set(*, codes: Iterable[str], by: User) -> list[LocalAuthority]:
    """Make these local authorities (by GIAS code) the hub's area, and no others: engagement
    is reported on their schools. Returns the area's authorities, by name.

    Raises ValidationError for a code that is not a known local authority.
    """
    codes = {code.strip() for code in codes if code.strip()}
    known = set(LocalAuthority.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = sorted(codes - known)
    if unknown:
        raise ValidationError(
            f"No local authority has the code {', '.join(unknown)}: choose from the list."
        )
    LocalAuthority.objects.filter(in_hub_area=True).exclude(code__in=codes).update(
        in_hub_area=False
    )
    LocalAuthority.objects.filter(code__in=codes, in_hub_area=False).update(in_hub_area=True)
    rows_written.send(sender=LocalAuthority, cohort_ids=set())
    logger.info("User %s set the hub's area to %s local authorities", by.pk, len(codes))
    return list(LocalAuthority.objects.filter(in_hub_area=True).order_by("name"))


# ---- Schools' earlier Work Group years, imported from a CSV ----

NOTHING_IMPORTED = "Nothing was imported."

# The spellings each column goes by, once trimmed, in lower case, with "_" and "-" as spaces.
HISTORY_COLUMNS = {
    "urn": ("urn", "school urn"),
    "programme": ("programme", "program", "programme name", "work group", "project"),
    "school_year": ("school year", "academic year", "year"),
    "completed": ("completed", "complete", "completed?", "did it complete"),
}
HISTORY_COLUMN_NAMES = {
    "urn": "URN",
    "programme": "Programme",
    "school_year": "School year",
    "completed": "Completed",
}
YES = frozenset({"yes", "y", "true", "t", "1", "completed"})
NO = frozenset({"no", "n", "false", "f", "0", "not completed", "did not complete"})
EARLIEST_HISTORY_YEAR = 2000
SCHOOL_YEAR = re.compile(r"(\d{4})(?:\s*[/-]\s*(\d{2}|\d{4}))?")


@dataclass(frozen=True)
class HistoryRow:
    """One row of the file as it was written, for the report of rows not imported."""

    row: int
    urn: str
    programme: str
    school_year: str
    completed: str


def _history_header(header: list[str]) -> dict[str, int]:
    """Where each column is, by any of its spellings. Raises ValidationError naming the
    columns missing."""
    spelled = [" ".join(name.replace("_", " ").replace("-", " ").split()) for name in header]
    found = {}
    for column, names in HISTORY_COLUMNS.items():
        at = next((spelled.index(name) for name in names if name in spelled), None)
        if at is not None:
            found[column] = at
    if not any(header):
        raise ValidationError(f"The file is empty. {NOTHING_IMPORTED}")
    missing = [HISTORY_COLUMN_NAMES[column] for column in HISTORY_COLUMNS if column not in found]
    if missing:
        names = ", ".join(f"“{name}”" for name in missing)
        raise ValidationError(
            "The first row must name the columns URN, Programme, School year and Completed; "
            f"this file has no {names} column. {NOTHING_IMPORTED}"
        )
    return found


def current_school_year(day: datetime.date | None = None) -> int:
    """The school year a day is in (2025 means 2025/26, from 1 September)."""
    day = day or timezone.localdate()
    return day.year if day.month >= 9 else day.year - 1


def school_year_parse(text: str) -> int | None:
    """2024 from "2024/25", "2024-25", "2024/2025" or "2024"; None for anything else."""
    match = SCHOOL_YEAR.fullmatch(text.strip())
    if match is None:
        return None
    year = int(match.group(1))
    second = match.group(2)
    if second is not None:
        following = int(second)
        expected = year + 1 if len(second) == 4 else (year + 1) % 100
        if following != expected:
            return None
    return year


def _completed_parse(text: str) -> bool | None:
    text = " ".join(text.strip().lower().split())
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def _programme_index(programmes) -> dict[str, list]:
    """Each programme under its slug, short name and name, in lower case."""
    index: dict[str, list] = {}
    for programme in programmes:
        for key in {programme.slug, programme.short_name, programme.name}:
            key = " ".join(key.lower().split())
            if key:
                index.setdefault(key, []).append(programme)
    return index


def _schools_by_urn(urns: set[int]) -> dict[int, School]:
    found: dict[int, School] = {}
    ordered = sorted(urns)
    for start in range(0, len(ordered), 500):
        for school in School.objects.filter(urn__in=ordered[start : start + 500]):
            found[school.urn] = school
    return found


@transaction.atomic
def programme_history_import(
    *, source: IO[bytes], file_name: str, by: User | None
) -> ProgrammeHistoryImport:
    """Record schools' earlier Work Group years from a CSV staff upload (URN, Programme,
    School year, Completed): each good row creates or updates the school's imported year,
    completed or not; a row that names no known school or programme, has a bad year or
    completed value, or repeats an earlier row is not imported and is listed in the import's
    report. Importing the same file again changes nothing.

    Raises ValidationError, changing nothing, for a file that is not a CSV with those columns
    or has no rows.
    """
    reader = uploaded_csv(source, nothing_done=NOTHING_IMPORTED)
    columns = _history_header(csv_header(reader))

    def cell(record: list[str], column: str) -> str:
        at = columns[column]
        return record[at].strip() if at < len(record) else ""

    rows = [
        HistoryRow(
            row=line,
            urn=cell(record, "urn"),
            programme=cell(record, "programme"),
            school_year=cell(record, "school_year"),
            completed=cell(record, "completed"),
        )
        for line, record in reader
        if any(field.strip() for field in record)
    ]
    if not rows:
        raise ValidationError(f"The file has no rows under its header. {NOTHING_IMPORTED}")

    urns = {int(row.urn) for row in rows if _digits(row.urn) and len(row.urn) <= 7}
    schools = _schools_by_urn(urns)
    programmes = _programme_index(Programme.objects.all())
    latest = current_school_year()
    report: list[dict] = []
    good: dict[tuple[int, int, int], tuple[School, object, int, str]] = {}
    seen: dict[tuple, int] = {}
    for row in rows:
        reasons = []
        school = None
        if not _digits(row.urn) or len(row.urn) > 7:
            reasons.append(f"“{row.urn}” is not a URN" if row.urn else "the URN is empty")
        else:
            school = schools.get(int(row.urn))
            if school is None:
                reasons.append(f"no school has URN {row.urn}")
        matches = programmes.get(" ".join(row.programme.lower().split()), [])
        programme = matches[0] if len(matches) == 1 else None
        if not row.programme:
            reasons.append("the programme is empty")
        elif len(matches) > 1:
            reasons.append(
                f"several programmes are called “{row.programme}”: use its address (slug)"
            )
        elif programme is None:
            reasons.append(f"no programme is called “{row.programme}”")
        year = school_year_parse(row.school_year)
        if year is None:
            reasons.append(f"“{row.school_year}” is not a school year such as 2024/25")
        elif not EARLIEST_HISTORY_YEAR <= year <= latest:
            reasons.append(f"{school_year_words(year)} is not a past or current school year")
        completed = _completed_parse(row.completed)
        if completed is None:
            reasons.append(f"“{row.completed}” is not yes or no for Completed")
        key = (
            int(row.urn) if school else row.urn,
            programme.pk if programme else row.programme.lower(),
            year if year is not None else row.school_year,
        )
        if key in seen:
            reasons.append(f"it repeats row {seen[key]:,}")
        elif not reasons:
            seen[key] = row.row  # a bad row does not stop a corrected copy of it later
        if reasons:
            reason = "; ".join(reasons)
            report.append({**asdict(row), "reason": reason[:1].upper() + reason[1:] + "."})
            continue
        status = (
            SchoolProgrammeYear.Status.COMPLETED
            if completed
            else SchoolProgrammeYear.Status.NOT_COMPLETED
        )
        good[(school.pk, programme.pk, year)] = (school, programme, year, status)

    record = ProgrammeHistoryImport.objects.create(
        file_name=file_name[:255], uploaded_by=by, rows=len(rows), report=report
    )
    school_ids = sorted({school.pk for school, *_ in good.values()})
    existing = {
        (year.school_id, year.programme_id, year.academic_year): year
        for start in range(0, len(school_ids), 500)
        for year in SchoolProgrammeYear.objects.select_for_update().filter(
            source=SchoolProgrammeYear.Source.IMPORTED,
            school_id__in=school_ids[start : start + 500],
        )
    }
    to_create, to_update = [], []
    for key, (school, programme, year, status) in good.items():
        known = existing.get(key)
        if known is None:
            to_create.append(
                SchoolProgrammeYear(
                    school=school,
                    programme=programme,
                    academic_year=year,
                    status=status,
                    source=SchoolProgrammeYear.Source.IMPORTED,
                    history_import=record,
                )
            )
        elif known.status != status:
            known.status, known.history_import = status, record
            known.updated_at = timezone.now()
            to_update.append(known)
    SchoolProgrammeYear.objects.bulk_create(to_create, batch_size=BATCH)
    SchoolProgrammeYear.objects.bulk_update(
        to_update, ["status", "history_import", "updated_at"], batch_size=BATCH
    )
    record.created_count = len(to_create)
    record.updated_count = len(to_update)
    record.unchanged_count = len(good) - len(to_create) - len(to_update)
    record.save(update_fields=["created_count", "updated_count", "unchanged_count", "updated_at"])
    logger.info(
        "Programme history import %s: %d rows, %d created, %d updated, %d unchanged, %d not "
        "imported",
        record.pk,
        len(rows),
        record.created_count,
        record.updated_count,
        record.unchanged_count,
        len(report),
    )
    return record
