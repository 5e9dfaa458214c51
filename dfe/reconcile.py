"""Which of DfE's applications is which of the portal's, and where the two disagree.

Matching (`dfe_applications_match`, after every pull): a DfE application already linked stays
linked. Otherwise the portal looks among its own applications that a connection covers (its
courses and DfE cohorts; sent, not drafts) for the same person, by TRN and email (the email
must agree, case aside; the TRN must agree where both have one), then for the same course and
cohort. Exactly one, not linked to another DfE application, and claimed by no other DfE
application: linked. Anything else is not guessed: the DfE application stays unlinked with
the reason (`DfeApplication.Match`) and the portal applications staff might link it to (same
TRN or same email), for staff to link, invite, or make the portal's application from
(`application_create_from_dfe`) by hand.

A link made after the portal decided (accepted, rejected) leaves DfE's application pending with
the decision never sent: the page offers to send it (`dfe_application_decision_send`).

Disagreements (`disagreements`): for a linked pair, funding eligibility (the portal's funding
decision against DfE's eligible_for_funding), course, cohort, school (URN) and status. DfE's
answer is kept beside the portal's and shown, never copied over it. Staff may acknowledge one;
the acknowledgement holds while both sides say what they said then.

Each linked DfE application keeps its verdict, `disagreeing`: whether the pair has a
disagreement staff have not acknowledged, as last compared. Any change to what the comparison
reads (either side's fields, the portal application's cohort, programme, school or funding
decision, a link, an unlink, an acknowledgement) empties the verdicts it touches, in the
writer's own transaction (`reconciliation_stale`: dfe/handlers.py on Django's model signals and
on `npq_portal.signals.rows_written`; the pulls and the matching, which write in bulk, empty
what they write themselves). `reconciliation_bring_up_to_date` compares the emptied ones again:
the database compares those with no acknowledgement (`raw_differences`), and the few with one
are compared here. It runs at the start of the page (one query when nothing changed), after
each pull and from beat. Each batch is locked before it is read, so a writer's change is either
seen, or empties the verdict again after it is written; nothing is lost to a race.

The reconciliation page reads `reconciliation_buckets` (counts of the kept verdicts, and the
linked applications split by them, to page through by name), `dfe_only` and `portal_only`
(querysets to page through), and for the rows of one page `linked_rows` or the `*_extras` (what
each row needs, in a query or two whatever the page's length). With DfE cohorts listed,
`portal_only` leans on the kept verdicts too: a DfE application of another DfE cohort than its
portal application's disagrees on the cohort, so it is among the few asked of every year's.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.services import application_record_registered
from cohorts.academic_years import academic_year_label
from cohorts.models import Cohort
from funding.rules import MARKED_FUNDED_BY_POLICY
from npq_portal.emails import email_about_key, email_send_once
from npq_portal.models import EmailDelivery
from npq_portal.numbers import whole_number
from npq_portal.planning import joins_in_written_order
from npq_portal.prepared import fixed_count, fixed_objects, fixed_query_of, fixed_rows
from npq_portal.services import password_set_url, user_for_person
from npq_portal.words import word
from programmes.models import Programme
from schools.models import School

from .connection import switched_on_connections
from .decisions import application_decision_send
from .declarations import declaration_years_open
from .models import Connection, DfeApplication, Outgoing, Sync
from .ready_counts import ready_stale
from .reconcile_counts import reconciliation_counts_kept, reconciliation_counts_stale

logger = logging.getLogger(__name__)

# DfE's registration service, as the reminder email links to it.
DFE_REGISTRATION_URL = "https://register-national-professional-qualifications.education.gov.uk/"
INVITE_EMAIL = "dfe_invite_to_apply"
REMIND_EMAIL = "dfe_register_reminder"

# Portal applications that are over without a place: no reminder to register with DfE.
CLOSED = (
    Application.Status.REJECTED,
    Application.Status.WITHDRAWN,
    Application.Status.SCHOOL_DECLINED,
)


# ---- What the connections cover -------------------------------------------------------------


def reconciliation_connections() -> list[Connection]:
    """The switched-on connections, each with its programmes (their ids, courses and names:
    the catalogue's text weighs more than the rest of a programme): what the reads below take
    as `connections`, so that a page making several of them reads the connections once. Two
    fixed queries (npq_portal.prepared): composing them, and prefetching, cost more than
    running them."""
    connections = switched_on_connections()
    programmes: dict[int, list[Programme]] = {connection.pk: [] for connection in connections}
    if connections:
        query = fixed_query_of(_programmes_of, len(connections))
        for link in fixed_objects(query, *(connection.pk for connection in connections)):
            programmes[link.connection_id].append(link.programme)
    for connection in connections:
        # As prefetch_related leaves them: connection.programmes.all() reads nothing more.
        found = Programme.objects.all()
        found._result_cache, found._prefetch_done = programmes[connection.pk], True
        connection._prefetched_objects_cache = {"programmes": found}
    return connections


def _programmes_of(count: int, *connection_ids: int) -> QuerySet:
    """These connections' programmes, as links to them, in the catalogue's order."""
    return (
        Connection.programmes.through.objects.filter(connection__in=connection_ids)
        .select_related("programme")
        .only("connection", "programme__course_identifier", "programme__name")
        .order_by(*(f"programme__{field}" for field in Programme._meta.ordering), "pk")
    )


def _coverage(
    connections: Sequence[Connection] | None = None, years: Collection[int] | None = None
) -> Q:
    """Portal cohorts covered by a switched-on connection: its NPQs, in its DfE cohorts (those
    of `years` only, when given)."""
    covered = Q(pk__in=[])
    if connections is None:
        connections = reconciliation_connections()
    for connection in connections:
        programmes = [p.pk for p in connection.programmes.all() if p.course_identifier]
        cohort_years = [y for y in connection.cohort_years if years is None or y in years]
        if programmes and cohort_years:
            covered |= Q(programme__in=programmes, academic_year__in=cohort_years)
    return covered


def covered_applications(
    connections: Sequence[Connection] | None = None,
) -> QuerySet[Application]:
    """The portal's sent applications (not drafts) in cohorts a switched-on connection covers
    (`connections`: from `reconciliation_connections`, read if not given)."""
    cohorts = Cohort.objects.filter(_coverage(connections))
    return Application.objects.sent().filter(cohort__in=cohorts)


# ---- Matching -----------------------------------------------------------------------------


def _email(value: str) -> str:
    return (value or "").strip().lower()


def _same_person(record: DfeApplication, application: Application) -> bool:
    """The email agrees (case aside), and the TRN too where both have one."""
    email = _email(record.email)
    if not email or email != _email(application.applicant.email):
        return False
    trn, portal_trn = record.trn.strip(), application.trn.strip()
    return not (trn and portal_trn and trn != portal_trn)


def _same_place(record: DfeApplication, application: Application) -> bool:
    cohort = application.cohort
    return (
        cohort.programme.course_identifier == record.course_identifier
        and cohort.academic_year == record.cohort_year
    )


@transaction.atomic
def dfe_applications_match(*, connection: Connection) -> Counter:
    """Link each of the connection's unlinked DfE applications to the portal's application it
    is, where exactly one is (see the module docstring); say why for the others.

    Returns how many ended each way: linked, and each `DfeApplication.Match`.
    """
    records = list(
        DfeApplication.objects.select_for_update()
        .filter(connection=connection, application__isnull=True)
        .order_by("pk")
    )
    if not records:
        return Counter()
    applications = list(covered_applications().select_related("applicant", "cohort__programme"))
    by_trn, by_email = defaultdict(list), defaultdict(list)
    for application in applications:
        if application.trn.strip():
            by_trn[application.trn.strip()].append(application)
        if _email(application.applicant.email):
            by_email[_email(application.applicant.email)].append(application)
    taken = set(
        DfeApplication.objects.filter(application__isnull=False).values_list(
            "application_id", flat=True
        )
    )

    found: dict[int, list[Application]] = {}
    for record in records:
        same_trn = by_trn.get(record.trn.strip(), [])
        near = {a.pk: a for a in same_trn + by_email.get(_email(record.email), [])}
        record.candidate_ids = sorted(pk for pk in near if pk not in taken)
        found[record.pk] = [
            application
            for application in near.values()
            if _same_person(record, application) and _same_place(record, application)
        ]
    claimed = Counter(
        found[record.pk][0].pk
        for record in records
        if len(found[record.pk]) == 1 and record.match_problem != DfeApplication.Match.UNLINKED
    )

    outcome = Counter()
    now = timezone.now()
    for record in records:
        if record.match_problem == DfeApplication.Match.UNLINKED:
            outcome[str(record.match_problem)] += 1
            continue  # staff unlinked it: only staff link it again
        same = found[record.pk]
        if not same:
            record.match_problem = DfeApplication.Match.NONE
        elif len(same) > 1:
            record.match_problem = DfeApplication.Match.AMBIGUOUS
        elif same[0].pk in taken:
            record.match_problem = DfeApplication.Match.TAKEN
        elif claimed[same[0].pk] > 1:  # two of DfE's applications are this one portal one
            record.match_problem = DfeApplication.Match.AMBIGUOUS
        else:
            record.application = same[0]
            record.linked_at, record.linked_by, record.match_problem = now, None, ""
            record.acknowledged, record.disagreeing = {}, None  # to compare
            outcome["linked"] += 1
            continue
        outcome[str(record.match_problem)] += 1
    DfeApplication.objects.bulk_update(
        records,
        [
            "application",
            "linked_at",
            "linked_by",
            "match_problem",
            "candidate_ids",
            "acknowledged",
            "disagreeing",
        ],
    )
    if outcome["linked"]:  # bulk writes send no signals (dfe/ready_counts.py)
        ready_stale([connection.pk])
        reconciliation_counts_stale()
    logger.info("Matched DfE applications of connection %s: %s", connection.pk, dict(outcome))
    return outcome


@transaction.atomic
def dfe_application_link(
    *, dfe_application: DfeApplication, application: Application, by
) -> DfeApplication:
    """Link a DfE application to the portal's application staff chose.

    Raises ValidationError if the portal application is not one the connections cover, or is
    linked to another DfE application.
    """
    record = DfeApplication.objects.select_for_update().get(pk=dfe_application.pk)
    if not covered_applications().filter(pk=application.pk).exists():
        raise ValidationError(
            "Choose a sent application for a course and cohort your DfE connection covers."
        )
    other = (
        DfeApplication.objects.select_for_update()
        .filter(application=application)
        .exclude(pk=record.pk)
        .first()
    )
    if other is not None:
        raise ValidationError(
            f"That application is linked to DfE's application for {other.full_name or 'someone'}"
            "; unlink it there first."
        )
    record.application = application
    record.linked_by, record.linked_at = by, timezone.now()
    record.match_problem, record.acknowledged = "", {}
    record.save(
        update_fields=[
            "application",
            "linked_by",
            "linked_at",
            "match_problem",
            "acknowledged",
            "updated_at",
        ]
    )
    return record


@transaction.atomic
def dfe_application_unlink(*, dfe_application: DfeApplication, by) -> DfeApplication:
    """Unlink a DfE application from the portal's; the portal will not link it again by itself.

    `linked_by` and `linked_at` then say who unlinked it, and when. Raises ValidationError if it
    is not linked.
    """
    record = DfeApplication.objects.select_for_update().get(pk=dfe_application.pk)
    if record.application_id is None:
        raise ValidationError("This DfE application is not linked to a portal application.")
    record.candidate_ids = sorted({*record.candidate_ids, record.application_id})
    record.application = None
    record.linked_by, record.linked_at = by, timezone.now()
    record.match_problem, record.acknowledged = DfeApplication.Match.UNLINKED, {}
    record.save(
        update_fields=[
            "application",
            "linked_by",
            "linked_at",
            "match_problem",
            "candidate_ids",
            "acknowledged",
            "updated_at",
        ]
    )
    return record


# ---- Disagreements ------------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    """One thing the portal and DfE say differently about a linked application, in words."""

    kind: str
    portal: str
    dfe: str
    acknowledged: dict | None = None

    @property
    def label(self) -> str:
        return word("dfe_disagreement", self.kind)


def _dfe_funding(record: DfeApplication) -> str:
    if record.eligible_for_funding:
        return "Eligible for funding"
    reason = word("dfe_ineligible_reason", record.ineligible_for_funding_reason)
    return f"Not eligible for funding: {reason}" if reason else "Not eligible for funding"


def _expected_dfe_status(application: Application) -> str:
    if application.status == Application.Status.ACCEPTED:
        return DfeApplication.Status.ACCEPTED
    if application.status in CLOSED:
        return DfeApplication.Status.REJECTED
    return DfeApplication.Status.PENDING


def _dfe_status(record: DfeApplication) -> str:
    status = record.get_status_display()
    if record.reason_for_rejection:
        status += f" ({word('dfe_rejection_reason', record.reason_for_rejection)})"
    return status


def disagreements(record: DfeApplication) -> list[Disagreement]:
    """Where a linked DfE application and the portal's disagree, each with both sides in words.

    Reads the portal application's cohort, programme, school and funding decision: select them
    with the record. Nothing for an unlinked record. `raw_differences` says the same in SQL
    (for the reconciliation page to count and page through): change both together.
    """
    application = record.application
    if application is None:
        return []
    cohort = application.cohort
    found = []
    decision = application.funding_decision
    if decision is not None and not decision.to_be_confirmed:
        if decision.effective_funded != record.eligible_for_funding:
            outcome = word("funding_outcome", decision.effective_status)
            if outcome.lower() == "funded":
                portal = outcome
            else:
                portal = f"{'Funded' if decision.effective_funded else 'Not funded'}: {outcome}"
            found.append(("funding", portal, _dfe_funding(record)))
    if cohort.programme.course_identifier != record.course_identifier:
        found.append(
            (
                "course",
                cohort.programme.name,
                word("dfe_course", record.course_identifier),
            )
        )
    if cohort.academic_year != record.cohort_year:
        found.append(
            (
                "cohort",
                f"{cohort.academic_year_label}, {cohort.name}",
                academic_year_label(record.cohort_year),
            )
        )
    school = application.school
    if school is not None and school.urn and record.school_urn:
        if str(school.urn) != record.school_urn.strip():
            found.append(
                ("school", f"{school.name} (URN {school.urn})", f"URN {record.school_urn}")
            )
    if _expected_dfe_status(application) != record.status:
        found.append(("status", application.get_status_display(), _dfe_status(record)))

    result = []
    for kind, portal, dfe in found:
        seen = record.acknowledged.get(kind)
        still = seen if seen and seen.get("portal") == portal and seen.get("dfe") == dfe else None
        result.append(Disagreement(kind, portal, dfe, still))
    return result


# What str.strip() takes off: every character Python calls whitespace.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


class _Strip(Func):
    """The text without any of `characters` at either end: Python's `str.strip(characters)`."""

    function = "TRIM"  # SQLite's TRIM(text, characters)
    output_field = CharField()

    def __init__(self, expression, characters: str):
        super().__init__(expression, Value(characters))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="BTRIM", **extra)


def raw_differences() -> dict[str, Q]:
    """`disagreements()` in SQL, acknowledgements aside: for each kind, the condition on a
    linked DfeApplication that the portal and DfE differ on it. Each holds exactly where
    `disagreements()` finds that kind (tests prove it on every kind's edge cases), so the page
    sorts, counts and pages the linked applications in the database."""
    decision = "application__funding_decision__"
    # FundingDecision.effective_funded: the override where staff made one, else the rules'.
    funded = Q(**{f"{decision}override_status": MARKED_FUNDED_BY_POLICY}) | Q(
        **{f"{decision}override_status": "", f"{decision}funded": True}
    )
    to_be_confirmed = Q(**{f"{decision}provisional": True, f"{decision}override_status": ""})
    school_urn = Cast("application__school__urn", output_field=CharField())
    expected_status = Case(
        When(
            application__status=Application.Status.ACCEPTED,
            then=Value(DfeApplication.Status.ACCEPTED),
        ),
        When(application__status__in=CLOSED, then=Value(DfeApplication.Status.REJECTED)),
        default=Value(DfeApplication.Status.PENDING),
    )
    return {
        "funding": Q(application__funding_decision__isnull=False)
        & ~to_be_confirmed
        & ((Q(eligible_for_funding=True) & ~funded) | (Q(eligible_for_funding=False) & funded)),
        "course": ~Q(course_identifier=F("application__cohort__programme__course_identifier")),
        "cohort": ~Q(cohort_year=F("application__cohort__academic_year")),
        "school": Q(application__school__urn__gt=0)
        & ~Q(school_urn="")
        & ~Q(Exact(school_urn, _Strip("school_urn", WHITESPACE))),
        "status": ~Q(status=expected_status),
    }


def _differs() -> Case:
    """True where a linked pair differs in any way `disagreements()` says (never NULL)."""
    return Case(
        When(reduce(or_, raw_differences().values()), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def open_disagreements(record: DfeApplication) -> list[Disagreement]:
    """The disagreements staff have not acknowledged (or whose sides changed since)."""
    return [found for found in disagreements(record) if found.acknowledged is None]


@transaction.atomic
def dfe_disagreement_acknowledge(*, dfe_application: DfeApplication, kind: str, by) -> Disagreement:
    """Staff have seen this disagreement and keep both sides as they are (e.g. DfE will
    correct its record). It shows again if either side changes.

    Raises ValidationError if there is no such disagreement any more.
    """
    record = (
        DfeApplication.objects.select_for_update(of=("self",))
        .select_related(*LINKED_RELATED)
        .get(pk=dfe_application.pk)
    )
    current = next((found for found in disagreements(record) if found.kind == kind), None)
    if current is None:
        raise ValidationError(
            f"The portal and DfE agree on the {word('dfe_disagreement', kind).lower()} now; "
            "there is nothing to acknowledge."
        )
    record.acknowledged = {
        **record.acknowledged,
        kind: {
            "portal": current.portal,
            "dfe": current.dfe,
            "by": by.pk if by else None,
            "at": timezone.now().isoformat(),
        },
    }
    record.save(update_fields=["acknowledged", "updated_at"])
    return Disagreement(current.kind, current.portal, current.dfe, record.acknowledged[kind])


# ---- Keeping each linked pair's verdict ------------------------------------------------------

COMPARED_AT_ONCE = 1000  # linked applications compared in one transaction
COMPARED_RELATED = (
    "application__cohort__programme",
    "application__school",
    "application__funding_decision",
)


def reconciliation_stale(records: QuerySet[DfeApplication]) -> int:
    """Something these DfE applications' comparisons read changed: empty their verdicts, to
    be compared again, in the caller's transaction. One statement, however many.

    It writes every row, emptied already or not: a row being compared is locked, so the write
    waits for that comparison and empties its verdict again after (see the module docstring).
    An emptied verdict leaves the matched and disagreeing counts: their version moves on.
    """
    emptied = records.update(disagreeing=None)
    if emptied:
        reconciliation_counts_stale()
    return emptied


def _to_compare() -> QuerySet[DfeApplication]:
    return DfeApplication.objects.filter(application__isnull=False, disagreeing__isnull=True)


def _emptied() -> QuerySet:
    return _to_compare().order_by("pk").values_list("pk")


def reconciliation_bring_up_to_date() -> int:
    """Compare again every linked DfE application whose verdict was emptied. Returns how many
    were compared (0, in one query, when none was emptied)."""
    emptied = [pk for (pk,) in fixed_rows(_emptied)]
    if not emptied:
        return 0
    done = 0
    busy: list[int] = []
    for start in range(0, len(emptied), COMPARED_AT_ONCE):
        # Those someone is writing now are skipped here and done one at a time below:
        # locking several rows while a writer holds one could deadlock.
        compared, skipped = _compare(emptied[start : start + COMPARED_AT_ONCE], skip_locked=True)
        done += compared
        busy += skipped
    for pk in busy:
        done += _compare([pk], skip_locked=False)[0]
    return done


def _compare(ids: list[int], *, skip_locked: bool) -> tuple[int, list[int]]:
    """Compare these linked applications under their rows' locks; (how many, those skipped)."""
    with transaction.atomic():
        locked = set(
            DfeApplication.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        skipped = [pk for pk in ids if pk not in locked]
        # Read after the lock: what a writer holding it wrote is committed, and seen.
        todo = _to_compare().filter(pk__in=locked)  # not compared meanwhile
        plain = todo.filter(acknowledged={})
        done = plain.alias(differs=_differs()).filter(differs=True).update(disagreeing=True)
        done += plain.update(disagreeing=False)
        verdicts = defaultdict(list)
        for record in todo.select_related(*COMPARED_RELATED):  # acknowledged: few
            verdicts[bool(open_disagreements(record))].append(record.pk)
        for verdict, pks in verdicts.items():
            done += DfeApplication.objects.filter(pk__in=pks).update(disagreeing=verdict)
        if done:
            reconciliation_counts_stale()
        return done, skipped


# ---- Making the portal's application from DfE's registration --------------------------------

MADE_EMAIL = "dfe_application_made"


def _cohorts_for(
    records: list[DfeApplication], connections: Sequence[Connection] | None = None
) -> dict[int, list[Cohort]]:
    """For each record (by pk), the portal cohorts its own connection covers (switched on) for
    its course and DfE cohort, not cancelled or completed: in two queries whatever the number
    (one, given the `connections`)."""
    if connections is None:
        connections = reconciliation_connections()
    connections = {connection.pk: connection for connection in connections}
    wanted = Q(pk__in=[])
    for record in records:
        connection = connections.get(record.connection_id)
        if connection is not None and record.cohort_year in connection.cohort_years:
            wanted |= Q(
                programme__in=[p.pk for p in connection.programmes.all()],
                programme__course_identifier=record.course_identifier,
                academic_year=record.cohort_year,
            )
    cohorts = list(
        Cohort.objects.filter(wanted)
        .exclude(programme__course_identifier="")
        .exclude(status__in=[Cohort.Status.CANCELLED, Cohort.Status.COMPLETED])
        .select_related("programme")
        .order_by("starts_on", "name", "pk")
    )
    found = {}
    for record in records:
        connection = connections.get(record.connection_id)
        programmes = {p.pk for p in connection.programmes.all()} if connection else set()
        found[record.pk] = [
            cohort
            for cohort in cohorts
            if cohort.programme_id in programmes
            and cohort.programme.course_identifier == record.course_identifier
            and cohort.academic_year == record.cohort_year
            and cohort.academic_year in connection.cohort_years
        ]
    return found


def dfe_application_cohorts(record: DfeApplication) -> list[Cohort]:
    """The portal cohorts an application can be made in for this DfE application: those its
    connection covers for its course and DfE cohort (not cancelled or completed)."""
    return _cohorts_for([record])[record.pk]


def _names(full_name: str) -> tuple[str, str]:
    first, _, last = (full_name or "").strip().rpartition(" ")
    return (first, last) if first else (last, "")


@transaction.atomic
def application_create_from_dfe(
    *, dfe_application: DfeApplication, cohort: Cohort, by
) -> Application:
    """Make the portal's application for someone registered only with DfE, in the cohort staff
    chose, and link DfE's application to it.

    Their account is the one with DfE's email address, or a new one (they are emailed a link to
    choose a password). The application waits in the review queue for staff's decision, with
    DfE's TRN and the school of DfE's URN where the portal has it; its history says it was made
    from DfE's registration, and by whom. Raises ValidationError if DfE's application is linked
    already or has no email, the cohort is not one the DfE connection covers for its course and
    DfE cohort, or the person has an application for that cohort already.
    """
    record = DfeApplication.objects.select_for_update().get(pk=dfe_application.pk)
    name = record.full_name or "They"
    if record.application_id is not None:
        raise ValidationError("This DfE application is linked to a portal application already.")
    if not record.email:
        raise ValidationError(
            "DfE has no email address for this applicant, so the portal cannot find or make "
            "their account."
        )
    if cohort.pk not in {choice.pk for choice in dfe_application_cohorts(record)}:
        raise ValidationError(
            f"Choose a {word('dfe_course', record.course_identifier)} cohort in "
            f"{academic_year_label(record.cohort_year)} that your DfE connection covers; "
            f"{cohort} is not one."
        )
    first_name, last_name = _names(record.full_name)
    applicant, made = user_for_person(
        email=record.email, first_name=first_name, last_name=last_name
    )
    has = (
        Application.objects.filter(applicant=applicant, cohort=cohort)
        .exclude(status__in=[Application.Status.REJECTED, Application.Status.WITHDRAWN])
        .first()
    )
    if has is not None:
        raise ValidationError(
            f"{name} has an application for {cohort} already "
            f"({has.get_status_display().lower()}): link DfE's application to it instead."
        )
    urn = whole_number(record.school_urn.strip())
    school = School.objects.filter(urn=urn).first() if urn is not None else None
    who = by.get_full_name() or by.email if by else "the portal"
    application = application_record_registered(
        applicant=applicant,
        cohort=cohort,
        trn=record.trn,
        school=school,
        by=by,
        reason=(
            f"Made from the applicant's registration with DfE (DfE application "
            f"{record.dfe_id}) by {who}."
            + ("" if school or not urn else f" The portal has no school with URN {urn}.")
        ),
    )
    dfe_application_link(dfe_application=record, application=application, by=by)
    context = {
        "full_name": record.full_name,
        "programme": cohort.programme,
        "cohort": cohort,
        "password_url": password_set_url(applicant) if made else "",
    }
    transaction.on_commit(
        lambda: email_send_once(
            to=applicant.email, kind=MADE_EMAIL, about=application, context=context
        ),
        robust=True,
    )
    logger.info(
        "Made application %s from DfE application %s (by user %s)",
        application.pk,
        record.pk,
        getattr(by, "pk", None),
    )
    return application


# ---- A decision the portal made before the link ----------------------------------------------

# The portal's decisions that DfE hears of (dfe.decisions.application_decision_send).
SENT_DECISIONS = (
    Application.Status.ACCEPTED,
    Application.Status.REJECTED,
    Application.Status.WITHDRAWN,
)


def _decisions_waiting() -> QuerySet[Outgoing]:
    return Outgoing.objects.filter(
        kind__in=[Outgoing.Kind.ACCEPT, Outgoing.Kind.REJECT], state=Outgoing.State.WAITING
    )


def decision_owed(record: DfeApplication) -> bool:
    """The linked portal application is decided (accepted, rejected, withdrawn) and DfE's is
    still pending: a link made after the decision, so DfE never heard of it."""
    application = record.application
    return (
        application is not None
        and application.status in SENT_DECISIONS
        and record.status == DfeApplication.Status.PENDING
    )


@transaction.atomic
def dfe_application_decision_send(*, dfe_application: DfeApplication, by) -> Outgoing:
    """Send DfE the portal's decision on a linked application that was decided before it was
    linked (through the outbox: it goes once this commits).

    Raises ValidationError if it is not linked, the portal has not decided it, DfE has a
    decision already, the decision is waiting to be sent already, or the DfE connection does
    not cover the application's cohort.
    """
    record = (
        DfeApplication.objects.select_for_update(of=("self",))
        .select_related("application__cohort__programme", "application__funding_decision")
        .get(pk=dfe_application.pk)
    )
    application = record.application
    if application is None:
        raise ValidationError("This DfE application is not linked to a portal application.")
    if application.status not in SENT_DECISIONS:
        raise ValidationError(
            f"The portal has not decided this application yet (it is "
            f"{application.get_status_display().lower()}), so there is no decision to send."
        )
    if record.status != DfeApplication.Status.PENDING:
        raise ValidationError(
            f"DfE has decided this application already ({record.get_status_display().lower()})."
        )
    if _decisions_waiting().filter(dfe_application=record).exists():
        raise ValidationError("The decision is waiting to be sent to DfE already.")
    outgoing = application_decision_send(application=application, status=application.status, by=by)
    if outgoing is None:
        raise ValidationError(
            "Your DfE connection does not cover this application's cohort, so the portal "
            "cannot send the decision."
        )
    return outgoing


# ---- Emails: invite the DfE-only, remind the portal-only -----------------------------------


def _sent(kind: str, about) -> EmailDelivery | None:
    return (
        EmailDelivery.objects.filter(
            kind=kind, about=email_about_key(about), status=EmailDelivery.Status.SENT
        )
        .order_by("sent_at")
        .first()
    )


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y")


def dfe_application_invite(*, dfe_application: DfeApplication, by) -> EmailDelivery:
    """Email someone registered with DfE, but not in the portal, a link to apply here.

    Raises ValidationError if they are in the portal already, DfE has no email for them, they
    were invited before, or no cohort of their course and DfE cohort takes applications.
    """
    record = dfe_application
    if record.application_id is not None:
        raise ValidationError("This DfE application is linked to a portal application already.")
    if not record.email:
        raise ValidationError("DfE has no email address for this applicant.")
    earlier = _sent(INVITE_EMAIL, record)
    if earlier is not None:
        raise ValidationError(
            f"{record.full_name or 'They'} were invited on {_when(earlier.sent_at)}."
        )
    cohorts = list(
        Cohort.objects.accepting_applications()
        .filter(
            programme__course_identifier=record.course_identifier,
            academic_year=record.cohort_year,
        )
        .select_related("programme")
        .order_by("starts_on", "pk")
    )
    if not cohorts:
        raise ValidationError(
            f"No {word('dfe_course', record.course_identifier)} cohort in "
            f"{academic_year_label(record.cohort_year)} is taking applications, so there is "
            "nothing to invite them to yet."
        )
    if len(cohorts) == 1:
        apply_url = reverse("applications:apply", kwargs={"cohort_pk": cohorts[0].pk})
    else:  # the programme's page lists its cohorts, to choose one
        apply_url = cohorts[0].programme.get_absolute_url()
    delivery = email_send_once(
        to=record.email,
        kind=INVITE_EMAIL,
        about=record,
        context={
            "full_name": record.full_name,
            "programme": cohorts[0].programme,
            "cohort": cohorts[0] if len(cohorts) == 1 else None,
            "apply_url": settings.SITE_URL + apply_url,
        },
    )
    logger.info(
        "Invited DfE application %s to apply (by user %s)", record.pk, getattr(by, "pk", None)
    )
    return delivery


def application_remind_to_register(*, application: Application, by) -> EmailDelivery:
    """Email the teacher of a portal application DfE has not got, asking them to register
    with DfE (their NPQ is funded and recorded only once they have). Sent once.

    Raises ValidationError if DfE has their application, the connections do not cover it, it
    is over, or they were reminded before.
    """
    application = (
        covered_applications()
        .select_related("applicant", "cohort__programme")
        .filter(pk=application.pk)
        .first()
    )
    if application is None:
        raise ValidationError("Your DfE connection does not cover this application's cohort.")
    if DfeApplication.objects.filter(application=application).exists():
        raise ValidationError("DfE has this application already.")
    if application.status in CLOSED:
        raise ValidationError("This application has ended, so there is nothing to register.")
    earlier = _sent(REMIND_EMAIL, application)
    if earlier is not None:
        raise ValidationError(f"The teacher was reminded on {_when(earlier.sent_at)}.")
    delivery = email_send_once(
        to=application.applicant.email,
        kind=REMIND_EMAIL,
        about=application,
        context={
            "applicant": application.applicant,
            "application": application,
            "programme": application.cohort.programme,
            "cohort": application.cohort,
        },
    )
    logger.info(
        "Reminded application %s to register with DfE (by user %s)",
        application.pk,
        getattr(by, "pk", None),
    )
    return delivery


# ---- The reconciliation page's reads -------------------------------------------------------

BUCKETS = {
    "matched": "Matched",
    "dfe_only": "Only at DfE",
    "portal_only": "Only in the portal",
    "disagreements": "Disagreements",
}
LINKED_RELATED = (
    "linked_by",
    "application__applicant",
    "application__cohort__programme",
    "application__school",
    "application__funding_decision",
)


@dataclass
class LinkedRow:
    record: DfeApplication
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def open(self) -> list[Disagreement]:
        return [found for found in self.disagreements if found.acknowledged is None]

    @property
    def decision_waiting(self) -> bool:
        """The portal's accept or reject for this application is waiting to be sent to DfE
        (the records are annotated with it by `linked_rows`)."""
        return bool(getattr(self.record, "decision_waiting", False))

    @property
    def decision_unsent(self) -> bool:
        """The portal decided before the link and DfE still has it pending: DfE was never told."""
        return not self.decision_waiting and decision_owed(self.record)


def _dfe_filters(*, years: Collection[int] | None, course: str) -> Q:
    q = Q()
    if years is not None:
        q &= Q(cohort_year__in=list(years))
    if course:
        q &= Q(course_identifier=course)
    return q


def _linked(*, years: Collection[int] | None, course: str) -> QuerySet[DfeApplication]:
    """Linked DfE applications, by name."""
    return (
        DfeApplication.objects.filter(application__isnull=False)
        .filter(_dfe_filters(years=years, course=course))
        .order_by("full_name", "pk")
    )


# What a page of linked DfE applications shows of each, and what `disagreements` compares: 46
# of the eight tables' 177 columns. Each column is sent, turned into Python and set on an
# instance, six instances a row; and the application's answers and the funding decision's facts
# and rules, small in the benchmark's data, are each a JSON document in use.
LINKED_FIELDS = (
    *("full_name", "email", "personal_data_erased_at", "status", "reason_for_rejection"),
    *("course_identifier", "cohort_year", "school_urn", "training_status", "acknowledged"),
    *("eligible_for_funding", "ineligible_for_funding_reason", "linked_at", "application"),
    *("linked_by__first_name", "linked_by__last_name"),
    *("application__status", "application__trn"),
    *("application__applicant__first_name", "application__applicant__last_name"),
    *("application__applicant__email",),
    *("application__cohort__name", "application__cohort__academic_year"),
    *("application__cohort__programme__name", "application__cohort__programme__short_name"),
    "application__cohort__programme__course_identifier",
    *("application__school__urn", "application__school__name"),
    *("application__funding_decision__status", "application__funding_decision__funded"),
    "application__funding_decision__provisional",
    "application__funding_decision__override_status",
)
LINKED_PAGE = 25  # the ids a fixed query of linked rows is given (the page's paginate_by)


def linked_rows(ids: Iterable[int]) -> list[LinkedRow]:
    """The rows of a page of linked DfE applications (ids from `Buckets`, in order), each with
    its disagreements in words and whether its decision waits to be sent: in one query a page
    (a fixed query, composed once a connection: composing its eight tables took longer than
    running it), with only the columns the page shows (LINKED_FIELDS)."""
    ids = list(ids)
    found = {}
    for start in range(0, len(ids), LINKED_PAGE):
        chunk = ids[start : start + LINKED_PAGE]
        padded = [*chunk, *[0] * (LINKED_PAGE - len(chunk))]  # 0: no record has it
        # Eight tables reached from the page's rows by key: planned in that order, not in every
        # order (3 ms of planning on the benchmark's data, for a query that runs in 1).
        with joins_in_written_order():
            found.update((record.pk, record) for record in fixed_objects(_linked_by_id, *padded))
    return [LinkedRow(found[pk], disagreements(found[pk])) for pk in ids if pk in found]


def _linked_by_id(*ids: int) -> QuerySet[DfeApplication]:
    return (
        DfeApplication.objects.filter(pk__in=ids)
        .select_related(*LINKED_RELATED)
        .only(*LINKED_FIELDS)
        .order_by()
        .annotate(
            decision_waiting=Exists(_decisions_waiting().filter(dfe_application=OuterRef("pk")))
        )
    )


def dfe_only(*, years: Collection[int] | None = None, course: str = "") -> QuerySet[DfeApplication]:
    """DfE's applications (of the DfE cohorts `years`, or every one) with no portal
    application linked, by name."""
    return (
        DfeApplication.objects.filter(application__isnull=True)
        .filter(_dfe_filters(years=years, course=course))
        .select_related("linked_by")
        .order_by("full_name", "pk")
    )


# Linked DfE applications whose portal application may be of another DfE cohort: those whose
# kept verdict is not "agrees" (a cohort that differs is a disagreement) or that staff
# acknowledged. The condition of the index dfe_linked_maybe_other_year: change both together.
MAYBE_OTHER_YEAR = Q(application__isnull=False) & (
    Q(disagreeing=True) | Q(disagreeing__isnull=True) | ~Q(acknowledged={})
)


def portal_only(
    *,
    years: Collection[int] | None = None,
    course: str = "",
    connections: Sequence[Connection] | None = None,
) -> QuerySet[Application]:
    """The portal's covered applications (in cohorts of the years `years`, or any), not over,
    that DfE has no application for.

    The years and course narrow the covered cohorts, one condition on the cohorts rather than
    a second join to them, which PostgreSQL misjudged into reading the applications' rows.

    With years listed, it asks DfE's applications of those years (along `dfe_by_year_and_link`)
    and the few linked ones that may be of another year (`MAYBE_OTHER_YEAR`, along its own
    index), not every year's: asked of every year's, PostgreSQL reads them all or looks up
    each covered application, tens of thousands, either of which grows with the years before.
    A DfE application of another DfE cohort than its portal application's disagrees on the
    cohort, so its kept verdict is emptied, disagreeing, or acknowledged (the writers keep it
    so in their own transactions: see the module docstring), and it is among the few."""
    if connections is None:
        connections = reconciliation_connections()
    cohorts = Cohort.objects.filter(_coverage(connections, years=years))
    if course:
        cohorts = cohorts.filter(programme__course_identifier=course)
    linked = DfeApplication.objects.filter(application=OuterRef("pk"))
    unlinked = [~Exists(linked)]
    if years is not None:
        unlinked = [
            ~Exists(linked.filter(cohort_year__in=list(years))),
            ~Exists(linked.filter(MAYBE_OTHER_YEAR)),
        ]
    return (
        Application.objects.sent()
        .filter(cohort__in=cohorts)
        .exclude(status__in=CLOSED)
        .filter(*unlinked)
        .select_related("applicant", "cohort__programme", "school")
        .order_by("applicant__last_name", "applicant__first_name", "pk")
    )


@dataclass
class Buckets:
    """The page's counts, and the linked DfE applications' ids by name in each linked bucket
    (the page's rows are `linked_rows` of a page of them)."""

    counts: dict[str, int | None]
    matched: Sequence[int]
    disagreements: Sequence[int]


LINKED_BUCKETS = ("matched", "disagreements")


def reconciliation_buckets(
    *,
    years: Collection[int] | None = None,
    course: str = "",
    show: str | None = None,
    connections: Sequence[Connection] | None = None,
) -> Buckets:
    """How many applications are in each of the page's buckets, and the linked applications
    split into matched and disagreeing.

    The linked ones are split by their kept verdicts, compared again first where either side
    changed (`reconciliation_bring_up_to_date`): disagreeing where a disagreement is open,
    matched where none is, each a query to page through by name along its index. (A pair
    changed in the moment since it was compared is in neither until the next request.) With
    `show` one of the other buckets, the linked ones are not split and their two counts are
    None. All but the DfE-only count (a few rows, by an index) are kept between requests
    (dfe/reconcile_counts.py).
    """
    if connections is None:
        connections = reconciliation_connections()
    reconciliation_bring_up_to_date()  # one query when nothing changed
    kept = reconciliation_counts_kept(
        _counted_scope(years=years, course=course, connections=connections),
        lambda: reconciliation_counted(years=years, course=course, connections=connections),
    )
    counts: dict[str, int | None] = {
        "dfe_only": dfe_only_count(years=years, course=course),
        "portal_only": kept["portal_only"],
    }
    if show is not None and show not in LINKED_BUCKETS:
        counts |= dict.fromkeys(LINKED_BUCKETS)
        return Buckets(counts=counts, matched=[], disagreements=[])
    counts |= {bucket: kept[bucket] for bucket in LINKED_BUCKETS}
    return Buckets(
        counts=counts,
        matched=LinkedIds(disagreeing=False, years=years, course=course, count=counts["matched"]),
        disagreements=LinkedIds(
            disagreeing=True, years=years, course=course, count=counts["disagreements"]
        ),
    )


def _filtered_shape(years: Collection[int] | None, course: str) -> tuple[tuple, list]:
    """The shape of a fixed query filtered by DfE cohorts and course (`_dfe_filters`), and its
    arguments: the years, in order, then the course when one is chosen."""
    listed = None if years is None else sorted(set(years))
    shape = (None if listed is None else len(listed), bool(course))
    return shape, [*(listed or ()), *([course] if course else [])]


def _filtered(shape: tuple, args: tuple) -> dict:
    """The DfE cohorts and course a shape's arguments name (`_filtered_shape`), as the
    reads filtered by them take them."""
    count, by_course = shape
    years = None if count is None else list(args[:count])
    return {"years": years, "course": args[-1] if by_course else ""}


class LinkedIds(Sequence):
    """The ids of the linked DfE applications in one linked bucket (disagreeing, or matched),
    by name, read a slice at a time: a page's ids in one fixed query (npq_portal.prepared),
    composed once a connection. Its length is the bucket's count as kept."""

    def __init__(self, *, disagreeing: bool, years, course: str, count: int | None):
        self._shape, args = _filtered_shape(years, course)
        self._query = fixed_query_of(_linked_ids, (disagreeing, *self._shape))
        self._args, self._count = tuple(args), count or 0
        self._none = years is not None and not years  # no DfE cohort listed: nothing

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, int):
            found = self[index : index + 1] if index >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        if index.step not in (None, 1) or (index.start or 0) < 0:
            raise ValueError("Linked ids are read in slices from the start, in steps of one.")
        start = index.start or 0
        stop = len(self) if index.stop is None else index.stop
        if self._none or stop <= start:
            return []
        rows = fixed_rows(self._query, *self._args, limit=stop - start, offset=start)
        return [pk for (pk,) in rows]

    def __iter__(self):
        if self._none:
            return iter(())
        return iter([pk for (pk,) in fixed_rows(self._query, *self._args)])


def _linked_ids(shape: tuple, *args) -> QuerySet:
    disagreeing, *filtered = shape
    linked = _linked(**_filtered(tuple(filtered), args))
    return linked.filter(disagreeing=disagreeing).values_list("pk")


# A count up to this is a count of every row.
EVERY_ROW = 2**62


def dfe_only_count(*, years: Collection[int] | None = None, course: str = "") -> int:
    """How many DfE applications `dfe_only` lists, by a fixed query."""
    if years is not None and not years:
        return 0
    shape, args = _filtered_shape(years, course)
    return fixed_count(fixed_query_of(_dfe_only_ids, shape), *args, up_to=EVERY_ROW)


def _dfe_only_ids(shape: tuple, *args) -> QuerySet:
    return dfe_only(**_filtered(shape, args)).values_list("pk")


def recent_syncs(connections: Sequence[Connection], count: int = 6) -> list[Sync]:
    """These connections' latest pulls and pushes, newest first, each with its connection:
    one fixed query."""
    if not connections:
        return []
    query = fixed_query_of(_recent_syncs, len(connections))
    return fixed_objects(query, *(connection.pk for connection in connections), limit=count)


def _recent_syncs(count: int, *connection_ids: int) -> QuerySet[Sync]:
    return Sync.objects.filter(connection__in=connection_ids).select_related("connection")


def reconciliation_counted(
    *, years: Collection[int] | None, course: str, connections: Sequence[Connection]
) -> dict[str, int]:
    """The kept counts counted afresh: the portal's applications DfE has none for, and the
    linked ones matched and disagreeing by their kept verdicts (brought up to date first)."""
    counts = (
        _linked(years=years, course=course)
        .order_by()
        .aggregate(
            matched=Count("pk", filter=Q(disagreeing=False)),
            disagreements=Count("pk", filter=Q(disagreeing=True)),
        )
    )
    counts["portal_only"] = portal_only(years=years, course=course, connections=connections).count()
    return counts


def _counted_scope(
    *, years: Collection[int] | None, course: str, connections: Sequence[Connection]
) -> tuple:
    """What the kept counts are counted for: the DfE cohorts and course chosen, and what each
    switched-on connection covers (its NPQs with their course identifiers, its DfE cohorts)."""
    return (
        sorted(years) if years is not None else None,
        course,
        sorted(
            (
                connection.pk,
                sorted((p.pk, p.course_identifier) for p in connection.programmes.all()),
                sorted(connection.cohort_years),
            )
            for connection in connections
        ),
    )


def dfe_only_extras(
    records: list[DfeApplication], connections: Sequence[Connection] | None = None
) -> None:
    """Give each of these DfE-only rows `candidates` (portal applications staff may link it
    to), `invited_at` and `cohorts` (those its application can be made in): in a few queries
    whatever the number of rows."""
    ids = {pk for record in records for pk in record.candidate_ids}
    candidates = (
        covered_applications(connections)
        .filter(pk__in=ids, dfe__isnull=True)
        .select_related("applicant", "cohort__programme")
        .in_bulk()
    )
    sent = _sent_at(INVITE_EMAIL, records)
    cohorts = _cohorts_for(records, connections)
    for record in records:
        record.candidates = [candidates[pk] for pk in record.candidate_ids if pk in candidates]
        record.invited_at = sent.get(email_about_key(record))
        record.cohorts = cohorts[record.pk]


def portal_only_extras(applications: list[Application]) -> None:
    """Give each of these portal-only rows `reminded_at`, in one query."""
    sent = _sent_at(REMIND_EMAIL, applications)
    for application in applications:
        application.reminded_at = sent.get(email_about_key(application))


def _sent_at(kind: str, objects: list) -> dict:
    keys = [email_about_key(obj) for obj in objects]
    sent = {}
    for about, at in (
        EmailDelivery.objects.filter(kind=kind, about__in=keys, status=EmailDelivery.Status.SENT)
        .order_by("sent_at")
        .values_list("about", "sent_at")
    ):
        sent.setdefault(about, at)
    return sent


def reconciliation_years_open(connections: Sequence[Connection] | None = None) -> list[int]:
    """The DfE cohorts DfE still pays on, of any switched-on connection (what the page lists
    unless asked for more): once DfE has paid every statement of a cohort, its contract has
    ended (`declaration_years_open`)."""
    if connections is None:
        connections = Connection.objects.switched_on()
    return sorted(
        {year for connection in connections for year in declaration_years_open(connection)}
    )


def reconciliation_filters(
    connections: Sequence[Connection] | None = None,
) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """The DfE cohorts and courses the switched-on connections cover, for the page's filters."""
    years, courses = set(), {}
    if connections is None:
        connections = reconciliation_connections()
    for connection in connections:
        years |= set(connection.cohort_years)
        for programme in connection.programmes.all():
            if programme.course_identifier:
                courses[programme.course_identifier] = programme.name
    return (
        [(year, academic_year_label(year)) for year in sorted(years, reverse=True)],
        sorted(courses.items(), key=lambda item: item[1]),
    )
