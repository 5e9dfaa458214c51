"""Generated data for `make bench`: a hub at national scale, made in bulk (never committed).

Full scale: 100,000 applications, 20,000 places across 400 cohorts, 200,000 register marks, on
top of the 50,000 schools the GIAS import benchmark leaves behind. Small scale (CI) keeps the
shape at a hundredth of the size, so the benchmark cannot rot.
"""

from __future__ import annotations

import base64
import datetime
import random
from dataclasses import dataclass

from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

SCALES = {
    "full": {"applications": 100_000, "cohorts": 400, "places": 20_000, "sessions": 10},
    "small": {"applications": 1_000, "cohorts": 4, "places": 200, "sessions": 10},
}
BATCH = 5_000


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


def bench_data_make(*, scale: str, seed: int = 2026) -> BenchPeople:
    """Fill an empty portal (schools already imported, catalogue loaded) with a hub's year."""
    from applications.models import Application
    from cohorts.models import Cohort, DeliveryPartner, ModuleWindow, Session
    from npq_portal.models import User
    from npq_portal.roles import Role
    from npq_portal.services import user_set_roles
    from participants.models import Attendance, Enrolment
    from programmes.models import Module, Programme
    from schools.models import School, SchoolLeadership

    size = SCALES[scale]
    rng = random.Random(seed)
    today = timezone.localdate()
    year = today.year if today.month >= 9 else today.year - 1
    password = make_password(None)  # unusable: nobody signs in to these accounts
    school_ids = list(School.objects.values_list("pk", flat=True)[:20_000])
    if not school_ids:
        raise ValueError("Import the schools first: the applications need them.")
    programmes = list(Programme.objects.offered().order_by("pk"))

    with transaction.atomic():
        partners = DeliveryPartner.objects.bulk_create(
            DeliveryPartner(
                name=f"Bench hub {n}",
                contact_name="Sam Patel",
                contact_email=f"hub{n}@bench.example",
                region="England",
            )
            for n in range(10)
        )
        cohorts = Cohort.objects.bulk_create(
            Cohort(
                programme=programmes[n % len(programmes)],
                name=f"Bench cohort {n}",
                academic_year=year,
                starts_on=datetime.date(year, 9, 8),
                ends_on=datetime.date(year + 1, 7, 10),
                delivery_partner=partners[n % len(partners)],
                capacity=size["places"] // size["cohorts"] + 10,
                status=Cohort.Status.RUNNING if n % 2 == 0 else Cohort.Status.OPEN,
                venue="Bench Learning Centre",
            )
            for n in range(size["cohorts"])
        )
        _windows(cohorts, Module, ModuleWindow, year)
        sessions = _sessions(cohorts, Session, size["sessions"], year)

    applicants = _users(User, size["applications"], password, rng)
    places_per_cohort = size["places"] // size["cohorts"]
    statuses = [
        Application.Status.AWAITING_SCHOOL,
        Application.Status.SCHOOL_APPROVED,
        Application.Status.WAITLISTED,
        Application.Status.REJECTED,
    ]
    now = timezone.now()
    applications = []
    for n, applicant_id in enumerate(applicants):
        cohort = cohorts[n % len(cohorts)]
        accepted = n // len(cohorts) < places_per_cohort
        applications.append(
            Application(
                applicant_id=applicant_id,
                cohort=cohort,
                status=Application.Status.ACCEPTED if accepted else rng.choice(statuses),
                school_id=rng.choice(school_ids),
                trn=f"{1000000 + n}",
                headteacher_name="Helen Whitfield",
                headteacher_email=f"head{n % 997}@school.example",
                approver_email=f"head{n % 997}@school.example",
                submitted_at=now - datetime.timedelta(days=rng.randint(0, 40)),
                answers={},
            )
        )
    for start in range(0, len(applications), BATCH):
        Application.objects.bulk_create(applications[start : start + BATCH])
    accepted = [a for a in applications if a.status == Application.Status.ACCEPTED]
    enrolments = []
    for start in range(0, len(accepted), BATCH):
        enrolments += Enrolment.objects.bulk_create(
            Enrolment(participant_id=a.applicant_id, cohort_id=a.cohort_id, application_id=a.pk)
            for a in accepted[start : start + BATCH]
        )
    Enrolment.objects.update(created_at=timezone.make_aware(datetime.datetime(year, 8, 1)))
    _registers(enrolments, sessions, Attendance, rng)
    for cohort in cohorts:
        cohort.places_taken = places_per_cohort
    Cohort.objects.bulk_update(cohorts, ["places_taken"])

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
    watched = cohorts[0]
    watched.facilitators.add(facilitator)
    busiest = Application.objects.values("school_id").order_by("-school_id").first()["school_id"]
    SchoolLeadership.objects.create(user=leader, school_id=busiest, confirmed_at=now)
    teacher = Enrolment.objects.filter(cohort=watched).first().participant
    with connection.cursor() as cursor:
        # Fresh statistics, as a live database has: planned on the empty tables' estimates,
        # some lookups scanned every register mark instead of using their index.
        cursor.execute("ANALYZE")
    return BenchPeople(
        lead_id=lead.pk,
        admin_id=admin.pk,
        facilitator_id=facilitator.pk,
        teacher_id=teacher.pk,
        leader_id=leader.pk,
        cohort_id=watched.pk,
        programme_slug=watched.programme.slug,
        school_query="oakfield",
    )


# Applicants' names, drawn evenly: each first name is about 2% of applicants and each surname
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


def _users(User, count: int, password: str, rng: random.Random) -> list[int]:
    ids = []
    for start in range(0, count, BATCH):
        people = []
        for n in range(start, min(start + BATCH, count)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}{n}@bench.example".lower()
            people.append(User(email=email, first_name=first, last_name=last, password=password))
        ids += [user.pk for user in User.objects.bulk_create(people)]
    return ids


def _windows(cohorts, Module, ModuleWindow, year: int) -> None:
    modules: dict[int, list] = {}
    for module in Module.objects.select_related("course").order_by("course__position", "position"):
        modules.setdefault(module.course.programme_id, []).append(module)
    windows = []
    for cohort in cohorts:
        for n, module in enumerate(modules.get(cohort.programme_id, [])):
            opens = datetime.date(year, 9, 15) + datetime.timedelta(weeks=4 * n)
            windows.append(
                ModuleWindow(
                    cohort=cohort,
                    module=module,
                    opens_on=opens,
                    study_due_on=opens + datetime.timedelta(days=14),
                    application_due_on=opens + datetime.timedelta(days=28),
                )
            )
    ModuleWindow.objects.bulk_create(windows, batch_size=BATCH)


def _sessions(cohorts, Session, per_cohort: int, year: int) -> dict[int, list]:
    """Clinics a fortnight apart from the start; the first ones are in the past."""
    start = timezone.make_aware(datetime.datetime(year, 9, 10, 16, 0))
    made = Session.objects.bulk_create(
        (
            Session(
                cohort=cohort,
                kind=Session.Kind.CLINIC,
                title=f"Clinic {n + 1}",
                starts_at=start + datetime.timedelta(weeks=2 * n),
                ends_at=start + datetime.timedelta(weeks=2 * n, hours=1),
                status=Session.Status.SCHEDULED,
            )
            for cohort in cohorts
            for n in range(per_cohort)
        ),
        batch_size=BATCH,
    )
    by_cohort: dict[int, list] = {}
    for session in made:
        by_cohort.setdefault(session.cohort_id, []).append(session)
    return by_cohort


def _registers(enrolments, sessions, Attendance, rng) -> None:
    """A mark for every place at every session of its cohort (most present)."""
    marks = ["present"] * 8 + ["late", "absent"]
    batch = []
    for enrolment in enrolments:
        for session in sessions[enrolment.cohort_id]:
            batch.append(Attendance(session=session, enrolment=enrolment, mark=rng.choice(marks)))
            if len(batch) >= BATCH:
                Attendance.objects.bulk_create(batch)
                batch = []
    Attendance.objects.bulk_create(batch)
