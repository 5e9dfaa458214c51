"""Each export, downloaded as each role would, read back with csv.reader and openpyxl: it
holds exactly the rows of the filtered list it comes from, only the columns the role gets,
only the rows the person may see, and in a number of queries that does not grow with rows."""

import datetime
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import ApplicationFactory
from assessment.models import Outcome, Submission
from assessment.tests.factories import AssessmentWindowFactory
from cohorts.tests.factories import CohortFactory, SessionFactory
from funding.models import FundingDecision
from mailing_list.models import Subscriber
from mailing_list.services import subscriber_confirm, subscriber_sign_up
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Attendance, Enrolment
from participants.tests.factories import EnrolmentFactory
from programmes.tests.factories import ProgrammeFactory
from schools.services import school_leader_confirm
from schools.tests.factories import SchoolFactory

from .factories import body_of, column, rows_of

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "xlsx"]
Status = Application.Status


def _export(client, kind: str, file_format: str = "csv", **filters):
    response = client.get(reverse("reports:export-create", args=[kind, file_format]), filters)
    assert response.status_code == 200, response.content[:500]
    assert "attachment;" in response["Content-Disposition"]
    return rows_of(response, file_format)


def _ids(values) -> list[int]:
    return [int(value) for value in values]


def _download_links(page, kind: str) -> dict[str, dict]:
    """The page's Download buttons for `kind`: format to the filters they carry."""
    links = {}
    for href in re.findall(rf'href="(/exports/{kind}/(\w+)/[^"]*)"', page.content.decode()):
        url = urlparse(href[0].replace("&amp;", "&"))
        links[href[1]] = {key: values[0] for key, values in parse_qs(url.query).items()}
    return links


def _decision(application, status: str, *, override: str = "") -> FundingDecision:
    decision = FundingDecision.objects.create(
        subject=f"applications.application:{application.pk}",
        rules="2026",
        facts={"role": "teacher"},
        status=status,
        funded=status == "funded",
        reason=f"Because {status}.",
        override_status=override,
        override_reason="Agreed by the hub." if override else "",
    )
    Application.objects.filter(pk=application.pk).update(funding_decision=decision)
    return decision


def _sent(n: int, **kwargs) -> list[Application]:
    base = timezone.now() - datetime.timedelta(days=30)
    return [
        ApplicationFactory(submitted_at=base + datetime.timedelta(hours=i), **kwargs)
        for i in range(n)
    ]


# ---- Applications and funding decisions: the review queue ----


@pytest.mark.parametrize("file_format", FORMATS)
def test_an_applications_export_holds_exactly_the_rows_of_the_filtered_review_queue(
    client, file_format
):
    cohort = CohortFactory()
    _sent(3, cohort=cohort, status=Status.SCHOOL_APPROVED)
    _sent(1, cohort=cohort, status=Status.AWAITING_SCHOOL)
    _sent(1, status=Status.SCHOOL_APPROVED)  # another programme
    ApplicationFactory(cohort=cohort, status=Status.DRAFT)
    sign_in(client, StaffUserFactory())
    filters = {"programme": cohort.programme.slug, "status": "school_approved"}

    page = client.get(reverse("applications:application-list"), filters)
    rows = _export(client, "applications", file_format, **filters)

    listed = [application.pk for application in page.context["object_list"]]
    assert len(listed) == 3
    assert _ids(column(rows, "Application")) == listed
    assert rows[0][:4] == ["Application", "First name", "Last name", "Email"]
    assert set(column(rows, "Status")) == {"Approved by school"}
    assert _download_links(page, "applications") == {"csv": filters, "xlsx": filters}


def test_the_search_box_and_the_funding_filter_narrow_the_export_as_they_narrow_the_list(client):
    school = SchoolFactory(name="Hoole Church of England Primary")
    found = _sent(2, school=school, status=Status.SCHOOL_APPROVED)
    _decision(found[0], "funded")
    _decision(found[1], "not_funded", override="marked_funded_by_policy")
    _decision(_sent(1, status=Status.SCHOOL_APPROVED)[0], "funded")
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    by_school = _export(client, "applications", q="hoole")
    funded = _export(client, "applications", funding="funded")
    by_override = _export(client, "applications", funding="marked_funded_by_policy", q="hoole")

    assert sorted(_ids(column(by_school, "Application"))) == sorted(a.pk for a in found)
    assert len(funded) == 1 + 2  # the header and the two whose calculated outcome stands
    assert _ids(column(by_override, "Application")) == [found[1].pk]
    assert column(by_override, "Funding outcome") == ["Marked funded by hub policy"]


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_funding_decisions_export_holds_the_decisions_of_the_filtered_queue(client, file_format):
    cohort = CohortFactory()
    decided = _sent(2, cohort=cohort, status=Status.SCHOOL_APPROVED, trn="1234567")
    _decision(decided[0], "funded")
    _decision(decided[1], "previously_funded", override="marked_funded_by_policy")
    _sent(1, cohort=cohort, status=Status.SCHOOL_APPROVED)  # sent before funding was decided
    _decision(_sent(1, status=Status.SCHOOL_APPROVED)[0], "funded")  # another cohort
    sign_in(client, StaffUserFactory())

    page = client.get(reverse("applications:application-list"), {"cohort": cohort.pk})
    rows = _export(client, "funding-decisions", file_format, cohort=str(cohort.pk))

    with_decision = [a.pk for a in page.context["object_list"] if a.funding_decision]
    assert _ids(column(rows, "Application")) == with_decision
    assert column(rows, "Calculated outcome") == ["Funded", "Funded before for this NPQ"]
    assert column(rows, "Outcome that stands") == ["Funded", "Marked funded by hub policy"]
    assert column(rows, "Override reason") == [
        None if file_format == "xlsx" else "",
        "Agreed by the hub.",
    ]
    assert set(column(rows, "TRN")) == {"1234567"}
    assert _download_links(page, "funding-decisions")[file_format] == {"cohort": str(cohort.pk)}


# ---- Places and attendance: the cohort list and the cohort grid ----


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_places_export_holds_the_places_in_the_cohorts_the_filtered_list_shows(
    client, file_format
):
    programme = ProgrammeFactory()
    cohorts = [CohortFactory(programme=programme), CohortFactory(programme=programme)]
    places = [EnrolmentFactory(cohort=cohort) for cohort in cohorts for _ in range(2)]
    EnrolmentFactory(cohort=cohorts[0], status=Enrolment.Status.WITHDRAWN)
    EnrolmentFactory()  # another programme
    sign_in(client, StaffUserFactory())

    page = client.get(reverse("cohorts:cohort-list"), {"programme": programme.pk})
    rows = _export(client, "enrolments", file_format, programme=str(programme.pk))

    listed = {cohort.pk for cohort in page.context["object_list"]}
    expected = Enrolment.objects.filter(cohort__in=listed)
    assert sorted(_ids(column(rows, "Place"))) == sorted(expected.values_list("pk", flat=True))
    assert len(expected) == len(places) + 1
    assert sorted(column(rows, "Place status")) == ["Active"] * 4 + ["Withdrawn"]
    assert _download_links(page, "enrolments")["csv"] == {"programme": str(programme.pk)}


def _grid_cohort(facilitator=None):
    """A cohort with two sessions whose registers were taken: Ada came to both, Ben to none."""
    cohort = CohortFactory()
    if facilitator:
        cohort.facilitators.add(facilitator)
    now = timezone.now()
    sessions = [
        SessionFactory(
            cohort=cohort,
            title=f"Clinic {i}",
            starts_at=now - datetime.timedelta(days=10 - i),
            ends_at=now - datetime.timedelta(days=10 - i, hours=-1),
        )
        for i in range(2)
    ]
    ada = EnrolmentFactory(cohort=cohort, participant__last_name="Adams")
    ben = EnrolmentFactory(cohort=cohort, participant__last_name="Brown")
    for session in sessions:
        Attendance.objects.create(session=session, enrolment=ada, mark="present")
        Attendance.objects.create(session=session, enrolment=ben, mark="absent")
    return cohort, ada, ben


@pytest.mark.parametrize("file_format", FORMATS)
def test_an_attendance_export_holds_the_grids_rows_for_its_filter_one_line_a_session(
    client, file_format
):
    cohort, ada, ben = _grid_cohort()
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    page = client.get(
        reverse("participants:cohort-progress", args=[cohort.pk]), {"show": "at-risk"}
    )
    at_risk = _export(client, "attendance", file_format, cohort=str(cohort.pk), show="at-risk")
    everyone = _export(client, "attendance", file_format, cohort=str(cohort.pk))

    shown = [row.enrolment.pk for row in page.context["page_obj"].object_list]
    assert shown == [ben.pk]
    assert _ids(column(at_risk, "Place")) == [ben.pk, ben.pk]
    assert column(at_risk, "Mark") == ["Absent", "Absent"]
    assert column(at_risk, "Session") == ["Clinic 0", "Clinic 1"]
    assert _ids(column(everyone, "Place")) == [ada.pk, ada.pk, ben.pk, ben.pk]
    assert column(everyone, "At risk") == ["No", "No", "Yes", "Yes"]
    assert _download_links(page, "attendance")[file_format] == {
        "cohort": str(cohort.pk),
        "show": "at-risk",
    }


def test_a_facilitator_exports_only_their_cohorts_attendance_without_contact_details(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    theirs, ada, ben = _grid_cohort(facilitator=facilitator)
    other, *_ = _grid_cohort()
    sign_in(client, facilitator)

    own = _export(client, "attendance", cohort=str(theirs.pk))
    every_cohort_they_see = _export(client, "attendance")
    someone_elses = client.get(
        reverse("reports:export-create", args=["attendance", "csv"]), {"cohort": other.pk}
    )
    applications = client.get(reverse("reports:export-create", args=["applications", "csv"]))

    assert own[0] == [
        "First name",
        "Last name",
        "Programme",
        "Cohort",
        "Session",
        "Kind",
        "Starts",
        "Mark",
        "Participation so far (%)",
        "At risk",
    ]
    assert column(own, "Last name") == ["Adams", "Adams", "Brown", "Brown"]
    assert every_cohort_they_see == own
    assert someone_elses.status_code == 404
    assert applications.status_code == 403


# ---- Assessment outcomes: a window's page ----


@pytest.mark.parametrize("file_format", FORMATS)
def test_an_outcomes_export_holds_the_participants_the_window_page_lists_with_their_results(
    client, file_format
):
    cohort = CohortFactory()
    window = AssessmentWindowFactory(programme=cohort.programme, cohort=cohort)
    passed = EnrolmentFactory(cohort=window.cohort, participant__last_name="Adams")
    waiting = EnrolmentFactory(cohort=window.cohort, participant__last_name="Brown")
    EnrolmentFactory(cohort=window.cohort, status=Enrolment.Status.DEFERRED)
    submission = Submission.objects.create(
        enrolment=passed,
        window=window,
        text="My case study",
        word_count=3,
        status=Submission.Status.SUBMITTED,
        submitted_at=window.opens_at + datetime.timedelta(days=1),
    )
    Outcome.objects.create(
        submission=submission,
        enrolment=passed,
        window=window,
        attempt=1,
        result=Outcome.Result.PASSED,
        basis=Outcome.Basis.FIRST_MARK,
    )
    sign_in(client, StaffUserFactory())

    page = client.get(reverse("assessment:window-detail", args=[window.pk]))
    rows = _export(
        client, "outcomes", file_format, window=str(window.pk), cohort=str(window.cohort_id)
    )

    assert _ids(column(rows, "Place")) == [row.enrolment.pk for row in page.context["rows"]]
    assert _ids(column(rows, "Place")) == [passed.pk, waiting.pk]
    assert column(rows, "Submission") == ["Submitted", "Not started"]
    assert column(rows, "Result") == ["Passed", None if file_format == "xlsx" else ""]
    assert _download_links(page, "outcomes")["csv"] == {
        "window": str(window.pk),
        "cohort": str(window.cohort_id),
    }


def test_a_window_out_of_scope_is_not_found_and_a_facilitator_may_not_export_outcomes(client):
    window = AssessmentWindowFactory()
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, StaffUserFactory())
    url = reverse("reports:export-create", args=["outcomes", "csv"])

    missing = client.get(url, {"window": window.pk + 1})
    no_window = client.get(url)
    sign_in(client, facilitator)
    refused = client.get(url, {"window": window.pk})

    assert missing.status_code == 404
    assert no_window.status_code == 404
    assert refused.status_code == 403


# ---- The mailing list ----


def _subscriber(programme, email, *, confirmed=True):
    subscriber = subscriber_sign_up(
        email=email, first_name="S", last_name="T", programmes=[programme]
    )
    return subscriber_confirm(subscriber=subscriber) if confirmed else subscriber


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_subscribers_export_holds_the_confirmed_subscribers_of_a_programme(client, file_format):
    programme = ProgrammeFactory(short_name="NPQLPM")
    _subscriber(programme, "one@b.example")
    _subscriber(programme, "two@b.example")
    _subscriber(programme, "pending@b.example", confirmed=False)
    _subscriber(ProgrammeFactory(), "other@b.example")
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    rows = _export(client, "subscribers", file_format, programme=programme.slug)
    everyone = _export(client, "subscribers", file_format)

    assert rows[0] == ["First name", "Last name", "Email", "School URN", "School", "Confirmed"]
    assert sorted(column(rows, "Email")) == ["one@b.example", "two@b.example"]
    assert len(everyone) == 1 + 3


def test_a_filter_reaches_the_file_name_only_as_a_slug(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    response = client.get(
        reverse("reports:export-create", args=["subscribers", "csv"]),
        {"programme": 'x"; filename=evil.exe'},
    )

    assert response["Content-Disposition"] == (
        f'attachment; filename="subscribers-x-filenameevilexe-{timezone.localdate():%Y-%m-%d}.csv"'
    )


def test_the_old_mailing_list_link_still_downloads_the_csv(client):
    programme = ProgrammeFactory()
    _subscriber(programme, "one@b.example")
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    response = client.get(
        reverse("mailing_list:subscriber-report"),
        {"export": "csv", "programme": programme.slug},
        follow=True,
    )

    assert response["Content-Disposition"] == (
        f'attachment; filename="subscribers-{programme.slug}-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    assert column(rows_of(response, "csv"), "Email") == ["one@b.example"]


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_name_typed_as_a_formula_is_neutralised_in_the_file(client, file_format):
    subscriber = _subscriber(ProgrammeFactory(), "x@b.example")
    Subscriber.objects.filter(pk=subscriber.pk).update(first_name='=HYPERLINK("http://x.example")')
    ApplicationFactory(
        status=Status.SCHOOL_APPROVED, applicant__last_name="+SUM(1,2)", school__name="@cmd"
    )
    sign_in(client, StaffUserFactory())

    subscribers = _export(client, "subscribers", file_format)
    applications = _export(client, "applications", file_format)

    assert column(subscribers, "First name") == ['\'=HYPERLINK("http://x.example")']
    assert column(applications, "Last name") == ["'+SUM(1,2)"]
    assert column(applications, "School") == ["'@cmd"]


# ---- School leaders: My school ----


def test_a_school_leader_exports_only_their_schools_people_with_the_leaders_columns(client):
    school, other = SchoolFactory(), SchoolFactory()
    ours = _sent(2, school=school, status=Status.ACCEPTED, trn="7654321")
    _decision(ours[0], "funded")
    place = EnrolmentFactory(
        cohort=ours[0].cohort, participant=ours[0].applicant, application=ours[0]
    )
    theirs = _sent(1, school=other, status=Status.ACCEPTED)
    EnrolmentFactory(
        cohort=theirs[0].cohort, participant=theirs[0].applicant, application=theirs[0]
    )
    leader = UserFactory()
    school_leader_confirm(user=leader, school=school, by=StaffUserFactory())
    sign_in(client, leader)

    page = client.get(reverse("participants:school-leader-home"))
    applications = _export(client, "applications", "xlsx", schools="mine")
    places = _export(client, "enrolments", "csv", schools="mine")

    listed = [application.pk for application in page.context["applications"]]
    assert column(applications, "Email") == [
        Application.objects.get(pk=pk).applicant.email for pk in listed
    ]
    assert len(listed) == 2
    headers = applications[0]
    assert (
        "TRN" not in headers and "Funding outcome" not in headers and "Application" not in headers
    )
    assert set(column(applications, "School")) == {school.name}
    assert column(places, "Email") == [place.participant.email]
    assert "TRN" not in places[0] and "Place" not in places[0]
    assert _download_links(page, "applications")["xlsx"] == {"schools": "mine"}


def test_a_school_leader_may_not_export_staff_lists(client):
    leader = UserFactory()
    school_leader_confirm(user=leader, school=SchoolFactory(), by=StaffUserFactory())
    sign_in(client, leader)

    for kind in ("attendance", "outcomes", "subscribers", "funding-decisions"):
        response = client.get(reverse("reports:export-create", args=[kind, "csv"]))
        assert response.status_code == 403, kind


def test_a_teacher_may_export_nothing(client):
    sign_in(client, UserFactory())

    for kind in ("applications", "enrolments", "attendance", "subscribers", "funding-decisions"):
        response = client.get(reverse("reports:export-create", args=[kind, "xlsx"]))
        assert response.status_code == 403, kind


def test_an_export_that_does_not_exist_is_not_found(client):
    sign_in(client, StaffUserFactory())

    assert client.get(reverse("reports:export-create", args=["teachers", "csv"])).status_code == 404
    assert (
        client.get(reverse("reports:export-create", args=["subscribers", "pdf"])).status_code == 404
    )


def test_the_lead_gets_trn_and_funding_columns(client):
    _decision(_sent(1, status=Status.SCHOOL_APPROVED, trn="1234567")[0], "funded")
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))

    rows = _export(client, "applications")

    assert column(rows, "TRN") == ["1234567"]
    assert column(rows, "Funding outcome") == ["Funded"]
    assert column(rows, "Funded") == ["Yes"]


# ---- Query counts: flat however many rows ----


def _applications(n):
    cohort = CohortFactory()
    for application in _sent(n, cohort=cohort, status=Status.ACCEPTED):
        _decision(application, "funded")
        EnrolmentFactory(cohort=cohort, participant=application.applicant, application=application)
    return {}


def _places(n):
    cohort = CohortFactory()
    SessionFactory(cohort=cohort)
    for _ in range(n):
        EnrolmentFactory(cohort=cohort, application=ApplicationFactory(cohort=cohort))
    return {"cohort": str(cohort.pk)}


def _attendance(n):
    cohort = CohortFactory()
    sessions = [SessionFactory(cohort=cohort) for _ in range(2)]
    for _ in range(n):
        place = EnrolmentFactory(cohort=cohort)
        for session in sessions:
            Attendance.objects.create(session=session, enrolment=place, mark="present")
    return {"cohort": str(cohort.pk)}


def _outcomes(n):
    cohort = CohortFactory()
    window = AssessmentWindowFactory(programme=cohort.programme, cohort=cohort)
    for _ in range(n):
        place = EnrolmentFactory(cohort=cohort)
        submission = Submission.objects.create(
            enrolment=place,
            window=window,
            status=Submission.Status.SUBMITTED,
            submitted_at=window.opens_at,
        )
        Outcome.objects.create(
            submission=submission,
            enrolment=place,
            window=window,
            attempt=1,
            result=Outcome.Result.PASSED,
            basis=Outcome.Basis.FIRST_MARK,
        )
    return {"window": str(window.pk)}


def _subscribers(n):
    programme = ProgrammeFactory()
    for i in range(n):
        _subscriber(programme, f"s{i}-{programme.pk}@b.example")
    return {}


@pytest.mark.parametrize(
    ("kind", "build"),
    [
        ("applications", _applications),
        ("funding-decisions", _applications),
        ("enrolments", _places),
        ("attendance", _attendance),
        ("outcomes", _outcomes),
        ("subscribers", _subscribers),
    ],
)
@pytest.mark.parametrize("file_format", FORMATS)
def test_an_exports_query_count_does_not_grow_with_its_rows(
    client, django_assert_max_num_queries, kind, build, file_format
):
    sign_in(client, StaffUserFactory())
    url = reverse("reports:export-create", args=[kind, file_format])
    few = build(2)
    with CaptureQueriesContext(connection) as small:
        body_of(client.get(url, few))
    many = build(15)

    with django_assert_max_num_queries(len(small.captured_queries)):
        rows = rows_of(client.get(url, many), file_format)

    assert len(rows) > 15
