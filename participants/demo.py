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
