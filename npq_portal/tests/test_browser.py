"""Sign-up and sign-in through the real pages in headless Chromium, and an axe scan."""

import re
from io import BytesIO

import pytest
from axe_playwright_python.sync_playwright import Axe

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from npq_portal.models import User
from npq_portal.roles import Role
from schools.models import SchoolLeadership

from .browser import SCREENSHOTS, browser_sign_in, serious_violations
from .factories import PASSWORD, EmailDeliveryFactory, StaffUserFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _confirmation_path(mailoutbox) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", mailoutbox[-1].body)
    assert match, mailoutbox[-1].body
    return match.group(1)


def test_a_teacher_signs_up_verifies_and_signs_in_through_the_pages(live_server, page, mailoutbox):
    page.goto(live_server.url)
    page.get_by_role("link", name="Create an account").first.click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace.hopper@oakfield.example")
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_label(re.compile("Password \\(again\\)")).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.wait_for_url(re.compile("/accounts/confirm-email/$"))
    assert User.objects.filter(email="grace.hopper@oakfield.example").exists()
    page.goto(live_server.url + _confirmation_path(mailoutbox))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile("/my-npqs/$"))
    assert page.get_by_role("heading", name="My NPQs").is_visible()

    page.get_by_role("button", name="Grace").click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("grace.hopper@oakfield.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile("/my-npqs/$"))
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "teacher-home.png", full_page=True)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_public_pages_have_no_serious_accessibility_violations(live_server, page, path):
    page.goto(live_server.url + path)

    results = Axe().run(page)

    serious = [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
    assert serious == [], results.generate_report()


def _scan_pages(page, live_server, pages: list[tuple[str, str]]) -> None:
    """Visit each page, keep a screenshot to look at, and fail on serious axe violations."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for name, path in pages:
        page.goto(live_server.url + path)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
        serious, report = serious_violations(page)
        assert serious == [], f"{path}: {report}"


def test_the_teacher_home_page_has_no_serious_accessibility_violations(live_server, page):
    browser_sign_in(page, live_server, UserFactory())
    page.wait_for_url(re.compile("/my-npqs/$"))

    serious, report = serious_violations(page)

    assert serious == [], report


def test_staff_pages_have_no_serious_accessibility_violations(live_server, page):
    admin = StaffUserFactory()
    person = UserFactory()
    failed = EmailDeliveryFactory(status="failed", last_error="SMTP 550", body="Hello,\n\nText.")
    browser_sign_in(page, live_server, admin)
    page.wait_for_url(re.compile("/staff/dashboard/$"))
    _scan_pages(
        page,
        live_server,
        [
            ("staff-home", "/staff/"),
            ("dashboard", "/staff/dashboard/"),
            ("people", "/staff/people/"),
            ("person", f"/staff/people/{person.pk}/"),
            ("person-roles", f"/staff/people/{person.pk}/roles/"),
            ("emails", "/staff/emails/"),
            ("email", f"/staff/emails/{failed.pk}/"),
            ("mfa", "/accounts/2fa/"),
            ("not-found", "/no-such-page/"),
            ("email-preview", "/staff/email-previews/?kind=session_reminder"),
            ("reminders-upcoming", "/staff/reminders/"),
        ],
    )


def test_the_school_leaders_own_approval_page_has_no_serious_violations(live_server, page):
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    application = ApplicationFactory(
        status=Application.Status.AWAITING_SCHOOL,
        submitted_at="2026-11-01T10:00Z",
        answers={"work_setting": "a_school", "role": "Maths lead", "payment": "school"},
    )
    SchoolLeadership.objects.create(user=leader, school=application.school)
    browser_sign_in(page, live_server, leader)
    page.goto(live_server.url + "/my-school/")
    page.get_by_role("link", name=re.compile("^Decide")).click()
    page.wait_for_url(re.compile(f"/my-school/applications/{application.pk}/decide/$"))

    serious, report = serious_violations(page)

    assert serious == [], report
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "school-leader-approval.png", full_page=True)


def test_the_mfa_set_up_page_has_no_serious_accessibility_violations(live_server, page):
    browser_sign_in(page, live_server, StaffUserFactory(totp=False))
    page.get_by_label("Password").fill(PASSWORD)  # allauth asks again before MFA set-up
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    page.wait_for_url(re.compile("/accounts/2fa/totp/activate/$"))

    serious, report = serious_violations(page)

    assert serious == [], report
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "mfa-activate.png", full_page=True)


def test_the_catalogue_and_a_programme_page_have_no_serious_accessibility_violations(
    live_server, page
):
    from programmes.services import catalogue_load

    catalogue_load()
    _scan_pages(
        page,
        live_server,
        [
            ("catalogue", "/programmes/"),
            ("catalogue-filtered", "/programmes/?phase=early_years&q=leadership"),
            ("npqlpm", "/programmes/npq-leading-primary-mathematics/"),
            ("mastering-number", "/programmes/maths-hub-mastering-number/"),
        ],
    )


def test_catalogue_editing_pages_have_no_serious_accessibility_violations(live_server, page):
    from npq_portal.roles import Role
    from programmes.services import catalogue_load

    catalogue_load()
    browser_sign_in(page, live_server, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    _scan_pages(
        page,
        live_server,
        [
            ("staff-programmes", "/staff/programmes/"),
            ("staff-npqlpm", "/staff/programmes/npq-leading-primary-mathematics/"),
            ("staff-npqlpm-edit", "/staff/programmes/npq-leading-primary-mathematics/edit/"),
            ("staff-add-course", "/staff/programmes/npq-leading-primary-mathematics/courses/new/"),
        ],
    )

    page.goto(live_server.url + "/staff/programmes/npq-leading-primary-mathematics/")
    page.get_by_role("button", name=re.compile(r"^Down\W+move Conference down$")).click()
    page.wait_for_load_state()
    outline = page.locator("article h3").all_inner_texts()
    assert outline[0].startswith("Course 1: Culture and Learning")
    assert outline[1].startswith("Conference")


def test_school_and_funding_pages_have_no_serious_accessibility_violations(live_server, page):
    import io

    from schools.gias_generator import write_gias_file
    from schools.models import GiasImport
    from schools.services import gias_import_run

    data = io.BytesIO()
    write_gias_file(data, 60)
    data.seek(0)
    record = GiasImport.objects.create(file_name="edubasealldata20261122.csv")
    gias_import_run(record=record, source=data)
    browser_sign_in(page, live_server, StaffUserFactory())

    _scan_pages(
        page,
        live_server,
        [
            ("schools", "/staff/schools/"),
            ("schools-search", "/staff/schools/?q=oakfield"),
            ("gias-import", "/staff/schools/import/"),
            ("gias-import-done", f"/staff/schools/imports/{record.pk}/"),
            ("funding-lists", "/staff/funding/lists/"),
            ("what-changes", "/staff/funding/what-changes/?rules=2026&with_current_lists=on"),
        ],
    )


def test_cohort_pages_have_no_serious_accessibility_violations(live_server, page):
    from cohorts.services import timetable_generate, timetable_publish
    from cohorts.tests.factories import CohortFactory
    from npq_portal.roles import Role
    from programmes.models import Programme
    from programmes.services import catalogue_load

    catalogue_load()
    cohort = CohortFactory(
        programme=Programme.objects.get(slug="npq-leading-primary-mathematics"), status="open"
    )
    timetable_generate(cohort=cohort, by=None)
    timetable_publish(cohort=cohort, by=None)
    session = cohort.sessions.first()
    browser_sign_in(page, live_server, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    _scan_pages(
        page,
        live_server,
        [
            ("cohorts", "/staff/cohorts/"),
            ("cohort", f"/staff/cohorts/{cohort.pk}/"),
            ("cohort-edit", f"/staff/cohorts/{cohort.pk}/edit/"),
            ("cohort-new", "/staff/cohorts/new/"),
            ("session-edit", f"/staff/sessions/{session.pk}/edit/"),
            ("my-calendar", "/calendar/"),
            ("partners", "/staff/partners/"),
            ("programme-with-cohort", "/programmes/npq-leading-primary-mathematics/"),
        ],
    )


def test_staff_keep_term_dates_and_confirm_a_session_moved_onto_a_bank_holiday(live_server, page):
    import datetime

    from cohorts.models import TermDateCalendar
    from cohorts.tests.factories import (
        SchoolHolidayFactory,
        SessionFactory,
        TermDateCalendarFactory,
    )
    from npq_portal.roles import Role

    # The migration's default is there unless an earlier transactional test flushed it.
    TermDateCalendar.objects.filter(is_default=True).delete()
    calendar = TermDateCalendarFactory(
        name="England (typical dates: check against your local authority)", is_default=True
    )
    for name, starts, ends in [
        ("Autumn half term", datetime.date(2027, 10, 25), datetime.date(2027, 10, 29)),
        ("Christmas holidays", datetime.date(2027, 12, 20), datetime.date(2027, 12, 31)),
        ("May half term", datetime.date(2028, 5, 29), datetime.date(2028, 6, 2)),
    ]:
        SchoolHolidayFactory(calendar=calendar, name=name, starts_on=starts, ends_on=ends)
    session = SessionFactory(title="Culture and Learning clinic")  # 9 November 2027
    browser_sign_in(page, live_server, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    _scan_pages(
        page,
        live_server,
        [
            ("term-dates", "/staff/term-dates/"),
            ("term-dates-calendar", f"/staff/term-dates/{calendar.pk}/"),
            ("term-dates-holiday-new", f"/staff/term-dates/{calendar.pk}/holidays/new/"),
        ],
    )

    page.goto(live_server.url + f"/staff/sessions/{session.pk}/edit/")
    page.get_by_label("Starts at").fill("2028-05-29T16:00")
    page.get_by_label("Ends at").fill("2028-05-29T17:30")
    page.get_by_label("Reason").fill("The hall is booked for exams")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Monday 29 May 2028 is not a teaching day").wait_for()
    page.screenshot(path=SCREENSHOTS / "session-move-confirm.png", full_page=True)
    serious, report = serious_violations(page)
    assert serious == [], report
    session.refresh_from_db()
    assert session.starts_at.date() == datetime.date(2027, 11, 9)  # nothing changed yet
    page.get_by_label(re.compile("save it on this day")).check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(f"/staff/cohorts/{session.cohort_id}/$"))

    session.refresh_from_db()
    assert session.starts_at.date() == datetime.date(2028, 5, 29)


def test_a_visitor_joins_the_mailing_list_and_confirms_through_the_pages(
    live_server, page, mailoutbox
):
    from mailing_list.models import Subscriber
    from programmes.services import catalogue_load
    from schools.tests.factories import SchoolFactory

    catalogue_load()
    SchoolFactory(name="Oakfield Primary School", urn=123456, town="Chester")

    page.goto(live_server.url + "/programmes/npq-leading-primary-mathematics/")
    page.get_by_role("link", name="Register your interest").click()
    _scan_pages(page, live_server, [("subscribe", page.url.replace(live_server.url, ""))])
    page.get_by_label("First name").fill("Priya")
    page.get_by_label("Last name").fill("Shah")
    page.get_by_label("Email address").fill("priya@oakfield.example")
    page.get_by_label("Your school (optional)").fill("123456")
    assert page.get_by_label("NPQ in Leading Primary Mathematics", exact=True).is_checked()
    page.get_by_label(re.compile("I agree that the hub may email me")).check()
    page.get_by_role("button", name="Join the mailing list").click()
    page.wait_for_url(re.compile("/mailing-list/check-your-email/$"))

    match = re.search(r"https?://[^/\s]+(/mailing-list/confirm/[^\s]+)", mailoutbox[-1].body)
    page.goto(live_server.url + match.group(1))
    _scan_pages(page, live_server, [("subscriber-confirm", match.group(1))])
    page.get_by_role("button", name="Confirm and join the list").click()
    page.wait_for_url(re.compile("/mailing-list/manage/"))

    assert page.get_by_role("heading", name="Your mailing-list choices").is_visible()
    subscriber = Subscriber.objects.get()
    assert subscriber.is_subscribed and subscriber.school.urn == 123456
    _scan_pages(page, live_server, [("subscriber-manage", page.url.replace(live_server.url, ""))])


def test_the_whole_journey_apply_approve_accept_through_the_pages(live_server, page, mailoutbox):
    """A teacher applies for NPQLPM, the head approves from the email, staff accept."""
    from applications.models import Application
    from cohorts.models import Cohort
    from cohorts.tests.factories import CohortFactory
    from npq_portal.roles import Role
    from participants.models import Enrolment
    from programmes.models import Programme
    from programmes.services import catalogue_load
    from schools.services import eligibility_list_upload
    from schools.tests.factories import SchoolFactory

    catalogue_load()
    SchoolFactory(name="Oakfield Primary School", urn=123456, town="Chester")
    cohort = CohortFactory(
        programme=Programme.objects.get(slug="npq-leading-primary-mathematics"),
        status=Cohort.Status.OPEN,
        name="Autumn start, Chester",
    )
    for kind in ("rise", "pp50_schools"):  # the lists are in, and Oakfield is on neither
        eligibility_list_upload(
            kind=kind, source=BytesIO(b"URN\r\n999999\r\n"), file_name="l.csv", by=None
        )
    teacher = UserFactory(first_name="Tom", email="tom@oakfield.example")

    browser_sign_in(page, live_server, teacher)
    page.goto(live_server.url + cohort.programme.get_absolute_url())
    page.get_by_role("link", name=re.compile("Apply")).first.click()
    page.get_by_role("button", name="Start now").click()
    steps = []

    def answer(label, value=None, *, check=None):
        steps.append(page.url.replace(live_server.url, ""))
        if check:
            page.get_by_label(check, exact=True).check()
        else:
            page.get_by_label(label).fill(value)
        page.get_by_role("button", name="Continue").click()

    answer(None, check="Yes")  # works in England
    answer(None, check="A school")
    answer("Which school or college do you work at?", "123456")
    answer("What is your role?", "Maths lead")
    answer("What is your teacher reference number (TRN)?", "1234567")
    answer(None, check="Yes: I have completed at least one year of the programme")
    page.get_by_label("Your headteacher's name").fill("Helen Whitfield")
    steps.append(page.url.replace(live_server.url, ""))
    page.get_by_label("Your headteacher's email address").fill("head@oakfield.example")
    page.get_by_role("button", name="Continue").click()
    steps.append(page.url.replace(live_server.url, ""))
    # A school on neither list: NPQLPM is not funded; of what would be, only Senior leadership
    # suits a maths lead (not Headship).
    assert page.get_by_text("Your place is not likely to be funded.").is_visible()
    assert page.get_by_role("link", name="NPQ in Senior Leadership").is_visible()
    assert page.get_by_role("link", name="NPQ in Headship").count() == 0
    page.get_by_label("My school").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile("/check/$"))
    check_page = page.url.replace(live_server.url, "")
    _scan_pages(
        page,
        live_server,
        [(f"apply-{n}", path) for n, path in enumerate(steps)] + [("apply-check", check_page)],
    )
    page.get_by_role("button", name="Accept and send").click()
    page.wait_for_url(re.compile(r"/applications/\d+/$"))

    application = Application.objects.get()
    assert application.status == Application.Status.AWAITING_SCHOOL
    approval = next(m for m in mailoutbox if m.to == ["head@oakfield.example"])
    link = re.search(r"https?://[^/\s]+(/approve/[^\s]+)", approval.body).group(1)

    page.context.clear_cookies()  # the head has no account
    page.goto(live_server.url + link)
    _scan_pages(page, live_server, [("school-approval", link)])
    page.get_by_label("Approve the application").check()
    page.get_by_label("Your name").first.fill("Helen Whitfield")
    page.get_by_role("button", name="Send my decision").click()
    assert page.get_by_role("heading", name="Thank you").is_visible()

    lead = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    browser_sign_in(page, live_server, lead)
    page.goto(live_server.url + "/staff/applications/")
    _scan_pages(page, live_server, [("staff-applications", "/staff/applications/")])
    page.get_by_role("link", name="Tom").first.click()
    page.get_by_role("button", name="Accept: offer a place").click()
    assert Enrolment.objects.filter(participant=teacher, cohort=cohort).exists()

    page.context.clear_cookies()
    browser_sign_in(page, live_server, teacher)
    page.goto(live_server.url + "/my-npqs/")
    assert page.get_by_text("Place offered").is_visible()
    _scan_pages(page, live_server, [("teacher-home-with-place", "/my-npqs/")])


def test_a_facilitator_takes_a_register_on_a_phone(live_server, page):
    import datetime

    from django.utils import timezone

    from cohorts.tests.factories import CohortFactory, ModuleWindowFactory, SessionFactory
    from npq_portal.roles import Role
    from participants.models import Attendance
    from participants.tests.factories import EnrolmentFactory

    cohort = CohortFactory(name="Autumn start, Chester")
    started = timezone.now() - datetime.timedelta(minutes=10)
    SessionFactory(
        cohort=cohort,
        title="Culture and Learning clinic",
        starts_at=started,
        ends_at=started + datetime.timedelta(minutes=90),
    )
    ModuleWindowFactory(cohort=cohort, module__title="Simple model of memory")
    names = [("Ada", "Lovelace"), ("Ben", "Okafor"), ("Cara", "Singh"), ("Dev", "Patel")]
    for first, last in names:
        EnrolmentFactory(cohort=cohort, participant__first_name=first, participant__last_name=last)
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    cohort.facilitators.add(facilitator)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_sign_in(page, live_server, facilitator)

    page.goto(f"{live_server.url}/staff/cohorts/{cohort.pk}/")
    page.get_by_role("link", name="Register for Culture and Learning clinic").click()
    page.get_by_role("group", name="Ben Okafor").get_by_text("Absent").click()
    page.get_by_role("group", name="Dev Patel").get_by_text("Late").click()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "register-phone.png", full_page=True)
    serious, report = serious_violations(page)
    assert serious == [], report
    page.get_by_role("button", name="Save register").click()

    page.get_by_text("Register saved: 4 marked.").wait_for()
    marks = dict(Attendance.objects.values_list("enrolment__participant__first_name", "mark"))
    assert marks == {"Ada": "present", "Ben": "absent", "Cara": "present", "Dev": "late"}
    _scan_pages(page, live_server, [("cohort-progress", f"/staff/cohorts/{cohort.pk}/progress/")])
