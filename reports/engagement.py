"""The hub's Work Group engagement: each programme's roster of schools as it stood on a day
(DfE counts a February snapshot of sign-ups and August's completions), and the share of the
open primary schools in the hub's area that are engaged in a school year.

`roster_status` is the rule, pure (facts in, status out); the selectors load the facts in a
fixed number of queries, however many schools."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import NamedTuple

from django.db import connection, models
from django.db.models import Case, Count, F, Q, Value, When, Window
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from applications.models import Application
from cohorts.academic_years import academic_year_label, academic_year_of
from cohorts.models import Cohort
from npq_portal.numbers import whole_number
from npq_portal.prepared import constants_written, fixed_query_of, fixed_rows, prepared_execute
from npq_portal.versions import (
    kept_digest,
    kept_write_for_day,
    version_and_kept,
    version_move_on,
)
from participants.models import SchoolPlace
from programmes.models import Programme
from schools.models import OPEN_STATUSES, PRIMARY_PHASES, LocalAuthority, School

from .models import KeptAreaPage, KeptRosterPage

TEAMS = Programme.Participation.SCHOOL_TEAM


class RosterStatus(models.TextChoices):
    SIGNED_UP = "signed_up", "Signed up"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


@dataclass(frozen=True)
class SignUpFacts:
    """What is known of one school's sign-up, as days in the portal's time zone."""

    sent_on: datetime.date
    starts_on: datetime.date  # the cohort's first day
    accepted_on: datetime.date | None = None  # given a place
    never_joined_on: datetime.date | None = None  # declined by the school or not offered one
    sign_up_withdrawn_on: datetime.date | None = None  # withdrawn before it held a place
    completed_on: datetime.date | None = None  # its place completed
    place_withdrawn_on: datetime.date | None = None  # its place withdrawn


def roster_status(facts: SignUpFacts, on: datetime.date) -> RosterStatus | None:
    """Where a school's sign-up stood at the end of `on`; None when it is not on that day's
    roster (not sent yet, or declined or not offered a place by then)."""
    if facts.sent_on > on:
        return None
    if facts.never_joined_on is not None and facts.never_joined_on <= on:
        return None
    if _by(facts.place_withdrawn_on, on) or _by(facts.sign_up_withdrawn_on, on):
        return RosterStatus.WITHDRAWN
    if _by(facts.completed_on, on):
        return RosterStatus.COMPLETED
    if _by(facts.accepted_on, on) and facts.starts_on <= on:
        return RosterStatus.ACTIVE
    return RosterStatus.SIGNED_UP


def _by(day: datetime.date | None, on: datetime.date) -> bool:
    return day is not None and day <= on


# ---- The roster ----


class RosterEntry(NamedTuple):
    """Where one school's sign-up stood on the roster's day (a named tuple: a roster makes one
    for every sign-up, and a tuple is made in a third of a frozen dataclass's time)."""

    application_id: int
    status: RosterStatus
    signed_up_on: datetime.date
    completed_on: datetime.date | None
    withdrawn_on: datetime.date | None


@dataclass(frozen=True)
class RosterRow:
    """One school's sign-up as it stood on the roster's day."""

    application: Application
    status: RosterStatus
    signed_up_on: datetime.date
    completed_on: datetime.date | None
    withdrawn_on: datetime.date | None

    @property
    def school(self) -> School:
        return self.application.school

    @property
    def cohort(self) -> Cohort:
        return self.application.cohort

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class Roster:
    """A programme's (or every Work Group's) roster of schools for a school year, on a day:
    every sign-up's standing (`entries`), and its schools' details when asked for (`rows`)."""

    academic_year: int
    on: datetime.date
    programme: Programme | None
    entries: list[RosterEntry]

    @property
    def counts(self) -> dict[str, int]:
        """How many schools stood at each status, in the statuses' order, and in all."""
        counted = Counter(entry.status for entry in self.entries)
        return {
            **{status.label: counted[status] for status in RosterStatus},
            "In all": len(self.entries),
        }

    @cached_property
    def rows(self) -> list[RosterRow]:
        """Every sign-up on the roster with its school and cohort (the exports); a page of
        them, as the page shows it, come from `roster_standing`."""
        return roster_rows(entries=self.entries)


def roster_dates(academic_year: int) -> list[tuple[str, datetime.date]]:
    """The days DfE counts a school year's engagement on: its February snapshot of sign-ups
    and its August completions."""
    return [
        ("February snapshot", datetime.date(academic_year + 1, 2, 1)),
        ("August completions", datetime.date(academic_year + 1, 8, 31)),
    ]


def _end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after `day` ends, in the portal's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


class LocalDay(TruncDate):
    """A moment's day in the portal's time zone, worked out by the database (TruncDate in the
    current time zone), passed on as the database gives it: a date on PostgreSQL, text that
    SQLite's date converter reads. TruncDate's own converter, which only turns a datetime
    some other database might give into a date, cost more a row than the rule itself."""

    def get_db_converters(self, connection):
        return self.output_field.get_db_converters(connection)


# The statuses that date a sign-up's standing (_facts): accepted; withdrawn (the sign-up, not
# its place); declined by its school or rejected by the hub (it never joined).
ACCEPTED, WITHDRAWN = Application.Status.ACCEPTED, Application.Status.WITHDRAWN
SCHOOL_DECLINED, REJECTED = Application.Status.SCHOOL_DECLINED, Application.Status.REJECTED


def _facts(sign_up: SignUp) -> SignUpFacts:
    """A sign-up's facts from what the application keeps of its decisions (engagement_roster's
    sign-ups, days already in the portal's time zone). Statuses only move forward, so each
    decision is made once: its day is the application's. It never joined from the day its
    school declined it or the hub rejected it, whichever came first (a school's decline, then,
    even if the hub rejected it or it was withdrawn later)."""
    status = sign_up.status
    accepted_on = sign_up.decided_on if status == ACCEPTED else None
    # Accepted with no day kept (made in bulk): the day its place was made (None: no place).
    accepted_on = accepted_on or sign_up.place_made_on
    # A decision with no day kept (made in bulk): the day the sign-up last changed.
    ended_on = sign_up.decided_on or sign_up.changed_on
    ends = []
    if sign_up.school_approved is False or status == SCHOOL_DECLINED:
        ends.append(sign_up.school_decided_on or sign_up.changed_on)
    if status == REJECTED:
        ends.append(ended_on)
    never_joined_on = min(ends, default=None)
    withdrawn_on = ended_on if status == WITHDRAWN else None
    return SignUpFacts(
        sent_on=sign_up.sent_on,
        starts_on=sign_up.starts_on,
        accepted_on=accepted_on,
        never_joined_on=never_joined_on,
        sign_up_withdrawn_on=withdrawn_on,
        completed_on=sign_up.completed_on,
        place_withdrawn_on=sign_up.place_withdrawn_on,
    )


def team_programmes():
    """The programmes schools sign up to as teams, by name, with what the engagement pages
    show of them (their filters, the roster's heading)."""
    return (
        Programme.objects.filter(participation=TEAMS)
        .only("slug", "name", "short_name")
        .order_by("name")
    )


class SignUp(NamedTuple):
    """What the roster reads of a sign-up: its status and its days in the portal's time
    zone."""

    pk: int
    status: str
    sent_on: datetime.date
    changed_on: datetime.date
    starts_on: datetime.date
    place_made_on: datetime.date | None
    completed_on: datetime.date | None
    place_withdrawn_on: datetime.date | None
    decided_on: datetime.date | None
    school_approved: bool | None
    school_decided_on: datetime.date | None


def _roster_applications(shape: tuple, academic_year: int, end, programme_id: int = 0):
    """The sign-ups a roster may list: sent before `end`, to a Work Group programme's cohorts
    of the school year (of one programme, with "programme" in `shape`). The cohorts are
    reached by the joins the order needs anyway, not a subquery of them."""
    applications = Application.objects.filter(
        team=True,
        cohort__academic_year=academic_year,
        cohort__programme__participation=TEAMS,
        submitted_at__lt=end,
        school__isnull=False,
    )
    if "programme" in shape:
        applications = applications.filter(cohort__programme=programme_id)
    return applications


def _roster_arguments(
    academic_year: int, on: datetime.date, programme: Programme | None
) -> tuple[tuple, tuple]:
    """The shape and arguments of a roster's fixed queries (npq_portal.prepared): one set for
    every Work Group and one for a programme, each composed once and planned once a
    connection."""
    if programme is None:
        return (), (academic_year, _end_of(on))
    return ("programme",), (academic_year, _end_of(on), programme.pk)


def _standing_arguments(
    academic_year: int, on: datetime.date, programme: Programme | None
) -> tuple[tuple, tuple]:
    """As _roster_arguments, with the day after `on` beside the end of it (_roster_standing)."""
    shape, (year, end, *programme_id) = _roster_arguments(academic_year, on, programme)
    return shape, (year, end, on + datetime.timedelta(days=1), *programme_id)


# The roster's order: by programme, then school, then when each sign-up was sent.
ROSTER_ORDER = ("cohort__programme__name", "school__urn", "submitted_at", "pk")


def _roster_sign_ups(shape: tuple, *args):
    """The sign-ups' statuses and days, in the roster's order. Days in the portal's time zone
    come from the database, as plain dates: turning each moment into a day in Python cost
    more than the query."""
    return (
        _roster_applications(shape, *args)
        .order_by(*ROSTER_ORDER)
        .annotate(
            sent_on=LocalDay("submitted_at"),
            changed_on=LocalDay("updated_at"),
            starts_on=F("cohort__starts_on"),
            place_made_on=LocalDay("school_place__created_at"),
            completed_on=F("school_place__completed_on"),
            place_withdrawn_on=F("school_place__withdrawn_on"),
            decided_on=LocalDay("decided_at"),
            school_decided_on=LocalDay("school_decided_at"),
        )
        .values_list(*SignUp._fields)
    )


def engagement_roster(
    *, academic_year: int, on: datetime.date, programme: Programme | None = None
) -> Roster:
    """The schools signed up to a Work Group programme's cohorts of a school year (or to every
    Work Group's, without a programme) as things stood at the end of `on`: each with its
    sign-up date, status (signed up, active, completed or withdrawn) and completion date.

    A school is on it once its sign-up was sent, unless its school declined it or the hub did
    not offer it a place by then; withdrawn if its sign-up or its place was withdrawn by then;
    completed if its place was completed by then; active if it held a place by then and the
    cohort had started; otherwise signed up. In one query, however many schools; the exports'
    details come with `Roster.rows`. The page, which counts them all and shows fifty, asks the
    database the same rule (`roster_standing`).
    """
    shape, args = _roster_arguments(academic_year, on, programme)
    entries = []
    for row in fixed_rows(fixed_query_of(_roster_sign_ups, shape), *args):
        facts = _facts(SignUp(*row))
        status = roster_status(facts, on)
        if status is None:
            continue
        withdrawn_on = None
        if status == RosterStatus.WITHDRAWN:
            withdrawn_on = min(
                ended
                for ended in (facts.place_withdrawn_on, facts.sign_up_withdrawn_on)
                if ended is not None and ended <= on
            )
        entries.append(
            RosterEntry(
                application_id=row[0],
                status=status,
                signed_up_on=facts.sent_on,
                completed_on=facts.completed_on if _by(facts.completed_on, on) else None,
                withdrawn_on=withdrawn_on,
            )
        )
    return Roster(academic_year=academic_year, on=on, programme=programme, entries=entries)


# What a roster row shows of its school and cohort (the page, the exports): a school alone
# has dozens of columns from GIAS.
ROSTER_ROW_COLUMNS = (
    "school__urn",
    "school__name",
    "school__la_name",
    "cohort__name",
    "cohort__academic_year",
    "cohort__programme__name",
    "cohort__programme__short_name",
)


def roster_rows(*, entries: Sequence[RosterEntry]) -> list[RosterRow]:
    """The roster's `entries` with their schools and cohorts, in the same order, in one query."""
    applications = (
        Application.objects.filter(pk__in=[entry.application_id for entry in entries])
        .select_related("school", "cohort__programme")
        .only(*ROSTER_ROW_COLUMNS)
        .in_bulk()
        if entries
        else {}
    )
    return [
        RosterRow(
            application=applications[entry.application_id],
            status=entry.status,
            signed_up_on=entry.signed_up_on,
            completed_on=entry.completed_on,
            withdrawn_on=entry.withdrawn_on,
        )
        for entry in entries
    ]


class RosterLine(NamedTuple):
    """One school's sign-up as the roster page draws it: its school's and cohort's names as
    plain values."""

    urn: int
    school: str
    local_authority: str
    programme: str  # its short name
    cohort: str
    status: RosterStatus
    signed_up_on: datetime.date
    completed_on: datetime.date | None
    withdrawn_on: datetime.date | None

    @property
    def status_label(self) -> str:
        return self.status.label


# ---- The roster page: the rule in SQL, every sign-up counted and a page of them read ----
#
# A page shows the counts by status and fifty sign-ups; working out every sign-up's status in
# Python meant reading all of them (780 rows at the benchmark's scale, most of the page's
# time). Here the database works the rule out over the days each application keeps: a page's
# rows, LIMIT and all, each carrying the counts over the whole roster. It is `roster_status`'s
# rule over `_facts`, restated with each "by that day" as "before the first moment after it"
# (`end`): a test holds the two to the same answers.


def _roster_standing(shape: tuple, academic_year: int, end, day_after, *rest):
    """The sign-ups on the roster at `end` (declined by their school, or not offered a place,
    by then: left out), each with where it stood (`standing`, a RosterStatus value).
    `day_after` is `end`'s day (a place's days fall before it by then): a day of its own,
    not worked out from `end` in the query, where a plan made once for every day would work
    it out again for each sign-up and each count."""
    declined = Q(school_approved=False) | Q(status=SCHOOL_DECLINED)
    never_joined = (declined & Q(declined_at__lt=end)) | Q(status=REJECTED, ended_at__lt=end)
    withdrawn = Q(school_place__withdrawn_on__lt=day_after) | Q(status=WITHDRAWN, ended_at__lt=end)
    completed = Q(school_place__completed_on__lt=day_after)
    active = Q(accepted_at__lt=end, cohort__starts_on__lt=day_after)
    return (
        _roster_applications(shape, academic_year, end, *rest)
        .alias(
            # As _facts: each decision's moment as the application keeps it; made in bulk
            # with none kept, when the sign-up last changed (accepted: when its place was made).
            declined_at=Coalesce("school_decided_at", "updated_at"),
            ended_at=Coalesce("decided_at", "updated_at"),
            accepted_at=Coalesce(
                Case(When(status=ACCEPTED, then=F("decided_at"))), "school_place__created_at"
            ),
        )
        .exclude(never_joined)
        .annotate(
            standing=Case(
                When(withdrawn, then=Value(RosterStatus.WITHDRAWN.value)),
                When(completed, then=Value(RosterStatus.COMPLETED.value)),
                When(active, then=Value(RosterStatus.ACTIVE.value)),
                default=Value(RosterStatus.SIGNED_UP.value),
                output_field=models.CharField(),
            )
        )
    )


def _roster_standing_counts(shape: tuple, *args):
    """How many sign-ups stood at each status."""
    return (
        _roster_standing(shape, *args)
        .order_by()
        .values("standing")
        .annotate(count=Count("pk"))
        .values_list("standing", "count")
    )


# The counts by status carried on every line of a page (a count over the whole roster, before
# LIMIT and OFFSET), so the page and its counts come in one reading of the sign-ups.
STANDING_COUNTS = tuple(f"counted_{status.value}" for status in RosterStatus)
# The furthest page read as asked: a number past it (typed into an address) is read as this
# one, which is past any roster, so the paginator then shows the last.
LAST_PAGE_ASKED = 1_000_000


def _roster_lines(shape: tuple, *args):
    """The sign-ups on the roster in its order, with what a page shows of each: RosterLine's
    values, but for the withdrawal's day, given as the place's and the sign-up's; then how
    many sign-ups of the whole roster stand at each status (STANDING_COUNTS)."""
    return (
        _roster_standing(shape, *args)
        .order_by(*ROSTER_ORDER)
        .annotate(
            sent_on=LocalDay("submitted_at"),
            completed_on=F("school_place__completed_on"),
            place_withdrawn_on=F("school_place__withdrawn_on"),
            sign_up_withdrawn_on=Case(When(status=WITHDRAWN, then=LocalDay("ended_at"))),
            **{
                name: Window(Count("pk", filter=Q(standing=status.value)))
                for name, status in zip(STANDING_COUNTS, RosterStatus, strict=True)
            },
        )
        .values_list(
            "school__urn",
            "school__name",
            "school__la_name",
            "cohort__programme__short_name",
            "cohort__name",
            "standing",
            "sent_on",
            "completed_on",
            "place_withdrawn_on",
            "sign_up_withdrawn_on",
            *STANDING_COUNTS,
        )
    )


class RosterLines:
    """The roster's sign-ups in its order, read a page at a time (`lines[a:b]`, as a
    paginator asks), counted from the counts by status. The page read with the counts is kept
    (`read`: where it starts, and its lines): a paginator asking for it is not read again."""

    def __init__(self, shape: tuple, args: tuple, on: datetime.date, count: int, read=None):
        self._shape, self._args, self._on, self._count = shape, args, on, count
        self._read = read

    def count(self) -> int:
        return self._count

    def page_read(self) -> tuple[int, list[RosterLine]] | None:
        """The page read with the counts: where it starts, and its lines (None if none was)."""
        return self._read

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: slice) -> list[RosterLine]:
        if not isinstance(index, slice) or index.step not in (None, 1) or index.stop is None:
            raise TypeError("The roster is read a page at a time.")
        start, stop = index.start or 0, index.stop
        if self._read:  # within the page read with the counts (a last page is asked short)
            first, lines = self._read
            if first <= start and min(stop, self._count) <= first + len(lines):
                return lines[start - first : stop - first]
        rows = _roster_page(self._shape, self._args, start, stop)
        return [_roster_line(row, self._on) for row in rows]


def _roster_page(shape: tuple, args: tuple, start: int, stop: int) -> list[tuple]:
    query = fixed_query_of(_roster_lines, shape)
    return fixed_rows(query, *args, limit=max(stop - start, 0), offset=start)


def _roster_line(row: tuple, on: datetime.date) -> RosterLine:
    """A row of _roster_lines as the page shows it on `on` (its counts left out)."""
    *shown, standing, sent_on, completed_on, place_withdrawn_on, sign_up_withdrawn_on = row[
        : -len(STANDING_COUNTS)
    ]
    withdrawn_on = min(
        (day for day in (place_withdrawn_on, sign_up_withdrawn_on) if _by(day, on)),
        default=None,
    )
    return RosterLine(
        *shown,
        status=RosterStatus(standing),
        signed_up_on=sent_on,
        completed_on=completed_on if _by(completed_on, on) else None,
        withdrawn_on=withdrawn_on,
    )


def _roster_start(page: int, per_page: int) -> int:
    """Where page `page` starts: a number the database takes, whatever page was asked for."""
    return (min(max(page, 1), LAST_PAGE_ASKED) - 1) * per_page


@dataclass(frozen=True)
class RosterStanding:
    """A roster as its page shows it: the counts by status, and its sign-ups to be read a
    page at a time (`lines`)."""

    counts: dict[str, int]
    lines: RosterLines


def roster_standing(
    *,
    academic_year: int,
    on: datetime.date,
    programme: Programme | None = None,
    page: int = 1,
    per_page: int = 50,
) -> RosterStanding:
    """The roster `engagement_roster` gives (the same sign-ups, statuses, days and order), as
    its page needs it: page `page` of `per_page` sign-ups read with the counts by status, in
    one query however many schools signed up (another reads any other page; a page past the
    last is counted on its own, as a paginator then asks for the last)."""
    shape, args = _standing_arguments(academic_year, on, programme)
    start = _roster_start(page, per_page)
    rows = _roster_page(shape, args, start, start + per_page)
    read = None
    if rows:
        statuses = [status.value for status in RosterStatus]
        counted = dict(zip(statuses, rows[0][-len(STANDING_COUNTS) :], strict=True))
        read = (start, [_roster_line(row, on) for row in rows])
    else:
        counted = dict(fixed_rows(fixed_query_of(_roster_standing_counts, shape), *args))
    counts = {status.label: counted.get(status.value, 0) for status in RosterStatus}
    counts["In all"] = sum(counted.values())
    lines = RosterLines(shape, args, on, count=counts["In all"], read=read)
    return RosterStanding(counts=counts, lines=lines)


# ---- The roster page, kept ----
#
# Reading a page of the roster and its counts joins every sign-up of the year to its school,
# cohort, programme and place (about 6 ms at a hub's scale, most of the page's time). What
# was read is kept (`KeptRosterPage`, one row for each year, day, programme and page asked
# for), labelled with the roster's version and the day, and read again only when either
# moved on. The version (a counter of npq_portal/versions.py) moves on with every change to
# what the roster reads (`roster_stale`, from reports/handlers.py): a Work Group sign-up saved
# or deleted, a school's place in one, a cohort, a programme, a school (a GIAS import too), a
# local authority (the hub's area page, below, is labelled with the same version).

ROSTER_VERSION = "reports_roster_version"  # made by reports 0008


def roster_stale(**kwargs) -> None:
    """Something the roster is read from changed: kept pages are read again (also a signal
    receiver)."""
    version_move_on(ROSTER_VERSION)


def roster_standing_kept(
    *,
    academic_year: int,
    on: datetime.date,
    programme: Programme | None = None,
    page: int = 1,
    per_page: int = 50,
) -> RosterStanding:
    """What `roster_standing` gives, kept: the page and counts kept for these arguments
    while the roster's version and the day are those they were read at, else read now and
    kept (a page past the last is not kept: it is counted on its own)."""
    today = timezone.localdate()
    start = _roster_start(page, per_page)
    programme_id = programme.pk if programme is not None else 0
    scope = kept_digest(academic_year, on.isoformat(), programme_id, start, per_page)
    version, kept = version_and_kept(
        ROSTER_VERSION,
        KeptRosterPage._meta.db_table,
        ["standing"],
        {"scope": scope, "day": today.isoformat()},
    )
    if kept is not None:
        return _standing_of(json.loads(kept[0]), academic_year, on, programme)
    standing = roster_standing(
        academic_year=academic_year, on=on, programme=programme, page=page, per_page=per_page
    )
    read = standing.lines.page_read()
    if read is not None:
        _roster_keep(scope, version, today, standing.counts, *read)
    return standing


def _roster_keep(
    scope: str,
    version: int,
    today: datetime.date,
    counts: dict[str, int],
    start: int,
    lines: list[RosterLine],
) -> None:
    standing = {
        "counts": counts,
        "start": start,
        "lines": [
            [*line[:5], line.status.value, *(day and day.isoformat() for day in line[6:])]
            for line in lines
        ],
    }
    kept = KeptRosterPage(scope=scope, version=version, day=today, standing=json.dumps(standing))
    kept_write_for_day(kept, ["scope"], ["version", "day", "standing"])


def _standing_of(
    kept: dict, academic_year: int, on: datetime.date, programme: Programme | None
) -> RosterStanding:
    """The RosterStanding a kept page holds."""
    lines = [
        RosterLine(
            *line[:5],
            RosterStatus(line[5]),
            *(day and datetime.date.fromisoformat(day) for day in line[6:]),
        )
        for line in kept["lines"]
    ]
    counts = kept["counts"]
    shape, args = _standing_arguments(academic_year, on, programme)
    read = (kept["start"], lines)
    return RosterStanding(
        counts=counts, lines=RosterLines(shape, args, on, count=counts["In all"], read=read)
    )


@dataclass(frozen=True)
class RosterChoice:
    """What the roster page and its export were asked for, with the defaults filled in."""

    academic_year: int
    on: datetime.date
    programme: Programme | None

    @property
    def year_label(self) -> str:
        return academic_year_label(self.academic_year)


def roster_choice(filters: Mapping[str, str]) -> RosterChoice:
    """The roster's filters read from a query: programme (a Work Group's slug; blank for all),
    year (2025 means 2025/26; this school year when blank) and on (a day, YYYY-MM-DD; today
    when blank or not a date).

    Raises Programme.DoesNotExist for a slug that is not a Work Group's."""
    today = timezone.localdate()
    year = str(filters.get("year") or "")
    academic_year = whole_number(year) if len(year) == 4 else None
    if academic_year is None:
        academic_year = academic_year_of(today)
    try:
        on = datetime.date.fromisoformat(str(filters.get("on") or ""))
    except ValueError:
        on = today
    slug = filters.get("programme") or ""
    programme = team_programmes().get(slug=slug) if slug else None
    return RosterChoice(academic_year=academic_year, on=on, programme=programme)


# ---- The hub's area ----


@dataclass(frozen=True)
class AreaRow:
    """One local authority in the hub's area: its open primary schools and how many are
    engaged in the year."""

    local_authority: LocalAuthority
    schools: int
    engaged: int

    @property
    def percent(self) -> float:
        """The share engaged, as a percentage to one decimal place (0 with no schools)."""
        return round(100 * self.engaged / self.schools, 1) if self.schools else 0.0


@dataclass(frozen=True)
class AreaEngagement:
    academic_year: int
    rows: list[AreaRow]

    @property
    def total(self) -> AreaRow:
        return AreaRow(
            local_authority=LocalAuthority(code="", name="The hub's area"),
            schools=sum(row.schools for row in self.rows),
            engaged=sum(row.engaged for row in self.rows),
        )


# A school place that engages its school: as SchoolPlace.objects.holding_a_place() (a test
# checks they agree).
HOLDING_A_PLACE = (SchoolPlace.Status.ACTIVE, SchoolPlace.Status.COMPLETED)


def hub_area_engagement(*, academic_year: int) -> AreaEngagement:
    """Per local authority in the hub's area: its open primary schools and how many of them
    are engaged in the school year (hold a place, taking part or completed, in a cohort of any
    Work Group programme of that year). In one query, however many authorities and schools:
    each authority's schools are counted from School's partial index, and the year's places by
    their schools' authorities, so neither reads every school."""
    sql, slots = _area_statement(connection.alias)
    with connection.cursor() as cursor:
        # Planned once a connection, for every year: planning cost a third of running.
        prepared_execute(
            cursor, sql, [academic_year if slot is not None else value for slot, value in slots]
        )
        rows = [
            AreaRow(
                local_authority=LocalAuthority(id=pk, code=code, name=name, in_hub_area=True),
                schools=schools,
                engaged=engaged,
            )
            for pk, code, name, schools, engaged in cursor.fetchall()
        ]
    return AreaEngagement(academic_year=academic_year, rows=rows)


def _work_group_cohort_years():
    return (
        Cohort.objects.filter(programme__participation=TEAMS)
        .order_by()
        .distinct()
        .values_list("academic_year")
    )


def work_group_years() -> list[tuple[int, str]]:
    """The school years with a Work Group cohort, and this one, newest first, with their
    labels (read by a fixed query, npq_portal.prepared: the engagement pages ask on every
    visit)."""
    years = {year for (year,) in fixed_rows(_work_group_cohort_years)}
    years.add(academic_year_of(timezone.localdate()))
    return [(year, academic_year_label(year)) for year in sorted(years, reverse=True)]


# ---- The hub's area page, kept ----
#
# Counting each authority's open primary schools and the engaged ones reads every place of
# the year with its school (about 4 ms of PostgreSQL's time at a hub's scale, half the page).
# What the page shows is kept (`KeptAreaPage`, a row for each school year asked for), labelled
# with the day and the roster's version, which moves on with every change to what it is
# read from: a school's place, a cohort, a programme, a school, a local authority.

# The school years a kept page may be asked for; any other asks for this year's.
AREA_YEARS_KEPT = range(2000, 2200)


@dataclass(frozen=True)
class AreaPage:
    """The hub's area page: the school years to choose from, the one shown and its figures."""

    years: list[tuple[int, str]]
    academic_year: int
    area: AreaEngagement


def hub_area_page(*, asked: str) -> AreaPage:
    """The hub's area page for the school year `asked` (its first calendar year, as the page's
    filter sends it; this year's when blank or not one with a Work Group), kept while the
    roster's version and the day are those it was read at, else read now and kept."""
    today = timezone.localdate()
    wanted = whole_number(asked)
    key = wanted if wanted in AREA_YEARS_KEPT else 0
    version, kept = version_and_kept(
        ROSTER_VERSION,
        KeptAreaPage._meta.db_table,
        ["page"],
        {"asked": key, "day": today.isoformat()},
    )
    if kept is not None:
        return _area_page_of(json.loads(kept[0]))
    years = work_group_years()
    academic_year = key if key in dict(years) else academic_year_of(today)
    page = AreaPage(years, academic_year, hub_area_engagement(academic_year=academic_year))
    kept_page = {
        "years": [year for year, _ in years],
        "year": academic_year,
        "rows": [
            [row.local_authority.pk, row.local_authority.code, row.local_authority.name]
            + [row.schools, row.engaged]
            for row in page.area.rows
        ],
    }
    kept_write_for_day(
        KeptAreaPage(asked=key, version=version, day=today, page=json.dumps(kept_page)),
        ["asked"],
        ["version", "day", "page"],
    )
    return page


def _area_page_of(kept: dict) -> AreaPage:
    """The AreaPage a kept page holds."""
    rows = [
        AreaRow(
            local_authority=LocalAuthority(id=pk, code=code, name=name, in_hub_area=True),
            schools=schools,
            engaged=engaged,
        )
        for pk, code, name, schools, engaged in kept["rows"]
    ]
    return AreaPage(
        years=[(year, academic_year_label(year)) for year in kept["years"]],
        academic_year=kept["year"],
        area=AreaEngagement(academic_year=kept["year"], rows=rows),
    )


@cache
def _area_statement(using: str) -> tuple[str, list]:
    """hub_area_engagement's query and its parameters' places (npq_portal.prepared's slots: the
    school year its one argument), written once: composing it with the ORM on every page cost
    more than running it. Table names come from the models; an authority's open primary
    schools (models.OPEN_PRIMARY) are counted from School's partial index of open schools by
    authority and phase, without reading the schools. On PostgreSQL its own values (statuses,
    phases) are written into it, so the plan kept for every year can use that index (a plan
    made without them cannot know they match its condition: twenty times slower)."""
    authority = LocalAuthority._meta.db_table
    school = School._meta.db_table
    place = SchoolPlace._meta.db_table
    cohort = Cohort._meta.db_table
    programme = Programme._meta.db_table
    slots = []

    def values(*given) -> str:
        slots.extend((None, value) for value in given)
        return ", ".join(["%s"] * len(given))

    def year() -> str:
        slots.append((0, None))
        return "%s"

    def open_primary(alias: str) -> str:
        return (
            f"{alias}.status_code IN ({values(*OPEN_STATUSES)}) "
            f"AND {alias}.phase_name IN ({values(*PRIMARY_PHASES)})"
        )

    sql = f"""
        SELECT la.id, la.code, la.name,
            (SELECT COUNT(*) FROM {school} s WHERE s.la_code = la.code AND {open_primary("s")}),
            COALESCE(engaged.schools, 0)
        FROM {authority} la
        LEFT JOIN (
            SELECT s.la_code, COUNT(DISTINCT p.school_id) AS schools
            FROM {place} p
                JOIN {cohort} c ON c.id = p.cohort_id
                JOIN {programme} pr ON pr.id = c.programme_id
                JOIN {school} s ON s.id = p.school_id
            WHERE p.status IN ({values(*HOLDING_A_PLACE)}) AND c.academic_year = {year()}
                AND pr.participation = {values(TEAMS)} AND {open_primary("s")}
            GROUP BY s.la_code
        ) engaged ON engaged.la_code = la.code
        WHERE la.in_hub_area = {values(True)}
        ORDER BY la.name
    """
    return constants_written(sql, slots, using)
