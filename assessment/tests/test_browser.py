"""The writing page in headless Chromium: typing autosaves, a reload keeps the text, and axe
finds nothing serious. Screenshots of the assessment pages go to test-artifacts/."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.models import Submission
from npq_portal.tests.browser import SCREENSHOTS, browser_sign_in, serious_violations
from npq_portal.tests.factories import StaffUserFactory
from participants.tests.factories import EnrolmentFactory

from .factories import AssessmentWindowFactory, CaseStudyMaterialFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_window(place):
    now = timezone.now()
    window = AssessmentWindowFactory(
        programme=place.cohort.programme,
        cohort=place.cohort,
        title="Summer assessment",
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=7),
        results_release_at=now + datetime.timedelta(days=40),
    )
    CaseStudyMaterialFactory(window=window)
    return window


def test_typing_autosaves_and_a_reload_keeps_the_text(live_server, page):
    place = EnrolmentFactory(cohort__programme__assessment_word_limit=1500)
    window = _open_window(place)
    browser_sign_in(page, live_server, place.participant)
    SCREENSHOTS.mkdir(exist_ok=True)

    page.goto(live_server.url + reverse("assessment:assessment-detail", args=[window.pk]))
    page.screenshot(path=SCREENSHOTS / "assessment-detail.png", full_page=True)
    page.get_by_role("link", name="Start writing").click()
    box = page.get_by_label("Your case study")
    box.click()
    box.press_sequentially("Leading mathematics across our school began with")
    page.get_by_text(re.compile(r"^Saved at \d\d:\d\d$")).wait_for(timeout=10_000)
    page.screenshot(path=SCREENSHOTS / "assessment-write.png", full_page=True)
    assert page.get_by_text("7 words of 1,500").is_visible()
    serious, report = serious_violations(page)

    page.reload()

    assert page.get_by_label("Your case study").input_value() == (
        "Leading mathematics across our school began with"
    )
    assert Submission.objects.get().word_count == 7
    assert serious == [], report


def test_after_the_session_ends_autosave_says_nothing_was_saved(live_server, page):
    place = EnrolmentFactory(cohort__programme__assessment_word_limit=1500)
    window = _open_window(place)
    browser_sign_in(page, live_server, place.participant)
    page.goto(live_server.url + reverse("assessment:submission-write", args=[window.pk]))
    box = page.get_by_label("Your case study")
    box.click()
    box.press_sequentially("First words")
    page.get_by_text(re.compile(r"^Saved at \d\d:\d\d$")).wait_for(timeout=10_000)

    page.context.clear_cookies()  # the session ends
    box.press_sequentially(" and more words")

    page.get_by_text(re.compile("Not saved: you have been signed out")).wait_for(timeout=10_000)
    assert Submission.objects.get().text == "First words"


def test_the_check_confirmation_and_staff_pages_have_noserious_violations(live_server, page):
    place = EnrolmentFactory(cohort__programme__assessment_word_limit=1500)
    window = _open_window(place)
    Submission.objects.create(enrolment=place, window=window, text="My case study", word_count=3)
    browser_sign_in(page, live_server, place.participant)
    SCREENSHOTS.mkdir(exist_ok=True)

    for name, url in [
        ("assessment-list", reverse("assessment:my-assessments")),
        ("assessment-check", reverse("assessment:submission-check", args=[window.pk])),
        ("assessment-upload", reverse("assessment:submission-upload", args=[window.pk])),
    ]:
        page.goto(live_server.url + url)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        serious, report = serious_violations(page)
        assert serious == [], f"{url}: {report}"
    page.goto(live_server.url + reverse("assessment:submission-check", args=[window.pk]))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile("/submitted/$"))
    page.screenshot(path=SCREENSHOTS / "assessment-done.png", full_page=True)
    serious, report = serious_violations(page)
    assert serious == [], report

    page.context.clear_cookies()
    browser_sign_in(page, live_server, StaffUserFactory())
    for name, url in [
        ("assessment-staff-list", reverse("assessment:window-list")),
        ("assessment-staff-window", reverse("assessment:window-detail", args=[window.pk])),
        ("assessment-staff-add", reverse("assessment:window-create")),
        ("assessment-staff-edit", reverse("assessment:window-update", args=[window.pk])),
        (
            "assessment-staff-extend",
            reverse("assessment:deadline-extend", args=[window.pk, place.pk]),
        ),
    ]:
        page.goto(live_server.url + url)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        serious, report = serious_violations(page)
        assert serious == [], f"{url}: {report}"
        if name == "assessment-staff-edit":
            heading = page.get_by_role("heading", level=1).inner_text()
            assert heading == "Edit “Summer assessment”"


def test_an_assessor_marks_anonymously_and_a_lead_sees_the_marking(live_server, page):
    from assessment.models import Marking
    from assessment.services import markings_allocate
    from npq_portal.roles import Role

    from .marking import ALL_CRITERIA, assessor, marking_window, submitted_work

    window = marking_window(title="Summer 2028 assessment")
    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    ann = assessor(first_name="Ann")
    work = submitted_work(window, 3)
    markings_allocate(window=window, assessors=[ann], by=lead)
    SCREENSHOTS.mkdir(exist_ok=True)
    browser_sign_in(page, live_server, ann)

    page.goto(live_server.url + reverse("assessment:marking-list"))
    page.screenshot(path=SCREENSHOTS / "marking-list.png", full_page=True)
    list_serious, list_report = serious_violations(page)
    page.get_by_role("link", name=work[0].candidate_number).click()
    for criterion in ALL_CRITERIA:
        page.get_by_label(criterion).check()
    page.get_by_label("Pass", exact=True).check()
    page.get_by_label("Feedback for the participant").fill("A clear, well-justified plan.")
    page.screenshot(path=SCREENSHOTS / "marking-form.png", full_page=True)
    form_serious, form_report = serious_violations(page)
    page.get_by_role("button", name="Save mark").click()
    page.get_by_text("Mark recorded. 2 submissions left to mark.").wait_for()

    page.context.clear_cookies()
    browser_sign_in(page, live_server, lead)
    page.goto(live_server.url + reverse("assessment:window-marking", args=[window.pk]))
    page.screenshot(path=SCREENSHOTS / "window-marking.png", full_page=True)
    staff_serious, staff_report = serious_violations(page)

    assert Marking.objects.get(submission=work[0]).result == "pass"
    assert list_serious == [], list_report
    assert form_serious == [], form_report
    assert staff_serious == [], staff_report
