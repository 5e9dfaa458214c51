"""Demo cohort, schools and an application for `make run`, so every role has something to see.

Development only: the load_demo_data command refuses to run outside a developer's machine.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from npq_portal.models import User

from .models import Application, School, normalise_name, normalise_postcode

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
    from cohorts.models import Cohort, DeliveryPartner
    from cohorts.services import cohort_move, timetable_generate, timetable_publish
    from programmes.models import Programme

    from .services import (
        application_save_answers,
        application_start,
        application_submit,
        school_leader_confirm,
    )

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
