"""Changes of state in the participants app: schools from GIAS, eligibility lists."""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from npq_portal.emails import EmailNotSent, email_send_once
from npq_portal.models import User
from npq_portal.outbox import outbox_enqueue
from npq_portal.uploads import HEAD_BYTES, csv_refusal

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
from .links import subscriber_links
from .models import (
    Application,
    ApplicationEvent,
    EligibilityList,
    EligibilityListEntry,
    Enrolment,
    EnrolmentEvent,
    FundingDecision,
    FundingOverride,
    GiasImport,
    LocalAuthority,
    PrivateChildcareProvider,
    School,
    SchoolLeadership,
    Subscriber,
    normalise_name,
    normalise_postcode,
)
from .participation import ATTENDED
from .signals import enrolment_transferred, enrolment_withdrawn

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
    logger.info("GIAS import %s: %s", record.pk, counts)
    return record


@transaction.atomic
def gias_import_start(*, upload, by: User | None) -> GiasImport:
    """Keep an uploaded extract on disk and queue its import; the page follows its progress."""
    from .tasks import gias_import_task

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


# ---- Eligibility lists ----


NOTHING_UPLOADED = "Nothing was uploaded."


def uploaded_csv(
    source: IO[bytes], *, nothing_done: str = NOTHING_UPLOADED
) -> Iterator[tuple[int, list[str]]]:
    """Each record of an uploaded CSV, saved as UTF-8 or by Excel (Windows-1252), with its row
    number as a spreadsheet shows it (the header is row 1).

    Raises ValidationError, ending with `nothing_done`, for a file that is not such text (a
    binary file, whatever it is called; UTF-16) at once, and for a row csv cannot read (a
    field over csv's size limit) when the reading reaches it.
    """
    text = _uploaded_csv_text(source.read(), nothing_done)
    return _csv_records(text, nothing_done)


def csv_header(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    """The first record's column names, trimmed and in lower case; [] for an empty file."""
    return [name.strip().lower() for name in next(records, (1, []))[1]]


def _uploaded_csv_text(data: bytes, nothing_done: str) -> str:
    refusal = csv_refusal(data[:HEAD_BYTES])
    if refusal:
        raise ValidationError(f"{refusal} {nothing_done}")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "This file is neither UTF-8 nor Windows-1252 text: save it as CSV and try again. "
        f"{nothing_done}"
    )


def _csv_records(text: str, nothing_done: str) -> Iterator[tuple[int, list[str]]]:
    # Not str.splitlines(): it also breaks at characters such as U+2028 inside a name, and
    # at every line break inside a quoted field, which then reads as two broken rows.
    reader = csv.reader(io.StringIO(text, newline=""))
    row = 0
    try:
        for row, record in enumerate(reader, start=1):
            yield row, record
    except csv.Error as error:
        raise ValidationError(
            f"Row {row + 1:,} cannot be read as CSV ({error}). {nothing_done}"
        ) from None


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


# ---- Funding decisions ----


@transaction.atomic
def funding_decide(
    *, subject: str, facts: dict, rules: str, by: User | None = None, bursary: bool | None = None
) -> FundingDecision:
    """Work out and record a funding outcome, keeping the facts and list versions it used.

    An institution given by URN or UKPRN alone is looked up in the GIAS data and the current
    eligibility lists. Raises ValidationError when the facts cannot be evaluated.
    """
    from .funding import FundingError, facts_from_json, funding_evaluate, institution_needs_lookup
    from .selectors import InstitutionLookup, InstitutionNotFound

    lookup = None  # the lists' versions are recorded only when they were used
    try:
        if isinstance(facts.get("institution"), dict) and institution_needs_lookup(facts):
            lookup = InstitutionLookup()
            facts = {**facts, "institution": lookup.institution(facts["institution"])}
        outcome = funding_evaluate(facts_from_json(facts), rules=rules, bursary=bursary)
    except (FundingError, InstitutionNotFound) as error:
        raise ValidationError(str(error)) from error
    return FundingDecision.objects.create(
        subject=subject,
        rules=rules,
        facts=facts,
        list_versions=lookup.index.versions if lookup else {},
        status=outcome.status,
        funded=outcome.funded,
        subject_to_review=outcome.subject_to_review,
        reason=outcome.reason,
        bursary_eligible=outcome.bursary.eligible if outcome.bursary else None,
        bursary_amount=outcome.bursary.amount if outcome.bursary else 0,
        decided_by=by,
    )


@transaction.atomic
def funding_decision_override(
    *, decision: FundingDecision, funded: bool, reason: str, by: User
) -> FundingDecision:
    """Mark a decision funded or not by hub policy; the calculated outcome stays beside it.

    Raises ValidationError without a reason.
    """
    from .funding import MARKED_FUNDED_BY_POLICY, MARKED_INELIGIBLE_BY_POLICY

    if not reason.strip():
        raise ValidationError("Say why the calculated outcome is being overridden.")
    decision = FundingDecision.objects.select_for_update().get(pk=decision.pk)
    decision.override_status = MARKED_FUNDED_BY_POLICY if funded else MARKED_INELIGIBLE_BY_POLICY
    decision.override_reason = reason.strip()
    decision.overridden_by = by
    decision.overridden_at = timezone.now()
    decision.save()
    FundingOverride.objects.create(
        decision=decision, status=decision.override_status, reason=decision.override_reason, by=by
    )
    return decision


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


# ---- Mailing list ----

CONSENT_TEXT = (
    "I agree that the hub may email me news of the programmes I have chosen, including when "
    "applications open. I can unsubscribe at any time from a link in every email."
)


# Confirmation emails one address may be sent in a day: the form is public.
CONFIRMATIONS_A_DAY = 3


@transaction.atomic
def subscriber_sign_up(
    *,
    email: str,
    first_name: str,
    last_name: str,
    programmes: list,
    school: School | None = None,
    consent_text: str = CONSENT_TEXT,
) -> Subscriber:
    """Add someone to the mailing list and email them a link to confirm their address.

    Someone already on the list is sent a link to change their interests instead: a form anyone
    can fill in must not change another person's subscription. Anyone else (new, unconfirmed
    or unsubscribed) must confirm again before they are on the list.
    """
    from .tasks import subscriber_send_email_task

    email = email.strip().lower()
    today = timezone.localdate().isoformat()
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is not None and subscriber.is_subscribed:
        # Once a day at most, whoever keeps filling in the form.
        outbox_enqueue(
            subscriber_send_email_task, subscriber.pk, "subscriber_already", f"already-{today}"
        )
        return subscriber
    if subscriber is None:
        subscriber = Subscriber(email=email)
    subscriber.first_name = first_name.strip()
    subscriber.last_name = last_name.strip()
    subscriber.school = school
    subscriber.consent_text = consent_text
    subscriber.consented_at = timezone.now()
    subscriber.confirmed_at = None  # on the list only once this address confirms
    subscriber.unsubscribed_at = None
    subscriber.confirmations_sent += 1
    if subscriber.confirmations_on != timezone.localdate():
        subscriber.confirmations_on, subscriber.confirmations_today = timezone.localdate(), 0
    subscriber.confirmations_today += 1
    try:
        with transaction.atomic():
            subscriber.save()
    except IntegrityError:  # the same address sent twice at once: the first one stands
        return Subscriber.objects.get(email=email)
    subscriber.programmes.set(programmes)
    if subscriber.confirmations_today <= CONFIRMATIONS_A_DAY:
        occasion = f"confirm-{subscriber.confirmations_sent}"
        outbox_enqueue(subscriber_send_email_task, subscriber.pk, "subscriber_confirm", occasion)
    return subscriber


def subscriber_send_email(*, subscriber: Subscriber, kind: str, occasion: str) -> None:
    """Send one of the mailing list's own emails, with its signed links."""
    links = subscriber_links(subscriber)
    email_send_once(
        to=subscriber.email,
        kind=kind,
        about=subscriber,
        occasion=occasion,
        context={"subscriber": subscriber, **links},
        headers=unsubscribe_headers(links) if subscriber.is_subscribed else None,
    )


def unsubscribe_headers(links: dict) -> dict[str, str]:
    """RFC 8058: mail apps show an Unsubscribe button that works in one click."""
    return {
        "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@transaction.atomic
def subscriber_confirm(*, subscriber: Subscriber) -> Subscriber:
    """Confirm a subscriber's address (following the link again changes nothing; it does not
    undo a later unsubscribe)."""
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["confirmed_at", "unsubscribed_at", "updated_at"])
    return subscriber


@transaction.atomic
def subscriber_resubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Someone who unsubscribed comes back, from their own signed link."""
    Subscriber.objects.filter(pk=subscriber.pk).update(
        unsubscribed_at=None, updated_at=timezone.now()
    )
    subscriber.refresh_from_db()
    return subscriber


@transaction.atomic
def subscriber_update_interests(*, subscriber: Subscriber, programmes: list) -> Subscriber:
    """Change which programmes someone hears about."""
    subscriber.programmes.set(programmes)
    Subscriber.objects.filter(pk=subscriber.pk).update(updated_at=timezone.now())
    return subscriber


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    """Take someone off the list at once; they can come back from the same page."""
    Subscriber.objects.filter(pk=subscriber.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    subscriber.refresh_from_db()
    return subscriber


def subscribers_expire_unconfirmed(*, older_than=None) -> int:
    """Forget sign-ups never confirmed within the confirmation link's life; returns how many."""
    from .links import CONFIRM_MAX_AGE

    cutoff = timezone.now() - (older_than or CONFIRM_MAX_AGE)
    # From when they last signed up: asking again gives them a fresh week.
    expired = Subscriber.objects.filter(confirmed_at__isnull=True, consented_at__lt=cutoff)
    count, _ = expired.delete()
    return count


def cohort_announce(*, cohort) -> int:
    """Email every confirmed subscriber interested in the cohort's programme that applications
    are open: once each, however often this runs. Returns how many were sent to this time."""
    subscribers = (
        Subscriber.objects.confirmed()
        .filter(programmes=cohort.programme_id)
        .order_by("pk")
        .iterator(chunk_size=500)
    )
    context = {
        "cohort": cohort,
        "apply_url": settings.SITE_URL + cohort.programme.get_absolute_url(),
    }
    sent = 0
    for subscriber in subscribers:
        links = subscriber_links(subscriber)
        try:
            delivery = email_send_once(
                to=subscriber.email,
                kind="applications_open",
                about=cohort,
                occasion="opened",
                context={"subscriber": subscriber, **links, **context},
                headers=unsubscribe_headers(links),
            )
        except EmailNotSent:
            continue  # logged as failed for staff to see; one bad address stops no one else
        sent += delivery.attempts == 1 and delivery.status == "sent"
    return sent


# ---- Applications ----

APPLICATION_EMAILS = {
    Application.Status.AWAITING_SCHOOL: "application_received",
    Application.Status.SCHOOL_APPROVED: "application_school_decision",
    Application.Status.SCHOOL_DECLINED: "application_school_decision",
    Application.Status.ACCEPTED: "application_decision",
    Application.Status.WAITLISTED: "application_decision",
    Application.Status.REJECTED: "application_decision",
}


def _send_later(application_id: int, kind: str, occasion: str) -> None:
    from .tasks import application_send_email_task

    outbox_enqueue(application_send_email_task, application_id, kind, occasion)


def _application_move(
    application: Application, *, to: str, by: User | None, reason: str = "", by_name: str = ""
) -> Application:
    """Change the status and write its history row; callers hold the application's lock."""
    ApplicationEvent.objects.create(
        application=application,
        from_status=application.status,
        to_status=to,
        by=by,
        by_name=by_name,
        reason=reason,
    )
    had_offer = application.status == Application.Status.WAITLISTED and application.offer_expires_at
    application.status = to
    if to != Application.Status.WAITLISTED:
        application.offer_expires_at = None
    application.save()
    kind = APPLICATION_EMAILS.get(to)
    if kind:
        # The status goes with the email: a later change must not alter what this one says.
        _send_later(application.pk, kind, to)
    if had_offer and to in {Application.Status.REJECTED, Application.Status.WITHDRAWN}:
        waitlist_offer_next(cohort=application.cohort)  # their offered place goes on
    return application


def _refuse_own_address(applicant: User, email: str) -> None:
    """The person who approves for the school cannot be the applicant."""
    from allauth.account.models import EmailAddress

    email = email.strip().lower()
    own = {applicant.email.lower()} | {
        address.lower()
        for address in EmailAddress.objects.filter(user=applicant).values_list("email", flat=True)
    }
    if email in own:
        raise ValidationError("Give your headteacher's email address, not your own.")


def _locked(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


def _refuse_unless(application: Application, to: str, message: str) -> None:
    if not application.can_move_to(to):
        raise ValidationError(f"{message} It is {application.get_status_display().lower()}.")


@transaction.atomic
def application_start(*, applicant: User, cohort) -> Application:
    """A draft application for the cohort (the one already started, if there is one).

    Raises ValidationError when the cohort is not taking applications or the applicant has
    already applied for it.
    """
    from cohorts.models import Cohort

    if not Cohort.objects.accepting_applications().filter(pk=cohort.pk).exists():
        raise ValidationError(f"{cohort} is not taking applications.")
    live = Application.objects.filter(applicant=applicant, cohort=cohort).exclude(
        status__in=[Application.Status.REJECTED, Application.Status.WITHDRAWN]
    )
    existing = live.first()
    if existing and existing.status != Application.Status.DRAFT:
        raise ValidationError("You have already applied for this cohort.")
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Application.objects.create(applicant=applicant, cohort=cohort)
    except IntegrityError:  # a double click: the first request made it
        return live.get()


@transaction.atomic
def application_save_answers(*, application: Application, answers: dict) -> Application:
    """Keep the answers given so far (save and return later). Raises ValidationError once
    the application has been sent."""
    from .application_steps import answers_still_asked

    application = _locked(application)
    if application.status != Application.Status.DRAFT:
        raise ValidationError("This application has been sent, so it can no longer change.")
    merged = {**application.answers, **answers}
    # A changed answer can make earlier ones moot (a school, once working in early years).
    application.answers = answers_still_asked(merged, application.cohort.programme)
    application.save(update_fields=["answers", "updated_at"])
    return application


def application_funding_facts(application: Application) -> dict | None:
    """The funding facts the answers give, or None for a programme DfE does not fund."""
    answers = application.answers
    course = application.cohort.programme.course_identifier
    if not course:
        return None
    previously_funded = Application.objects.filter(
        applicant=application.applicant,
        status=Application.Status.ACCEPTED,
        cohort__programme__course_identifier__in=_same_course(course),
        funding_decision__funded=True,
    ).exclude(pk=application.pk)
    facts = {
        "course_identifier": course,
        "cohort_funded": True,
        "inside_catchment": answers.get("works_in_england") == "yes",
        "previously_funded": previously_funded.exists(),
        "work_setting": answers.get("work_setting"),
        "kind_of_nursery": answers.get("kind_of_nursery") or None,
        "employment_type": answers.get("employment_type") or None,
        "new_headteacher": answers.get("new_headteacher") == "yes",
        "referred_by_return_to_teaching_adviser": answers.get("referred") == "yes",
    }
    if answers.get("school_urn"):
        facts["institution"] = {"urn": str(answers["school_urn"])}
    elif answers.get("ofsted_urn"):
        facts["institution"] = {
            "kind": "private_childcare_provider",
            "urn": answers["ofsted_urn"],
        }
    return facts


def _same_course(course: str) -> list[str]:
    """ASO and EHCO count as one course for "previously funded" (FUNDING.md)."""
    pair = {"npq-additional-support-offer", "npq-early-headship-coaching-offer"}
    return sorted(pair) if course in pair else [course]


@transaction.atomic
def application_submit(*, application: Application, by: User) -> Application:
    """Send the application: work out and record its funding, then ask the school to approve.

    Raises ValidationError when an answer it needs is missing.
    """
    from cohorts.models import Cohort

    from .application_steps import first_unanswered

    application = _locked(application)
    _refuse_unless(application, Application.Status.AWAITING_SCHOOL, "It cannot be sent.")
    if not Cohort.objects.accepting_applications().filter(pk=application.cohort_id).exists():
        raise ValidationError(f"{application.cohort} is no longer taking applications.")
    answers = application.answers
    if answers.get("mastery") == "cannot_show":
        raise ValidationError(
            "This NPQ needs a year of Teaching for Mastery or equivalent experience first."
        )
    missing = [
        label
        for key, label in [
            ("works_in_england", "where you work"),
            ("work_setting", "your work setting"),
            ("role", "your role"),
            ("trn", "your TRN"),
            ("headteacher_name", "your headteacher's name"),
            ("headteacher_email", "your headteacher's email address"),
        ]
        if not answers.get(key)
    ]
    if missing:
        raise ValidationError("Answer every question first: " + ", ".join(missing) + ".")
    step = first_unanswered(answers, application.cohort.programme)
    if step is not None:
        raise ValidationError(f"Answer every question first: {step.title.lower()}.")
    _refuse_own_address(application.applicant, answers["headteacher_email"])
    facts = application_funding_facts(application)
    if facts is not None:
        application.funding_decision = funding_decide(
            subject=f"participants.application:{application.pk}",
            facts=facts,
            rules=application.cohort.funding_rules,
            by=by,
        )
    if answers.get("school_urn"):
        application.school = School.objects.filter(urn=int(answers["school_urn"])).first()
    application.trn = answers["trn"]
    application.headteacher_name = answers["headteacher_name"]
    application.headteacher_email = answers["headteacher_email"].strip().lower()
    application.approver_email = application.headteacher_email
    application.submitted_at = timezone.now()
    application = _application_move(application, to=Application.Status.AWAITING_SCHOOL, by=by)
    _send_later(application.pk, "school_approval_request", "1")
    return application


@transaction.atomic
def application_school_decide(
    *, application: Application, approve: bool, name: str, email: str, comment: str = ""
) -> Application:
    """Record the school's decision, made from the emailed link, with who and when.

    Raises ValidationError when the application is no longer waiting for the school, or a
    decline has no comment.
    """
    application = _locked(application)
    to = Application.Status.SCHOOL_APPROVED if approve else Application.Status.SCHOOL_DECLINED
    _refuse_unless(application, to, "The school's decision is already recorded.")
    if not approve and not comment.strip():
        raise ValidationError("Say why you are declining: the applicant is told.")
    application.school_decided_by = name.strip()
    application.school_decided_by_email = email.strip().lower()
    application.school_decided_at = timezone.now()
    application.school_comment = comment.strip()
    return _application_move(application, to=to, by=None, by_name=name.strip(), reason=comment)


@transaction.atomic
def application_delegate_approval(
    *, application: Application, email: str, by_name: str
) -> Application:
    """Hand the school's decision to a colleague: the old link stops, a new one is sent.

    Raises ValidationError when the decision is already made.
    """
    application = _locked(application)
    if application.status != Application.Status.AWAITING_SCHOOL:
        raise ValidationError("The school's decision is already recorded.")
    _refuse_own_address(application.applicant, email)
    application.approver_email = email.strip().lower()
    application.save(update_fields=["approver_email", "updated_at"])
    ApplicationEvent.objects.create(
        application=application,
        from_status=application.status,
        to_status=application.status,
        by_name=by_name.strip(),
        reason=f"Asked {application.approver_email} to decide for the school.",
    )
    occasion = f"delegated-{application.events.count()}"
    _send_later(application.pk, "school_approval_request", occasion)
    return application


@transaction.atomic
def application_accept(*, application: Application, by: User, reason: str = "") -> Enrolment:
    """Offer the applicant a place in the cohort they applied for.

    Raises ValidationError if the school has not approved it or the cohort is full.
    """
    from cohorts.models import Cohort
    from cohorts.services import cohort_places_changed

    # Lock the cohort row first (every path locks cohort, then application): two staff
    # accepting at once must not overfill it, nor deadlock with the waiting list.
    cohort = Cohort.objects.select_for_update(no_key=True).get(pk=application.cohort_id)
    application = _locked(application)
    _refuse_unless(application, Application.Status.ACCEPTED, "It cannot be accepted.")
    if cohort.status in {Cohort.Status.CANCELLED, Cohort.Status.COMPLETED}:
        raise ValidationError(f"{cohort} is {cohort.get_status_display().lower()}.")
    taken = _places_taken(cohort)
    if taken + _live_offers(cohort).exclude(pk=application.pk).count() >= cohort.capacity:
        raise ValidationError(
            f"{cohort} is full (places offered from the waiting list count); waitlist the "
            "application instead."
        )
    application.offer_expires_at = None
    _application_move(application, to=Application.Status.ACCEPTED, by=by, reason=reason)
    enrolment = Enrolment.objects.create(
        participant_id=application.applicant_id, cohort=cohort, application=application
    )
    cohort_places_changed(cohort=cohort, places_taken=taken + 1)
    return enrolment


@transaction.atomic
def application_waitlist(*, application: Application, by: User, reason: str = "") -> Application:
    """Put an approved application on the cohort's waiting list, in the order it arrives."""
    application = _locked(application)
    _refuse_unless(application, Application.Status.WAITLISTED, "It cannot be waitlisted.")
    application.waitlisted_at = timezone.now()
    return _application_move(application, to=Application.Status.WAITLISTED, by=by, reason=reason)


@transaction.atomic
def application_reject(*, application: Application, by: User, reason: str) -> Application:
    """Turn an application down, with a reason the applicant is sent.

    Raises ValidationError without a reason or once it is decided.
    """
    application = _locked(application)
    _refuse_unless(application, Application.Status.REJECTED, "It cannot be rejected.")
    if not reason.strip():
        raise ValidationError("Give a reason: the applicant is sent it.")
    return _application_move(
        application, to=Application.Status.REJECTED, by=by, reason=reason.strip()
    )


@transaction.atomic
def application_withdraw(*, application: Application, by: User, reason: str = "") -> Application:
    """The applicant withdraws before a decision. Raises ValidationError once decided."""
    application = _locked(application)
    _refuse_unless(application, Application.Status.WITHDRAWN, "It cannot be withdrawn.")
    return _application_move(
        application, to=Application.Status.WITHDRAWN, by=by, reason=reason.strip()
    )


def application_send_email(*, application: Application, kind: str, occasion: str) -> None:
    """Send one of an application's emails: to the applicant, or to whoever approves."""
    from .links import approval_url

    context = {
        "application": application,
        "cohort": application.cohort,
        "programme": application.cohort.programme,
        "applicant": application.applicant,
        "home_url": settings.SITE_URL + reverse("teacher-home"),
        "application_url": settings.SITE_URL + application.get_absolute_url(),
        "last_event": application.events.last(),
    }
    if kind in {"application_school_decision", "application_decision"}:
        context["status"] = occasion  # the status that caused it, not today's
    if kind == "enrolment_changed":
        _, enrolment_id, status, _ = occasion.split("-", 3)
        enrolment = application.enrolments.filter(pk=int(enrolment_id)).first()
        if enrolment is None:
            return
        context.update(
            enrolment=enrolment,
            enrolment_status=Enrolment.Status(status).label.lower(),
            event=enrolment.events.filter(to_status=status).last(),
        )
    if kind == "school_approval_request":
        if application.status != Application.Status.AWAITING_SCHOOL:
            return  # decided since: no request or reminder any more
        email_send_once(
            to=application.approver_email,
            kind=kind,
            about=application,
            occasion=f"{application.approver_email}-{occasion}",
            context={**context, "approval_url": approval_url(application)},
        )
        return
    email_send_once(
        to=application.applicant.email,
        kind=kind,
        about=application,
        occasion=occasion,
        context=context,
    )


# ---- Enrolments and the waiting list ----

OFFER_DAYS = 5  # how long someone on the waiting list has to take up a freed place


def _enrolment_move(
    enrolment: Enrolment, *, to: str, by: User | None, reason: str = "", tell: bool = True
) -> Enrolment:
    EnrolmentEvent.objects.create(
        enrolment=enrolment, from_status=enrolment.status, to_status=to, by=by, reason=reason
    )
    enrolment.status = to
    enrolment.save(update_fields=["status", "updated_at"])
    if tell and enrolment.application_id:
        # Which place and which change: the email describes this event, whatever follows.
        occasion = f"enrolment-{enrolment.pk}-{to}-{enrolment.events.count()}"
        _send_later(enrolment.application_id, "enrolment_changed", occasion)
    return enrolment


def _places_taken(cohort) -> int:
    return Enrolment.objects.filter(cohort=cohort).holding_a_place().count()


def _live_offers(cohort):
    """Waiting-list applications holding an offered place that has not lapsed."""
    return Application.objects.filter(
        cohort=cohort, status=Application.Status.WAITLISTED, offer_expires_at__gt=timezone.now()
    )


def _places_changed(cohort) -> None:
    """Tell the cohort how many places are taken, then offer any free one to the waiting list."""
    from cohorts.services import cohort_places_changed

    cohort_places_changed(cohort=cohort, places_taken=_places_taken(cohort))
    waitlist_offer_next(cohort=cohort)


ENROLMENT_MOVES = {
    Enrolment.Status.ACTIVE: {
        Enrolment.Status.DEFERRED,
        Enrolment.Status.WITHDRAWN,
        Enrolment.Status.COMPLETED,
    },
    Enrolment.Status.DEFERRED: {Enrolment.Status.ACTIVE, Enrolment.Status.WITHDRAWN},
    Enrolment.Status.WITHDRAWN: set(),
    Enrolment.Status.COMPLETED: set(),
}


@transaction.atomic
def enrolment_change(*, enrolment: Enrolment, to: str, by: User, reason: str = "") -> Enrolment:
    """Defer, resume, withdraw or complete a place, recording who, when and why.

    Raises ValidationError for a move its status does not allow, or a withdrawal without one
    of the fixed reasons. A withdrawal frees the place for the waiting list.
    """
    from cohorts.models import Cohort

    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if to not in ENROLMENT_MOVES[enrolment.status]:
        raise ValidationError(
            f"A place that is {enrolment.get_status_display().lower()} cannot become "
            f"{Enrolment.Status(to).label.lower()}."
        )
    if to == Enrolment.Status.WITHDRAWN and reason not in EnrolmentEvent.WithdrawalReason.values:
        raise ValidationError("Choose why they are withdrawing from the list.")
    cohort = Cohort.objects.select_for_update(no_key=True).get(pk=enrolment.cohort_id)
    enrolment = _enrolment_move(enrolment, to=to, by=by, reason=reason)
    if to == Enrolment.Status.WITHDRAWN:
        enrolment_withdrawn.send(sender=Enrolment, enrolment=enrolment)
        _places_changed(cohort)
    return enrolment


@transaction.atomic
def enrolment_record_assessment(*, enrolment: Enrolment, result: str, by: User | None) -> Enrolment:
    """Record a place's latest released assessment result; a pass completes an active place.

    The assessment app calls this when it releases an outcome (and emails the result itself,
    so completing sends no second email). Raises ValueError for a result other than passed
    or failed.
    """
    if result not in (Enrolment.AssessmentResult.PASSED, Enrolment.AssessmentResult.FAILED):
        raise ValueError(f"Not an assessment result: {result!r}")
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    enrolment.assessment_result = result
    enrolment.save(update_fields=["assessment_result", "updated_at"])
    if result == Enrolment.AssessmentResult.PASSED and enrolment.status == Enrolment.Status.ACTIVE:
        enrolment = _enrolment_move(
            enrolment,
            to=Enrolment.Status.COMPLETED,
            by=by,
            reason="Passed the summative assessment.",
            tell=False,
        )
    return enrolment


@transaction.atomic
def enrolment_transfer(*, enrolment: Enrolment, to_cohort, by: User, reason: str) -> Enrolment:
    """Move a participant to another cohort of the same programme, keeping their history.

    Raises ValidationError when the other cohort is full, of another programme, or the same.
    """
    from cohorts.models import Cohort

    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status not in {Enrolment.Status.ACTIVE, Enrolment.Status.DEFERRED}:
        raise ValidationError("Only a current place can be transferred.")
    if to_cohort.pk == enrolment.cohort_id:
        raise ValidationError("They are already in that cohort.")
    # Lock both cohorts in one order, so two transfers the other way round cannot deadlock.
    cohorts = {
        c.pk: c
        for c in Cohort.objects.select_for_update(no_key=True)
        .filter(pk__in=[enrolment.cohort_id, to_cohort.pk])
        .order_by("pk")
    }
    source, target = cohorts[enrolment.cohort_id], cohorts[to_cohort.pk]
    if source.programme_id != target.programme_id:
        raise ValidationError("A place can only move to a cohort of the same programme.")
    if _places_taken(target) + _live_offers(target).count() >= target.capacity:
        raise ValidationError(f"{target} is full.")
    _enrolment_move(
        enrolment, to=Enrolment.Status.WITHDRAWN, by=by, reason=f"Transferred to {target}: {reason}"
    )
    moved = Enrolment.objects.create(
        participant_id=enrolment.participant_id,
        cohort=target,
        application_id=enrolment.application_id,
        transferred_from=enrolment,
    )
    EnrolmentEvent.objects.create(
        enrolment=moved,
        from_status=Enrolment.Status.ACTIVE,
        to_status=Enrolment.Status.ACTIVE,
        by=by,
        reason=f"Transferred from {source}: {reason}",
    )
    enrolment_transferred.send(sender=Enrolment, old=enrolment, new=moved)
    _places_changed(source)
    _places_changed(target)
    return moved


@transaction.atomic
def waitlist_offer_next(*, cohort) -> Application | None:
    """Offer a free place to the next person on the waiting list, in the order they joined it,
    with OFFER_DAYS to take it up. Does nothing while an offer is outstanding or none is free."""
    from cohorts.models import Cohort

    cohort = Cohort.objects.select_for_update(no_key=True).get(pk=cohort.pk)
    if cohort.status in {Cohort.Status.CANCELLED, Cohort.Status.COMPLETED}:
        return None
    waiting = Application.objects.select_for_update().filter(
        cohort=cohort, status=Application.Status.WAITLISTED
    )
    if _places_taken(cohort) + _live_offers(cohort).count() >= cohort.capacity:
        return None
    next_in_line = (
        waiting.filter(offer_expires_at__isnull=True, offer_lapsed_at__isnull=True)
        .order_by("waitlisted_at", "pk")
        .first()
    )
    if next_in_line is None:
        return None
    next_in_line.offer_expires_at = timezone.now() + timedelta(days=OFFER_DAYS)
    next_in_line.save(update_fields=["offer_expires_at", "updated_at"])
    ApplicationEvent.objects.create(
        application=next_in_line,
        from_status=next_in_line.status,
        to_status=next_in_line.status,
        reason=f"A place came free: offered until {next_in_line.offer_expires_at:%d %B %Y}.",
    )
    _send_later(next_in_line.pk, "waitlist_offer", f"offer-{next_in_line.events.count()}")
    return next_in_line


@transaction.atomic
def application_take_offer(*, application: Application, by: User) -> Enrolment:
    """The applicant takes up a place offered from the waiting list.

    Raises ValidationError when there is no live offer.
    """
    application = _locked(application)
    expires = application.offer_expires_at
    if (
        application.status != Application.Status.WAITLISTED
        or not expires
        or expires < timezone.now()
    ):
        raise ValidationError("There is no place on offer to you now.")
    return application_accept(application=application, by=by, reason="Took up a place offered")


@transaction.atomic
def waitlist_offers_expire() -> int:
    """Let lapsed offers go and offer those places to the next in line; returns how many."""
    from cohorts.models import Cohort

    due = Application.objects.filter(
        status=Application.Status.WAITLISTED, offer_expires_at__lte=timezone.now()
    )
    # Cohorts first, then applications: the order every other path takes its locks in.
    list(Cohort.objects.select_for_update(no_key=True).filter(pk__in=due.values("cohort_id")))
    lapsed = list(due.select_for_update())
    for application in lapsed:
        application.offer_expires_at = None
        application.offer_lapsed_at = timezone.now()
        application.save(update_fields=["offer_expires_at", "offer_lapsed_at", "updated_at"])
        ApplicationEvent.objects.create(
            application=application,
            from_status=application.status,
            to_status=application.status,
            reason="The offered place was not taken up in time.",
        )
        _send_later(application.pk, "waitlist_offer_lapsed", "offer-lapsed")
    for cohort in Cohort.objects.filter(pk__in={a.cohort_id for a in lapsed}):
        waitlist_offer_next(cohort=cohort)
    return len(lapsed)


# Days after sending when the approver is reminded; after the last, staff are told.
APPROVAL_CHASES = (3, 7)
APPROVAL_STAFF_ALERT_DAYS = 10


def approvals_chase() -> int:
    """Remind approvers who have not answered (after 3 and 7 days), then tell the hub; each
    reminder once. Returns how many reminders or alerts were sent this time."""
    now = timezone.now()
    sent = 0
    waiting = Application.objects.filter(status=Application.Status.AWAITING_SCHOOL)
    for chase, days in enumerate(APPROVAL_CHASES, start=1):
        due = waiting.filter(
            approval_chases=chase - 1, submitted_at__lte=now - timedelta(days=days)
        )
        for application_id in due.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                application = _locked(Application(pk=application_id))
                if application.approval_chases != chase - 1:
                    continue  # another run got there first
                application.approval_chases = chase
                application.save(update_fields=["approval_chases", "updated_at"])
                _send_later(application.pk, "school_approval_request", f"chase-{chase}")
                sent += 1
    stale = waiting.filter(
        approval_chases=len(APPROVAL_CHASES),
        submitted_at__lte=now - timedelta(days=APPROVAL_STAFF_ALERT_DAYS),
    )
    for application in stale.select_related("applicant", "cohort__programme").iterator():
        email_send_once(
            to=settings.HUB_CONTACT_EMAIL,
            kind="approval_overdue",
            about=application,
            occasion="staff-alert",
            context={
                "application": application,
                "url": settings.SITE_URL + application.get_absolute_url(),
            },
        )
        sent += 1
    return sent


@transaction.atomic
def school_leader_remove(*, leadership: SchoolLeadership, by: User) -> None:
    """Take away a leader's view of a school; the role goes when they lead no school."""
    from npq_portal.roles import Role, user_roles
    from npq_portal.services import user_set_roles

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
    from npq_portal.roles import Role, user_roles
    from npq_portal.services import user_set_roles

    leadership, _ = SchoolLeadership.objects.get_or_create(
        user=user, school=school, defaults={"confirmed_by": by}
    )
    roles = [role for role in user_roles(user) if role != Role.TEACHER]
    if Role.SCHOOL_LEADER not in roles:
        user_set_roles(
            user=user, roles=[*roles, Role.SCHOOL_LEADER], by=by, reason=f"Leader of {school}"
        )
    return leadership


def applications_decide_in_bulk(
    *, applications, action: str, by: User, reason: str = ""
) -> tuple[list[Application], list[tuple[Application, str]]]:
    """Accept or reject several applications, each on its own: one that cannot be decided
    (a full cohort, not yet approved) is reported and the others still go ahead.

    Returns (decided, refused with the reason why).
    """
    decide = {"accept": application_accept, "reject": application_reject}[action]
    decided, refused = [], []
    for application in applications:
        try:
            decide(application=application, by=by, reason=reason)
        except ValidationError as error:
            refused.append((application, " ".join(error.messages)))
        else:
            decided.append(application)
    return decided, refused


def reminders_opt_out(*, email: str) -> None:
    """Stop optional reminders to this address (asking twice changes nothing)."""
    from .models import ReminderOptOut

    ReminderOptOut.objects.get_or_create(email=email.strip().lower())


# ---- Registers and module progress ----


def register_enrolments(session):
    """Who is on a session's register: everyone with an active place in its cohort, and anyone
    already marked (so a mark can still be corrected after they leave), in name order."""
    from django.db.models import Q

    return (
        Enrolment.objects.filter(cohort_id=session.cohort_id)
        .filter(Q(status=Enrolment.Status.ACTIVE) | Q(attendance__session=session))
        .distinct()
        .select_related("participant")
        .order_by("participant__last_name", "participant__first_name", "pk")
    )


@dataclass(frozen=True)
class RegisterResult:
    recorded: int  # marks recorded for the first time
    corrected: int  # marks changed


@transaction.atomic
def register_take(
    *, session, marks: dict[int, str], by: User | None, reason: str = ""
) -> RegisterResult:
    """Record a session's register, one mark per enrolment id. Changing a mark already on the
    register is a correction: it needs a reason, kept with the old and the new mark.

    Raises ValidationError for a session cancelled or still to come, a mark for someone not on
    the register, an unknown mark, or a correction without a reason; then nothing changes.
    """
    from cohorts.models import Session

    from .models import Attendance, AttendanceChange

    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status != Session.Status.SCHEDULED:
        raise ValidationError("Registers are taken for scheduled sessions only.")
    if not session.register_is_open:
        raise ValidationError(
            f"This session is on {timezone.localtime(session.starts_at):%-d %B}: "
            "take its register on the day."
        )
    unknown_marks = set(marks.values()) - set(Attendance.Mark.values)
    if unknown_marks:
        raise ValidationError("Choose present, late, absent or excused for each person.")
    on_register = set(register_enrolments(session).values_list("pk", flat=True))
    if set(marks) - on_register:
        raise ValidationError("Someone marked is not on this session's register.")
    existing = {a.enrolment_id: a for a in Attendance.objects.filter(session=session)}
    changes = [
        (existing[pk], mark)
        for pk, mark in marks.items()
        if pk in existing and existing[pk].mark != mark
    ]
    reason = reason.strip()
    if changes and not reason:
        raise ValidationError(
            f"{len(changes)} mark{'s' if len(changes) != 1 else ''} already recorded would "
            "change: say why, so the register's history makes sense."
        )
    Attendance.objects.bulk_create(
        Attendance(session=session, enrolment_id=pk, mark=mark, recorded_by=by)
        for pk, mark in marks.items()
        if pk not in existing
    )
    for attendance, mark in changes:
        AttendanceChange.objects.create(
            attendance=attendance, from_mark=attendance.mark, to_mark=mark, by=by, reason=reason
        )
        attendance.mark = mark
        attendance.recorded_by = by
        attendance.save(update_fields=["mark", "recorded_by", "recorded_at"])
    return RegisterResult(
        recorded=sum(1 for pk in marks if pk not in existing), corrected=len(changes)
    )


@dataclass(frozen=True)
class RegisterImportResult:
    present: int
    absent: int
    not_on_register: list[str]  # addresses in the file that match no one on the register
    corrected: int


@transaction.atomic
def register_import(*, session, source: IO[bytes], by: User | None, reason: str = ""):
    """Mark a session's register from a CSV of the email addresses of those who attended (an
    online meeting's attendance report): those in it present (late stays late), the rest
    absent (excused stays excused).

    Raises ValidationError, naming the row, when a row holds something that is not an email
    address, or when the file has no addresses; then nothing changes. Addresses of people not
    on the register (a guest, the facilitator) are listed back, not refused.
    """
    from django.core.validators import validate_email

    from cohorts.models import Session

    from .models import Attendance

    rows = [record for _, record in uploaded_csv(source, nothing_done="Nothing changed.")]
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    column = next((i for i, name in enumerate(header) if "email" in name), None)
    first_data_row = 2 if column is not None else 1
    if column is None:  # no header: the first cell that looks like an address says where
        column = next((i for i, cell in enumerate(header) if "@" in cell), None)
    if column is None:
        raise ValidationError(
            "No email addresses found: the file needs a column headed “Email” (or only "
            "addresses). Nothing changed."
        )
    attended: set[str] = set()
    for line, record in enumerate(rows[first_data_row - 1 :], start=first_data_row):
        value = record[column].strip() if len(record) > column else ""
        if not value:
            continue
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                f"Row {line}: “{value[:60]}” is not an email address. Nothing changed."
            ) from None
        attended.add(value.lower())
    if not attended:
        raise ValidationError("The file has no email addresses in it. Nothing changed.")
    # Lock the session before reading its marks, as register_take does: a correction saved
    # meanwhile must not be overwritten by marks worked out from the register before it.
    session = Session.objects.select_for_update().get(pk=session.pk)
    existing = dict(Attendance.objects.filter(session=session).values_list("enrolment_id", "mark"))
    marks, known = {}, set()
    for enrolment in register_enrolments(session):
        email = enrolment.participant.email.lower()
        before = existing.get(enrolment.pk)
        if email in attended:
            known.add(email)
            marks[enrolment.pk] = before if before == Attendance.Mark.LATE else "present"
        else:
            marks[enrolment.pk] = before if before == Attendance.Mark.EXCUSED else "absent"
    result = register_take(session=session, marks=marks, by=by, reason=reason)
    return RegisterImportResult(
        present=sum(1 for mark in marks.values() if mark in ATTENDED),
        absent=sum(1 for mark in marks.values() if mark not in ATTENDED),
        not_on_register=sorted(attended - known),
        corrected=result.corrected,
    )


@transaction.atomic
def module_phase_set(*, enrolment: Enrolment, module, phase: str, done: bool, by: User) -> None:
    """Tick (or untick) a phase of a module as finished, for the participant or by staff.

    Raises ValidationError for a module not in the cohort's timetable, an unknown phase, or,
    for the participant, a module not open yet or a place that is not active.
    """
    from cohorts.models import ModuleWindow

    from .models import ModulePhaseDone

    if phase not in ModulePhaseDone.Phase.values:
        raise ValidationError("Choose the study or the application phase.")
    window = ModuleWindow.objects.filter(cohort_id=enrolment.cohort_id, module=module).first()
    if window is None:
        raise ValidationError("That module is not in this cohort's timetable.")
    if by.pk == enrolment.participant_id:
        if enrolment.status != Enrolment.Status.ACTIVE:
            raise ValidationError("Your place is not active, so progress cannot change.")
        if window.opens_on > timezone.localdate():
            raise ValidationError(f"{module} opens on {window.opens_on:%-d %B %Y}.")
    if done:  # a double click, or two tabs, find the first one's record
        ModulePhaseDone.objects.get_or_create(
            enrolment=enrolment, module=module, phase=phase, defaults={"by": by}
        )
    else:
        ModulePhaseDone.objects.filter(enrolment=enrolment, module=module, phase=phase).delete()
