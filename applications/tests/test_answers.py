"""Every answer an applicant gave, in view: the staff page, the queue's filter and export, and
the school's approval page."""

import pytest
from django.urls import reverse

from applications.links import approval_token
from applications.models import Application
from applications.steps import answers_in_words
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from programmes.models import Programme
from programmes.tests.factories import ProgrammeFactory
from reports.tests.factories import column, rows_of

from .factories import ApplicationFactory

pytestmark = pytest.mark.django_db

LPM = "npq-leading-primary-mathematics"
ANSWERS = {
    "works_in_england": "yes",
    "work_setting": "a_school",
    "school_urn": "140001",
    "school_name": "Oakfield Primary School (140001)",
    "role": "Maths lead",
    "trn": "1234567",
    "mastery": "other_way",
    "mastery_how": "I led our trust's maths mastery network for two years.",
    "headteacher_name": "Helen Whitfield",
    "headteacher_email": "head@oakfield.example",
    "payment": "trust",
}


def _lpm_application(**answers) -> Application:
    programme = Programme.objects.filter(course_identifier=LPM).first() or ProgrammeFactory(
        course_identifier=LPM
    )
    cohort = CohortFactory(programme=programme, name="Autumn start, Chester")
    return ApplicationFactory(
        cohort=cohort,
        answers={**ANSWERS, **answers},
        submitted_at="2026-11-01T10:00Z",
        status=Application.Status.SCHOOL_APPROVED,
    )


def _lead(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))


def test_the_staff_page_shows_every_answer_in_words(client):
    application = _lpm_application()
    _lead(client)

    page = client.get(application.get_absolute_url()).content.decode()

    for words in (
        "A school",
        "Oakfield Primary School (140001)",
        "Maths lead",
        "1234567",
        "No, but I can show a mastery approach another way",
        "I led our trust&#x27;s maths mastery network for two years.",
        "Helen Whitfield",
        "head@oakfield.example",
        "My trust",
        "Autumn start, Chester",
    ):
        assert words in page, words


def test_senco_and_headship_answers_are_shown_with_their_dates():
    senco = ProgrammeFactory(course_identifier="npq-senco")
    ehco = ProgrammeFactory(course_identifier="npq-early-headship-coaching-offer")

    senco_answers = answers_in_words(
        {**ANSWERS, "senco_in_role": "yes", "senco_since": "2024-09-01"}, senco
    )
    ehco_answers = answers_in_words({**ANSWERS, "new_headteacher": "yes"}, ehco)

    assert ("Are you a SENCO?", "Yes") in [(a.question, a.answer) for a in senco_answers]
    assert ("Since when? (if you are one)", "1 September 2024") in [
        (a.question, a.answer) for a in senco_answers
    ]
    assert (
        "Are you a headteacher in your first five years of headship?",
        "Yes",
    ) in [(a.question, a.answer) for a in ehco_answers]


def test_the_queue_filters_by_an_answer_and_shows_the_cohort(client):
    closer_look = _lpm_application()
    _lpm_application(mastery="completed_year", mastery_how="")
    _lead(client)

    response = client.get(reverse("applications:application-list"), {"answer": "mastery=other_way"})

    assert list(response.context["object_list"]) == [closer_look]
    page = response.content.decode()
    assert "Autumn start, Chester" in page
    assert "No, but I can show a mastery approach another way" in page  # the filter's option


@pytest.mark.parametrize("tampered", ["mastery__contains=other", "mastery=other way", "=x"])
def test_an_answer_filter_that_is_not_a_question_and_choice_is_left_out(client, tampered):
    _lpm_application()
    _lpm_application(mastery="completed_year")
    _lead(client)

    response = client.get(reverse("applications:application-list"), {"answer": tampered})

    assert response.context["paginator"].count == 2


def test_the_queue_export_has_every_answer_in_words(client):
    _lpm_application()
    _lead(client)

    response = client.get(
        reverse("reports:export-create", args=["applications", "csv"]),
        {"answer": "mastery=other_way"},
    )
    rows = rows_of(response, "csv")

    assert column(rows, "Have you taken part in Teaching for Mastery?") == [
        "No, but I can show a mastery approach another way"
    ]
    assert column(rows, "How can you show a mastery approach?") == [ANSWERS["mastery_how"]]
    assert column(rows, "If your place is not funded, who will pay?") == ["My trust"]
    assert column(rows, "Where do you work?") == ["A school"]


def test_the_school_sees_every_answer_on_the_approval_page(client):
    application = _lpm_application()
    application.status = Application.Status.AWAITING_SCHOOL
    application.save()

    page = client.get(
        reverse("applications:school-approval", args=[approval_token(application)])
    ).content.decode()

    assert "No, but I can show a mastery approach another way" in page
    assert "My trust" in page
