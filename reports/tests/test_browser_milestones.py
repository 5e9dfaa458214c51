"""The milestone page and the school leader's pages in headless Chromium: axe finds nothing
serious, and the termly summary prints without the navigation. Screenshots go to
test-artifacts/."""

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from cohorts.tests.factories import CohortFactory
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import (
    StaffUserFactory,
    UserFactory,
)
from participants.services import enrolment_change, register_take
from participants.tests.factories import EnrolmentFactory
from programmes.models import Programme
from programmes.tests.factories import ProgrammeFactory
from reports.terms import term_of
from schools.services import school_leader_confirm
from schools.tests.factories import SchoolFactory

from .helpers import funded_decision, funded_place, module_window, released_outcome, session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cohort_under_way():
    """An 18-month leadership cohort that started ten weeks ago, with two registers taken and
    people in every state the milestone page shows."""
    now = timezone.now()
    today = timezone.localdate()
    programme = ProgrammeFactory(
        course_identifier="npq-senior-leadership-browser",
        short_name="NPQSL",
        name="NPQ in Senior Leadership",
        family=Programme.Family.LEADERSHIP,
        length_months=18,
    )
    school = SchoolFactory(name="St Oswald’s Primary School")
    with time_machine.travel(now - datetime.timedelta(days=80)):
        cohort = CohortFactory(
            programme=programme,
            name="Autumn start, Chester",
            academic_year=term_of(today).academic_year,
            starts_on=today - datetime.timedelta(days=70),
            ends_on=today + datetime.timedelta(days=480),
        )
        places = {}
        for first, last in [("Siobhán", "O’Neill"), ("Tom", "Baker"), ("Ada", "Lovelace")]:
            person = UserFactory(first_name=first, last_name=last)
            application = ApplicationFactory(
                applicant=person,
                cohort=cohort,
                school=school,
                status=Application.Status.ACCEPTED,
                funding_decision=funded_decision(),
            )
            places[first] = EnrolmentFactory(
                participant=person, cohort=cohort, application=application
            )
        places["Dan"] = funded_place(cohort, UserFactory(first_name="Dan"))
    first = session(cohort, now - datetime.timedelta(days=9), title="Leadership conference")
    second = session(cohort, now - datetime.timedelta(days=2), title="Clinic 1")
    session(cohort, now + datetime.timedelta(days=12), title="Clinic 2")
    module_window(
        cohort,
        opens_on=today - datetime.timedelta(days=60),
        study_due_on=today - datetime.timedelta(days=40),
        application_due_on=today + datetime.timedelta(days=20),
    )
    marks = {"Siobhán": "present", "Tom": "absent", "Ada": "present", "Dan": "late"}
    register_take(session=first, marks={places[n].pk: m for n, m in marks.items()}, by=None)
    marks = {"Siobhán": "present", "Tom": "absent", "Ada": "excused", "Dan": "present"}
    register_take(session=second, marks={places[n].pk: m for n, m in marks.items()}, by=None)
    enrolment_change(enrolment=places["Dan"], to="deferred", by=StaffUserFactory(), reason="other")
    released_outcome(places["Ada"], "failed", now - datetime.timedelta(days=1))
    return cohort, school, places, first


def test_the_milestone_page_has_noserious_violations(live_server, page):
    cohort, _, _, _ = _cohort_under_way()
    SCREENSHOTS.mkdir(exist_ok=True)
    browser_sign_in(page, live_server, StaffUserFactory())

    page.goto(live_server.url + reverse("cohorts:cohort-detail", args=[cohort.pk]))
    page.get_by_role("link", name="DfE milestones").click()
    page.wait_for_url(re.compile("/milestones/$"))
    page.screenshot(path=SCREENSHOTS / "milestones-cohort.png", full_page=True)
    cohort_serious, cohort_report = serious_violations(page)
    page.goto(live_server.url + reverse("reports:dashboard"))
    page.get_by_role("link", name="DfE milestones").click()
    page.get_by_role("link", name=re.compile("Claimable now")).click()
    page.wait_for_url(re.compile("show=claimable"))
    page.screenshot(path=SCREENSHOTS / "milestones-claimable.png", full_page=True)
    list_serious, list_report = serious_violations(page)

    assert page.get_by_role("row", name=re.compile("Siobhán O’Neill")).is_visible()
    assert cohort_serious == [], cohort_report
    assert list_serious == [], list_report


def test_the_school_leaders_pages_have_no_serious_violations_and_print(live_server, page):
    _, school, _, first = _cohort_under_way()
    leader = UserFactory(first_name="Helen", last_name="Whitfield")
    school_leader_confirm(user=leader, school=school, by=StaffUserFactory())
    term = term_of(timezone.localdate(first.starts_at))
    SCREENSHOTS.mkdir(exist_ok=True)
    browser_sign_in(page, live_server, leader)

    page.goto(live_server.url + reverse("participants:school-leader-home"))
    page.screenshot(path=SCREENSHOTS / "my-school.png", full_page=True)
    home_serious, home_report = serious_violations(page)
    page.get_by_role("link", name="Termly summary").click()
    page.goto(live_server.url + reverse("reports:school-summary") + f"?term={term.slug}")
    page.screenshot(path=SCREENSHOTS / "school-summary.png", full_page=True)
    summary_serious, summary_report = serious_violations(page)
    assert page.get_by_role("button", name="Print").is_visible()
    page.emulate_media(media="print")
    page.screenshot(path=SCREENSHOTS / "school-summary-print.png", full_page=True)
    printed_nav = page.get_by_role("link", name="Download PDF").is_visible()
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    (SCREENSHOTS / "school-summary.pdf").write_bytes(pdf)

    assert home_serious == [], home_report
    assert summary_serious == [], summary_report
    assert not printed_nav
    assert pdf.startswith(b"%PDF")
