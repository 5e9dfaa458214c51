"""The text-search benchmark (issue 22): each staff search, asked as its page asks it, on the
benchmark's data, with the trigram indexes its query plans used.

`search_data_make` adds what bench_data_make leaves empty and the email log and the audit log
search: the emails and status changes a year of applications leaves behind (three or four
emails and two or three changes an application). `search_measure` times each search for a few
typed terms; `search_section` is its part of docs/performance.md.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

GOAL_MS = 50
RUNS = 5

# A sent application's emails, as applications.services sends them: received, the approval
# request to its approver, the school's decision and the hub's (where each was made).
_EMAIL_BODY = (
    "Dear {name},\n\nThank you for your application to the National Professional Qualification. "
    "We have sent it to your school for approval. You can see where it is at any time on your "
    "NPQ page. If anything changes, reply to this email and we will update your application.\n\n"
    "Best wishes,\nThe NPQ hub team\n\n"
    "You are receiving this email because you applied for a place on one of our programmes. "
    "We keep your application for as long as our privacy notice says, then delete it."
)
_REASONS = [
    "Meets every criterion; school approval on file.",
    "Cohort full: offered the waiting list for this term.",
    "Not eligible for this programme in this academic year.",
    "Duplicate application withdrawn by the applicant's request.",
    "Agreed with the delivery partner after the interview.",
]


def search_data_make() -> None:
    """Give every sent application of the benchmark's data its emails and status changes,
    once (a second call adds nothing), in a few INSERT … SELECTs, each in time order, as a
    live portal appends them (rather than every application's first email, then every
    second: a table laid out by kind makes a search that stops at its first matches read
    all of one kind before finding any of another)."""
    from applications.models import Application, ApplicationEvent
    from npq_portal.models import EmailDelivery, User

    if EmailDelivery.objects.filter(kind="application_received").exists():
        return
    lead = User.objects.filter(email="lead@bench.example").values_list("pk", flat=True).first()
    applications = Application._meta.db_table
    users = User._meta.db_table
    about = f"'{Application._meta.label_lower}:' || a.id"
    body = "replace(%(body)s, '{name}', u.first_name)"
    decided = "a.status IN ('accepted', 'waitlisted', 'rejected')"
    sent = "a.status <> 'draft' AND a.submitted_at IS NOT NULL"
    reasons = "(%(reasons)s::text[])[1 + a.id %% 5]"
    emails = [
        # (recipient, kind, occasion, days after it was sent, which applications)
        ("u.email", "application_received", "'awaiting_school'", "0", sent),
        (
            "a.approver_email",
            "school_approval_request",
            "a.approver_email || '-request'",
            "0",
            sent,
        ),
        (
            "u.email",
            "application_school_decision",
            "'school_approved'",
            "2",
            f"{sent} AND a.status <> 'awaiting_school'",
        ),
        ("u.email", "application_decision", "a.status", "9", f"{sent} AND {decided}"),
    ]
    selects = [
        f"""SELECT a.submitted_at + interval '{days} days', a.submitted_at + interval '{days} days',
            {recipient}, '{kind}', {about}, {occasion}, 'Your NPQ application', {body}, 'sent', 1,
            '', a.submitted_at + interval '{days} days'
        FROM {applications} a JOIN {users} u ON u.id = a.applicant_id WHERE {which}"""
        for recipient, kind, occasion, days, which in emails
    ]
    school_decided = f"{sent} AND a.status <> 'awaiting_school'"
    school_decision = (
        "CASE WHEN a.status = 'school_declined' THEN 'school_declined' ELSE 'school_approved' END"
    )
    events = f"""
        SELECT a.id, 'draft', 'awaiting_school', a.applicant_id, '', '', a.submitted_at
        FROM {applications} a WHERE {sent}
        UNION ALL
        SELECT a.id, 'awaiting_school', {school_decision}, NULL, a.headteacher_name, '',
            a.submitted_at + interval '2 days'
        FROM {applications} a WHERE {school_decided}
        UNION ALL
        SELECT a.id, 'school_approved', a.status, %(lead)s, '', {reasons},
            a.submitted_at + interval '9 days'
        FROM {applications} a WHERE {sent} AND {decided}
        ORDER BY 7"""
    params = {"body": _EMAIL_BODY, "reasons": _REASONS, "lead": lead}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {EmailDelivery._meta.db_table} (created_at, updated_at, recipient,
                kind, about, occasion, subject, body, status, attempts, last_error, sent_at)
            {" UNION ALL ".join(selects)}
            ORDER BY 1""",
            params,
        )
        cursor.execute(
            f"""INSERT INTO {ApplicationEvent._meta.db_table} (application_id, from_status,
                to_status, by_id, by_name, reason, at)
            {events}""",
            params,
        )
        # What the applications keep of those decisions, as the services keep it.
        cursor.execute(
            f"""UPDATE {applications} a SET school_approved = a.status <> 'school_declined',
                school_decided_at = a.submitted_at + interval '2 days',
                decided_at = CASE WHEN a.status IN ('accepted', 'rejected')
                    THEN a.submitted_at + interval '9 days' END
            WHERE {school_decided}"""
        )
        cursor.execute(f"ANALYZE {applications}")
        cursor.execute(f"ANALYZE {EmailDelivery._meta.db_table}")
        cursor.execute(f"ANALYZE {ApplicationEvent._meta.db_table}")


@dataclass(frozen=True)
class Search:
    """A staff search: what the report calls it, where it is, and how its page asks it."""

    name: str
    where: str
    run: Callable[[str], str]  # asks the search's queries for what was typed: the matches
    terms: tuple[tuple[str, str], ...]  # (what it stands for, what is typed)


@dataclass(frozen=True)
class SearchFigure:
    search: str
    where: str
    what: str
    typed: str
    matches: str  # as the page says it: "24", or "More than 1,000" where it counts no further
    best_ms: float
    median_ms: float
    indexes: tuple[str, ...]  # the trigram indexes the queries' plans use


def search_measure(*, log: Callable[[str], None] = lambda line: None) -> list[SearchFigure]:
    """Time every staff search for a few typed terms (best and median of RUNS), on the data
    bench_data_make made, after adding the email log and history the searches read."""
    search_data_make()
    figures = []
    for search in _searches():
        for what, typed in search.terms:
            indexes, matches = _plan_indexes(search.run, typed)
            timings = []
            for _ in range(RUNS):
                started = time.perf_counter()
                search.run(typed)
                timings.append((time.perf_counter() - started) * 1000)
            figure = SearchFigure(
                search.name,
                search.where,
                what,
                typed,
                matches,
                min(timings),
                statistics.median(timings),
                indexes,
            )
            log(
                f"{search.name} {typed!r}: {matches} found, {figure.best_ms:.1f} ms best, "
                f"{figure.median_ms:.1f} ms median, {', '.join(indexes) or 'no index'}"
            )
            figures.append(figure)
    return figures


def search_section(figures: list[SearchFigure], *, scale: str) -> str:
    """The "Text search" section of docs/performance.md."""
    from applications.models import Application, ApplicationEvent
    from npq_portal.models import EmailDelivery, User
    from schools.models import School

    rows = []
    for f in figures:
        indexes = ", ".join(f"`{index}`" for index in f.indexes) or "none (reads the table)"
        met = "yes" if f.median_ms < GOAL_MS else "**no**"
        rows.append(
            f"| {f.search} (`{f.where}`) | `{f.typed}` | {f.what} | {f.matches} | "
            f"{f.best_ms:.1f} | {f.median_ms:.1f} | {indexes} | {met} |"
        )
    table = "\n".join(rows)
    return f"""## Text search ({scale} scale)

Each staff search as its page asks it, in this process: the count of matches (the review queue,
people and the email log count no further than 1,000, "More than 1,000", the audit log no
further than 100) and the first page of 25 (the audit log also loads that page's entries; the autocomplete
asks for its 10 results), best and median of {RUNS} runs, on {Application.objects.count():,} applications,
{User.objects.count():,} people, {EmailDelivery.objects.count():,} logged emails,
{ApplicationEvent.objects.count():,} application status changes and {School.objects.count():,}
schools (`reports/bench_search.py`). "Index used" names the trigram (pg_trgm) indexes in the
queries' plans (`EXPLAIN`). None means the plans read the tables: for text without three letters
or digits in a row, which has no trigram (`npq_portal/search.py`), for text that matches much of a
table, and for tables small enough to read whole.

| search | typed | what | matches | best ms | median ms | index used | median under {GOAL_MS} ms |
| --- | --- | --- | ---: | ---: | ---: | --- | --- |
{table}

Goal (issue 22): every text search under {GOAL_MS} ms at full scale.
"""


def _plan_indexes(run: Callable[[str], str], typed: str) -> tuple[tuple[str, ...], str]:
    """The trigram indexes the plans of a search's queries use, and the matches it found."""
    with CaptureQueriesContext(connection) as captured:
        result = run(typed)
    names: set[str] = set()
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if not query["sql"].lstrip(" (").upper().startswith("SELECT"):  # or a UNION
                continue
            cursor.execute("EXPLAIN (FORMAT JSON) " + query["sql"])
            plan = cursor.fetchone()[0]
            names |= {name for name in _index_names(plan) if name.endswith("_trgm_idx")}
    return tuple(sorted(names)), result


def _matches(paginator) -> str:
    """How many a page says it found: "24", or "More than 1,000" where it counts no further."""
    return getattr(paginator, "count_in_words", None) or f"{paginator.count:,}"


def _index_names(node) -> list[str]:
    if isinstance(node, list):
        return [name for item in node for name in _index_names(item)]
    if not isinstance(node, dict):
        return []
    names = [node["Index Name"]] if "Index Name" in node else []
    for value in node.values():
        if isinstance(value, list | dict):
            names += _index_names(value)
    return names


def _searches() -> list[Search]:
    from django.urls import reverse

    from applications.views import ApplicationListView
    from npq_portal.models import User
    from npq_portal.views import EmailDeliveryListView, PersonListView
    from schools.models import School
    from schools.views import SEARCH_RESULTS, SchoolListView

    staff = User.objects.get(email="lead@bench.example")
    # One applicant's surname and number, as in their email: a search finding one person.
    middle = User.objects.filter(applications__isnull=False).order_by("pk")
    one = middle[middle.count() // 2]
    rare = one.email.split("@")[0].split(".", 1)[1]

    def page(view_class, parameter: str) -> Callable[[str], str]:
        def run(typed: str) -> str:
            request = RequestFactory().get("/", {parameter: typed})
            request.user = staff
            view = view_class()
            view.setup(request)
            queryset = view.get_queryset()
            paginator, _, object_list, _ = view.paginate_queryset(
                queryset, view.get_paginate_by(queryset)
            )
            list(object_list)
            return _matches(paginator)

        return run

    def audit(typed: str) -> str:
        """What AuditLogView asks for a search: the rows, counted, and the first page's."""
        from reports.audit import AuditFilters, audit_log_entries, audit_log_rows
        from reports.views import AuditLogView

        rows = audit_log_rows(filters=AuditFilters(text=typed))
        paginator = AuditLogView().get_paginator(rows, AuditLogView.paginate_by)
        audit_log_entries(rows=paginator.page(1).object_list, viewer=staff)
        return _matches(paginator)

    def autocomplete(typed: str) -> str:
        found = School.objects.search(typed).open().order_by("name", "urn")[:SEARCH_RESULTS]
        return f"{len(found):,}"

    return [
        Search(
            "Review queue",
            reverse("applications:application-list") + "?q=",
            page(ApplicationListView, "q"),
            (
                ("a surname", "Patel"),
                ("part of an email", "sarah.jones"),
                ("one applicant", rare),
                ("a school's name", "brook lane primary"),
                ("a common word", "primary"),
                ("two letters", "jo"),
            ),
        ),
        Search(
            "People",
            reverse("staff:person-list") + "?q=",
            page(PersonListView, "q"),
            (
                ("a surname", "Patel"),
                ("part of an email", "sarah.jones"),
                ("one person", rare),
                ("a common word", "sam"),
                ("two letters", "jo"),
            ),
        ),
        Search(
            "Email log",
            reverse("staff:email-list") + "?recipient=",
            page(EmailDeliveryListView, "recipient"),
            (
                ("part of an email", "sarah.jones"),
                ("one person", rare),
                ("an approver", "head12@"),
                ("a common word", "bench.example"),
                ("two letters", "jo"),
            ),
        ),
        Search(
            "Schools",
            reverse("schools:school-list") + "?q=",
            page(SchoolListView, "q"),
            (
                ("a school's name", "oakfield primary"),
                ("a name with a short word", "st marys"),
                ("a common word", "brook"),
                ("a postcode", "CH41"),
                ("two letters", "ab"),
            ),
        ),
        Search(
            "School autocomplete",
            reverse("schools:school-search") + "?q=",
            autocomplete,
            (
                ("a school's name", "oakfield"),
                ("a name with a short word", "st marys"),
                ("a common word", "primary"),
                ("a postcode", "CH41"),
            ),
        ),
        Search(
            "Audit log",
            reverse("reports:audit-log") + "?q=",
            audit,
            (
                ("a surname", "Patel"),
                ("one applicant", rare),
                ("a headteacher (common)", "whitfield"),
                ("two words of a reason", "waiting list"),
                ("two letters", "jo"),
            ),
        ),
    ]
