"""Declarations out: what the milestone evidence lets the hub claim from DfE, sent, voided, pulled.

Ready. A place can be claimed for when its cohort is one the connection covers (its DfE cohort
and course), its application is linked to a DfE application DfE has accepted, and the milestone
rules (reports/milestones.py, read from the days `reports/milestone_days.py` keeps) say its
evidence supports a declaration that DfE does not hold live yet (no stored `Declaration` for
that participant, course and type in `LIVE_DECLARATION_STATES`). It is worked out in SQL
(`ReadyKeys`), counted and paged there, so a page makes only its 25 what would be sent. The
declarations page lists, unless asked for more, the DfE cohorts DfE still pays on
(`declaration_years_open`): DfE refuses declarations once a cohort's contract has ended.
What is sent:

- `declaration_date`: the day the evidence was complete, at 09:00 UK time (a working morning,
  so never before the schedule's first day and rarely after a withdrawal that day), written in
  UTC as RFC 3339 (`2025-10-14T08:00:00Z`). Never in the future: evidence from today is
  declared at the time it is sent if 09:00 has not come yet.
- `course_identifier`: DfE's, from the linked DfE application.
- `has_passed`, on completed only: false when the place's assessment result is "not passed",
  otherwise true (the rules support completed only on a passed outcome). Left out for EHCO and
  ASO, which have no outcome (DfE_API.md §2.6; dfe/spec.py patch 9).
- `delivery_partner_id`: the hub's delivery partner for the DfE cohort (`DeliveryPartnerLink`);
  left out when DfE says the teacher is outside the catchment. From the 2024 cohort DfE needs
  it, so such a declaration is listed as blocked until staff choose one.

Sending. `declaration_submit` (or `declarations_submit_all`) stores the declaration as "being
sent" (the unique constraint `one_live_dfe_declaration_per_type` stops a second live one) and
queues it in the outbox. The sender posts it; DfE has no idempotency key, so a row tried before
(a timeout) first looks the participant's declarations up at DfE and adopts a matching live
one rather than post again. A refusal (422) is kept on the declaration in DfE's words.

Voiding goes through the outbox too; DfE voids it, or puts a paid one awaiting clawback.
`declarations_pull` and `statements_pull` bring DfE's states, statements and clawbacks back.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cohorts.models import Cohort
from npq_portal.models import User
from npq_portal.planning import joins_in_written_order
from npq_portal.prepared import fixed_objects, fixed_query_of, fixed_rows
from participants.models import Enrolment
from programmes.models import Programme
from reports.milestone_days import (
    FIELDS,
    kept_days_current,
    milestones_bring_up_to_date,
    rules_key,
)
from reports.milestones import COMPLETED, DECLARATIONS, LABELS
from reports.models import PlaceMilestones

from .client import DfeClient, DfeError, DfeGone, DfeRefused, DfeTimeout
from .connection import parse_dfe_time
from .decisions import outcome_send_if_due
from .identities import participant_get, participant_ids_follow
from .models import (
    LIVE_DECLARATION_STATES,
    Connection,
    Declaration,
    DeliveryPartnerLink,
    DfeApplication,
    Outgoing,
    Statement,
)
from .outgoing import REFUSALS, outgoing_queue, sender
from .ready_counts import page_keep, page_kept, ready_counts_kept

logger = logging.getLogger(__name__)

DECLARATIONS_PATH = "/api/v3/participant-declarations"
STATEMENTS_PATH = "/api/v3/statements"
UK = ZoneInfo("Europe/London")
DECLARED_AT = datetime.time(9, 0)  # the time of day a declaration date is given
NO_OUTCOME_COURSES = ("npq-early-headship-coaching-offer", "npq-additional-support-offer")
DELIVERY_PARTNER_REQUIRED_FROM = 2024  # DfE's DELIVER_PARTNER_REQUIRED_FROM (DFE_API.md §5)
VOIDABLE_STATES = (
    Declaration.State.SUBMITTED,
    Declaration.State.ELIGIBLE,
    Declaration.State.PAYABLE,
    Declaration.State.PAID,
    Declaration.State.INELIGIBLE,
)
# What DfE holds live: claimed or paid (a row still being sent is the portal's, not DfE's yet).
CLAIMED_STATES = ("submitted", "eligible", "payable", "paid")
CLAWBACK_STATES = ("awaiting_clawback", "clawed_back")
VOIDED_AT_DFE = ("voided", *CLAWBACK_STATES)

BLOCKED_NO_PARTNER = "blocked: choose the delivery partner"
BLOCKED_COURSE = "blocked: DfE has this place on another course"


@dataclass
class ReadyDeclaration:
    """A declaration the evidence supports and DfE does not hold yet, as it would be sent."""

    enrolment: Enrolment
    dfe_application: DfeApplication
    declaration_type: str
    declaration_date: datetime.datetime
    course_identifier: str
    has_passed: bool | None
    delivery_partner: DeliveryPartnerLink | None
    blocked: str = ""  # why it cannot be sent yet, in words; "" when it is ready
    course_label: str = ""  # the course in words, for pages that fill it in

    @property
    def key(self) -> str:
        """How a form names it: `<enrolment id>:<declaration type>`."""
        return f"{self.enrolment.pk}:{self.declaration_type}"

    @property
    def type_label(self) -> str:
        return LABELS.get(self.declaration_type, self.declaration_type)

    @property
    def ready(self) -> bool:
        return not self.blocked

    def attributes(self) -> dict[str, Any]:
        """The request's `data.attributes`, as DfE's spec names them."""
        attributes: dict[str, Any] = {
            "participant_id": str(self.dfe_application.participant_id),
            "declaration_type": self.declaration_type,
            "declaration_date": dfe_time(self.declaration_date),
            "course_identifier": self.course_identifier,
        }
        if self.has_passed is not None:
            attributes["has_passed"] = self.has_passed
        if self.delivery_partner is not None:
            attributes["delivery_partner_id"] = str(self.delivery_partner.delivery_partner_id)
        return attributes


def dfe_time(moment: datetime.datetime) -> str:
    """An aware time as DfE's RFC 3339 with a time, in UTC (`2025-10-14T08:00:00Z`)."""
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def declaration_date_for(
    evidenced_on: datetime.date, *, now: datetime.datetime
) -> datetime.datetime:
    """The declaration date for evidence complete on a day: 09:00 UK time, never after now."""
    return min(datetime.datetime.combine(evidenced_on, DECLARED_AT, tzinfo=UK), now)


def has_passed_for(*, course_identifier: str, declaration_type: str, assessment_result: str):
    """`has_passed` as sent: on completed only, not for EHCO or ASO (no outcome there)."""
    if declaration_type != COMPLETED or course_identifier in NO_OUTCOME_COURSES:
        return None
    return assessment_result != Enrolment.AssessmentResult.FAILED


def connection_cohorts(connection: Connection) -> QuerySet:
    """The portal cohorts a connection covers: its DfE cohorts and courses."""
    return covered_cohorts(connection.pk, connection.cohort_years)


def covered_cohorts(connection_pk: int, cohort_years: Iterable[int]) -> QuerySet:
    """The portal cohorts of the connection's courses in these DfE cohorts (its own, for
    `connection_cohorts`): by the connection's id, for fixed queries."""
    return Cohort.objects.filter(
        programme__in=Programme.objects.filter(dfe_connections=connection_pk),
        academic_year__in=list(cohort_years),
    ).exclude(programme__course_identifier="")


def declaration_years_open(connection: Connection) -> list[int]:
    """The DfE cohorts the connection covers that DfE still pays declarations on: those with a
    statement DfE has not paid yet, or with none pulled. Once DfE has paid every statement of a
    cohort its contract has ended, and DfE refuses its declarations ("funding contract for this
    cohort has ended"). One fixed query on the statements, a dozen or so a cohort."""
    paid_up = {year for (year,) in fixed_rows(_paid_up_years, connection.pk)}
    return sorted(year for year in set(connection.cohort_years) if year not in paid_up)


def _paid_up_years(connection_pk: int) -> QuerySet:
    """The DfE cohorts of the connection whose every statement DfE has paid."""
    return (
        Statement.objects.filter(connection=connection_pk)
        .values("cohort_year")
        .annotate(unpaid=Count("pk", filter=Q(paid=False)))
        .filter(unpaid=0)
        .values_list("cohort_year")
    )


@dataclass(frozen=True)
class ReadyKey:
    """A declaration ready to send (or blocked), before its place is loaded: what counting
    and paging the ready list need. `ready_declarations` makes it what would be sent."""

    enrolment_id: int
    declaration_type: str
    evidenced_on: datetime.date
    blocked: str  # why it cannot be sent yet, in words; "" when it is ready

    @property
    def ready(self) -> bool:
        return not self.blocked


# Why a declaration is blocked, as the SQL below codes it.
BLOCKED_CODES = {0: "", 1: BLOCKED_COURSE, 2: BLOCKED_NO_PARTNER}


def _table(model) -> str:
    return model._meta.db_table


@dataclass(frozen=True)
class ListedCounts:
    """What counting a list of ready declarations gives (`ReadyKeys.listed_counts`): how many,
    how many of them are ready rather than blocked, and how many are listed under each cohort
    (by its place in the list's order; cohorts with none left out), in the list's order."""

    total: int
    ready: int
    listed: tuple[tuple[int, int], ...]


# The order of the cohorts a list of ready declarations is listed by.
LISTED_ORDER = ("academic_year", "name", "pk")


class ReadyKeys:
    """The declarations the kept milestone days of a connection's linked places (those in
    `cohorts`, or one place) support that DfE does not hold live, worked out in SQL: one per
    DfE participant, course and declaration type (a place transferred within one DfE
    application claims once, on the earliest day its evidence was complete, from the first
    such place in the list). Listed in the places' order (by cohort: its year and name; then by
    participant: last and first name), where the first of a transfer's places stands, then in
    the declarations' order.

    Counted and paged in the database, and cheaply: the places are put in order a cohort at a
    time. Each declaration is counted under the cohort it is listed in, and only the cohorts a
    page falls in are put in order by name (sorting every place by name cost most of the time).
    `page` reads a page and the counts in one query; `counts()` alone is one query.

    Given `counted` (what `listed_counts` gave for the same cohorts and day, kept: see
    dfe/ready_counts.py), nothing is counted: a page reads only the claims of the DfE
    participants with a place in the cohorts it falls in. Once the counts are kept
    (`pages_kept_under`), each page read is kept under their label too, and read from there
    until it moves on."""

    def __init__(
        self,
        connection: Connection,
        cohorts: QuerySet,
        *,
        today: datetime.date,
        enrolment_id: int | None = None,
        counted: ListedCounts | None = None,
        listed: list[tuple[int, str]] | None = None,
    ):
        # The cohorts, in the list's order, read first and written into the query: with them
        # as a subquery the planner, expecting few places, joined every year's places, then
        # kept the cohorts'. A cohort's rank in this order stands for the cohort below.
        # `listed`: each cohort's id and course identifier, read so already (`cohorts` unread).
        if listed is None:
            listed = list(
                cohorts.order_by(*LISTED_ORDER).values_list("pk", "programme__course_identifier")
            )
        self.listed = [(pk, course) for pk, course in listed]
        self.connection = connection
        self.today = today
        self._enrolment_id = enrolment_id
        self._counted: ListedCounts | None = None
        self._counts: tuple[int, int] | None = None
        self._page: tuple[int, int, list[ReadyKey]] | None = None
        self._pages_kept: tuple[str, str] | None = None  # (scope, label): pages_kept_under
        if counted is not None:
            self.counted_use(counted.total, counted.ready, counted.listed)

    def counted_use(self, total: int, ready: int, listed: Iterable[Iterable[int]]) -> None:
        """Page with these counts (`listed_counts`' for the same cohorts and day)."""
        listed = tuple((int(rank), int(count)) for rank, count in listed)
        self._counted = ListedCounts(int(total), int(ready), listed)
        self._counts = (self._counted.total, self._counted.ready)

    def pages_kept_under(self, scope: str, label: str) -> None:
        """Read each page from those kept for `scope` under the kept counts' `label`, and keep
        what is read (dfe/ready_counts.py): the page's own query is part of the label."""
        self._pages_kept = (scope, hashlib.sha256(repr((label, self._PAGED)).encode()).hexdigest())

    def rules(self) -> str:
        """A digest of how they are counted (the query and its constants): counts kept from
        another are not these."""
        sql, _ = self._with()
        constants = (DELIVERY_PARTNER_REQUIRED_FROM, LIVE_DECLARATION_STATES, DECLARATIONS)
        return hashlib.sha256(repr((sql, constants, BLOCKED_CODES)).encode()).hexdigest()

    def _with(self, *, within: list | None = None, counting: bool = True) -> tuple[str, list]:
        """The query's common table expressions and their parameters: the places, what is
        ready, the claims; with `counting`, the counts too. Given `within` (DfE participant
        ids), only those participants' places."""
        listed = self.listed or [(0, "")]
        ranks = ", ".join(["(%s, %s, %s)"] * len(listed))
        ranks_params = [
            value for rank, (pk, course) in enumerate(listed) for value in (pk, rank, course)
        ]
        types = " UNION ALL ".join(
            f"SELECT {n} AS n, %s AS declaration_type" for n, _ in enumerate(DECLARATIONS)
        )
        days = [f"m.{FIELDS[declaration][1]}" for declaration in DECLARATIONS]
        day = " ".join(f"WHEN {n} THEN p.day_{n}" for n, _ in enumerate(DECLARATIONS))
        live = ", ".join(["%s"] * len(LIVE_DECLARATION_STATES))
        one_place = "AND e.id = %s" if self._enrolment_id is not None else ""
        within_sql = ""
        if within is not None:
            within_sql = f"AND a.participant_id IN ({', '.join(['%s'] * len(within))})"
        # places: the linked places with evidence by today, each with its cohort's rank and
        # why it would be blocked (BLOCKED_CODES): DfE has the place on another course; or,
        # inside DfE's catchment (outside, DfE refuses a delivery partner), from the 2024
        # cohort, no delivery partner is chosen for its DfE cohort.
        # ready: each place's declarations evidenced by today that DfE does not hold live
        # (any place of the participant's, on the course).
        # claims: one row a DfE participant, course and declaration type (n): the cohort it
        # is listed in (its places' first), and the lowest and highest blocked codes of its
        # places, which agree unless a transfer changed course or DfE application.
        sql = f"""
            WITH ranks (cohort_id, rank, course) AS (VALUES {ranks}),
            places AS (
                SELECT e.id AS place, e.participant_id AS person, r.rank,
                    a.participant_id AS dfe_participant, a.course_identifier AS dfe_course,
                    CASE WHEN a.course_identifier <> r.course THEN 1
                        WHEN a.cohort_year >= %s
                            AND (a.teacher_catchment IS NULL OR a.teacher_catchment)
                            AND NOT EXISTS (
                                SELECT 1 FROM {_table(DeliveryPartnerLink)} l
                                WHERE l.connection_id = %s AND l.cohort_year = a.cohort_year
                            )
                        THEN 2 ELSE 0 END AS blocked_code,
                    {", ".join(f"{column} AS day_{n}" for n, column in enumerate(days))}
                FROM {_table(PlaceMilestones)} m
                JOIN {_table(Enrolment)} e ON e.id = m.enrolment_id
                JOIN ranks r ON r.cohort_id = e.cohort_id
                JOIN {_table(DfeApplication)} a ON a.application_id = e.application_id
                WHERE a.connection_id = %s AND a.status = %s AND a.application_id IS NOT NULL
                    {one_place}
                    AND ({" OR ".join(f"{column} <= %s" for column in days)})
                    {within_sql}
            ),
            ready AS (
                SELECT p.place, p.person, p.rank, p.dfe_participant, p.dfe_course,
                    p.blocked_code, t.n, t.declaration_type, CASE t.n {day} END AS evidenced_on
                FROM places p CROSS JOIN ({types}) t
                WHERE CASE t.n {day} END <= %s
                    AND NOT EXISTS (
                        SELECT 1 FROM {_table(Declaration)} d
                        WHERE d.participant_id = p.dfe_participant
                            AND d.course_identifier = p.dfe_course
                            AND d.declaration_type = t.declaration_type
                            AND d.state IN ({live})
                    )
            ),
            claims AS (
                SELECT dfe_participant, dfe_course, n, MIN(rank) AS listed_rank,
                    MIN(blocked_code) AS lowest, MAX(blocked_code) AS highest
                FROM ready GROUP BY dfe_participant, dfe_course, n
            )
        """
        accepted = DfeApplication.Status.ACCEPTED
        connection_pk = self.connection.pk
        params = [
            *ranks_params,
            DELIVERY_PARTNER_REQUIRED_FROM,
            connection_pk,
            connection_pk,
            accepted,
            *([self._enrolment_id] if self._enrolment_id is not None else []),
            *[self.today] * len(days),
            *(within or []),
            *DECLARATIONS,
            self.today,
            *LIVE_DECLARATION_STATES,
        ]
        if counting:
            # mixed: the claims whose places' codes differ (picked with IN: a join sorted
            # every row to merge them), in their places' order of choice (the earliest
            # evidenced first, ties to the place listed first): the first is claimed.
            # counts: how many claims, and how many of them are ready (blocked by none).
            sql += f"""
            , mixed AS (
                SELECT r.blocked_code, ROW_NUMBER() OVER (
                    PARTITION BY r.dfe_participant, r.dfe_course, r.n
                    ORDER BY r.evidenced_on, r.rank, u.last_name, u.first_name, r.place
                ) AS choice
                FROM ready r
                JOIN {_table(User)} u ON u.id = r.person
                WHERE (r.dfe_participant, r.dfe_course, r.n) IN (
                    SELECT dfe_participant, dfe_course, n FROM claims WHERE lowest <> highest
                )
            ),
            counts AS MATERIALIZED (
                SELECT COUNT(*) AS total,
                    SUM(CASE WHEN highest = 0 THEN 1 ELSE 0 END) + (
                        SELECT COUNT(*) FROM mixed WHERE choice = 1 AND blocked_code = 0
                    ) AS ready
                FROM claims
            )
            """
        return sql, params

    def _rows(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with db_connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall()

    @staticmethod
    def _key(place, declaration_type, evidenced_on, blocked_code) -> ReadyKey:
        if isinstance(evidenced_on, str):  # SQLite returns a raw expression's date as text
            evidenced_on = datetime.date.fromisoformat(evidenced_on)
        return ReadyKey(place, declaration_type, evidenced_on, BLOCKED_CODES[blocked_code])

    # chosen: the shown cohorts' claims, each from its earliest evidenced place (ties to the
    # place listed first), each listed where its first place stands.
    _CHOSEN = f"""
            chosen AS (
                SELECT r.place, r.declaration_type, r.evidenced_on, r.blocked_code, r.n,
                    ROW_NUMBER() OVER (
                        PARTITION BY r.dfe_participant, r.dfe_course, r.n
                        ORDER BY r.evidenced_on, r.rank, u.last_name, u.first_name, r.place
                    ) AS choice,
                    FIRST_VALUE(u.last_name) OVER listing AS listed_last,
                    FIRST_VALUE(u.first_name) OVER listing AS listed_first,
                    FIRST_VALUE(r.place) OVER listing AS listed_place,
                    c.listed_rank
                FROM ready r
                JOIN claims c ON c.dfe_participant = r.dfe_participant
                    AND c.dfe_course = r.dfe_course AND c.n = r.n
                JOIN shown s ON s.listed_rank = c.listed_rank
                JOIN {_table(User)} u ON u.id = r.person
                WINDOW listing AS (
                    PARTITION BY r.dfe_participant, r.dfe_course, r.n
                    ORDER BY r.rank, u.last_name, u.first_name, r.place
                )
            )
    """
    _ORDER = "ORDER BY listed_rank, listed_last, listed_first, listed_place, n"
    _PAGED = (_CHOSEN, _ORDER)  # what a page kept was read with, besides the counts' label

    def _limit(self, start: int, stop: int | None) -> str:
        if stop is not None:
            return f"LIMIT {stop - start}"
        return "LIMIT -1" if db_connection.vendor == "sqlite" else ""  # no OFFSET without it

    def _select(self, start: int, stop: int | None) -> list[tuple]:
        """The rows from `start` to `stop` (None: to the end), each with the counts.

        by_cohort: how many are listed in each cohort, and how many before it; shown: the
        cohorts the rows fall in."""
        start, stop = int(start), None if stop is None else int(stop)
        if self._counted is not None:
            return self._select_counted(start, stop)
        within = "" if stop is None else "AND b.listed_before < %s"
        sql, params = self._with()
        return self._rows(
            sql
            + f"""
            , by_cohort AS (
                SELECT listed_rank, SUM(COUNT(*)) OVER (ORDER BY listed_rank) - COUNT(*)
                    AS listed_before, COUNT(*) AS listed
                FROM claims GROUP BY listed_rank
            ),
            shown AS (
                SELECT b.listed_rank, b.listed_before FROM by_cohort b
                WHERE b.listed_before + b.listed > %s {within}
            ),
            {self._CHOSEN}
            SELECT place, declaration_type, evidenced_on, blocked_code, k.total, k.ready
            FROM chosen CROSS JOIN counts k
            WHERE choice = 1
            {self._ORDER}
            {self._limit(start, stop)} OFFSET %s - (SELECT COALESCE(MIN(listed_before), 0)
                FROM shown)
            """,
            [*params, start, *([stop] if stop is not None else []), start],
        )

    def _select_counted(self, start: int, stop: int | None) -> list[tuple]:
        """As `_select`, with the counts given: the cohorts the rows fall in are known before
        the query, which reads only the claims of participants with a place in them."""
        shown, before = [], 0
        for rank, listed in self._counted.listed:
            if before + listed > start and (stop is None or before < stop):
                shown.append((rank, before))
            before += listed
        if not shown:
            return []
        # The DfE participants with a place in those cohorts, read first: as a subquery, with
        # the statistics of rows just written not yet gathered, PostgreSQL ran it again for
        # every place. Their claims in other cohorts are read too (a transfer is listed where
        # its first place stands), and left out by their cohort.
        cohort_ids = [self.listed[rank][0] for rank, _ in shown]
        query = fixed_query_of(_participants_within, len(cohort_ids))
        within = [pk for (pk,) in fixed_rows(query, self.connection.pk, *cohort_ids)]
        if not within:
            return []
        field = DfeApplication._meta.get_field("participant_id")
        within = [field.get_db_prep_value(pk, db_connection) for pk in within]
        sql, params = self._with(within=within, counting=False)
        total, ready = self._counts
        return self._rows(
            sql
            + f"""
            , shown (listed_rank, listed_before) AS (VALUES {", ".join(["(%s, %s)"] * len(shown))}),
            {self._CHOSEN}
            SELECT place, declaration_type, evidenced_on, blocked_code, %s, %s
            FROM chosen WHERE choice = 1
            {self._ORDER}
            {self._limit(start, stop)} OFFSET %s
            """,
            [
                *params,
                *(value for pair in shown for value in pair),
                total,
                ready,
                start - shown[0][1],
            ],
        )

    def listed_counts(self) -> ListedCounts:
        """Count them, each under the cohort it is listed in, in one query."""
        sql, params = self._with()
        rows = self._rows(
            sql
            + """
            SELECT c.listed_rank, COUNT(*), k.total, k.ready
            FROM claims c CROSS JOIN counts k
            GROUP BY c.listed_rank, k.total, k.ready
            ORDER BY c.listed_rank
            """,
            params,
        )
        if not rows:
            return ListedCounts(0, 0, ())
        return ListedCounts(
            rows[0][2], rows[0][3] or 0, tuple((rank, listed) for rank, listed, _, _ in rows)
        )

    def counts(self) -> tuple[int, int]:
        """(how many, how many of them are ready to send rather than blocked)."""
        if self._counts is None:
            sql, params = self._with()
            total, ready = self._rows(sql + "SELECT total, ready FROM counts", params)[0]
            self._counts = (total, ready or 0)
        return self._counts

    def count(self) -> int:
        return self.counts()[0]

    def __len__(self) -> int:
        return self.count()

    def page(self, start: int, stop: int) -> list[ReadyKey]:
        """These, from `start` to `stop` in the list's order, counting them all as it reads
        them (in one query, unless there are none from `start`); or, with its counts kept, the
        page kept under their label (`pages_kept_under`), read and kept when there is none."""
        if self._page is not None and self._page[0] == start and stop <= self._page[1]:
            return self._page[2][: stop - start]  # the paginator's last page stops short
        start, stop = int(start), int(stop)
        kept_as = None  # (connection id, scope, label) when pages are kept
        if self._pages_kept is not None and self._counted is not None:
            kept_as = (self.connection.pk, *self._pages_kept)
        rows = page_kept(*kept_as, start, stop) if kept_as else None
        if rows is None:
            rows = self._select(start, stop)
            if rows:
                self._counts = (rows[0][4], rows[0][5] or 0)
            rows = [row[:4] for row in rows]
            if kept_as:
                page_keep(*kept_as, start, stop, rows)
        keys = [self._key(*row) for row in rows]
        self._page = (start, stop, keys)
        return keys

    def __getitem__(self, index):
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise ValueError("Ready declarations are read in steps of one.")
            start = index.start or 0
            if index.stop is None:
                return [self._key(*row[:4]) for row in self._select(start, None)]
            return self.page(start, index.stop)
        keys = self.page(index, index + 1)
        if not keys:
            raise IndexError(index)
        return keys[0]

    def __iter__(self):
        return iter(self[0:None])


def _participants_within(count: int, connection_pk: int, *cohort_ids: int) -> QuerySet:
    """The DfE participants of the connection's accepted applications with a place in these
    cohorts (`count` of them)."""
    return (
        DfeApplication.objects.filter(
            connection=connection_pk,
            status=DfeApplication.Status.ACCEPTED,
            application__enrolments__cohort__in=cohort_ids,
        )
        .order_by()
        .values_list("participant_id")
        .distinct()
    )


def _place_ready_keys(
    connection: Connection, cohorts: QuerySet, *, today: datetime.date, enrolment_id: int
) -> ReadyKeys:
    """The declarations the kept milestone days of one of the connection's linked places (in
    these cohorts: its own) support that DfE does not hold live, the days brought up to date
    first (`ReadyKeys`; a list of cohorts' are `declarations_ready_keys`)."""
    milestones_bring_up_to_date(cohorts=cohorts)
    return ReadyKeys(connection, cohorts, today=today, enrolment_id=enrolment_id)


# What a page listing ready declarations shows of each place (`ready_declarations` listing).
LISTED_FIELDS = (
    "assessment_result",
    *("participant", "participant__first_name", "participant__last_name", "participant__email"),
    *("cohort", "cohort__name", "cohort__academic_year"),
    *("cohort__programme", "cohort__programme__short_name"),
    *("application", "application__dfe__participant_id"),
    *("application__dfe__course_identifier", "application__dfe__cohort_year"),
    "application__dfe__teacher_catchment",
)


LISTED_PAGE = 25  # the places a fixed query of listed places is given (a page's)


def _listed_places(ids: list[int]) -> dict[int, Enrolment]:
    """These places by id, with what a listing shows (LISTED_FIELDS)."""
    found = {}
    for start in range(0, len(ids), LISTED_PAGE):
        chunk = ids[start : start + LISTED_PAGE]
        padded = [*chunk, *[0] * (LISTED_PAGE - len(chunk))]  # 0: no place has it
        with joins_in_written_order():  # each table reached from the places by key
            found.update((place.pk, place) for place in fixed_objects(_listed_by_id, *padded))
    return found


def _listed_by_id(*ids: int) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(pk__in=ids)
        .select_related("participant", "cohort__programme", "application__dfe")
        .only(*LISTED_FIELDS)
        .order_by()
    )


def _partners_of(connection_pk: int) -> QuerySet[DeliveryPartnerLink]:
    return DeliveryPartnerLink.objects.filter(connection=connection_pk).order_by()


def ready_declarations(
    *,
    connection: Connection,
    keys: list[ReadyKey],
    now: datetime.datetime | None = None,
    listing: bool = False,
) -> list[ReadyDeclaration]:
    """These ready declarations as they would be sent, in their order, in two queries; for
    `listing`, with only what a page shows of each place read, by fixed queries (a page's
    places, LISTED_PAGE at a time, and the delivery partners: composing them cost more than
    running them)."""
    now = now or timezone.now()
    ids = sorted({key.enrolment_id for key in keys})
    if listing:
        places = _listed_places(ids)
        partners_linked = fixed_objects(_partners_of, connection.pk)
    else:
        places = Enrolment.objects.select_related(
            "participant", "cohort__programme", "application__dfe"
        )
        with joins_in_written_order():  # each table reached from the places by key
            places = places.in_bulk(ids)
        partners_linked = connection.delivery_partners.all()
    partners = {link.cohort_year: link for link in partners_linked}
    found = []
    for key in keys:
        enrolment = places.get(key.enrolment_id)
        if enrolment is None:  # deleted since the keys were read: nothing to send for it
            continue
        dfe_application = enrolment.application.dfe
        course = dfe_application.course_identifier
        partner = partners.get(dfe_application.cohort_year)
        if dfe_application.teacher_catchment is False:
            partner = None  # DfE refuses a delivery partner outside the catchment
        found.append(
            ReadyDeclaration(
                enrolment=enrolment,
                dfe_application=dfe_application,
                declaration_type=key.declaration_type,
                declaration_date=declaration_date_for(key.evidenced_on, now=now),
                course_identifier=course,
                has_passed=has_passed_for(
                    course_identifier=course,
                    declaration_type=key.declaration_type,
                    assessment_result=enrolment.assessment_result,
                ),
                delivery_partner=partner,
                blocked=key.blocked,
            )
        )
    return found


def declarations_ready_keys(
    *,
    connection: Connection,
    cohort: Cohort | None = None,
    years: Iterable[int] | None = None,
    now: datetime.datetime | None = None,
) -> ReadyKeys:
    """Every declaration the evidence supports that DfE does not hold yet, for the places this
    connection covers (in one cohort, or the cohorts of `years`) whose application DfE has
    accepted, light: counted and paged in the database (`ready_declarations` makes a page of
    them what would be sent)."""
    today = timezone.localdate(now or timezone.now())
    rows = _scope_cohorts_read(connection, cohort, years)
    key = rules_key()
    stale = [pk for pk, _, *days in rows if not kept_days_current(*days, key)]
    # Their kept days brought up to date first, when one is not current.
    if stale and milestones_bring_up_to_date(cohorts=Cohort.objects.filter(pk__in=stale)):
        rows = _scope_cohorts_read(connection, cohort, years)
    keys = ReadyKeys(
        connection, None, today=today, listed=[(pk, course) for pk, course, *_ in rows]
    )
    # Counted once until something they are counted from changes.
    ready_counts_kept(keys, days={pk: tuple(days) for pk, _, *days in rows if days[0] is not None})
    return keys


def covered_read(
    make, connection: Connection, years: Iterable[int] | None, chosen: int | None
) -> list[tuple]:
    """The rows of the fixed query `make(shape, connection id, *args)` over the connection's
    cohorts, given the DfE cohorts `years` (None: every one) and a cohort `chosen` (None: none);
    `make` reads them back with `covered_scope`. Nothing when the connection covers no year."""
    covered = sorted(set(connection.cohort_years))
    if not covered:
        return []
    listed = None if years is None else sorted(set(years))
    shape = (len(covered), None if listed is None else len(listed), chosen is not None)
    args = [connection.pk, *covered, *(listed or ()), *([chosen] if chosen is not None else [])]
    return fixed_rows(fixed_query_of(make, shape), *args)


def covered_scope(
    shape: tuple, connection_pk: int, args: tuple
) -> tuple[QuerySet, list[int] | None, int | None]:
    """What `covered_read` gave a fixed query: the connection's cohorts, the DfE cohorts listed
    (None: every one) and the cohort chosen (None: none)."""
    covered, listed, chosen = shape
    values = iter(args)
    cohorts = covered_cohorts(connection_pk, [next(values) for _ in range(covered)])
    years = None if listed is None else [next(values) for _ in range(listed)]
    return cohorts, years, next(values) if chosen else None


def _scope_cohorts_read(
    connection: Connection, cohort: Cohort | None, years: Iterable[int] | None
) -> list[tuple]:
    """The cohorts whose places' declarations are worked out (the connection's, those of
    `years` when given, or the one `cohort`), in the ready list's order (`ReadyKeys.listed`),
    each as its id, course identifier and its kept milestone days' version, worked out and
    rules (None for a cohort with none kept): one fixed query (composing its ORM queries cost
    more than running them)."""
    if cohort is not None:
        return covered_read(_scope_cohorts, connection, None, cohort.pk)
    if years is not None and not set(years):
        return []
    return covered_read(_scope_cohorts, connection, years, None)


def _scope_cohorts(shape: tuple, connection_pk: int, *args: int) -> QuerySet:
    cohorts, years, chosen = covered_scope(shape, connection_pk, args)
    if chosen is not None:
        cohorts = cohorts.filter(pk=chosen)
    elif years is not None:
        cohorts = cohorts.filter(academic_year__in=years)
    return cohorts.order_by(*LISTED_ORDER).values_list(
        "pk",
        "programme__course_identifier",
        "milestones_kept__version",
        "milestones_kept__worked_out",
        "milestones_kept__rules",
    )


def declarations_ready(
    *,
    connection: Connection,
    cohort: Cohort | None = None,
    years: Iterable[int] | None = None,
    now: datetime.datetime | None = None,
) -> list[ReadyDeclaration]:
    """Every declaration the evidence supports that DfE does not hold yet, for the places this
    connection covers (in one cohort, or the cohorts of `years`) whose application DfE has
    accepted, as it would be sent, in a fixed number of queries. Those that cannot be sent yet
    say why in `blocked`."""
    now = now or timezone.now()
    keys = list(declarations_ready_keys(connection=connection, cohort=cohort, years=years, now=now))
    return ready_declarations(connection=connection, keys=keys, now=now)


def _declaration_create(*, connection: Connection, ready: ReadyDeclaration, by) -> Declaration:
    if ready.blocked:
        raise ValidationError(
            f"The {ready.type_label.lower()} declaration for {ready.enrolment.participant} "
            f"cannot be sent yet ({ready.blocked})."
        )
    try:
        with transaction.atomic():
            declaration = Declaration.objects.create(
                connection=connection,
                enrolment=ready.enrolment,
                dfe_application=ready.dfe_application,
                participant_id=ready.dfe_application.participant_id,
                declaration_type=ready.declaration_type,
                declaration_date=ready.declaration_date,
                course_identifier=ready.course_identifier,
                has_passed=ready.has_passed,
                delivery_partner_id=(
                    ready.delivery_partner.delivery_partner_id if ready.delivery_partner else None
                ),
                state=Declaration.State.SENDING,
                submitted_by=by,
            )
            outgoing_queue(
                connection=connection,
                kind=Outgoing.Kind.DECLARATION,
                by=by,
                body={
                    "data": {"type": "participant-declaration", "attributes": ready.attributes()}
                },
                declaration=declaration,
            )
    except IntegrityError:
        raise ValidationError(
            f"The {ready.type_label.lower()} declaration for {ready.enrolment.participant} "
            "has been sent to DfE already."
        ) from None
    return declaration


def declaration_submit(
    *, connection: Connection, enrolment: Enrolment, declaration_type: str, by
) -> Declaration:
    """Send DfE one declaration the place's evidence supports (through the outbox).

    Raises ValidationError if it is not ready (not supported, sent already, or blocked).
    """
    now = timezone.now()
    ready = _place_ready_keys(
        connection,
        connection_cohorts(connection).filter(pk=enrolment.cohort_id),
        today=timezone.localdate(now),
        enrolment_id=enrolment.pk,
    )
    keys = [key for key in ready if key.declaration_type == declaration_type]
    ready = next(iter(ready_declarations(connection=connection, keys=keys, now=now)), None)
    if ready is None:
        raise ValidationError(
            f"There is no {LABELS.get(declaration_type, declaration_type).lower()} declaration "
            "ready to send for this place: its evidence does not support it, DfE has it "
            "already, or the place is not linked to an application DfE accepted."
        )
    return _declaration_create(connection=connection, ready=ready, by=by)


def declarations_submit_all(
    *,
    connection: Connection,
    by,
    keys: Iterable[str] | None = None,
    cohort: Cohort | None = None,
    years: Iterable[int] | None = None,
) -> dict[str, int]:
    """Send DfE every ready declaration (or those named by `keys`, `<enrolment id>:<type>`),
    each on its own: one that cannot be sent does not stop the rest.

    Returns counts: `sent` (queued to DfE), `not_sent` (refused here, e.g. sent meanwhile),
    `blocked` (waiting on staff, e.g. the delivery partner) and `missing` (named, not ready).
    """
    wanted = set(keys) if keys is not None else None
    counts = {"sent": 0, "not_sent": 0, "blocked": 0, "missing": 0}
    found = set()
    for ready in declarations_ready(connection=connection, cohort=cohort, years=years):
        if wanted is not None and ready.key not in wanted:
            continue
        found.add(ready.key)
        if ready.blocked:
            counts["blocked"] += 1
            continue
        try:
            _declaration_create(connection=connection, ready=ready, by=by)
        except ValidationError:
            counts["not_sent"] += 1
        else:
            counts["sent"] += 1
    if wanted is not None:
        counts["missing"] = len(wanted - found)
    return counts


# ---- sending -----------------------------------------------------------------------------


def _state(value: str | None) -> str:
    """DfE's state with underscores: its serializer dasherises them (DFE_API.md §6)."""
    return (value or "").replace("-", "_")


def _take_dfe(declaration: Declaration, record: dict[str, Any]) -> None:
    """Copy DfE's id, state and statements from DfE's declaration onto the stored one."""
    attributes = record.get("attributes") or {}
    declaration.dfe_id = record["id"]
    declaration.state = _state(attributes.get("state")) or declaration.state
    declaration.statement_id = attributes.get("statement_id") or None
    declaration.clawback_statement_id = attributes.get("clawback_statement_id") or None
    declaration.dfe_updated_at = parse_dfe_time(attributes.get("updated_at"))
    if attributes.get("participant_id"):
        declaration.participant_id = attributes["participant_id"]
    declaration.error = ""


def _on_its_application(declaration: Declaration, attributes: dict[str, Any]) -> bool:
    """Whether DfE's declaration is on the DfE application this one is for, when the portal
    knows it: since December 2025 DfE also lists other providers' declarations on transferred
    applications, with the same participant, course and type but their own application."""
    if declaration.dfe_application_id is None:
        return True
    return str(attributes.get("application_id") or "") == str(declaration.dfe_application.dfe_id)


def _matching_at_dfe(client: DfeClient, declaration: Declaration) -> dict | None:
    """A live declaration DfE holds for this one's participant, course, type and application,
    not already stored as another: the one a timed-out POST made."""
    params = {"filter[participant_id]": str(declaration.participant_id)}
    rows = [row for page in client.list_pages(DECLARATIONS_PATH, params) for row in page]
    known = set(
        Declaration.objects.filter(dfe_id__in=[row["id"] for row in rows])
        .exclude(pk=declaration.pk)
        .values_list("dfe_id", flat=True)
    )
    for row in rows:
        attributes = row.get("attributes") or {}
        if (
            attributes.get("declaration_type") == declaration.declaration_type
            and attributes.get("course_identifier") == declaration.course_identifier
            and _state(attributes.get("state")) in CLAIMED_STATES
            and _on_its_application(declaration, attributes)
            and str(row["id"]) not in {str(dfe_id) for dfe_id in known}
        ):
            return row
    return None


def _after_completed(declaration: Declaration) -> None:
    if declaration.declaration_type != COMPLETED or declaration.enrolment_id is None:
        return
    # DfE now holds the completed declaration, so it can take the outcome.
    enrolment = declaration.enrolment
    transaction.on_commit(lambda: outcome_send_if_due(enrolment=enrolment), robust=True)


def _declaration_post(client: DfeClient, outgoing: Outgoing, declaration: Declaration) -> dict:
    """Adopt the declaration a timed-out try made, or post it, under the declaration's current
    participant id (a pull may have followed a retired one since it was queued)."""
    record = _matching_at_dfe(client, declaration) if outgoing.attempts > 1 else None
    if record is not None:
        return record
    body = outgoing.body or {"data": {"type": "participant-declaration", "attributes": {}}}
    attributes = body["data"]["attributes"]
    if attributes.get("participant_id", str(declaration.participant_id)) != str(
        declaration.participant_id
    ):
        attributes["participant_id"] = str(declaration.participant_id)
        outgoing.body = body
        outgoing.save(update_fields=["body", "updated_at"])
    return client.post(DECLARATIONS_PATH, body)["data"]


def _participant_id_followed(client: DfeClient, declaration: Declaration, error) -> bool:
    """Whether DfE retired the declaration's participant id and the declaration now has the
    new one: from a 410's changes, or, when DfE refused the participant id (DfE answers a
    declaration for a retired id with 422), from asking DfE for the participant."""
    old = str(declaration.participant_id)
    if isinstance(error, DfeGone):
        participant_ids_follow(error.participant_id_changes)
    elif any(
        isinstance(item, dict) and item.get("title") == "participant_id" for item in error.errors
    ):
        try:
            participant_get(client=client, participant_id=old)
        except DfeError:
            return False
    else:
        return False
    declaration.refresh_from_db(fields=["participant_id"])
    return str(declaration.participant_id) != old


def _already_submitted(error: DfeError) -> bool:
    """Whether DfE refused the POST because it holds a live declaration for this event: one a
    try whose answer was lost (or a worker that died) made."""
    return any(
        isinstance(item, dict) and "already been submitted" in str(item.get("detail", ""))
        for item in error.errors
    )


def _declaration_exchange(client: DfeClient, outgoing: Outgoing, declaration: Declaration):
    """Post the declaration (following a retired participant id), or adopt the one DfE holds
    for this event already. Makes DfE's calls only: writes nothing but the row's body."""
    try:
        try:
            return _declaration_post(client, outgoing, declaration)
        except (DfeGone, DfeRefused) as error:
            # DfE may have retired the participant id since the declaration was made: follow
            # it, and send once more with the new id.
            if not _participant_id_followed(client, declaration, error):
                raise
            return _declaration_post(client, outgoing, declaration)
    except DfeRefused as error:
        if not _already_submitted(error):
            raise
        record = _matching_at_dfe(client, declaration)
        if record is None:
            raise
        return record


@sender(Outgoing.Kind.DECLARATION)
def declaration_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Post the declaration to DfE (or adopt the one a lost try made) and keep DfE's id,
    state and statement; a refusal is kept on the declaration in DfE's words. DfE is called
    with nothing locked; the declaration is locked only to write DfE's answer."""
    declaration = Declaration.objects.select_related("enrolment").get(pk=outgoing.declaration_id)
    if declaration.state != Declaration.State.SENDING:
        if declaration.dfe_id is not None:
            return "DfE has this declaration already (found by a pull)."
        return (
            f"The declaration is {declaration.get_state_display().lower()} in the portal, not "
            "being sent, so nothing was sent."
        )
    try:
        record = _declaration_exchange(client, outgoing, declaration)
    except REFUSALS as error:
        with transaction.atomic():
            refused = Declaration.objects.select_for_update().get(pk=declaration.pk)
            adopted = refused.state != Declaration.State.SENDING and refused.dfe_id is not None
            if refused.state == Declaration.State.SENDING:
                refused.state = Declaration.State.REFUSED
                refused.error = str(error)
                refused.save(update_fields=["state", "error", "updated_at"])
        if adopted:  # a pull found DfE's while this was sent: DfE holds it
            return "DfE has this declaration already (found by a pull)."
        raise
    with transaction.atomic():
        declaration = (
            Declaration.objects.select_for_update(of=("self",))
            .select_related("enrolment")
            .get(pk=declaration.pk)
        )
        _take_dfe(declaration, record)
        declaration.save()
        _after_completed(declaration)
    return None


@transaction.atomic
def declaration_void(*, declaration: Declaration, reason: str, by) -> Outgoing:
    """Ask DfE to void a declaration (through the outbox); a paid one is clawed back.

    Raises ValidationError without a reason, or for one DfE does not hold or has voided.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the declaration is being voided.")
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.dfe_id is None or declaration.state not in VOIDABLE_STATES:
        raise ValidationError(
            f"Only a declaration DfE holds and has not voided can be voided; this one is "
            f"{declaration.get_state_display().lower()}."
        )
    if declaration.outgoing.filter(kind=Outgoing.Kind.VOID, state=Outgoing.State.WAITING).exists():
        raise ValidationError("This declaration is being voided already.")
    declaration.void_reason = reason
    declaration.save(update_fields=["void_reason", "updated_at"])
    return outgoing_queue(
        connection=declaration.connection,
        kind=Outgoing.Kind.VOID,
        by=by,
        declaration=declaration,
    )


def _voided_at_dfe(client: DfeClient, dfe_id: UUID | str) -> dict | None:
    """DfE's declaration when DfE shows it voided (or awaiting or past its clawback), else None."""
    record = client.get(f"{DECLARATIONS_PATH}/{dfe_id}")["data"]
    if _state((record.get("attributes") or {}).get("state")) in VOIDED_AT_DFE:
        return record
    return None


def _already_voided(error: DfeRefused) -> bool:
    return any(
        isinstance(item, dict) and "already been voided" in str(item.get("detail") or "")
        for item in error.errors
    )


def _void_at_dfe(
    client: DfeClient, outgoing: Outgoing, dfe_id: UUID | str
) -> tuple[dict, str | None]:
    """Void DfE's declaration `dfe_id`: DfE's declaration, and a note when DfE had voided it
    already. Makes DfE's calls only; writes nothing.

    DfE answers a second void with 422 ("already been voided"), so a void is never sent twice:
    a try after one whose answer was lost looks the declaration up first, and so does this try
    when its own answer is lost (DfeTimeout) or DfE says it is voided already.
    """
    if outgoing.attempts > 1:
        record = _voided_at_dfe(client, dfe_id)
        if record is not None:
            return record, _voided_note(record)
    try:
        return client.put(f"{DECLARATIONS_PATH}/{dfe_id}/void")["data"], None
    except DfeTimeout:
        try:
            record = _voided_at_dfe(client, dfe_id)
        except DfeError:
            record = None
        if record is None:
            raise  # DfE may still act on it: the next try looks first
        return record, None  # DfE voided it on this try; only its answer was lost
    except DfeRefused as refused:
        if not _already_voided(refused):
            raise
        record = _voided_at_dfe(client, dfe_id)
        if record is None:
            raise
        return record, _voided_note(record)


def _voided_note(record: dict) -> str:
    state = Declaration.State(_state((record.get("attributes") or {}).get("state")))
    return f"DfE already shows this declaration {state.label.lower()}."


@sender(Outgoing.Kind.VOID)
def declaration_void_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Void the declaration at DfE and keep the state DfE gives (voided, awaiting clawback);
    one DfE shows voided already is adopted, not voided again (`_void_at_dfe`)."""
    dfe_id = Declaration.objects.values_list("dfe_id", flat=True).get(pk=outgoing.declaration_id)
    record, note = _void_at_dfe(client, outgoing, dfe_id)
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=outgoing.declaration_id)
        _take_dfe(declaration, record)
        declaration.save()
    return note


def waiting_voids() -> QuerySet:
    """Void requests not yet sent to DfE, for an `Exists` on a declaration."""
    return Outgoing.objects.filter(
        declaration=OuterRef("pk"), kind=Outgoing.Kind.VOID, state=Outgoing.State.WAITING
    )


def declarations_with_void_pending(declarations: QuerySet) -> QuerySet:
    """`declarations` annotated with `void_pending`: a void asked for, not yet at DfE."""
    return declarations.annotate(void_pending=Exists(waiting_voids()))


# ---- pulling -----------------------------------------------------------------------------


def _filters(connection: Connection, since: datetime.datetime | None) -> dict[str, str]:
    params = {}
    if connection.cohort_years:
        params["filter[cohort]"] = ",".join(str(year) for year in connection.cohort_years)
    if since is not None:
        params["filter[updated_since]"] = dfe_time(since)
    return params


def _declarations_page(connection: Connection, rows: list[dict[str, Any]]) -> int:
    ids = [row["id"] for row in rows]
    stored = {str(d.dfe_id): d for d in Declaration.objects.filter(dfe_id__in=ids)}
    application_ids = {(row.get("attributes") or {}).get("application_id") for row in rows}
    applications = {
        str(a.dfe_id): a
        for a in DfeApplication.objects.filter(
            dfe_id__in=[i for i in application_ids if i]
        ).select_related("application")
    }
    enrolments = {}
    for enrolment in Enrolment.objects.filter(
        application__dfe__in=list(applications.values())
    ).order_by("-created_at", "-pk"):
        enrolments.setdefault(enrolment.application_id, enrolment)  # the latest place
    sending = {
        (str(d.participant_id), d.course_identifier, d.declaration_type): d
        for d in Declaration.objects.filter(
            dfe_id__isnull=True,
            state=Declaration.State.SENDING,
            participant_id__in={(r.get("attributes") or {}).get("participant_id") for r in rows},
        ).select_related("dfe_application")
    }
    for row in rows:
        attributes = row.get("attributes") or {}
        declaration = stored.get(str(row["id"]))
        key = (
            attributes.get("participant_id"),
            attributes.get("course_identifier"),
            attributes.get("declaration_type"),
        )
        if declaration is None and _state(attributes.get("state")) in CLAIMED_STATES:
            waiting = sending.get(key)
            if waiting is not None and _on_its_application(waiting, attributes):
                declaration = sending.pop(key)  # the answer a timed-out send did not hear
        if declaration is None and attributes.get("application_id") not in applications:
            # Another lead provider's, on an application transferred here (DfE lists those
            # since December 2025): not the hub's to hold, and it would block the hub's own.
            continue
        if declaration is None:
            application = applications.get(attributes.get("application_id") or "")
            declaration = Declaration(
                connection=connection,
                dfe_application=application,
                enrolment=(
                    enrolments.get(application.application_id)
                    if application and application.application_id
                    else None
                ),
                declaration_type=attributes.get("declaration_type") or "",
                declaration_date=parse_dfe_time(attributes.get("declaration_date")),
                course_identifier=attributes.get("course_identifier") or "",
                has_passed=attributes.get("has_passed"),
                delivery_partner_id=attributes.get("delivery_partner_id") or None,
            )
        held_under = declaration.participant_id
        _take_dfe(declaration, row)
        try:
            with transaction.atomic():
                declaration.save()
        except IntegrityError:
            # The portal holds another live one for this participant, course and type: after
            # DfE merged two participants (dfe.identities), a stored one keeps its old id and
            # takes DfE's state; one the portal has not stored is left out.
            if declaration.pk is None:
                logger.warning("DfE declaration %s not stored: a live one is held", row["id"])
                continue
            declaration.participant_id = held_under
            declaration.save()
            logger.warning(
                "DfE declaration %s keeps participant id %s: the new id holds a live one",
                row["id"],
                held_under,
            )
    return len(rows)


def declarations_pull(
    *, client: DfeClient, connection: Connection, since: datetime.datetime | None
) -> int:
    """Bring DfE's declarations for the connection's cohorts (changed since `since`) into the
    portal: states, statements, clawbacks, and those the portal did not send. Returns how
    many DfE listed."""
    count = 0
    for rows in client.list_pages(DECLARATIONS_PATH, _filters(connection, since)):
        count += _declarations_page(connection, rows)
    return count


def statements_pull(
    *, client: DfeClient, connection: Connection, since: datetime.datetime | None
) -> int:
    """Bring DfE's statements for the connection's cohorts (changed since `since`) into the
    portal. Returns how many DfE listed."""
    count = 0
    for rows in client.list_pages(STATEMENTS_PATH, _filters(connection, since)):
        for row in rows:
            attributes = row.get("attributes") or {}
            Statement.objects.update_or_create(
                dfe_id=row["id"],
                defaults={
                    "connection": connection,
                    "cohort_year": int(attributes.get("cohort") or 0),
                    "month": attributes.get("month") or "",
                    "year": str(attributes.get("year") or ""),
                    "cut_off_date": _date(attributes.get("cut_off_date")),
                    "payment_date": _date(attributes.get("payment_date")),
                    "paid": bool(attributes.get("paid")),
                    "dfe_updated_at": parse_dfe_time(attributes.get("updated_at"))
                    or timezone.now(),
                },
            )
        count += len(rows)
    return count


def _date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    return datetime.date.fromisoformat(value[:10])
