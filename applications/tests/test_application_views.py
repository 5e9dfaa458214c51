import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.services import application_save_answers, application_start
from applications.tests.factories import ApplicationFactory
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from funding.models import FundingDecision
from npq_portal.paging import CappedPaginator
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from programmes.tests.factories import ProgrammeFactory
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def npqlpm_cohort():
    programme = ProgrammeFactory(
        slug="npq-leading-primary-mathematics",
        course_identifier="npq-leading-primary-mathematics",
        short_name="NPQLPM",
    )
    return CohortFactory(programme=programme, status=Cohort.Status.OPEN)


@pytest.fixture
def teacher(client):
    user = UserFactory()
    sign_in(client, user)
    return user


def _step(application, key):
    return reverse("applications:application-step", args=[application.pk, key])


def test_applying_starts_a_draft_at_the_first_question(client, teacher, npqlpm_cohort):
    response = client.post(reverse("applications:apply", args=[npqlpm_cohort.pk]))

    application = Application.objects.get()
    assert (application.applicant, application.status) == (teacher, Application.Status.DRAFT)
    assert response.url == _step(application, "england")


def test_each_answer_is_kept_and_the_next_question_follows_from_it(client, teacher, npqlpm_cohort):
    SchoolFactory(urn=123456)
    application = application_start(applicant=teacher, cohort=npqlpm_cohort)

    client.post(_step(application, "england"), {"works_in_england": "yes"})
    response = client.post(_step(application, "setting"), {"work_setting": "a_school"})
    assert response.url == _step(application, "school")
    response = client.post(_step(application, "school"), {"school": "123456"})
    assert response.url == _step(application, "role")

    application.refresh_from_db()
    assert application.answers["school_urn"] == "123456"
    # Save and return: starting again carries on where they left off.
    assert client.post(reverse("applications:apply", args=[npqlpm_cohort.pk])).url == _step(
        application, "role"
    )


def test_a_question_not_for_this_applicant_is_not_found(client, teacher, npqlpm_cohort):
    application = application_start(applicant=teacher, cohort=npqlpm_cohort)
    application_save_answers(application=application, answers={"work_setting": "other"})

    assert client.get(_step(application, "school")).status_code == 404
    assert client.get(_step(application, "referred")).status_code == 200
    assert client.get(_step(application, "senco")).status_code == 404  # NPQLPM, not SENCO


@pytest.mark.parametrize(
    ("trn", "ok"), [("1234567", True), ("RP99/12345", True), ("123456", False), ("abc", False)]
)
def test_the_trn_is_checked(client, teacher, npqlpm_cohort, trn, ok):
    application = application_start(applicant=teacher, cohort=npqlpm_cohort)

    response = client.post(_step(application, "trn"), {"trn": trn})

    assert (response.status_code == 302) is ok
    if not ok:
        assert "Enter your TRN as 7 digits" in response.content.decode()


def test_no_mastery_experience_stops_the_application_with_a_way_forward(
    client, teacher, npqlpm_cohort
):
    application = application_start(applicant=teacher, cohort=npqlpm_cohort)

    response = client.post(_step(application, "mastery"), {"mastery": "cannot_show"}, follow=True)

    page = response.content.decode()
    assert "You cannot apply for this NPQ yet" in page
    assert "?family=maths_hub" in page


def test_the_check_page_lists_answers_with_change_links_and_sends(
    client, teacher, npqlpm_cohort, mailoutbox, django_capture_on_commit_callbacks
):
    SchoolFactory(urn=123456)
    application = application_start(applicant=teacher, cohort=npqlpm_cohort)
    application_save_answers(
        application=application,
        answers={
            "works_in_england": "yes",
            "work_setting": "a_school",
            "school_urn": "123456",
            "school_name": "Oakfield (123456)",
            "role": "Maths lead",
            "trn": "1234567",
            "mastery": "completed_year",
            "headteacher_name": "Helen Whitfield",
            "headteacher_email": "head@oakfield.example",
            "payment": "school",
        },
    )
    check = reverse("applications:application-check", args=[application.pk])

    page = client.get(check).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(check)

    assert "Maths lead" in page and f"{_step(application, 'role')}?change=1" in page
    assert response.url == application.get_absolute_url()
    application.refresh_from_db()
    assert application.status == Application.Status.AWAITING_SCHOOL
    assert len(mailoutbox) == 2


def test_another_teachers_application_is_not_found(client, teacher, npqlpm_cohort):
    other = application_start(applicant=UserFactory(), cohort=npqlpm_cohort)

    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(_step(other, "england")).status_code == 404
    assert (
        client.post(reverse("applications:application-withdraw", args=[other.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("count", [5, 40])
def test_the_review_queue_has_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, npqlpm_cohort, count
):
    for _ in range(count):
        application = application_start(applicant=UserFactory(), cohort=npqlpm_cohort)
        Application.objects.filter(pk=application.pk).update(status="awaiting_school")
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    with django_assert_max_num_queries(14):
        response = client.get(reverse("applications:application-list"))

    assert len(response.context["object_list"]) == min(count, 25)


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("sarah.PATEL@", {"by email"}),
        ("SARAH", {"by email", "by first name"}),
        ("pAtEl", {"by email", "by last name"}),
        ("Oakfield Primary", {"by school"}),
        ("oak", {"by school"}),  # its applicant is an Oakes too: found once
        ("jo", {"by first name", "by last name"}),  # too short for a trigram
        ("brook lane", {"by email", "by first name", "by last name"}),
        ("nobody", set()),
    ],
)
def test_the_review_queue_search_finds_applicants_by_email_or_name_and_their_school_by_name(
    client, django_assert_max_num_queries, npqlpm_cohort, typed, found
):
    brook_lane, oakfield = (
        SchoolFactory(name="Brook Lane Academy"),
        SchoolFactory(name="Oakfield Primary School"),
    )
    people = {
        "by email": ("sarah.patel@upton.example", "Amy", "Khan", brook_lane),
        "by first name": ("a.b@crewe.example", "Sarah", "Jones", brook_lane),
        "by last name": ("c.d@crewe.example", "Joanne", "Patel", brook_lane),
        "by school": ("e.f@crewe.example", "Tom", "Oakes", oakfield),
    }
    applications = {
        what: ApplicationFactory(
            cohort=npqlpm_cohort,
            applicant=UserFactory(email=email, first_name=first, last_name=last),
            school=school,
        )
        for what, (email, first, last, school) in people.items()
    }
    ApplicationFactory(  # a draft is no one's to review
        cohort=npqlpm_cohort,
        status=Application.Status.DRAFT,
        applicant=UserFactory(first_name="Sarah", last_name="Patel"),
        school=oakfield,
    )
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    with django_assert_max_num_queries(14):
        response = client.get(reverse("applications:application-list"), {"q": typed})

    listed = list(response.context["object_list"])
    assert len(listed) == len(set(listed))
    assert set(listed) == {applications[what] for what in found}


def _queue_of(count, cohort, **fields):
    """`count` sent applications, sent a minute apart (two at once), oldest first."""
    start = timezone.now() - datetime.timedelta(days=1)
    sent = [
        ApplicationFactory(
            cohort=cohort, submitted_at=start + datetime.timedelta(minutes=n // 2), **fields
        )
        for n in range(count)
    ]
    return sorted(sent, key=lambda application: (application.submitted_at, application.pk))


def test_the_review_queue_counts_its_rows_and_pages_them_when_within_its_cap(client, npqlpm_cohort):
    queue = _queue_of(27, npqlpm_cohort)
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    first = client.get(reverse("applications:application-list"))
    second = client.get(reverse("applications:application-list"), {"page": 2})

    assert "27 applications, oldest first" in first.content.decode()
    assert "Page 1 of 2" in first.content.decode()
    assert list(first.context["object_list"]) + list(second.context["object_list"]) == queue


def test_each_row_of_the_review_queue_says_who_what_where_when_funding_and_status(client):
    """The rows (drawn in Python: applications/templatetags/review_rows.py) in words, with
    what applicants typed escaped."""
    cohort = CohortFactory(name="Spring <B>", academic_year=2026)
    decision = FundingDecision.objects.create(
        subject="applications.application:0",
        rules="2026",
        facts={},
        status="funded",
        funded=True,
        reason="Test",
    )
    sent = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)  # 1 July in London
    named = ApplicationFactory(
        cohort=cohort,
        applicant=UserFactory(first_name="Ann", last_name="<Lee>"),
        school=SchoolFactory(name="Oak & Ash"),
        submitted_at=sent,
        funding_decision=decision,
    )
    bare = ApplicationFactory(cohort=cohort, school=None, submitted_at=sent)
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    page = client.get(reverse("applications:application-list")).content.decode()

    row = page[page.index(f'id="choose-{named.pk}"') :].split("</tr>")[0]
    assert 'aria-label="Choose Ann &lt;Lee&gt;"' in row
    assert f'<a href="{named.get_absolute_url()}">Ann &lt;Lee&gt;</a>' in row
    assert f"<td>{cohort.programme.short_name}</td>" in row
    assert "<td>2026/27, Spring &lt;B&gt;</td>" in row
    assert "<td>Oak &amp; Ash</td>" in row
    assert "<td>1 Jul 2026</td>" in row
    assert "<td>Funded</td>" in row
    assert f"<td>{Application.Status.AWAITING_SCHOOL.label}</td>" in row
    other = page[page.index(f'id="choose-{bare.pk}"') :].split("</tr>")[0]
    assert other.count("<td>–</td>") == 2  # no school, no funding decision


def test_the_review_queue_says_more_than_its_cap_in_words_and_pages_on_without_a_count(
    client, npqlpm_cohort, monkeypatch
):
    monkeypatch.setattr(CappedPaginator, "cap", 20)
    queue = _queue_of(27, npqlpm_cohort, school=SchoolFactory(name="Brook Lane Academy"))
    _queue_of(3, npqlpm_cohort)  # another school's: not found by the search
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    url = reverse("applications:application-list")

    first = client.get(url, {"q": "brook lane"})
    second = client.get(url, {"q": "brook lane", "page": 2})

    page = first.content.decode()
    assert "More than 20 applications, oldest first" in page
    assert "Page 1<" in page and "Page 1 of" not in page and ">Next<" in page
    assert list(first.context["object_list"]) + list(second.context["object_list"]) == queue
    assert ">Next<" not in second.content.decode()
    assert client.get(url, {"q": "brook lane", "page": "last"}).status_code == 404
    assert client.get(url, {"q": "brook lane", "page": 3}).status_code == 404


def test_teachers_cannot_see_the_queue_or_decide(client, teacher, npqlpm_cohort):
    application = application_start(applicant=teacher, cohort=npqlpm_cohort)

    assert client.get(reverse("applications:application-list")).status_code == 403
    response = client.post(
        reverse("applications:application-decide", args=[application.pk]), {"action": "accept"}
    )
    assert response.status_code == 403


def test_the_cohort_list_counts_applications_awaiting_a_decision(client, npqlpm_cohort):
    for status in ["school_approved", "school_approved", "awaiting_school"]:
        application = application_start(applicant=UserFactory(), cohort=npqlpm_cohort)
        Application.objects.filter(pk=application.pk).update(status=status)
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    listed = client.get(reverse("cohorts:cohort-list")).context["object_list"]

    assert [cohort.applications_awaiting for cohort in listed] == [2]


def test_going_back_to_the_form_after_sending_explains_instead_of_not_found(
    client, teacher, npqlpm_cohort
):
    application = application_start(applicant=teacher, cohort=npqlpm_cohort)
    Application.objects.filter(pk=application.pk).update(status="awaiting_school")

    for url in [
        _step(application, "role"),
        reverse("applications:application-check", args=[application.pk]),
    ]:
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == application.get_absolute_url()
        assert "This application has been sent" in response.content.decode()


def test_the_cohort_list_counts_the_applications_waiting_for_a_decision(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    busy, quiet = CohortFactory(), CohortFactory()
    ApplicationFactory.create_batch(2, cohort=busy, status=Application.Status.SCHOOL_APPROVED)
    ApplicationFactory(cohort=busy, status=Application.Status.AWAITING_SCHOOL)
    ApplicationFactory(cohort=quiet, status=Application.Status.ACCEPTED)

    response = client.get(reverse("cohorts:cohort-list"))

    awaiting = {cohort: cohort.applications_awaiting for cohort in response.context["object_list"]}
    assert awaiting == {busy: 2, quiet: 0}
    link = (
        reverse("applications:application-list") + f"?cohort={busy.pk}&amp;status=school_approved"
    )
    assert f'<a href="{link}">2</a>' in response.content.decode()


# ---- Funding that says what it knows ----

ANSWERED = {
    "works_in_england": "yes",
    "work_setting": "a_school",
    "school_urn": "123456",
    "school_name": "Oakfield (123456)",
    "role": "Maths lead",
    "trn": "1234567",
    "mastery": "completed_year",
    "headteacher_name": "Helen Whitfield",
    "headteacher_email": "head@oakfield.example",
}


def _lists_in(*pairs):
    from io import BytesIO

    from schools.services import eligibility_list_upload

    for kind, urn in pairs:
        eligibility_list_upload(
            kind=kind, source=BytesIO(f"URN\r\n{urn}\r\n".encode()), file_name="l.csv", by=None
        )


def test_sent_while_the_pp50_list_was_never_uploaded_funding_is_to_be_confirmed(
    client, teacher, npqlpm_cohort, django_capture_on_commit_callbacks, mailoutbox
):
    SchoolFactory(urn=123456, establishment_type_code=1)
    _lists_in(("rise", "999999"))
    application = application_start(applicant=teacher, cohort=npqlpm_cohort)
    application_save_answers(application=application, answers=ANSWERED)

    payment = client.get(_step(application, "payment")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_step(application, "payment"), {"payment": "school"})
        client.post(reverse("applications:application-check", args=[application.pk]))
    page = client.get(application.get_absolute_url()).content.decode()

    application.refresh_from_db()
    decision = application.funding_decision
    assert decision.status == "funding_to_be_confirmed" and decision.provisional
    assert decision.waiting_on == ["pp50_schools"]
    assert "Your funding is not decided yet." in payment
    assert "will be confirmed by the hub once DfE&#x27;s PP50 list of schools is in" in payment
    assert "not likely to be funded" not in payment
    assert "To be confirmed by the hub." in page
    assert "confirmed by the hub once DfE&#x27;s PP50 list of schools is in" in page
    assert "Not funded" not in page
    received = next(m for m in mailoutbox if m.to == [teacher.email])
    assert "confirmed by the hub once DfE's PP50 list of schools is in" in received.body


def test_funded_alternatives_suit_the_applicants_role(client, teacher, npqlpm_cohort):
    from programmes.models import Programme
    from programmes.services import catalogue_load

    catalogue_load()
    cohort = CohortFactory(
        programme=Programme.objects.get(slug="npq-leading-primary-mathematics"),
        status=Cohort.Status.OPEN,
    )
    SchoolFactory(urn=123456, establishment_type_code=1)
    _lists_in(("rise", "999999"), ("pp50_schools", "999999"))  # in, and without this school
    lead = application_start(applicant=teacher, cohort=cohort)
    application_save_answers(application=lead, answers=ANSWERED)

    page = client.get(_step(lead, "payment")).content.decode()
    application_save_answers(application=lead, answers={"role": "Deputy headteacher"})
    deputy = client.get(_step(lead, "payment")).content.decode()

    assert "Your place is not likely to be funded." in page
    assert "NPQ in Senior Leadership" in page
    assert "NPQ in Headship" not in page
    assert "NPQ in Headship" in deputy
