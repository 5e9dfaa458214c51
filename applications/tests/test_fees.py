"""The fee, where each person sees it: the applicant's payment question and check page, the
headteacher's approval page and email, and staff's application page."""

import pytest
from django.urls import reverse

from applications.links import approval_url
from applications.services import application_save_answers, application_start
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from programmes.tests.factories import ProgrammeFactory
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

ANSWERS = {
    "works_in_england": "yes",
    "work_setting": "a_school",
    "school_urn": "123456",
    "school_name": "Oakfield Primary (123456)",
    "role": "Maths lead",
    "trn": "1234567",
    "mastery": "completed_year",
    "headteacher_name": "Helen Whitfield",
    "headteacher_email": "head@oakfield.example",
}


def _cohort(*, default_fee=0, fee=None):
    programme = ProgrammeFactory(
        name="NPQ in Leading Primary Mathematics",
        slug="npq-leading-primary-mathematics",
        course_identifier="npq-leading-primary-mathematics",
        short_name="NPQLPM",
        default_fee=default_fee,
    )
    return CohortFactory(programme=programme, fee=fee, status=Cohort.Status.OPEN)


@pytest.fixture
def teacher(client):
    user = UserFactory(first_name="Priya", last_name="Shah")
    sign_in(client, user)
    return user


def _draft(teacher, cohort, **answers):
    SchoolFactory(urn=123456, name="Oakfield Primary")
    application = application_start(applicant=teacher, cohort=cohort)
    return application_save_answers(application=application, answers={**ANSWERS, **answers})


def _sent(client, teacher, cohort, django_capture_on_commit_callbacks, **answers):
    application = _draft(teacher, cohort, payment="school", **answers)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:application-check", args=[application.pk]))
    application.refresh_from_db()
    return application


def test_the_cohorts_own_fee_stands_before_the_programmes_default():
    programme_default = _cohort(default_fee=1250)
    own_fee = CohortFactory(programme=programme_default.programme, fee=900)
    free = CohortFactory(programme=programme_default.programme, fee=0)

    assert [c.effective_fee for c in (programme_default, own_fee, free)] == [1250, 900, 0]
    annotated = Cohort.objects.with_effective_fee().order_by("pk")
    assert [c.fee_due for c in annotated] == [1250, 900, 0]


def test_the_payment_question_shows_the_fee(client, teacher):
    application = _draft(teacher, _cohort(default_fee=1250))

    page = client.get(
        reverse("applications:application-step", args=[application.pk, "payment"])
    ).content.decode()

    assert "If your place is not funded, it costs <strong>£1,250</strong>" in page


def test_the_payment_question_of_a_free_cohort_says_it_costs_nothing(client, teacher):
    application = _draft(teacher, _cohort(default_fee=1250, fee=0))

    page = client.get(
        reverse("applications:application-step", args=[application.pk, "payment"])
    ).content.decode()

    assert "a place in this cohort costs nothing" in page
    assert "£" not in page


def test_check_your_answers_shows_the_fee(client, teacher):
    application = _draft(teacher, _cohort(fee=2400), payment="self")

    page = client.get(
        reverse("applications:application-check", args=[application.pk])
    ).content.decode()

    assert "£2,400 if your place is not funded" in page


def test_the_headteacher_is_told_the_fee_on_the_approval_page_and_in_the_email(
    client, teacher, mailoutbox, django_capture_on_commit_callbacks
):
    application = _sent(
        client, teacher, _cohort(default_fee=1250), django_capture_on_commit_callbacks
    )
    client.logout()

    page = client.get(approval_url(application)).content.decode()

    sentence = "If the place is not funded, the school is asked to pay £1,250."
    assert sentence in page
    email = next(m for m in mailoutbox if m.to == ["head@oakfield.example"])
    assert sentence in email.body
    assert sentence in email.alternatives[0][0]


def test_the_approval_email_of_a_free_cohort_says_it_costs_nothing(
    client, teacher, mailoutbox, django_capture_on_commit_callbacks
):
    _sent(client, teacher, _cohort(default_fee=1250, fee=0), django_capture_on_commit_callbacks)

    email = next(m for m in mailoutbox if m.to == ["head@oakfield.example"])
    assert "There is no fee: a place in this cohort costs nothing." in email.body
    assert "£" not in email.body


def test_staff_see_the_fee_and_who_pays_on_the_application(
    client, teacher, django_capture_on_commit_callbacks
):
    application = _sent(client, teacher, _cohort(fee=1250), django_capture_on_commit_callbacks)
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    page = client.get(application.get_absolute_url()).content.decode()

    assert "£1,250 if the place is not funded; who pays: the school" in page


def test_staff_set_the_fees_on_the_programme_and_cohort_forms():
    from cohorts.forms import CohortForm
    from programmes.forms import ProgrammeForm

    assert "fee" in CohortForm.base_fields and "default_fee" in ProgrammeForm.base_fields
    # A default fee left blank is free, not an error.
    assert ProgrammeForm.base_fields["default_fee"].clean("") == 0
    assert ProgrammeForm.base_fields["default_fee"].clean("1250") == 1250
