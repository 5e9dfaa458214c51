"""How many declarations are ready for a list of cohorts, kept, so that the declarations page
does not count every place's claims on every request.

What is kept (`ReadyCounts`, one row a connection and list of cohorts): the total, how many
are ready rather than blocked, and how many are listed under each cohort, which is all a page
needs to know which cohorts its rows fall in (dfe/declarations.py `ReadyKeys`); and each page
of them read (`ReadyPage`), under the same label. Each row is
labelled with what it was counted from: the day, the counting's own rules (its SQL and
constants), each listed cohort's kept milestone days (`CohortMilestones.worked_out`), and the
connection's `ReadyVersion`. A page whose label differs counts again and keeps the new counts.

Keeping it current. The milestone days move their cohort's version on with every change to
the places' evidence, the places themselves included (reports/milestone_days.py), and are
worked out again before the counts are read. Everything else the count reads moves the
connection's `ReadyVersion` on, in the writer's own transaction (`ready_stale`): its DfE
applications (saved one at a time, stored by a pull, linked by the matching, moved to a new
participant id), the declarations DfE holds (saved one at a time, moved to a new participant
id), its delivery partners, and a person's name (which breaks a tie between two places of one
claim). dfe/handlers.py does it on Django's model signals; the writers in bulk call it
themselves. The label is read before counting, so a change committed while counting leaves a
label that is already out of date: it is counted again next time, and nothing is missed. A
page is kept only under the label of counts that are kept, and read again when it moves on.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection as db_connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from npq_portal.prepared import fixed_rows
from npq_portal.versions import kept_digest, kept_write
from reports.milestone_days import kept_days_current, rules_key
from reports.models import CohortMilestones

from .models import Connection, Declaration, ReadyCounts, ReadyPage, ReadyVersion, SentCounts


def ready_stale(connection_ids: Iterable[int] | None = None) -> None:
    """What these connections' ready declarations are counted from changed (None: every
    connection's): move each one's version on, in the caller's transaction, in one statement."""
    table = ReadyVersion._meta.db_table
    params: list[int] = []
    which = ""
    if connection_ids is not None:
        params = sorted({int(pk) for pk in connection_ids if pk is not None})
        if not params:
            return
        which = f"AND id IN ({', '.join(['%s'] * len(params))})"
    with db_connection.cursor() as cursor:
        # "WHERE true" lets SQLite tell the SELECT from the upsert's ON CONFLICT; the rows are
        # taken in one order by every writer, so two never wait on each other's.
        cursor.execute(
            f"INSERT INTO {table} (connection_id, version) "
            f"SELECT id, 2 FROM {Connection._meta.db_table} WHERE true {which} ORDER BY id "
            f"ON CONFLICT (connection_id) DO UPDATE SET version = {table}.version + 1",
            params,
        )


# On a Connection: its ready version as read this request (None: nothing moved it on yet).
READ_VERSION = "_npq_ready_version"
UNREAD = object()


def _version(connection_pk: int) -> int | None:
    """The connection's ready version (None before anything moved it on)."""
    found = fixed_rows(_version_of, connection_pk)
    return found[0][0] if found else None


def _version_of(connection_pk: int) -> QuerySet:
    return ReadyVersion.objects.filter(connection=connection_pk).values_list("version")


def sent_and_refused(declarations) -> dict[str, int]:
    """How many of these declarations were sent (any state but refused) and how many DfE
    refused, in one query."""
    refused = Q(state=Declaration.State.REFUSED)
    return declarations.aggregate(
        sent=Count("pk", filter=~refused), refused=Count("pk", filter=refused)
    )


def ready_counts_kept(keys, *, days: dict[int, tuple] | None = None) -> None:
    """Give these `ReadyKeys` (for a list of cohorts, not one place) their counts: the kept
    ones when their label is current, else counted now and kept. `days`: each listed cohort's
    kept milestone days' version, worked out and rules, by id (a cohort with none left out),
    when read already (before this is called, as the label must be)."""
    connection_pk = keys.connection.pk
    cohort_ids = [pk for pk, _ in keys.listed]
    scope = kept_digest(keys.listed)
    # The label is read before counting (see the module's docstring): the version, unless
    # read already this request (sent_counts).
    version = getattr(keys.connection, READ_VERSION, UNREAD)
    if version is UNREAD:
        version = _version(connection_pk)
    rules = rules_key()
    if days is None:
        days = {
            pk: (version_, worked_out, kept_rules)
            for pk, version_, worked_out, kept_rules in CohortMilestones.objects.filter(
                cohort__in=cohort_ids
            ).values_list("cohort", "version", "worked_out", "rules")
        }
    days_current = all(pk in days and kept_days_current(*days[pk], rules) for pk in cohort_ids)
    label = kept_digest(
        keys.today, keys.rules(), rules, version, [(pk, days.get(pk)) for pk in cohort_ids]
    )
    kept = next(iter(fixed_rows(_kept, connection_pk, scope)), None)
    if kept is not None and kept[0] == label and days_current:
        keys.counted_use(kept[1], kept[2], kept[3])
        keys.pages_kept_under(scope, label)
        return
    counted = keys.listed_counts()
    keys.counted_use(counted.total, counted.ready, counted.listed)
    if not days_current:
        return  # counted from days about to be worked out again: not worth keeping
    _keep(connection_pk, scope, label, counted)
    keys.pages_kept_under(scope, label)


def _kept(connection_pk: int, scope: str) -> QuerySet:
    """The counts kept for the scope, with their label (one row at most)."""
    kept = ReadyCounts.objects.filter(connection=connection_pk, scope=scope)
    return kept.values_list("label", "total", "ready", "listed")


def _keep(connection_pk: int, scope: str, label: str, counted) -> None:
    kept = ReadyCounts(
        connection_id=connection_pk,
        scope=scope,
        label=label,
        total=counted.total,
        ready=counted.ready,
        listed=[list(pair) for pair in counted.listed],
        counted_at=timezone.now(),
    )
    kept_write(kept, ["connection", "scope"], ["label", "total", "ready", "listed", "counted_at"])


def page_kept(connection_pk: int, scope: str, label: str, start: int, stop: int) -> list | None:
    """The rows of the page kept for the scope under this label (ReadyPage.keys), or None."""
    kept = fixed_rows(_page_of, connection_pk, scope, start, stop)
    if not kept or kept[0][0] != label:
        return None
    return kept[0][1]


def _page_of(connection_pk: int, scope: str, start: int, stop: int) -> QuerySet:
    """The page kept for the scope, with its label (one row at most)."""
    kept = ReadyPage.objects.filter(connection=connection_pk, scope=scope, start=start, stop=stop)
    return kept.values_list("label", "keys")


def page_keep(connection_pk: int, scope: str, label: str, start: int, stop: int, rows) -> None:
    """Keep a page's rows (each the place's id, declaration type, day and blocked code) under
    the label it was read with, in place of any kept before."""
    keys = [  # a day is text already on SQLite
        [place, kind, day if isinstance(day, str) else day.isoformat(), code]
        for place, kind, day, code in rows
    ]
    kept = ReadyPage(
        connection_id=connection_pk,
        scope=scope,
        start=start,
        stop=stop,
        label=label,
        keys=keys,
        kept_at=timezone.now(),
    )
    kept_write(kept, ["connection", "scope", "start", "stop"], ["label", "keys", "kept_at"])


def sent_counts(connection: Connection) -> dict[str, int]:
    """How many of the connection's declarations were sent, and how many DfE refused: kept
    while its `ReadyVersion` stays (every change to a declaration moves it on), else counted
    now and kept. The version is read with the counts kept at it, in one query, before
    anything is counted (see the docstring), and remembered on `connection` for the ready
    counts read next (`ready_counts_kept`): read before they count too."""
    found = fixed_rows(_sent_kept, connection.pk)
    version, sent, refused = found[0] if found else (0, None, None)
    setattr(connection, READ_VERSION, version or None)
    if sent is not None:
        return {"sent": sent, "refused": refused}
    counts = sent_and_refused(Declaration.objects.filter(connection=connection))
    kept = SentCounts(connection_id=connection.pk, version=version, **counts)
    kept_write(kept, ["connection"], ["version", "sent", "refused"])
    return counts


def _sent_kept(connection_pk: int) -> QuerySet:
    """The connection's ready version (0 before anything moved it on) and the counts kept at
    that version beside it (None where none are)."""
    kept = SentCounts.objects.filter(connection=OuterRef("pk"), version=OuterRef("version"))
    return (
        Connection.objects.filter(pk=connection_pk)
        .order_by()
        .annotate(version=Coalesce("ready_version__version", 0))
        .annotate(sent=Subquery(kept.values("sent")), refused=Subquery(kept.values("refused")))
        .values_list("version", "sent", "refused")
    )
