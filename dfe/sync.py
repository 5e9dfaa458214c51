"""Pulling DfE's lists into the portal's copy of them (DFE_API.md §1, §2 "Sync advice").

`sync_run` pulls each kind of record for one connection (`PULLS`: kind -> pull), recording a
`Sync` row per kind, then matches DfE's applications to the portal's and compares again the
linked pairs whose DfE side changed (`dfe.reconcile`; each page stored empties those it writes).
After
the first pull of a kind, only what changed is asked for: `filter[updated_since]` is the start
of the last successful pull less `settings.DFE["overlap"]` (DfE's "2 windows"), so a record
changed while the last pull ran is not missed. A full pull (`full=True`, weekly from beat) asks
for everything. Pages are read until DfE sends an empty one (it sends no totals).

Only one pull runs at a time for a connection: `sync_run` takes a lease on the connection's row
(`Connection.syncing_until`) with one UPDATE that only one process can win, renews it before
each kind, and frees it at the end only if it is still its own; a pull that outlived its lease
and finds another holding it stops. The lease rather
than a cache lock: the portal's cache answers as an empty cache while Redis is away
(npq_portal/cache.py), which would let two pulls run; the lease rather than select_for_update:
a pull talks to DfE for minutes, and must not hold a transaction open that long.

Retired participant ids (`participant_id_changes` in a participant, or a 410 Gone) are followed
by `dfe.identities.participant_ids_follow`: every DfE application and declaration with the old
id gets the new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import client as dfe_client
from .client import DfeClient, DfeError, DfeGone
from .connection import connection_client, parse_dfe_time
from .declarations import declarations_pull, statements_pull
from .identities import participant_ids_follow
from .models import Connection, DfeApplication, Sync
from .privacy import PERSONAL_FIELDS
from .ready_counts import ready_stale
from .reconcile import dfe_applications_match, reconciliation_bring_up_to_date
from .reconcile_counts import reconciliation_counts_stale

logger = logging.getLogger(__name__)

APPLICATIONS_PATH = "/api/v3/npq-applications"
PARTICIPANTS_PATH = "/api/v3/participants/npq"
# A pull that has not ended by then is taken to have died: another may start.
LEASE = timedelta(hours=1)
# Records a page (DfE's guidance: 300). A pull's `per_page` overrides it (tests: a small one).
PER_PAGE = dfe_client.PER_PAGE

Pull = Callable[..., int]


def _stamp(moment: datetime) -> str:
    """ISO 8601 in UTC, as DfE's filters take it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _covered_courses(connection: Connection) -> set[str]:
    return {
        course
        for course in connection.programmes.values_list("course_identifier", flat=True)
        if course
    }


def _application_fields(attributes: dict) -> dict:
    """DfE's application attributes as DfeApplication's fields (DfE's nulls as blanks)."""
    return {
        "participant_id": attributes["participant_id"],
        "course_identifier": attributes.get("course_identifier") or "",
        "cohort_year": int(attributes["cohort"]),
        "status": attributes.get("status") or DfeApplication.Status.PENDING,
        "reason_for_rejection": attributes.get("reason_for_rejection") or "",
        "schedule_identifier": attributes.get("schedule_identifier") or "",
        "funded_place": attributes.get("funded_place"),
        "eligible_for_funding": bool(attributes.get("eligible_for_funding")),
        "ineligible_for_funding_reason": attributes.get("ineligible_for_funding_reason") or "",
        "teacher_catchment": attributes.get("teacher_catchment"),
        "trn": attributes.get("teacher_reference_number") or "",
        "email": attributes.get("email") or "",
        "full_name": attributes.get("full_name") or "",
        "school_urn": attributes.get("school_urn") or "",
        "dfe_updated_at": parse_dfe_time(attributes.get("updated_at")) or timezone.now(),
    }


def applications_pull(
    *, client: DfeClient, connection: Connection, since: datetime | None, per_page: int = 0
) -> int:
    """Copy DfE's applications for the connection's cohorts (changed since `since`, or all).

    Applications for courses the connection does not cover are not kept: the lead provider's
    token sees every applicant of the provider, not only the hub's. DfE's funding answer is
    kept in its own fields; the portal's funding decision is never touched. Returns how many
    records DfE sent.
    """
    params = {"filter[cohort]": ",".join(str(year) for year in connection.cohort_years)}
    if since is not None:
        params["filter[updated_since]"] = _stamp(since)
    courses = _covered_courses(connection)
    received = 0
    for page in client.list_pages(APPLICATIONS_PATH, params, per_page=per_page or PER_PAGE):
        received += len(page)
        rows = {
            row["id"]: _application_fields(row["attributes"])
            for row in page
            if row["attributes"].get("course_identifier") in courses
        }
        _applications_store(connection=connection, rows=rows)
    return received


@transaction.atomic
def _applications_store(*, connection: Connection, rows: dict[str, dict]) -> None:
    """Create or update one page of DfE's applications, in three queries."""
    existing = DfeApplication.objects.select_for_update().in_bulk(list(rows), field_name="dfe_id")
    existing = {str(key): value for key, value in existing.items()}
    held_by = {record.connection_id for record in existing.values()}  # before a move here
    fields = list(next(iter(rows.values()), {}))
    changed, new = [], []
    for dfe_id, values in rows.items():
        record = existing.get(dfe_id)
        if record is None:
            new.append(DfeApplication(connection=connection, dfe_id=dfe_id, **values))
            continue
        for name, value in values.items():
            # Once erased here, DfE's name, email and TRN for them stay out (dfe/privacy.py).
            if record.personal_data_erased_at is None or name not in PERSONAL_FIELDS:
                setattr(record, name, value)
        record.connection = connection
        changed.append(record)
    now = timezone.now()
    for record in changed:
        record.updated_at = now
        record.disagreeing = None  # DfE's side changed: to compare again (dfe/reconcile.py)
    if new:
        DfeApplication.objects.bulk_create(new)
    if changed:
        DfeApplication.objects.bulk_update(
            changed, [*fields, "connection", "updated_at", "disagreeing"]
        )
    if new or changed:  # bulk writes send no signals (dfe/ready_counts.py)
        ready_stale({connection.pk, *held_by})
        reconciliation_counts_stale()


def participants_pull(
    *, client: DfeClient, connection: Connection, since: datetime | None, per_page: int = 0
) -> int:
    """Copy each DfE participant's training status onto their applications, and follow the
    participant ids DfE retired. Returns how many participants DfE sent."""
    params = {"filter[updated_since]": _stamp(since)} if since is not None else {}
    received = 0
    try:
        for page in client.list_pages(PARTICIPANTS_PATH, params, per_page=per_page or PER_PAGE):
            received += len(page)
            _participants_store(page)
    except DfeGone as gone:
        participant_ids_follow(gone.participant_id_changes)
        raise
    return received


@transaction.atomic
def _participants_store(page: list[dict]) -> None:
    changes, statuses = [], {}
    for participant in page:
        attributes = participant["attributes"]
        changes += attributes.get("participant_id_changes") or []
        for enrolment in attributes.get("npq_enrolments") or []:
            statuses[enrolment["npq_application_id"]] = enrolment
    participant_ids_follow(changes)
    records = DfeApplication.objects.select_for_update().in_bulk(
        list(statuses), field_name="dfe_id"
    )
    updated = []
    for dfe_id, record in records.items():
        enrolment = statuses[str(dfe_id)]
        record.training_status = enrolment.get("training_status") or ""
        record.schedule_identifier = enrolment.get("schedule_identifier") or ""
        record.funded_place = enrolment.get("funded_place")
        updated.append(record)
    DfeApplication.objects.bulk_update(
        updated, ["training_status", "schedule_identifier", "funded_place"]
    )


# kind -> pull(client=, connection=, since=) -> records received. Each pull reads one of DfE's
# lists with filter[updated_since]=since (None: everything) and stores it.
PULLS: dict[str, Pull] = {
    Sync.Kind.APPLICATIONS: applications_pull,
    Sync.Kind.PARTICIPANTS: participants_pull,
    Sync.Kind.DECLARATIONS: declarations_pull,
    Sync.Kind.STATEMENTS: statements_pull,
}


def _since(connection: Connection, kind: str, *, full: bool) -> datetime | None:
    if full:
        return None
    last = (
        Sync.objects.filter(connection=connection, kind=kind, succeeded=True)
        .order_by("-started_at")
        .first()
    )
    return last.started_at - settings.DFE["overlap"] if last else None


def _lease_take(connection: Connection) -> datetime | None:
    """Take the connection's lease unless a live pull holds it: when ours ends, or None."""
    now = timezone.now()
    until = now + LEASE
    taken = (
        Connection.objects.filter(pk=connection.pk)
        .filter(Q(syncing_until__isnull=True) | Q(syncing_until__lt=now))
        .update(syncing_until=until)
    )
    return until if taken == 1 else None


def _lease_renew(connection: Connection, held: datetime) -> datetime | None:
    """Extend the lease we hold by another LEASE: when it now ends, or None when it is not ours
    any more (this pull outlived it and another pull took it)."""
    until = timezone.now() + LEASE
    renewed = Connection.objects.filter(pk=connection.pk, syncing_until=held).update(
        syncing_until=until
    )
    return until if renewed == 1 else None


def _lease_release(connection: Connection, held: datetime) -> None:
    """Free the lease only if it is still ours: a pull that outlived its lease must not free
    the one another pull took since."""
    Connection.objects.filter(pk=connection.pk, syncing_until=held).update(syncing_until=None)


def _words(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, DfeError):
        return str(error)
    return (
        f"The pull stopped on an error in the portal ({type(error).__name__}); "
        "the details are in the server's log."
    )


def _pull_one(
    *, client: DfeClient | None, connection: Connection, kind: str, full: bool, failure: str
) -> Sync:
    since = _since(connection, kind, full=full)
    sync = Sync.objects.create(
        connection=connection,
        kind=kind,
        full=since is None,
        updated_since=since,
        started_at=timezone.now(),
    )
    try:
        if client is None:
            raise ValidationError(failure)
        sync.records = PULLS[kind](client=client, connection=connection, since=since)
    except Exception as error:  # noqa: BLE001  recorded in words; the other kinds still run
        if not isinstance(error, DfeError | ValidationError):
            logger.exception("Pulling DfE %s for connection %s failed", kind, connection.pk)
        else:
            logger.warning("Pulling DfE %s for connection %s failed", kind, connection.pk)
        sync.succeeded = False
        sync.error = _words(error)
    else:
        sync.succeeded = True
    sync.finished_at = timezone.now()
    sync.save(update_fields=["records", "succeeded", "error", "finished_at"])
    return sync


def sync_run(
    *,
    connection: Connection,
    kinds: Iterable[str] | None = None,
    full: bool = False,
    transport=None,
) -> list[Sync]:
    """Pull DfE's lists for one connection (each of `kinds`, or all), then match DfE's
    applications to the portal's. Returns a Sync per kind; an empty list when another pull of
    this connection is running (it will have pulled the same).
    """
    kinds = list(kinds or PULLS)
    unknown = [kind for kind in kinds if kind not in PULLS]
    if unknown:
        raise ValueError(f"No pull for DfE's {', '.join(unknown)}")
    held = _lease_take(connection)
    if held is None:
        logger.info("A pull for DfE connection %s is running already", connection.pk)
        return []
    syncs = []
    try:
        try:
            client = connection_client(connection=connection, transport=transport)
            failure = ""
        except ValidationError as error:
            client, failure = None, " ".join(error.messages)
        try:
            for kind in kinds:
                held = _lease_renew(connection, held)
                if held is None:
                    break
                syncs.append(
                    _pull_one(
                        client=client, connection=connection, kind=kind, full=full, failure=failure
                    )
                )
        finally:
            if client is not None:
                client.close()
        if held is not None:
            held = _lease_renew(connection, held)
        if held is None:
            # Another pull took the lease this one outlived: it pulls and matches the rest.
            logger.warning(
                "A pull for DfE connection %s outlived its lease; stopped", connection.pk
            )
            return syncs
        dfe_applications_match(connection=connection)
        reconciliation_bring_up_to_date()  # what the pull changed, so the page need not
    finally:
        if held is not None:
            _lease_release(connection, held)
    return syncs
