"""A Work Group in headless Chromium: the Work Group Lead's page of schools and attendance, and a
team member writing their school's action plan and evaluation (every page scanned with axe).
Screenshots go to test-artifacts/."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from applications.services import application_accept
from applications.tests.factories import team_sign_up
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal.roles import Role
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import PASSWORD, StaffUserFactory
from participants.models import Enrolment, SchoolPlace
from participants.services import register_take
from programmes.tests.factories import work_group_programme
from schools.tests.factories import SchoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _development_work_group():
    """A running Development Work Group of two schools with two workshops held."""
    now = timezone.now()
    cohort = CohortFactory(
        programme=work_group_programme(
            "First lead teacher",
            "Second lead teacher",
            name="Teaching for Mastery: Development",
            short_name="TfM Development",
            completion_sessions=2,
        ),
        name="Wirral Work Group",
        status=Cohort.Status.OPEN,
    )
    places = [
        application_accept(
            application=team_sign_up(cohort=cohort, school=SchoolFactory(name=name)),
            by=StaffUserFactory(),
        )
        for name in ("Oakfield Primary School", "Beech Lane Primary School")
    ]
    Enrolment.objects.filter(cohort=cohort).update(created_at=now - datetime.timedelta(days=30))
    for n, mark in enumerate(("present", "absent")):
        session = SessionFactory(
            cohort=cohort,
            title=f"Workshop {n + 1}",
            starts_at=now - datetime.timedelta(days=14 - n),
            ends_at=now - datetime.timedelta(days=14 - n, hours=-2),
        )
        register_take(
            session=session,
            marks={member.pk: mark for place in places for member in place.members.all()},
            by=None,
        )
    return cohort, places


def test_the_work_group_lead_sees_schools_and_attendance(live_server, page):
    cohort, _ = _development_work_group()
    lead = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(lead)
    browser_sign_in(page, live_server, lead)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + reverse("cohorts:cohort-detail", args=[cohort.pk]))
    page.get_by_role("link", name="Schools and attendance").click()
    page.get_by_role("heading", name="Attendance by school and session").wait_for()
    page.screenshot(path=SCREENSHOTS / "work-group.png", full_page=True)
    serious, report = serious_violations(page)

    assert page.get_by_role("link", name="Oakfield Primary School").first.is_visible()
    assert page.get_by_text("Missed 1: Workshop 2").first.is_visible()
    assert serious == [], report


def test_a_team_member_writes_their_schools_action_plan_and_evaluation(live_server, page):
    _, places = _development_work_group()
    place = places[0]
    member = place.members.first().participant
    # As if they had set their password from the link they were emailed (which confirms it).
    member.set_password(PASSWORD)
    member.save()
    EmailAddress.objects.update_or_create(
        user=member, email=member.email, defaults={"verified": True, "primary": True}
    )
    browser_sign_in(page, live_server, member)
    SCREENSHOTS.mkdir(exist_ok=True)
    violations = []

    page.goto(live_server.url + reverse("participants:teacher-home"))
    page.get_by_role("link", name="Your school's Work Group place").click()
    page.get_by_role("heading", name="Oakfield Primary School").wait_for()
    violations += serious_violations(page)[0]
    page.get_by_role("link", name="Add the action plan").click()
    violations += serious_violations(page)[0]
    page.get_by_label("Your school's action plan").fill("Fluency every morning, 15 minutes.")
    page.get_by_role("button", name="Save the action plan").click()
    page.get_by_text("Action plan saved.").wait_for()
    page.get_by_role("link", name="Write the evaluation").click()
    for text in ("Pupils explain.", "Shared planning.", "Coaching.", "Policy rewritten."):
        violations += serious_violations(page)[0]
        page.get_by_role("textbox").fill(text)
        page.get_by_role("button", name="Save").click()
    page.get_by_text("Evaluation saved.").wait_for()
    page.screenshot(path=SCREENSHOTS / "school-place.png", full_page=True)
    violations += serious_violations(page)[0]

    place = SchoolPlace.objects.get(pk=place.pk)
    assert place.action_plan == "Fluency every morning, 15 minutes."
    assert place.evaluation_whole_school == "Policy rewritten."
    assert violations == []
