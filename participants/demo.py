"""Demo cohort, schools and an application for `make run`, so every role has something to see.

Development only: the load_demo_data command refuses to run outside a developer's machine.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from applications.models import Application
from npq_portal.models import User
from schools.models import School, normalise_name, normalise_postcode

DEMO_SCHOOLS = [
    (123456, "Oakfield Primary School", "Chester", "CH1 2AB", 34, "Academy converter", 210),
    (
        123457,
        "St Mary’s C of E Primary School",
        "Neston",
        "CH64 9QT",
        2,
        "Voluntary aided school",
        96,
    ),
    (123458, "Hazelwood High School", "Crewe", "CW1 3LB", 28, "Academy sponsor led", 1120),
]


@transaction.atomic
def demo_journey_load() -> None:
    """An open NPQLPM cohort with its timetable, three schools, a confirmed school leader and
    the demo teacher's application waiting for the head. Safe to run again."""
    from applications.services import (
        application_save_answers,
        application_start,
        application_submit,
    )
    from cohorts.models import Cohort, DeliveryPartner
    from cohorts.services import cohort_move, timetable_generate, timetable_publish
    from programmes.models import Programme
    from schools.services import school_leader_confirm

    for urn, name, town, postcode, type_code, type_name, pupils in DEMO_SCHOOLS:
        School.objects.get_or_create(
            urn=urn,
            defaults={
                "name": name,
                "name_normalised": normalise_name(name),
                "town": town,
                "postcode": postcode,
                "postcode_normalised": normalise_postcode(postcode),
                "establishment_type_code": type_code,
                "establishment_type_name": type_name,
                "phase_name": "Secondary" if "High" in name else "Primary",
                "la_code": "875",
                "la_name": "Cheshire West and Chester",
                "number_of_pupils": pupils,
            },
        )
    programme = Programme.objects.filter(slug="npq-leading-primary-mathematics").first()
    if programme is None:  # the catalogue is loaded first by `make run`
        return
    partner, _ = DeliveryPartner.objects.get_or_create(
        name="Generate Teaching School Hub",
        defaults={"contact_email": "hub@generate.example", "region": "Cheshire and Wirral"},
    )
    year = timezone.localdate().year + (1 if timezone.localdate().month >= 6 else 0)
    cohort, created = Cohort.objects.get_or_create(
        programme=programme,
        name="Autumn start, Chester (demo)",
        defaults={
            "academic_year": year,
            "starts_on": datetime.date(year, 10, 6),
            "ends_on": datetime.date(year + 1, 7, 16),
            "application_deadline": datetime.date(year, 9, 19),
            "delivery_partner": partner,
            "venue": "Hoole Conference Centre, Chester",
            "capacity": 24,
        },
    )
    facilitator = User.objects.filter(email="facilitator@demo.example").first()
    if created:
        if facilitator:
            cohort.facilitators.add(facilitator)
        timetable_generate(cohort=cohort, by=None)
        timetable_publish(cohort=cohort, by=None)
        cohort_move(cohort=cohort, to=Cohort.Status.OPEN, by=None, reason="Demo")
    head = User.objects.filter(email="head@demo.example").first()
    if head:
        school_leader_confirm(user=head, school=School.objects.get(urn=123456), by=None)
    teacher = User.objects.filter(email="teacher@demo.example").first()
    if teacher and not Application.objects.filter(applicant=teacher, cohort=cohort).exists():
        from applications.selectors import mastery_evidence

        # Oakfield's completed Development year answers the Teaching for Mastery question.
        _demo_history_load()
        evidence = mastery_evidence(user=teacher, school=School.objects.get(urn=123456))
        application = application_start(applicant=teacher, cohort=cohort)
        application = application_save_answers(
            application=application,
            answers={
                "works_in_england": "yes",
                "work_setting": "a_school",
                "school_urn": "123456",
                "school_name": "Oakfield Primary School, Chester (URN 123456)",
                "role": "Maths lead",
                "trn": "1234567",
                "mastery": "completed_year",
                "mastery_evidence": evidence.sentence if evidence else "",
                "headteacher_name": "Helen Whitfield",
                "headteacher_email": "head@demo.example",
                "payment": "school",
            },
        )
        application_submit(application=application, by=teacher)


DEMO_PARTICIPANTS = [
    ("Amira", "Hussain"),
    ("Ben", "Okafor"),
    ("Chloe", "Davies"),
    ("Dev", "Patel"),
    ("Erin", "Walsh"),
    ("Femi", "Adeyemi"),
    ("Grace", "Liu"),
    ("Harry", "Evans"),
]


@transaction.atomic
def demo_running_cohort_load() -> None:
    """A cohort that started this autumn, with eight participants, its past registers taken
    and some module phases ticked, so the progress grid and the participants' pages have
    something to show. Safe to run again (it is made once)."""
    from cohorts.models import Cohort, DeliveryPartner, ModuleWindow, Session
    from cohorts.services import cohort_move, timetable_generate, timetable_publish
    from programmes.models import Programme

    from .models import Enrolment
    from .services import module_phase_set, register_take

    programme = Programme.objects.filter(slug="npq-leading-primary-mathematics").first()
    partner = DeliveryPartner.objects.filter(name="Generate Teaching School Hub").first()
    if programme is None or partner is None:
        return
    today = timezone.localdate()
    year = today.year if today.month >= 9 else today.year - 1
    cohort, created = Cohort.objects.get_or_create(
        programme=programme,
        name="Autumn start, Wirral (demo, running)",
        defaults={
            "academic_year": year,
            "starts_on": datetime.date(year, 9, 8),
            "ends_on": datetime.date(year + 1, 7, 10),
            "delivery_partner": partner,
            "venue": "Wirral Learning Centre, Birkenhead",
            "capacity": 20,
        },
    )
    if not created:
        return
    facilitator = User.objects.filter(email="facilitator@demo.example").first()
    if facilitator:
        cohort.facilitators.add(facilitator)
    timetable_generate(cohort=cohort, by=None)
    timetable_publish(cohort=cohort, by=None)
    cohort_move(cohort=cohort, to=Cohort.Status.OPEN, by=None, reason="Demo")
    cohort_move(cohort=cohort, to=Cohort.Status.RUNNING, by=None, reason="Demo")
    enrolments = []
    for first, last in DEMO_PARTICIPANTS:
        person, _ = User.objects.get_or_create(
            email=f"{first.lower()}.{last.lower()}@demo.example",
            defaults={"first_name": first, "last_name": last},
        )
        enrolment = Enrolment.objects.create(participant=person, cohort=cohort)
        # As if they had joined before the start, so every session counts for them.
        Enrolment.objects.filter(pk=enrolment.pk).update(
            created_at=timezone.make_aware(datetime.datetime(year, 8, 1))
        )
        enrolments.append(enrolment)
    past = Session.objects.filter(cohort=cohort, starts_at__lt=timezone.now()).order_by("starts_at")
    for number, session in enumerate(past):
        marks = {}
        for index, enrolment in enumerate(enrolments):
            # Ben misses everything lately; Dev is often late; Erin was excused once.
            mark = "present"
            if index == 1 and number >= 1:
                mark = "absent"
            elif index == 3 and number % 2:
                mark = "late"
            elif index == 4 and number == 0:
                mark = "excused"
            marks[enrolment.pk] = mark
        register_take(session=session, marks=marks, by=facilitator)
    for window in ModuleWindow.objects.filter(cohort=cohort, opens_on__lte=today):
        for index, enrolment in enumerate(enrolments):
            if index == 1:
                continue
            for phase in ("study", "application"):
                due = window.study_due_on if phase == "study" else window.application_due_on
                if due < today or index % 3 == 0:
                    module_phase_set(
                        enrolment=enrolment,
                        module=window.module,
                        phase=phase,
                        done=True,
                        by=enrolment.participant,
                    )


# ---- Maths Hub Work Groups ----

# More primary schools of the hub's area, for the Work Groups: (URN, name, town, postcode,
# establishment type code and name, pupils).
DEMO_WORK_GROUP_SCHOOLS = [
    (123460, "Brookside Primary School", "Ellesmere Port", "CH65 9BD", 1, "Community school", 240),
    (
        123461,
        "Greenfields Community Primary School",
        "Northwich",
        "CW9 7RS",
        1,
        "Community school",
        315,
    ),
    (123462, "Castle View Primary School", "Frodsham", "WA6 7QN", 34, "Academy converter", 190),
    (123463, "Meadow Lane Primary School", "Winsford", "CW7 1LB", 1, "Community school", 205),
    (123464, "Willow Bank Primary School", "Tarporley", "CW6 0DX", 5, "Foundation school", 140),
    (123465, "Hollybush Infant School", "Chester", "CH2 3PL", 1, "Community school", 170),
]

# The slots the demo names people in when the catalogue has set none for the programme (the
# catalogue's defaults add their own, with supporting roles, when they are loaded).
DEMO_ROLE_SLOTS = {
    "maths-hub-mastering-number": (
        "Reception lead teacher",
        "Year 1 lead teacher",
        "Year 2 lead teacher",
    ),
    "maths-hub-primary-development-work-group": ("Lead teacher 1", "Lead teacher 2"),
    "maths-hub-teaching-for-mastery-embedding": ("Lead teacher 1", "Lead teacher 2"),
}

# Each school's people: its headteacher, its maths lead (who signs the school up) and the
# teachers it names, in the order of the programme's slots.
DEMO_STAFF = {
    123456: (
        "Helen Whitfield",
        ("Sam", "Taylor"),
        [("Priya", "Shah"), ("Tom", "Bennett"), ("Lucy", "Morgan")],
    ),
    123457: (
        "Martin Kelly",
        ("Joanne", "Price"),
        [("Aisha", "Khan"), ("Owen", "Jones"), ("Ruth", "Clarke")],
    ),
    123460: (
        "Claire Dunn",
        ("Mark", "Ellis"),
        [("Nadia", "Rahman"), ("Jack", "Fletcher"), ("Sophie", "Ward")],
    ),
    123461: (
        "Paul Hughes",
        ("Karen", "Lloyd"),
        [("Imran", "Ali"), ("Beth", "Roberts"), ("Callum", "Reid")],
    ),
    123462: (
        "Anne Foster",
        ("Rachel", "Green"),
        [("Daniel", "Moss"), ("Ella", "Brooks"), ("Fiona", "Hart")],
    ),
    123463: (
        "Simon Parry",
        ("Laura", "Webb"),
        [("Gemma", "Hall"), ("Hassan", "Malik"), ("Isla", "Kerr")],
    ),
    123464: (
        "Diane Marsh",
        ("Neil", "Cooper"),
        [("Joe", "Palmer"), ("Kate", "Owens"), ("Liam", "Doyle")],
    ),
    123465: (
        "Yvonne Scott",
        ("Emma", "Baker"),
        [("Megan", "Lewis"), ("Noah", "Grant"), ("Olivia", "Pike")],
    ),
}


def _demo_school(urn, name, town, postcode, type_code, type_name, pupils) -> School:
    school, _ = School.objects.get_or_create(
        urn=urn,
        defaults={
            "name": name,
            "name_normalised": normalise_name(name),
            "town": town,
            "postcode": postcode,
            "postcode_normalised": normalise_postcode(postcode),
            "establishment_type_code": type_code,
            "establishment_type_name": type_name,
            "phase_name": "Primary",
            "la_code": "875",
            "la_name": "Cheshire West and Chester",
            "number_of_pupils": pupils,
        },
    )
    return school


def _demo_person(first: str, last: str) -> User:
    person, _ = User.objects.get_or_create(
        email=f"{first.lower()}.{last.lower()}@demo.example",
        defaults={"first_name": first, "last_name": last},
    )
    return person


def _work_group_programme(slug: str):
    """The catalogue's programme, taken part in by school teams, with slots to name people in
    (the demo's own when the catalogue has set none); None before the catalogue is loaded."""
    from programmes.models import Programme, RoleSlot

    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        return None
    if not programme.for_school_teams:
        programme.participation = Programme.Participation.SCHOOL_TEAM
        programme.save(update_fields=["participation", "updated_at"])
    if not programme.role_slots.exists():
        for position, label in enumerate(DEMO_ROLE_SLOTS[slug]):
            RoleSlot.objects.create(
                programme=programme,
                position=position,
                label=label,
                kind=RoleSlot.Kind.LEAD,
                required=True,
            )
    return programme


def _work_group_cohort(programme, *, name: str, year: int, starts_on, ends_on, capacity: int):
    """The Work Group's cohort with six half-day workshops across its teaching days, published
    and open; None when it was made before (the demo makes each once)."""
    from zoneinfo import ZoneInfo

    from cohorts.models import Cohort, DeliveryPartner, Session
    from cohorts.selectors import cohort_school_year
    from cohorts.services import cohort_move, session_save, timetable_publish

    hub, _ = DeliveryPartner.objects.get_or_create(
        name="Cheshire and Wirral Maths Hub",
        defaults={"contact_email": "hub@maths-hub.example", "region": "Cheshire and Wirral"},
    )
    cohort, created = Cohort.objects.get_or_create(
        programme=programme,
        name=name,
        defaults={
            "academic_year": year,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "delivery_partner": hub,
            "venue": "Hoole Conference Centre, Chester",
            "capacity": capacity,
        },
    )
    if not created:
        return None
    facilitator = User.objects.filter(email="facilitator@demo.example").first()
    if facilitator:
        cohort.facilitators.add(facilitator)  # the Work Group Lead
    days = cohort_school_year(cohort=cohort).teaching_days(starts_on, ends_on)
    london = ZoneInfo("Europe/London")
    for number in range(6):
        day = days[(len(days) - 1) * number // 5]
        session_save(
            session=Session(
                cohort=cohort,
                kind=Session.Kind.WORKSHOP,
                title=f"Workshop {number + 1}",
                starts_at=datetime.datetime.combine(day, datetime.time(9), tzinfo=london),
                ends_at=datetime.datetime.combine(day, datetime.time(12, 30), tzinfo=london),
                venue=cohort.venue,
            ),
            by=None,
        )
    timetable_publish(cohort=cohort, by=None)
    cohort_move(cohort=cohort, to=Cohort.Status.OPEN, by=None, reason="Demo")
    return cohort


def _team_sign_up(cohort, urn: int, *, applicant: User | None = None, head_email: str = ""):
    """The school's team sign-up, sent and waiting for its head: made here as the sign-up
    pages leave it, with one of the school's teachers in each lead or required slot."""
    from applications.models import TeamMember
    from programmes.models import RoleSlot

    head, (lead_first, lead_last), teachers = DEMO_STAFF[urn]
    applicant = applicant or _demo_person(lead_first, lead_last)
    head_email = head_email or f"head.{urn}@demo.example"
    school = School.objects.get(urn=urn)
    application = Application.objects.create(
        applicant=applicant,
        cohort=cohort,
        school=school,
        # The answers the sign-up's pages keep (applications.team_steps).
        answers={
            "school_urn": str(urn),
            "school_name": school.name,
            "applicant_role": "maths_lead",
            "headteacher_name": head,
            "headteacher_email": head_email,
        },
        team=True,
        status=Application.Status.AWAITING_SCHOOL,
        submitted_at=timezone.now(),
        headteacher_name=head,
        headteacher_email=head_email,
        approver_email=head_email,
    )
    people = iter(teachers)
    for slot in cohort.programme.role_slots.all():
        if slot.kind != RoleSlot.Kind.LEAD and not slot.required:
            continue
        first, last = (
            head.split(" ", 1) if "head" in slot.label.lower() else next(people, (None, None))
        )
        if first is None:
            continue
        TeamMember.objects.create(
            application=application,
            slot=slot,
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower()}@demo.example",
        )
    return application


def _approved(application):
    from applications.services import application_school_decide

    return application_school_decide(
        application=application,
        approve=True,
        name=application.headteacher_name,
        email=application.approver_email,
        commits_school=True,
    )


def _school_year_now() -> int:
    today = timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def _demo_history_load() -> None:
    """Schools' earlier Development years, as staff would import them from a CSV: Oakfield's
    and Castle View's completed, Willow Bank's not."""
    from programmes.models import Programme
    from schools.models import ProgrammeHistoryImport, SchoolProgrammeYear

    development = Programme.objects.filter(slug="maths-hub-primary-development-work-group").first()
    if development is None:
        return
    for row in DEMO_WORK_GROUP_SCHOOLS:
        _demo_school(*row)
    year = _school_year_now()
    rows = [
        (123456, year - 2, SchoolProgrammeYear.Status.COMPLETED),
        (123462, year - 1, SchoolProgrammeYear.Status.COMPLETED),
        (123464, year - 1, SchoolProgrammeYear.Status.NOT_COMPLETED),
    ]
    history, _ = ProgrammeHistoryImport.objects.get_or_create(
        file_name="work-group-history-demo.csv",
        defaults={
            "uploaded_by": User.objects.filter(email="lead@demo.example").first(),
            "rows": len(rows),
            "created_count": len(rows),
        },
    )
    for urn, academic_year, status in rows:
        SchoolProgrammeYear.objects.get_or_create(
            school=School.objects.get(urn=urn),
            programme=development,
            academic_year=academic_year,
            source=SchoolProgrammeYear.Source.IMPORTED,
            defaults={"status": status, "history_import": history},
        )


@transaction.atomic
def demo_work_groups_load() -> None:
    """Maths Hub Work Groups for `make run`: an open Mastering Number Work Group with three
    schools' teams accepted and one waiting for its head; a running Development Work Group with
    its grant owed and registers taken; an open Embedding Work Group that a school with a
    completed Development year (imported) has signed up for, and another was refused. The hub
    serves Cheshire West and Chester. Safe to run again (each Work Group is made once)."""
    from applications.services import application_accept, application_reject
    from cohorts.models import Cohort
    from cohorts.services import cohort_move
    from programmes.models import Prerequisite, ProgrammeGrant
    from schools.models import LocalAuthority
    from schools.selectors import school_prerequisites_check

    from .models import Enrolment
    from .services import register_take

    LocalAuthority.objects.get_or_create(
        code="875", defaults={"name": "Cheshire West and Chester", "in_hub_area": True}
    )
    for row in DEMO_WORK_GROUP_SCHOOLS:
        _demo_school(*row)
    mastering_number = _work_group_programme("maths-hub-mastering-number")
    development = _work_group_programme("maths-hub-primary-development-work-group")
    embedding = _work_group_programme("maths-hub-teaching-for-mastery-embedding")
    if None in (mastering_number, development, embedding):
        return  # the catalogue is loaded first by `make run`
    lead = User.objects.filter(email="lead@demo.example").first()
    today = timezone.localdate()
    this_year = _school_year_now()
    next_year = today.year + (1 if today.month >= 6 else 0)  # open for sign-ups

    cohort = _work_group_cohort(
        mastering_number,
        name="Mastering Number, Chester (demo)",
        year=next_year,
        starts_on=datetime.date(next_year, 9, 22),
        ends_on=datetime.date(next_year + 1, 6, 26),
        capacity=12,
    )
    if cohort is not None:
        for urn in (123460, 123461, 123465):
            application_accept(application=_approved(_team_sign_up(cohort, urn)), by=lead)
        # Oakfield's maths lead (the demo teacher) has sent it; the demo head decides.
        _team_sign_up(
            cohort,
            123456,
            applicant=User.objects.filter(email="teacher@demo.example").first(),
            head_email="head@demo.example",
        )

    ProgrammeGrant.objects.get_or_create(
        programme=development,
        academic_year=this_year,
        defaults={"amount": 1000, "purpose": "Towards the cost of cover"},
    )
    cohort = _work_group_cohort(
        development,
        name="Development Work Group, Chester (demo, running)",
        year=this_year,
        starts_on=datetime.date(this_year, 9, 15),
        ends_on=datetime.date(this_year + 1, 7, 10),
        capacity=7,
    )
    if cohort is not None:
        for urn in (123457, 123461, 123463):
            application_accept(application=_approved(_team_sign_up(cohort, urn)), by=lead)
        members = list(Enrolment.objects.filter(cohort=cohort).order_by("pk"))
        # As if they had joined before the start, so every session counts for them.
        Enrolment.objects.filter(cohort=cohort).update(
            created_at=timezone.make_aware(datetime.datetime(this_year, 8, 1))
        )
        cohort_move(cohort=cohort, to=Cohort.Status.RUNNING, by=None, reason="Demo")
        facilitator = User.objects.filter(email="facilitator@demo.example").first()
        past = cohort.sessions.filter(starts_at__lt=timezone.now()).order_by("starts_at")
        for number, session in enumerate(past):
            marks = {}
            for index, member in enumerate(members):
                # One teacher has missed the later workshops; another was excused once.
                mark = "present"
                if index == 1 and number >= 1:
                    mark = "absent"
                elif index == 4 and number == 0:
                    mark = "excused"
                marks[member.pk] = mark
            register_take(session=session, marks=marks, by=facilitator)

    if not embedding.prerequisite_rules.exists():
        rule = Prerequisite.objects.create(
            programme=embedding, kind=Prerequisite.Kind.COMPLETED_ANY, position=0
        )
        rule.programmes.add(development)
    _demo_history_load()
    cohort = _work_group_cohort(
        embedding,
        name="Embedding Work Group, Chester (demo)",
        year=next_year,
        starts_on=datetime.date(next_year, 9, 22),
        ends_on=datetime.date(next_year + 1, 7, 3),
        capacity=6,
    )
    if cohort is not None:
        _approved(_team_sign_up(cohort, 123462))  # Development completed: for staff to accept
        refused = _approved(_team_sign_up(cohort, 123464))
        check = school_prerequisites_check(
            school=refused.school, programme=embedding, academic_year=cohort.academic_year
        )
        if not check.met:
            application_reject(application=refused, by=lead, reason=check.reason)
