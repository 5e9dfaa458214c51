"""Fees and charges in headless Chromium: the payment question shows the fee, and staff mark a
charge invoiced on the charges page (both scanned with axe). Screenshots go to test-artifacts/."""

import pytest
from django.urls import reverse

from applications.services import application_save_answers, application_start
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory, UserFactory
from participants.models import Charge, Enrolment
from participants.tests.factories import ChargeFactory, EnrolmentFactory
from programmes.tests.factories import ProgrammeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _npqlpm(**fields):
    programme = ProgrammeFactory(
        name="NPQ in Leading Primary Mathematics",
        short_name="NPQLPM",
        slug="npq-leading-primary-mathematics",
        course_identifier="npq-leading-primary-mathematics",
        default_fee=1250,
    )
    return CohortFactory(
        programme=programme, name="Autumn start", status=Cohort.Status.OPEN, **fields
    )


def test_the_payment_question_shows_the_fee(live_server, page):
    teacher = UserFactory(first_name="Priya", last_name="Shah")
    application = application_start(applicant=teacher, cohort=_npqlpm())
    application_save_answers(
        application=application,
        answers={"works_in_england": "yes", "work_setting": "other", "referred": "no"},
    )
    browser_sign_in(page, live_server, teacher)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(
        live_server.url + reverse("applications:application-step", args=[application.pk, "payment"])
    )
    page.screenshot(path=SCREENSHOTS / "payment-question-fee.png", full_page=True)
    serious, report = serious_violations(page)

    assert page.get_by_text("If your place is not funded, it costs £1,250").is_visible()
    assert serious == [], report


def test_staff_mark_a_charge_invoiced_on_the_charges_page(live_server, page):
    cohort = _npqlpm()
    charges = [
        ChargeFactory(
            enrolment=EnrolmentFactory(cohort=cohort, participant=UserFactory()),
            payer_name=name,
            payer=payer,
            payer_reference=reference,
        )
        for name, payer, reference in [
            ("Oakfield Primary School", "school", "123456"),
            ("Beech Lane Academy", "trust", "140201"),
            ("Sam Taylor", "self", "sam.taylor@example.com"),
        ]
    ]
    withdrawn = charges[2].enrolment
    Enrolment.objects.filter(pk=withdrawn.pk).update(status=Enrolment.Status.WITHDRAWN)
    browser_sign_in(page, live_server, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + reverse("participants:charge-list"))
    page.get_by_role("button", name="Mark invoiced").first.click()
    page.get_by_text(f"NPQ-{charges[0].pk} marked invoiced.").wait_for()
    page.screenshot(path=SCREENSHOTS / "charges-list.png", full_page=True)
    serious, report = serious_violations(page)

    assert Charge.objects.get(pk=charges[0].pk).status == Charge.Status.INVOICED
    assert page.get_by_text("Withdrawn before invoicing").is_visible()
    assert serious == [], report
