"""Whether a programme asks for a TRN is the programme's: teaching assistants (TA SKTM) apply
without one; an NPQ still requires it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.models import Application
from applications.services import application_save_answers, application_start, application_submit
from applications.steps import steps_for
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.tests.factories import UserFactory, sign_in
from programmes.models import Programme
from programmes.services import catalogue_load
from programmes.tests.factories import ProgrammeFactory
from schools.tests.factories import SchoolFactory

from .test_applications import ANSWERS

pytestmark = pytest.mark.django_db

WITHOUT_TRN = {key: value for key, value in ANSWERS.items() if key != "trn"}


def _started(programme) -> Application:
    SchoolFactory(urn=123456)
    cohort = CohortFactory(programme=programme, status=Cohort.Status.OPEN)
    application = application_start(applicant=UserFactory(), cohort=cohort)
    return application_save_answers(application=application, answers=WITHOUT_TRN)


def test_the_catalogue_loads_ta_sktm_without_a_trn_question_and_npqs_with_one():
    catalogue_load()

    asked = dict(Programme.objects.values_list("slug", "trn_asked"))

    assert asked["maths-hub-teaching-assistants-sktm"] is False
    assert asked["npq-headship"] is True
    assert asked["maths-hub-mastering-number"] is True


def test_a_teaching_assistant_applies_for_ta_sktm_without_a_trn(client):
    programme = ProgrammeFactory(slug="maths-hub-teaching-assistants-sktm", trn_asked=False)
    application = _started(programme)
    sign_in(client, application.applicant)

    asked = [step.key for step in steps_for(application.answers, programme)]
    check = client.get(reverse("applications:application-check", args=[application.pk]))
    sent = application_submit(application=application, by=application.applicant)

    assert "trn" not in asked
    assert check.status_code == 200  # no question left: straight to check your answers
    assert (sent.status, sent.trn) == (Application.Status.AWAITING_SCHOOL, "")


def test_an_npq_still_requires_a_trn():
    programme = ProgrammeFactory(course_identifier="npq-headship", slug="npq-headship")
    application = _started(programme)

    with pytest.raises(ValidationError, match="your TRN"):
        application_submit(application=application, by=application.applicant)

    assert "trn" in [step.key for step in steps_for(application.answers, programme)]
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT
