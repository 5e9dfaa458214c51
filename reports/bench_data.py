"""Generated data for `make bench`: a hub at national scale, made in bulk (never committed).

Full scale is one school year of a hub, on top of the 50,000 schools the GIAS import
benchmark leaves behind: 100,000 applications, 20,000 places across 400 cohorts of the
programmes teachers apply to one by one, 200,000 register marks; 40 Work Groups of 10–30
schools each (teams of 2–4, their registers taken, grants owed); the funding decision of each
NPQ application; and a connection to DfE holding copies of DfE's records, as its pulls leave
them: DfE's application for 80% of the portal's NPQ applications (and a few only DfE has),
the places' declarations, DfE's statements, the changes sent to DfE and the sync log. Nothing
reaches DfE: the connection's token is read from an environment variable nobody sets.

Small scale (CI) keeps the shape at a hundredth of the size, so the benchmark cannot rot.
"full10" and "small10" are ten school years of the same (the benchmark's growth step): the
current year exactly as at one year, and the nine before it, finished (cohorts completed,
places completed or withdrawn, every sign-up decided, declarations paid), so ten times the
applications, places, register marks, Work Groups and people, and DfE's records of each year
since DfE's first NPQ cohort (2021).

Rows are written with PostgreSQL's COPY (bulk_create elsewhere), their ids reserved first,
and without COPY's check of each row's foreign keys where the database allows: full scale
takes about 15 seconds, the nine further years of full10 about two minutes (bulk_create took
36 seconds for one year with less in it).
"""

from __future__ import annotations

import base64
import datetime
import functools
import io
import json
import random
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.db import DatabaseError, connection
from django.db.models import Max
from django.utils import timezone

SCALES = {
    "full": {
        "applications": 100_000,
        "cohorts": 400,
        "places": 20_000,
        "sessions": 10,
        "work_groups": 40,
        "work_group_schools": (10, 30),
        "years": 1,
    },
    "small": {
        "applications": 1_000,
        "cohorts": 4,
        "places": 200,
        "sessions": 10,
        "work_groups": 2,
        "work_group_schools": (3, 6),
        "years": 1,
    },
}
# Ten school years: the growth step's scale (reports/bench_growth.py).
SCALES |= {f"{name}10": {**size, "years": 10} for name, size in list(SCALES.items())}
BATCH = 5_000
COPY_ROWS = 20_000
# Of the portal's NPQ applications, DfE holds (and the portal has linked) this share; DfE also
# holds applications the portal has not got, this share of those it links.
DFE_SHARE = 0.8
DFE_ONLY_SHARE = 0.05
DFE_FIRST_YEAR = 2021  # DfE's first NPQ cohort: no DfE records before it
# The local authorities of the hub's area (Cheshire and Wirral, as the demo), by GIAS code.
HUB_AREA = ("875", "895", "344")
WORK_GROUP_SESSIONS = 6
CONNECTION_NAME = "Bench lead provider"
MARKS = ["present"] * 8 + ["late", "absent"]  # most present
_NOT_FUNDED = ("ineligible_establishment_type", False, "The workplace is not eligible.")
# Never set: the connection has no token, so nothing can be sent to DfE or pulled from it.
TOKEN_ENV_VAR = "DFE_TOKEN_BENCH_UNSET"


@dataclass(frozen=True)
class BenchPeople:
    """Who the page benchmark signs in as, and what it looks at."""

    lead_id: int
    admin_id: int
    facilitator_id: int
    teacher_id: int
    leader_id: int
    cohort_id: int  # a running cohort the facilitator runs
    programme_slug: str
    school_query: str
    # The pages added for issue 22 (None in BenchPeople made before them: those are left out).
    application_id: int | None = None  # the teacher's accepted application
    session_id: int | None = None  # a session of the cohort whose register was taken
    enrolment_id: int | None = None  # the teacher's place
    work_group_id: int | None = None  # a running Work Group the facilitator leads
    school_place_id: int | None = None  # a school's place in it
    team_member_id: int | None = None  # someone in that school's team
    connection_id: int | None = None  # the connection to DfE


@dataclass
class _Hub:
    """What every school year of the generated hub shares."""

    rng_seed: int
    year: int  # the current school year: 2026 means 2026/27
    now: datetime.datetime
    password: str
    school_ids: list[int]
    urns: dict[int, int]
    area_school_ids: list[int]
    individual: list  # programmes teachers apply to one by one
    teams: list  # Work Group programmes, with `seats`: role slot ids, leads first
    modules: dict[int, list[int]]
    grants: dict[tuple[int, int], tuple[int, str]]
    partner_ids: list[int]
    connection_id: int
    facilitator_id: int
    npq_programmes: list = field(default_factory=list)


def bench_data_make(*, scale: str, seed: int = 2026) -> BenchPeople:
    """Fill an empty portal (schools already imported, catalogue loaded) with a hub: its
    current school year, and at a ten-year scale the nine before it."""
    from reports.engagement import roster_stale

    with _foreign_keys_unchecked():
        people = _make(scale=scale, seed=seed)
    roster_stale()  # COPY sends no signals: pages kept before are read again
    return people


def bench_data_grow(*, scale: str, seed: int = 2026) -> None:
    """Add the school years before the current one to a portal bench_data_make filled at one
    year: afterwards it holds what bench_data_make(scale=scale) makes, the same people and
    current year included."""
    from dfe.models import Connection
    from npq_portal.models import User
    from reports.engagement import roster_stale

    size = SCALES[scale]
    with _foreign_keys_unchecked():
        hub = _hub(
            seed=seed,
            password=make_password(None),
            connection_id=Connection.objects.get(name=CONNECTION_NAME).pk,
            facilitator_id=User.objects.get(email="facilitator@bench.example").pk,
        )
        for offset in range(1, size["years"]):
            _year_make(hub, size, offset=offset)
        _dfe_years_set(hub)
    roster_stale()  # COPY sends no signals: pages kept before are read again
    bench_statistics()


def bench_dfe_compared() -> int:
    """Compare every linked DfE application the data holds (COPY sends no signals, so each
    is to compare), as DfE's pull and its periodic task do: how many were compared."""
    from dfe.reconcile import reconciliation_bring_up_to_date

    return reconciliation_bring_up_to_date()


@contextmanager
def _foreign_keys_unchecked():
    """COPY checks every row's foreign keys, a look-up each, which is half the time a million
    applications take: the generated rows are consistent as made (the tests make them with
    the checks on), so where it may (PostgreSQL, a superuser, outside a test's transaction)
    the benchmark skips them."""
    skip = connection.vendor == "postgresql" and not connection.in_atomic_block
    if skip:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
        except DatabaseError:  # not a superuser: check them, then
            skip = False
    try:
        yield
    finally:
        if skip:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")


def _make(*, scale: str, seed: int) -> BenchPeople:
    from applications.models import Application
    from cohorts.models import Cohort, DeliveryPartner
    from dfe.models import SANDBOX_URL, Connection
    from npq_portal.models import User
    from npq_portal.roles import Role
    from npq_portal.services import user_set_roles
    from participants.models import Enrolment, SchoolPlace
    from programmes.models import Programme
    from schools.models import SchoolLeadership

    size = SCALES[scale]
    password = make_password(None)  # unusable: nobody signs in to these accounts
    rng = random.Random(seed)
    DeliveryPartner.objects.bulk_create(
        DeliveryPartner(
            name=f"Bench hub {n}",
            contact_name="Sam Patel",
            contact_email=f"hub{n}@bench.example",
            region="England",
        )
        for n in range(10)
    )
    lead, admin, facilitator, leader = (
        User.objects.create(
            email=f"{name}@bench.example", first_name=name.title(), password=password
        )
        for name in ("lead", "admin", "facilitator", "leader")
    )
    user_set_roles(user=lead, roles=[Role.PROGRAMME_LEAD], by=None, reason="Benchmark")
    user_set_roles(user=admin, roles=[Role.HUB_ADMINISTRATOR], by=None, reason="Benchmark")
    user_set_roles(user=facilitator, roles=[Role.FACILITATOR], by=None, reason="Benchmark")
    user_set_roles(user=leader, roles=[Role.SCHOOL_LEADER], by=None, reason="Benchmark")
    for staff in (lead, admin, facilitator):
        # Staff without an authenticator are sent to set one up: give them one.
        TOTP.activate(staff, base64.b32encode(rng.randbytes(20)).decode())
    now = timezone.now()
    dfe = Connection.objects.create(
        name=CONNECTION_NAME,
        base_url=SANDBOX_URL,
        token_env_var=TOKEN_ENV_VAR,
        enabled=True,
        tested_at=now,
        test_ok=True,
        test_message="Connected: DfE listed 1 delivery partner.",
    )
    dfe.programmes.set(Programme.objects.offered().exclude(course_identifier=""))
    hub = _hub(seed=seed, password=password, connection_id=dfe.pk, facilitator_id=facilitator.pk)
    current = _year_make(hub, size, offset=0)

    Cohort.objects.get(pk=current.watched_cohort_id).facilitators.add(facilitator)
    teacher_place = (
        Enrolment.objects.filter(cohort_id=current.watched_cohort_id)
        .select_related("application")
        .first()
    )
    busiest = Application.objects.values("school_id").order_by("-school_id").first()["school_id"]
    SchoolLeadership.objects.create(user=leader, school_id=busiest, confirmed_at=now)
    place = SchoolPlace.objects.filter(cohort_id=current.work_group_id).order_by("pk").first()
    member = Enrolment.objects.filter(school_place=place).order_by("pk").first()

    for offset in range(1, size["years"]):
        _year_make(hub, size, offset=offset)
    _dfe_years_set(hub)
    bench_statistics()
    return BenchPeople(
        lead_id=lead.pk,
        admin_id=admin.pk,
        facilitator_id=facilitator.pk,
        teacher_id=teacher_place.participant_id,
        leader_id=leader.pk,
        cohort_id=current.watched_cohort_id,
        programme_slug=Programme.objects.get(pk=current.watched_programme_id).slug,
        school_query="oakfield",
        application_id=teacher_place.application_id,
        session_id=current.watched_session_id,
        enrolment_id=teacher_place.pk,
        work_group_id=current.work_group_id,
        school_place_id=place.pk if place else None,
        team_member_id=member.participant_id if member else None,
        connection_id=dfe.pk,
    )


# Applicants' names, spread evenly: each first name is about 2% of applicants and each surname
# about 1%, as common English ones are, so the staff searches meet names as varied as a hub's.
FIRST_NAMES = (
    "Aisha Alex Amelia Amy Andrew Anna Ben Charlotte Chloe Chris Claire Daniel David Eleanor "
    "Emily Emma Fatima Gareth Grace Hannah Harry Helen Imran Jack James Jessica Jo Joanne John "
    "Kate Laura Liam Lucy Mark Matthew Megan Michael Mohammed Natalie Nicola Oliver Olivia "
    "Priya Rachel Rebecca Rhys Richard Sam Samantha Sarah Sophie Thomas Tom Zoe"
).split()
LAST_NAMES = (
    "Adams Ahmed Ali Allen Anderson Baker Bell Bennett Brown Campbell Carter Chapman Clark Clarke "
    "Collins Cook Cooper Cox Davies Davis Edwards Ellis Evans Fisher Foster Green Griffiths Hall "
    "Harris Harrison Hill Holmes Hughes Hussain Jackson James Jenkins Johnson Jones Kaur Kelly "
    "Khan King Knight Lee Lewis Lloyd Marshall Martin Mason Mills Mitchell Moore Morgan Morris "
    "Murphy Murray Owen Palmer Parker Patel Phillips Powell Price Richards Roberts Robinson "
    "Rogers Russell Scott Shaw Simpson Singh Smith Stevens Taylor Thomas Thompson Turner Walker "
    "Ward Watson White Wilkinson Williams Wilson Wood Wright Young"
).split()


def applicant_name(number: int) -> tuple[str, str]:
    """Applicant `number`'s first name and surname: the same every time it is asked (DfE's
    copy of an application names the same person), spread evenly over the lists."""
    mixed = (number * 2_654_435_761) % 2**32  # Knuth's multiplicative hash: neighbours differ
    return FIRST_NAMES[mixed % len(FIRST_NAMES)], LAST_NAMES[(mixed >> 8) % len(LAST_NAMES)]


def applicant_email(number: int, suffix: str = "") -> str:
    first, last = applicant_name(number)
    return f"{first}.{last}{number}{suffix}@bench.example".lower()


def bench_data_sizes() -> dict[str, int]:
    """How much of what the generated hub holds there is, in words: the growth step's table."""
    from applications.models import Application
    from cohorts.models import Cohort
    from dfe.models import Call, Declaration, DfeApplication
    from npq_portal.models import User
    from participants.models import Attendance, Enrolment, SchoolPlace

    return {
        "applications": Application.objects.count(),
        "cohorts": Cohort.objects.count(),
        "places": Enrolment.objects.count(),
        "register marks": Attendance.objects.count(),
        "schools' Work Group places": SchoolPlace.objects.count(),
        "people": User.objects.count(),
        "DfE applications": DfeApplication.objects.count(),
        "DfE declarations": Declaration.objects.count(),
        "calls in the sync log": Call.objects.count(),
    }


def _hub(*, seed: int, password: str, connection_id: int, facilitator_id: int) -> _Hub:
    from cohorts.models import DeliveryPartner
    from programmes.models import Module, Programme, ProgrammeGrant, RoleSlot
    from schools.models import LocalAuthority, School

    today = timezone.localdate()
    school_ids = list(School.objects.order_by("pk").values_list("pk", flat=True)[:20_000])
    if not school_ids:
        raise ValueError("Import the schools first: the applications need them.")
    area = list(LocalAuthority.objects.filter(code__in=HUB_AREA)) or list(
        LocalAuthority.objects.order_by("code")[:3]
    )
    LocalAuthority.objects.filter(pk__in=[la.pk for la in area]).update(in_hub_area=True)
    area_schools = (
        list(
            School.objects.filter(
                la_code__in=[la.code for la in area],
                status_code__in=(School.Status.OPEN, School.Status.OPEN_PROPOSED_TO_CLOSE),
                phase_name="Primary",
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        or school_ids
    )
    programmes = list(Programme.objects.offered().order_by("pk"))
    teams = [p for p in programmes if p.for_school_teams]
    slots: dict[int, list] = {}
    for slot in RoleSlot.objects.filter(programme__in=teams).order_by("position", "pk"):
        slots.setdefault(slot.programme_id, []).append(slot)
    for programme in teams:
        # Leads first: the school's lead participant is the one who signs the team up.
        ordered = sorted(slots.get(programme.pk, []), key=lambda s: s.kind != RoleSlot.Kind.LEAD)
        programme.seats = [slot.pk for slot in ordered for _ in range(min(slot.people, 2))]
    modules: dict[int, list[int]] = {}
    for module in Module.objects.select_related("course").order_by("course__position", "position"):
        modules.setdefault(module.course.programme_id, []).append(module.pk)
    individual = [p for p in programmes if not p.for_school_teams]
    return _Hub(
        rng_seed=seed,
        year=today.year if today.month >= 9 else today.year - 1,
        now=timezone.now(),
        password=password,
        school_ids=school_ids,
        urns=dict(School.objects.values_list("pk", "urn")),
        area_school_ids=area_schools,
        individual=individual,
        teams=[p for p in teams if p.seats],
        modules=modules,
        grants={
            (g.programme_id, g.academic_year): (g.amount, g.purpose)
            for g in ProgrammeGrant.objects.all()
        },
        partner_ids=list(
            DeliveryPartner.objects.filter(name__startswith="Bench hub ")
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        connection_id=connection_id,
        facilitator_id=facilitator_id,
        npq_programmes=[p for p in individual if p.course_identifier],
    )


@dataclass
class _Year:
    """What one generated school year made, for the pages to look at (the current one's)."""

    watched_cohort_id: int = 0
    watched_programme_id: int = 0
    watched_session_id: int = 0
    work_group_id: int | None = None


def _year_make(hub: _Hub, size: dict, *, offset: int) -> _Year:
    """One school year `offset` years before the current one: its cohorts, applications,
    places and registers, its Work Groups, and DfE's records of it."""
    from applications.models import Application
    from cohorts.models import Cohort, ModuleWindow, Session
    from funding.models import FundingDecision
    from npq_portal.models import User
    from participants.models import Attendance, Enrolment

    rng = random.Random(f"{hub.rng_seed}:{offset}")
    year = hub.year - offset
    past = offset > 0
    now = hub.now
    made = _Year()

    # ---- Cohorts of the programmes teachers apply to one by one, their windows and clinics
    count = size["cohorts"]
    programmes = [hub.individual[n % len(hub.individual)] for n in range(count)]
    places_per_cohort = size["places"] // count
    cohort_ids = _insert(
        Cohort,
        [
            "programme_id",
            "name",
            "academic_year",
            "starts_on",
            "ends_on",
            "delivery_partner_id",
            "capacity",
            "places_taken",
            "status",
            "venue",
            "created_at",
        ],
        [
            (
                programmes[n].pk,
                f"Bench cohort {n}",
                year,
                datetime.date(year, 9, 8),
                datetime.date(year + 1, 7, 10),
                hub.partner_ids[n % len(hub.partner_ids)],
                places_per_cohort + 10,
                places_per_cohort,
                Cohort.Status.COMPLETED
                if past
                else (Cohort.Status.RUNNING if n % 2 == 0 else Cohort.Status.OPEN),
                "Bench Learning Centre",
                _at(year - 1, 12, 1),
            )
            for n in range(count)
        ],
    )
    _insert(
        ModuleWindow,
        ["cohort_id", "module_id", "opens_on", "study_due_on", "application_due_on"],
        [
            (cohort_id, module_id, opens, opens + _days(14), opens + _days(28))
            for cohort_id, programme in zip(cohort_ids, programmes, strict=True)
            for n, module_id in enumerate(hub.modules.get(programme.pk, []))
            for opens in [datetime.date(year, 9, 15) + datetime.timedelta(weeks=4 * n)]
        ],
    )
    # Clinics a fortnight apart from the start; the first ones are in the past.
    start = _at(year, 9, 10, 16)
    session_rows = [
        (
            cohort_id,
            Session.Kind.CLINIC,
            f"Clinic {n + 1}",
            start + datetime.timedelta(weeks=2 * n),
            start + datetime.timedelta(weeks=2 * n, hours=1),
            Session.Status.SCHEDULED,
        )
        for cohort_id in cohort_ids
        for n in range(size["sessions"])
    ]
    session_ids = _insert(
        Session, ["cohort_id", "kind", "title", "starts_at", "ends_at", "status"], session_rows
    )
    sessions: dict[int, list[int]] = {}
    for session_id, row in zip(session_ids, session_rows, strict=True):
        sessions.setdefault(row[0], []).append(session_id)

    # ---- Applicants, their applications and funding decisions
    applications = size["applications"]
    suffix = f".{year}" if past else ""
    applicant_ids = _insert(
        User,
        ["email", "first_name", "last_name", "password", "date_joined"],
        [
            (applicant_email(n, suffix), *applicant_name(n), hub.password, now)
            for n in range(applications)
        ],
    )
    A = Application.Status
    still_open = [A.AWAITING_SCHOOL, A.SCHOOL_APPROVED, A.WAITLISTED, A.REJECTED]
    closed = [A.REJECTED, A.WITHDRAWN, A.SCHOOL_DECLINED]
    npq = {p.pk for p in hub.npq_programmes}
    application_ids = _reserve(Application, applications)
    application_rows, decision_rows = [], []
    funded: dict[int, bool] = {}  # NPQ applications: funded or not
    for n, (application_id, applicant_id) in enumerate(
        zip(application_ids, applicant_ids, strict=True)
    ):
        index = n % count
        status = A.ACCEPTED
        if n // count >= places_per_cohort:
            status = rng.choice(closed if past else still_open)
        submitted = (
            _at(year, 3, 1) + _days(rng.randint(0, 150))
            if past
            else now - _days(rng.randint(0, 40))
        )
        if programmes[index].pk in npq:
            funded[application_id] = yes = rng.random() < 0.85
            decision_rows.append(
                (f"applications.application:{application_id}", "2026", {})
                + (("funded", True, "Funded.") if yes else _NOT_FUNDED)
                + (submitted, submitted)
            )
        application_rows.append(
            (
                applicant_id,
                cohort_ids[index],
                status,
                rng.choice(hub.school_ids),
                f"{1_000_000 + (offset * applications + n) % 9_000_000}",
                "Helen Whitfield",
                f"head{n % 997}@school.example",
                f"head{n % 997}@school.example",
                submitted,
                {},
                submitted - _hours(1),
                submitted,
            )
        )
    decision_ids = _insert(
        FundingDecision,
        ["subject", "rules", "facts", "status", "funded", "reason", "created_at", "updated_at"],
        decision_rows,
    )
    decision_of = dict(zip(funded, decision_ids, strict=True))
    _insert(
        Application,
        [
            "applicant_id",
            "cohort_id",
            "status",
            "school_id",
            "trn",
            "headteacher_name",
            "headteacher_email",
            "approver_email",
            "submitted_at",
            "answers",
            "created_at",
            "updated_at",
            "funding_decision_id",
        ],
        [
            (*row, decision_of.get(application_id))
            for application_id, row in zip(application_ids, application_rows, strict=True)
        ],
        ids=application_ids,
    )

    # ---- Places and registers (a mark for every place at every session of its cohort)
    accepted = [
        (application_id, row)
        for application_id, row in zip(application_ids, application_rows, strict=True)
        if row[2] == A.ACCEPTED
    ]
    E = Enrolment.Status
    place_status = [
        rng.choice([E.COMPLETED] * 9 + [E.WITHDRAWN]) if past else E.ACTIVE for _ in accepted
    ]
    enrolment_ids = _insert(
        Enrolment,
        ["participant_id", "cohort_id", "application_id", "status", "assessment_result"]
        + ["created_at", "updated_at"],
        [
            (row[0], row[1], application_id, status)
            + ("passed" if status == E.COMPLETED else "", _at(year, 8, 1), _at(year, 8, 1))
            for (application_id, row), status in zip(accepted, place_status, strict=True)
        ],
    )
    _insert(
        Attendance,
        ["session_id", "enrolment_id", "mark", "recorded_at"],
        [
            (session_id, enrolment_id, rng.choice(MARKS), now)
            for enrolment_id, (_, row) in zip(enrolment_ids, accepted, strict=True)
            for session_id in sessions[row[1]]
        ],
    )
    made.watched_cohort_id = cohort_ids[0]
    made.watched_programme_id = programmes[0].pk
    made.watched_session_id = sessions[cohort_ids[0]][0]

    made.work_group_id = _work_groups_make(hub, size, year=year, rng=rng)
    if year >= DFE_FIRST_YEAR and funded:
        places = {
            application_id: (enrolment_id, status)
            for (application_id, _), enrolment_id, status in zip(
                accepted, enrolment_ids, place_status, strict=True
            )
        }
        course = {
            cohort_id: programme.course_identifier
            for cohort_id, programme in zip(cohort_ids, programmes, strict=True)
        }
        _dfe_make(
            hub,
            year=year,
            rng=rng,
            npq=[
                _NpqApplication(
                    pk=application_id,
                    number=n,
                    status=row[2],
                    school_id=row[3],
                    submitted=row[8],
                    trn=row[4],
                    course=course[row[1]],
                    funded=funded[application_id],
                    place=places.get(application_id),
                )
                for n, (application_id, row) in enumerate(
                    zip(application_ids, application_rows, strict=True)
                )
                if application_id in funded
            ],
        )
    return made


def _work_groups_make(hub: _Hub, size: dict, *, year: int, rng: random.Random) -> int | None:
    """A school year's Work Groups: each with its workshops, the schools that signed up
    (teams of 2–4 in the programme's role slots), their places, history and grants, and the
    registers of the workshops held so far. Returns the current year's first Work Group, which
    the benchmark's facilitator leads."""
    from applications.models import Application, TeamMember
    from cohorts.models import Cohort, Session
    from npq_portal.models import User
    from participants.models import Attendance, Enrolment, GrantClaim, SchoolPlace
    from schools.models import SchoolProgrammeYear

    if not hub.teams or not size["work_groups"]:
        return None
    past = year < hub.year
    now = hub.now
    count = size["work_groups"]
    programmes = [hub.teams[n % len(hub.teams)] for n in range(count)]
    lowest, highest = size["work_group_schools"]
    A, P, E = Application.Status, SchoolPlace.Status, Enrolment.Status
    weights = {A.ACCEPTED: 90, A.REJECTED: 5, A.WITHDRAWN: 5}
    if not past:
        weights = {A.ACCEPTED: 80, A.SCHOOL_APPROVED: 8, A.AWAITING_SCHOOL: 5}
        weights |= {A.REJECTED: 4, A.WITHDRAWN: 3}

    # Each sign-up: its Work Group (an index), school, status and team (people's numbers).
    sign_ups = []
    people = 0
    # A school signs up for a programme once a year: each programme's cohorts draw from the
    # hub's area's primary schools without putting one back.
    pools = {p.pk: rng.sample(hub.area_school_ids, len(hub.area_school_ids)) for p in hub.teams}
    for index, programme in enumerate(programmes):
        pool = pools[programme.pk]
        schools = [pool.pop() for _ in range(min(rng.randint(lowest, highest), len(pool)))]
        for school_id in schools:
            status = rng.choices(list(weights), weights=list(weights.values()))[0]
            team = min(rng.randint(2, 4), len(programme.seats))
            sign_ups.append((index, school_id, status, list(range(people, people + team))))
            people += team
    taken = [0] * count
    for index, _, status, _ in sign_ups:
        taken[index] += status == A.ACCEPTED

    cohort_ids = _insert(
        Cohort,
        [
            "programme_id",
            "name",
            "academic_year",
            "starts_on",
            "ends_on",
            "delivery_partner_id",
            "capacity",
            "places_taken",
            "status",
            "venue",
            "created_at",
        ],
        [
            (
                programme.pk,
                f"Bench Work Group {n}",
                year,
                datetime.date(year, 10, 1),
                datetime.date(year + 1, 6, 30),
                hub.partner_ids[n % len(hub.partner_ids)],
                max(30, taken[n]),  # counted in schools
                taken[n],
                Cohort.Status.COMPLETED if past else Cohort.Status.RUNNING,
                "Bench Maths Hub",
                _at(year - 1, 12, 1),
            )
            for n, programme in enumerate(programmes)
        ],
    )
    # Six half-day workshops five weeks apart: the current year's first two are past.
    first = _at(year, 10, 6)
    session_rows = [
        (cohort_id, Session.Kind.WORKSHOP, f"Workshop {n + 1}", at, at + _hours(3.5), "scheduled")
        for cohort_id in cohort_ids
        for n in range(WORK_GROUP_SESSIONS)
        for at in [first + datetime.timedelta(weeks=5 * n)]
    ]
    session_ids = _insert(
        Session, ["cohort_id", "kind", "title", "starts_at", "ends_at", "status"], session_rows
    )
    held: dict[int, list[int]] = {}
    for session_id, row in zip(session_ids, session_rows, strict=True):
        if row[3] < now:
            held.setdefault(row[0], []).append(session_id)

    user_ids = _insert(
        User,
        ["email", "first_name", "last_name", "password", "date_joined"],
        [
            (f"team{n}.{year}@bench.example", "Sam", f"Team{n}", hub.password, now)
            for n in range(people)
        ],
    )
    application_rows = []
    for index, school_id, status, team in sign_ups:
        submitted = _at(year, 6, 1) + _days(rng.randint(0, 100))
        head = f"head.{school_id}@school.example"
        application_rows.append(
            (
                user_ids[team[0]],  # the school's lead participant signs the team up
                cohort_ids[index],
                status,
                school_id,
                True,
                "Helen Whitfield",
                head,
                head,
                submitted,
                {
                    "school_urn": str(hub.urns.get(school_id, "")),
                    "applicant_role": "maths_lead",
                    "headteacher_name": "Helen Whitfield",
                    "headteacher_email": head,
                },
                submitted,
                submitted,
            )
        )
    application_ids = _insert(
        Application,
        [
            "applicant_id",
            "cohort_id",
            "status",
            "school_id",
            "team",
            "headteacher_name",
            "headteacher_email",
            "approver_email",
            "submitted_at",
            "answers",
            "created_at",
            "updated_at",
        ],
        application_rows,
    )
    member_rows = []
    for application_id, (index, _, _, team) in zip(application_ids, sign_ups, strict=True):
        for seat, n in enumerate(team):
            slot_id = programmes[index].seats[seat]
            member_rows.append(
                (application_id, slot_id, "Sam", f"Team{n}", f"team{n}.{year}@bench.example")
                + (user_ids[n],)
            )
    _insert(
        TeamMember,
        ["application_id", "slot_id", "first_name", "last_name", "email", "user_id"],
        member_rows,
    )

    # The accepted schools' places, their people's places and registers, history and grants.
    accepted = [
        (application_id, index, school_id, team)
        for application_id, (index, school_id, status, team) in zip(
            application_ids, sign_ups, strict=True
        )
        if status == A.ACCEPTED
    ]
    place_rows = []
    for application_id, index, school_id, _ in accepted:
        status = rng.choice([P.COMPLETED] * 6 + [P.WITHDRAWN]) if past else P.ACTIVE
        plan = "Fluency in number facts from Reception to Year 2." if rng.random() < 0.6 else ""
        place_rows.append(
            (
                cohort_ids[index],
                school_id,
                application_id,
                status,
                datetime.date(year + 1, 6, 30) if status == P.COMPLETED else None,
                datetime.date(year + 1, 2, 1) if status == P.WITHDRAWN else None,
                plan,
                _at(year, 11, 1) if plan else None,
                _at(year, 9, 1),
                _at(year, 9, 1),
            )
        )
    place_ids = _insert(
        SchoolPlace,
        [
            "cohort_id",
            "school_id",
            "application_id",
            "status",
            "completed_on",
            "withdrawn_on",
            "action_plan",
            "action_plan_updated_at",
            "created_at",
            "updated_at",
        ],
        place_rows,
    )
    as_enrolment = {P.ACTIVE: E.ACTIVE, P.COMPLETED: E.COMPLETED, P.WITHDRAWN: E.WITHDRAWN}
    enrolment_rows = []
    for place_id, (application_id, index, _, team), place in zip(
        place_ids, accepted, place_rows, strict=True
    ):
        for seat, n in enumerate(team):
            enrolment_rows.append(
                (user_ids[n], cohort_ids[index], application_id, place_id)
                + (programmes[index].seats[seat], as_enrolment[place[3]])
                + (_at(year, 9, 1), _at(year, 9, 1))
            )
    enrolment_ids = _insert(
        Enrolment,
        [
            "participant_id",
            "cohort_id",
            "application_id",
            "school_place_id",
            "role_slot_id",
            "status",
            "created_at",
            "updated_at",
        ],
        enrolment_rows,
    )
    _insert(
        Attendance,
        ["session_id", "enrolment_id", "mark", "recorded_at"],
        [
            (session_id, enrolment_id, rng.choice(MARKS), now)
            for enrolment_id, row in zip(enrolment_ids, enrolment_rows, strict=True)
            for session_id in held.get(row[1], [])
        ],
    )
    S = SchoolProgrammeYear.Status
    as_year = {P.ACTIVE: S.TAKING_PART, P.COMPLETED: S.COMPLETED, P.WITHDRAWN: S.WITHDRAWN}
    _insert(
        SchoolProgrammeYear,
        ["school_id", "programme_id", "academic_year", "status", "source", "updated_at"],
        [
            (school_id, programmes[index].pk, year, as_year[place[3]], "portal", now)
            for (_, index, school_id, _), place in zip(accepted, place_rows, strict=True)
        ],
    )
    G = GrantClaim.Status
    claims = []
    for place_id, (_, index, _, _), place in zip(place_ids, accepted, place_rows, strict=True):
        grant = hub.grants.get((programmes[index].pk, year))
        if grant is None:
            continue
        claim = G.PAID if past else rng.choice([G.OWED] * 3 + [G.CLAIMED, G.PAID])
        if place[3] == P.WITHDRAWN:
            claim = G.CANCELLED
        claims.append(
            (
                place_id,
                grant[0],
                grant[1],
                claim,
                datetime.date(year, 11, 20) if claim in (G.CLAIMED, G.PAID) else None,
                datetime.date(year, 12, 1) if claim == G.PAID else None,
                "The school left the Work Group." if claim == G.CANCELLED else "",
                _at(year, 9, 1),
                _at(year, 9, 1),
            )
        )
    _insert(
        GrantClaim,
        ["school_place_id", "amount", "purpose", "status", "claimed_on", "paid_on", "note"]
        + ["created_at", "updated_at"],
        claims,
    )
    if past:
        return None
    Cohort.objects.get(pk=cohort_ids[0]).facilitators.add(hub.facilitator_id)  # its Lead
    return cohort_ids[0]


@dataclass(frozen=True)
class _NpqApplication:
    """What DfE's records of a portal NPQ application are made from."""

    pk: int
    number: int  # the applicant's, in their email address and name
    status: str
    school_id: int
    submitted: datetime.datetime
    trn: str
    course: str
    funded: bool
    place: tuple[int, str] | None  # (enrolment id, status) once accepted


def _dfe_make(hub: _Hub, *, year: int, rng: random.Random, npq: list[_NpqApplication]) -> None:
    """DfE's records of a school year as the connection's pulls and sends leave them: DfE's
    application for a share of the portal's NPQ applications (linked, a few disagreeing) and
    a few only DfE has, the places' declarations, DfE's statements, the changes sent to DfE
    and the sync log of the year's pulls and sends."""
    from applications.models import Application
    from dfe.models import (
        Call,
        Declaration,
        DeliveryPartnerLink,
        DfeApplication,
        Outgoing,
        Statement,
        Sync,
    )
    from participants.models import Enrolment

    now = hub.now
    past = year < hub.year
    suffix = f".{year}" if past else ""
    A, D, OUT = Application.Status, Declaration.State, Outgoing.State
    partner = _uuid(rng)
    DeliveryPartnerLink.objects.create(
        connection_id=hub.connection_id,
        cohort_year=year,
        delivery_partner_id=partner,
        name="Bench Teaching School Hub",
    )
    as_dfe = {A.ACCEPTED: "accepted", A.REJECTED: "rejected", A.WITHDRAWN: "rejected"}
    as_dfe |= {A.SCHOOL_DECLINED: "rejected"}

    # DfE's applications: most of the portal's (linked), and a few only DfE has.
    linked = [application for application in npq if rng.random() < DFE_SHARE]
    record_rows = []
    for application in linked:
        status = as_dfe.get(application.status, "pending")
        if status == "accepted" and rng.random() < 0.01:
            status = "pending"  # the portal's acceptance has not reached DfE: a disagreement
        # DfE and the portal disagree on funding for a few.
        eligible = application.funded if rng.random() >= 0.02 else not application.funded
        training = ""
        if status == "accepted":
            withdrawn = application.place and application.place[1] == Enrolment.Status.WITHDRAWN
            training = "withdrawn" if withdrawn else "active"
        record_rows.append(
            (
                _uuid(rng),
                _uuid(rng),
                application.course,
                year,
                status,
                "rejected_by_provider" if status == "rejected" else "",
                eligible if status == "accepted" else None,
                eligible,
                "" if eligible else "establishment-ineligible",
                application.trn,
                applicant_email(application.number, suffix),
                " ".join(applicant_name(application.number)),
                str(hub.urns.get(application.school_id, "")),
                training,
                application.submitted + _days(2),
                application.pk,
                application.submitted + _days(2),
                "",
            )
        )
    courses = sorted({application.course for application in npq})
    for n in range(int(len(linked) * DFE_ONLY_SHARE)):
        record_rows.append(
            (
                _uuid(rng),
                _uuid(rng),
                rng.choice(courses),
                year,
                "pending",
                "",
                None,
                True,
                "",
                f"{3000000 + n}",
                f"dfe.only{n}{suffix}@example.org",
                f"Robin Registered{n}",
                str(hub.urns.get(rng.choice(hub.school_ids), "")),
                "",
                _at(year, 7, 1) if past else now - _days(rng.randint(0, 60)),
                None,
                None,
                DfeApplication.Match.NONE,
            )
        )
    record_ids = _insert(
        DfeApplication,
        [
            "dfe_id",
            "participant_id",
            "course_identifier",
            "cohort_year",
            "status",
            "reason_for_rejection",
            "funded_place",
            "eligible_for_funding",
            "ineligible_for_funding_reason",
            "trn",
            "email",
            "full_name",
            "school_urn",
            "training_status",
            "dfe_updated_at",
            "application_id",
            "linked_at",
            "match_problem",
        ],
        [(hub.connection_id, True, *row) for row in record_rows],
        fields_first=["connection_id", "teacher_catchment"],
    )

    # DfE's monthly statements for the cohort, from November.
    statement_ids = [_uuid(rng) for _ in range(12)]
    statement_rows = []
    for month, statement_id in zip(range(12), statement_ids, strict=True):
        day = datetime.date(year + (10 + month) // 12, (10 + month) % 12 + 1, 25)
        statement_rows.append(
            (statement_id, year, f"{day:%B}", f"{day:%Y}", day - _days(30), day)
            + (day < now.date(), min(_at(day.year, day.month, day.day), now))
        )
    _insert(
        Statement,
        ["dfe_id", "cohort_year", "month", "year", "cut_off_date", "payment_date", "paid"]
        + ["dfe_updated_at"],
        [(hub.connection_id, *row) for row in statement_rows],
        fields_first=["connection_id"],
    )

    # Declarations: the current year's places are started (most claimed, a few refused); a
    # finished year's were claimed to completed (or retained, if withdrawn), all paid.
    claims = {
        Enrolment.Status.ACTIVE: ["started"],
        Enrolment.Status.COMPLETED: ["started", "retained-1", "retained-2", "completed"],
        Enrolment.Status.WITHDRAWN: ["started", "retained-1"],
    }
    declaration_rows = []
    for application, record_id, row in zip(
        linked, record_ids, record_rows[: len(linked)], strict=False
    ):
        if row[4] != "accepted" or application.place is None:
            continue
        if not past and rng.random() >= 0.9:
            continue  # not claimed yet: the declarations page offers it
        enrolment_id, place_status = application.place
        for n, kind in enumerate(claims[place_status]):
            state = D.PAID
            if not past:
                state = rng.choice(
                    [D.PAID] * 4 + [D.PAYABLE] * 2 + [D.ELIGIBLE] * 3 + [D.SUBMITTED]
                )
                state = D.REFUSED if rng.random() < 0.01 else state
            declared = _at(year, 10, 1) + _days(120 * n)
            refused = state == D.REFUSED
            declaration_rows.append(
                (
                    enrolment_id,
                    record_id,
                    None if refused else _uuid(rng),
                    row[1],
                    kind,
                    declared,
                    application.course,
                    True if kind == "completed" else None,
                    partner,
                    state,
                    rng.choice(statement_ids) if state in (D.PAID, D.PAYABLE) else None,
                    "The declaration date is before the schedule's first milestone."
                    if refused
                    else "",
                    None if refused else declared + _days(1),
                    declared,
                    declared + _days(1),
                )
            )
    declaration_ids = _insert(
        Declaration,
        [
            "enrolment_id",
            "dfe_application_id",
            "dfe_id",
            "participant_id",
            "declaration_type",
            "declaration_date",
            "course_identifier",
            "has_passed",
            "delivery_partner_id",
            "state",
            "statement_id",
            "error",
            "dfe_updated_at",
            "created_at",
            "updated_at",
        ],
        [(hub.connection_id, *row) for row in declaration_rows],
        fields_first=["connection_id"],
    )

    # The changes sent to DfE: each acceptance and declaration; in the current year a few
    # wait for DfE (after an outage) or were refused, and the last month's show as recent.
    outgoing_rows = []  # kind, DfE application, declaration, place, state, attempts, error,
    # sent, created, updated
    for application, record_id, row in zip(
        linked, record_ids, record_rows[: len(linked)], strict=False
    ):
        if row[4] == "accepted":
            sent = _at(year, 9, 1) + _days(rng.randint(0, 20))
            place = application.place[0] if application.place else None
            outgoing_rows.append(
                ("accept", record_id, None, place, OUT.SENT, 1, "", sent, sent, sent)
            )
    for declaration_id, row in zip(declaration_ids, declaration_rows, strict=True):
        state, attempts, error, sent = OUT.SENT, 1, "", row[5] + _days(1)
        if row[9] == D.REFUSED:
            state, error = OUT.REFUSED, row[11]
        elif not past and rng.random() < 0.005:
            state, attempts, sent = OUT.WAITING, rng.randint(0, 3), None
            error = "DfE did not answer (timed out)." if attempts else ""
        updated = sent or now - _hours(rng.randint(1, 48))
        if not past and state == OUT.SENT:
            updated = min(now, sent + _days(rng.randint(0, 60)))
        outgoing_rows.append(
            ("declaration", row[1], declaration_id, row[0], state, attempts, error, sent)
            + (min(updated, sent or updated), updated)
        )
    _insert(
        Outgoing,
        [
            "kind",
            "dfe_application_id",
            "declaration_id",
            "enrolment_id",
            "state",
            "attempts",
            "last_error",
            "sent_at",
            "created_at",
            "updated_at",
        ],
        [(hub.connection_id, *row) for row in outgoing_rows],
        fields_first=["connection_id"],
    )

    # The sync log: a pull of each list every three hours (what changed since the last), a
    # weekly pull of every application (100 a page, a call a page), and a call a change sent.
    pulls = {
        "applications": "/api/v3/npq-applications",
        "participants": "/api/v3/participants/npq",
        "declarations": "/api/v3/participant-declarations",
        "statements": "/api/v3/statements",
    }
    pages = max(1, len(record_rows) // 100)
    sync_rows, call_rows = [], []
    at, ends = _at(year, 9, 1), min(now, _at(year + 1, 8, 31))
    pull = 0
    while at < ends:
        weekly = pull % 56 == 55  # each week's last
        pull += 1
        for kind, path in pulls.items():
            ok = rng.random() >= 0.005
            full = weekly and kind == "applications"
            error = "" if ok else "DfE did not answer (timed out)."
            sync_rows.append(
                (kind, full, None if full else at - _hours(3), at, at + _hours(0.01), ok)
                + (rng.randint(0, 40) if ok else 0, error)
            )
            for page in range(1, (pages if full else 1) + 1):
                query = f"page[page]={page}" if full else "filter[updated_since]=…&page[page]=1"
                call_rows.append(
                    (at, "GET", path, query, 200 if ok else None, "" if ok else "timeout")
                    + (rng.randint(80, 900), "")
                )
        at += _hours(3)
    for kind, _, _, _, state, _, error, sent, _, _ in outgoing_rows:
        if state in (OUT.SENT, OUT.REFUSED):
            path = "/api/v3/participant-declarations"
            if kind == "accept":
                path = "/api/v3/npq-applications/…/accept"
            status = 200 if state == OUT.SENT else 422
            call_rows.append((sent, "POST", path, "", status, "", rng.randint(120, 700), error))
    _insert(
        Sync,
        ["kind", "full", "updated_since", "started_at", "finished_at", "succeeded", "records"]
        + ["error"],
        [(hub.connection_id, *row) for row in sync_rows],
        fields_first=["connection_id"],
    )
    _insert(
        Call,
        ["at", "method", "path", "query", "status", "failure", "duration_ms", "error"],
        [(hub.connection_id, *row) for row in call_rows],
        fields_first=["connection_id"],
    )


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128))


def _dfe_years_set(hub: _Hub) -> None:
    """The connection covers the DfE cohorts the generated years have records for."""
    from dfe.models import Connection, DeliveryPartnerLink

    years = sorted(
        DeliveryPartnerLink.objects.filter(connection_id=hub.connection_id).values_list(
            "cohort_year", flat=True
        )
    )
    Connection.objects.filter(pk=hub.connection_id).update(cohort_years=years)


def bench_statistics() -> None:
    """Fresh statistics and visibility maps, as a live database has after autovacuum: planned
    on the empty tables' estimates, some lookups scanned every register mark instead of using
    their index, and autovacuum would otherwise run in the middle of the measurements. Again
    once what is derived from the data (milestone days, the reconciliation's verdicts) is
    written: tens of thousands of rows just updated are not read from an index alone."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


# ---- Writing rows in bulk ----


def _reserve(model, count: int) -> range:
    """`count` ids for new rows of `model`, not to be handed out to anyone else."""
    if count <= 0:
        return range(0)
    if connection.vendor == "postgresql":
        table, column = model._meta.db_table, model._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
        return range(first, first + count)
    first = (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    return range(first, first + count)


def _insert(
    model,
    fields: Sequence[str],
    rows: list[Sequence],
    *,
    ids: Sequence[int] | None = None,
    fields_first: Sequence[str] = (),
) -> list[int]:
    """Write rows of `model` (values of `fields_first` + `fields`, by attribute name, in that
    order) and return their ids: COPY on PostgreSQL, bulk_create elsewhere. Fields not named
    take their defaults, as Django would give them."""
    if not rows:
        return []
    names = [*fields_first, *fields]
    ids = list(ids if ids is not None else _reserve(model, len(rows)))
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            (
                model(pk=pk, **dict(zip(names, row, strict=True)))
                for pk, row in zip(ids, rows, strict=True)
            ),
            batch_size=BATCH,
        )
        return ids
    meta = model._meta
    named = set(names)
    constant, per_row = [], []
    for model_field in meta.concrete_fields:
        if model_field.primary_key or model_field.attname in named:
            continue
        # A callable default is called for each row (a new uuid each), unless every row
        # would be written alike (an empty dict or list, the time now).
        default = model_field.default if model_field.has_default() else None
        if callable(default) and default not in (dict, list, timezone.now):
            per_row.append(model_field)
        else:
            constant.append(model_field)
    now = timezone.now()
    tail = "".join(f"\t{_text(_default(f, now))}" for f in constant)
    columns = [meta.pk.column, *(meta.get_field(name).column for name in names)]
    columns += [f.column for f in constant] + [f.column for f in per_row]
    quote = connection.ops.quote_name
    sql = f"COPY {quote(meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COPY_ROWS):
            lines = []
            for pk, row in zip(
                ids[start : start + COPY_ROWS], rows[start : start + COPY_ROWS], strict=True
            ):
                line = f"{pk}\t" + "\t".join(map(_text, row)) + tail
                for model_field in per_row:
                    line += "\t" + _text(model_field.default())
                lines.append(line + "\n")
            cursor.cursor.copy_expert(sql, io.StringIO("".join(lines)))
    return ids


def _default(model_field, now: datetime.datetime):
    if model_field.has_default():
        return model_field.get_default()
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return now
    return model_field.get_default()


def _text(value) -> str:
    """A value as COPY's text format writes it."""
    kind = type(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            value = value.replace("\r", "\\r")
        return value
    if kind is int:
        return str(value)
    if value is None:
        return r"\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime.datetime or kind is datetime.date:
        return _iso(value)
    if kind is dict or kind is list:
        return _text(json.dumps(value)) if value else ("{}" if kind is dict else "[]")
    if isinstance(value, str):  # a choice (a str enum)
        return _text(str(value))
    return str(value)


@functools.lru_cache(maxsize=100_000)
def _iso(moment: datetime.date) -> str:
    return moment.isoformat()


@functools.cache
def _at(year: int, month: int, day: int, hour: int = 9) -> datetime.datetime:
    """That hour of that day in the portal's time zone, in UTC (quicker to write)."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour)).astimezone(datetime.UTC)


def _days(count: float) -> datetime.timedelta:
    return datetime.timedelta(days=count)


def _hours(count: float) -> datetime.timedelta:
    return datetime.timedelta(hours=count)
