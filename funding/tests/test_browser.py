"""Funding that waits for a list, in headless Chromium: the staff warning and what the
applicant reads; axe finds nothing serious, and screenshots go to test-artifacts/."""

import re

import pytest
from django.urls import reverse

from applications.services import application_save_answers, application_start
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from funding.services import funding_decide
from npq_portal.roles import Role
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory, UserFactory
from schools.tests.factories import SchoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_funding_page_warns_of_the_missing_list(live_server, page):
    SchoolFactory(urn=123456, establishment_type_code=1)
    for n in range(2):
        funding_decide(
            subject=f"applications.application:{n}",
            facts={
                "course_identifier": "npq-leading-teaching",
                "work_setting": "a_school",
                "institution": {"urn": "123456"},
            },
            rules="2026",
        )
    browser_sign_in(page, live_server, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + reverse("funding:eligibility-lists"))
    page.screenshot(path=SCREENSHOTS / "funding-lists-warning.png", full_page=True)
    serious, report = serious_violations(page)

    warning = page.get_by_role("region", name="Funding waits for eligibility lists")
    assert warning.get_by_text(
        re.compile(r"PP50 schools \(by URN\) has never been uploaded: 2 provisional decisions")
    ).is_visible()
    assert serious == [], report


def test_the_applicant_reads_that_the_hub_will_confirm_their_funding(live_server, page):
    from programmes.models import Programme
    from programmes.services import catalogue_load

    catalogue_load()
    SchoolFactory(name="Oakfield Primary School", urn=123456, establishment_type_code=1)
    cohort = CohortFactory(
        programme=Programme.objects.get(slug="npq-leading-primary-mathematics"),
        status=Cohort.Status.OPEN,
    )
    teacher = UserFactory()
    application = application_start(applicant=teacher, cohort=cohort)
    application_save_answers(
        application=application,
        answers={
            "works_in_england": "yes",
            "work_setting": "a_school",
            "school_urn": "123456",
            "school_name": "Oakfield Primary School (123456)",
            "role": "Maths lead",
            "trn": "1234567",
            "mastery": "completed_year",
            "headteacher_name": "Helen Whitfield",
            "headteacher_email": "head@oakfield.example",
        },
    )
    browser_sign_in(page, live_server, teacher)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(
        live_server.url + reverse("applications:application-step", args=[application.pk, "payment"])
    )
    page.screenshot(path=SCREENSHOTS / "apply-funding-to-be-confirmed.png", full_page=True)
    serious, report = serious_violations(page)

    assert page.get_by_text("Your funding is not decided yet.").is_visible()
    assert page.get_by_text(
        re.compile("will be confirmed by the hub once DfE.s RISE list of schools and PP50")
    ).is_visible()
    assert page.get_by_text("not likely to be funded").count() == 0
    assert serious == [], report
