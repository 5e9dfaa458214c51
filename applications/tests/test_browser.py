"""A school's Work Group sign-up in headless Chromium: a maths lead signs up a Mastering Number
team of three, the head approves from the emailed link, staff accept the school, each of the
three sets a password from their email and sees the sessions, and the Work Group Lead sees the
school; axe finds nothing serious on any page, and screenshots go to test-artifacts/."""

import re

import pytest
from django.urls import reverse

from applications.models import Application
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory, SessionFactory
from npq_portal.models import User
from npq_portal.roles import Role
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import PASSWORD, StaffUserFactory, UserFactory
from programmes.tests.factories import work_group_programme
from schools.tests.factories import SchoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEAM = [
    ("Reception lead teacher", "Rhian", "Jones", "rhian@oakfield.example"),
    ("Year 1 lead teacher", "Sam", "Okafor", "sam@oakfield.example"),
    ("Year 2 lead teacher", "Ana", "Silva", "ana@oakfield.example"),
]


def _scanned(page, live_server, name: str) -> None:
    """Keep a screenshot of the page as it is, and fail on a serious axe violation."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    serious, report = serious_violations(page)
    assert serious == [], f"{page.url.replace(live_server.url, '')}: {report}"


def test_a_maths_lead_signs_up_a_mastering_number_team_the_head_approves_staff_accept_it(
    live_server, page, mailoutbox
):
    SchoolFactory(name="Oakfield Primary School", urn=123456, town="Chester")
    programme = work_group_programme(
        name="Mastering Number",
        short_name="Mastering Number",
        team_leads_min=3,
        commitment="Releasing the three lead teachers for each term's sessions, and ten to "
        "fifteen minutes of Mastering Number in every class each day.",
    )
    cohort = CohortFactory(
        programme=programme, status=Cohort.Status.OPEN, name="Chester Work Group"
    )
    SessionFactory(cohort=cohort, title="Autumn local session")
    maths_lead = UserFactory(first_name="Mia", last_name="Patel", email="mia@oakfield.example")

    browser_sign_in(page, live_server, maths_lead)
    page.goto(live_server.url + programme.get_absolute_url())
    assert page.get_by_role("link", name=re.compile("^Apply")).count() == 0
    page.get_by_role("link", name=re.compile("Sign up your school")).click()
    _scanned(page, live_server, "sign-up-start")
    page.get_by_role("button", name="Start now").click()

    page.get_by_label("Which school are you signing up?").fill("123456")
    _scanned(page, live_server, "sign-up-school")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Maths lead", exact=True).check()
    _scanned(page, live_server, "sign-up-role")
    page.get_by_role("button", name="Continue").click()
    for n, (slot, first, last, email) in enumerate(TEAM):
        assert page.get_by_role("heading", name=f"Who is your {slot}?").is_visible()
        page.get_by_label("First name").fill(first)
        page.get_by_label("Last name").fill(last)
        page.get_by_label("Email address").fill(email)
        _scanned(page, live_server, f"sign-up-slot-{n}")
        page.get_by_role("button", name="Continue").click()
    page.get_by_label("The headteacher's name").fill("Helen Whitfield")
    page.get_by_label("The headteacher's email address").fill("head@oakfield.example")
    _scanned(page, live_server, "sign-up-headteacher")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/sign-ups/\d+/check/$"))
    for _, first, last, email in TEAM:
        assert page.get_by_text(f"{first} {last} ({email})").is_visible()
    _scanned(page, live_server, "sign-up-check")
    page.get_by_role("button", name="Send the sign-up").click()
    page.wait_for_url(re.compile(r"/applications/\d+/$"))
    _scanned(page, live_server, "sign-up-sent")

    application = Application.objects.get()
    assert (application.team, application.status) == (True, Application.Status.AWAITING_SCHOOL)
    assert application.team_members.count() == 3
    page.goto(live_server.url + reverse("participants:teacher-home"))
    assert page.get_by_text(
        "Your school's Work Group sign-up: Oakfield Primary School"
    ).is_visible()
    assert page.get_by_text("Waiting for school approval").is_visible()
    _scanned(page, live_server, "sign-up-teacher-home")

    approval = next(m for m in mailoutbox if m.to == ["head@oakfield.example"])
    assert "Work Group sign-up" in approval.subject
    link = re.search(r"https?://[^/\s]+(/approve/[^\s]+)", approval.body).group(1)
    page.context.clear_cookies()  # the head follows the link without an account
    page.goto(live_server.url + link)
    assert page.get_by_role("heading", name=re.compile("Oakfield Primary School's sign-up")).count()
    assert page.get_by_role("cell", name="Sam Okafor").is_visible()
    assert page.get_by_text("ten to fifteen minutes of Mastering Number").is_visible()
    _scanned(page, live_server, "sign-up-approval")
    page.get_by_label("Approve the sign-up").check()
    page.get_by_label("Your name").first.fill("Helen Whitfield")
    page.get_by_role("button", name="Send my decision").click()
    # Without the commitment it is not approved, and the page says why.
    assert page.get_by_text("Tick this to approve: it commits the school.").is_visible()
    _scanned(page, live_server, "sign-up-approval-commitment-missing")
    application.refresh_from_db()
    assert application.status == Application.Status.AWAITING_SCHOOL
    page.get_by_label(re.compile("I commit Oakfield Primary School")).check()
    page.get_by_role("button", name="Send my decision").click()
    assert page.get_by_role("heading", name="Thank you").is_visible()
    _scanned(page, live_server, "sign-up-approved")

    application.refresh_from_db()
    assert application.status == Application.Status.SCHOOL_APPROVED
    assert application.events.last().reason.startswith("Committed Oakfield Primary School to:")

    # Staff accept the school from the Work Group's sign-ups, in priority order.
    page.context.clear_cookies()
    browser_sign_in(page, live_server, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    page.goto(live_server.url + reverse("applications:work-group-sign-ups", args=[cohort.pk]))
    _scanned(page, live_server, "sign-ups")
    page.get_by_role("button", name="Accept Oakfield Primary School").click()
    assert page.get_by_text("Application accepted.").is_visible()
    assert page.get_by_text(f"1 of {cohort.capacity} school places taken").is_visible()
    _scanned(page, live_server, "sign-ups-accepted")
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED

    # Each of the three was emailed their place and a link to set a password (none had an
    # account); each sets one, signs in and sees the Work Group's sessions.
    for _, first, _, email in TEAM:
        invitation = next(m for m in mailoutbox if m.to == [email] and "has a place" in m.body)
        link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", invitation.body)
        page.context.clear_cookies()
        page.goto(live_server.url + link.group(1))
        page.locator("input[name=password1]").fill(PASSWORD)
        page.locator("input[name=password2]").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("Change password|Set password", re.I)).click()
        page.context.clear_cookies()
        browser_sign_in(page, live_server, User.objects.get(email=email))
        page.goto(live_server.url + reverse("participants:teacher-home"))
        assert page.get_by_text("for Oakfield Primary School").first.is_visible()
        page.get_by_role("link", name="Your modules and sessions").click()
        assert page.get_by_text("Autumn local session").first.is_visible()
        _scanned(page, live_server, f"team-member-{first.lower()}")

    # The Work Group Lead sees the school, its team and its attendance.
    work_group_lead = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(work_group_lead)
    page.context.clear_cookies()
    browser_sign_in(page, live_server, work_group_lead)
    page.goto(live_server.url + reverse("participants:work-group", args=[cohort.pk]))
    assert page.get_by_text("Oakfield Primary School").first.is_visible()
    assert page.get_by_text("Sam Okafor").first.is_visible()
    _scanned(page, live_server, "work-group-lead")
