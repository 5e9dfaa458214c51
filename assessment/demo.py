"""Demo assessment for `make run`: a closed window of the running demo cohort, its work
allocated to the demo assessor, some of it marked, so the marking pages have something to
show. Development only, like the rest of the demo data."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from npq_portal.models import User

DEMO_CASE_STUDY = (
    "Oakfield Primary's Year 4 teachers had each built their own fractions sequence. I began "
    "by looking at pupils' books across the year group with the maths lead, and found that "
    "unit fractions were taught after equivalence in two classes out of three.\n\n"
    "My plan was to agree one sequence, built on the Teaching for Mastery materials, and to "
    "give teachers time to rehearse the key representations together in two staff meetings."
)


@transaction.atomic
def demo_assessment_load() -> None:
    """A window of the running demo cohort that closed last week, with six pieces of work
    submitted and allocated to the demo assessor, two of them already marked. Safe to run
    again (it is made once)."""
    from cohorts.models import Cohort
    from participants.models import Enrolment

    from .models import AssessmentWindow, Submission
    from .rules import count_words
    from .services import marking_record, markings_allocate

    cohort = Cohort.objects.filter(name="Autumn start, Wirral (demo, running)").first()
    assessor = User.objects.filter(email="assessor@demo.example").first()
    lead = User.objects.filter(email="lead@demo.example").first()
    if cohort is None or assessor is None:
        return
    now = timezone.now()
    window, created = AssessmentWindow.objects.get_or_create(
        programme=cohort.programme,
        cohort=cohort,
        title="Demo assessment window",
        defaults={
            "opens_at": now - datetime.timedelta(days=15),
            "closes_at": now - datetime.timedelta(days=7),
            "results_release_at": now + datetime.timedelta(days=21),
            "created_by": lead,
        },
    )
    if not created:
        return
    places = Enrolment.objects.filter(cohort=cohort).select_related("participant")
    places = places.order_by("participant__first_name")[:7]
    for number, place in enumerate(places):
        if place.participant.first_name == "Ben":
            continue  # below the participation threshold: he could not submit
        text = DEMO_CASE_STUDY
        Submission.objects.create(
            enrolment=place,
            window=window,
            text=text,
            word_count=count_words(text),
            status=Submission.Status.SUBMITTED,
            submitted_at=window.opens_at + datetime.timedelta(days=number + 1),
            submitted_by=place.participant,
        )
    markings_allocate(window=window, assessors=[assessor], by=lead or assessor)
    criteria = cohort.programme.assessment_criteria_list
    for marking, result in zip(
        assessor.markings.order_by("pk")[:2], ("pass", "fail"), strict=False
    ):
        marking_record(
            marking=marking,
            result=result,
            criteria_met=criteria if result == "pass" else criteria[:1],
            feedback=(
                "A clear diagnosis from pupils' books and a well-sequenced plan."
                if result == "pass"
                else "The plan is sound, but the work does not yet evaluate its impact."
            ),
            by=assessor,
        )
