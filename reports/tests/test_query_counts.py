"""No dashboard, report or export has a query count that grows with its rows: each at 10 and
at 1,000 (npq_portal/tests/querycount.py). To sweep another page, add a case to PAGES."""

import datetime

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from applications.tests.factories import bulk_applications
from assessment.models import Outcome, Submission
from assessment.tests.factories import AssessmentWindowFactory, SubmissionFactory
from cohorts.models import Cohort, ModuleWindow, Session
from cohorts.tests.factories import CohortFactory, bulk_cohorts, bulk_sessions
from funding.models import FundingDecision
from mailing_list.models import Subscriber
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, bulk, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow
from participants.models import Attendance, Enrolment, EnrolmentEvent, ModulePhaseDone
from participants.tests.factories import EnrolmentFactory, bulk_enrolments
from programmes.tests.factories import ModuleFactory
from reports.milestone_days import milestones_bring_up_to_date
from reports.models import Export, KeptMilestoneListing
from schools.models import SchoolLeadership
from schools.tests.factories import SchoolFactory

from .factories import ExportFactory
from .helpers import leadership_cohort

pytestmark = pytest.mark.django_db
NOW = timezone.now()
WEEKS_AGO = NOW - datetime.timedelta(weeks=6)


def running_cohort(**fields) -> tuple[Cohort, list[Session], list[ModuleWindow]]:
    """A cohort that started six weeks ago, with three sessions held in the last fortnight and
    two module windows, the first of them due."""
    cohort = fields.pop("cohort", None) or CohortFactory(
        starts_on=WEEKS_AGO.date(), status=Cohort.Status.RUNNING, **fields
    )
    sessions = bulk_sessions(
        cohort, 3, start=NOW - datetime.timedelta(days=14), apart=datetime.timedelta(days=2)
    )
    today = timezone.localdate()
    windows = [
        ModuleWindow.objects.create(
            cohort=cohort,
            module=ModuleFactory(course__programme=cohort.programme),
            opens_on=today - datetime.timedelta(days=30),
            study_due_on=today - datetime.timedelta(days=20 - 20 * n),
            application_due_on=today - datetime.timedelta(days=10 - 20 * n),
        )
        for n in range(2)
    ]
    return cohort, sessions, windows


def places_with_progress(count, cohort, sessions, windows, **fields) -> list[Enrolment]:
    """`count` places joined six weeks ago, on every register (one absence each), with both
    phases of every module done."""
    places = bulk_enrolments(count, cohort=cohort, created_at=WEEKS_AGO, **fields)
    Attendance.objects.bulk_create(
        Attendance(session=session, enrolment=place, mark="absent" if n == 0 else "present")
        for place in places
        for n, session in enumerate(sessions)
    )
    ModulePhaseDone.objects.bulk_create(
        ModulePhaseDone(enrolment=place, module_id=window.module_id, phase=phase)
        for place in places
        for window in windows
        for phase in ("study", "application")
    )
    return places


def assessed(places, *, released_at=None) -> None:
    """Submitted work for each place in a window of its programme; every other one passed."""
    cohort = places[0].cohort
    window = AssessmentWindowFactory(
        programme=cohort.programme,
        cohort=cohort,
        opens_at=NOW - datetime.timedelta(days=20),
        closes_at=NOW - datetime.timedelta(days=12),
        results_release_at=NOW - datetime.timedelta(days=5),
    )
    submissions = bulk(
        SubmissionFactory,
        len(places),
        enrolment=factory.Iterator(places),
        window=window,
        status=Submission.Status.SUBMITTED,
        submitted_at=window.opens_at,
    )
    Outcome.objects.bulk_create(
        Outcome(
            submission=submission,
            enrolment_id=submission.enrolment_id,
            window=window,
            attempt=1,
            result=Outcome.Result.PASSED,
            basis=Outcome.Basis.FIRST_MARK,
            released_at=released_at,
        )
        for submission in submissions[::2]
    )


# ---- The staff dashboard and the cohort report ----


def _dashboard(client, *, filtered: bool):
    """Applications (approved, funded, placed) to open cohorts, participation in running
    cohorts, assessment windows and mailing-list sign-ups."""
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    first = CohortFactory(status=Cohort.Status.OPEN)
    programme, partner = first.programme, first.delivery_partner
    url = reverse("reports:dashboard")
    if filtered:
        url += f"?year=2027&programme={programme.slug}&partner={partner.pk}"

    def add_rows(count):
        shared = {"programme": programme, "delivery_partner": partner}
        open_cohorts = bulk_cohorts(count, status=Cohort.Status.OPEN, **shared)
        decisions = FundingDecision.objects.bulk_create(
            FundingDecision(
                subject="applications.application:0",
                rules="2026",
                facts={},
                status="funded",
                funded=True,
                # Half wait for lists not in: the warning counts them without a query each.
                provisional=n % 2 == 1,
                waiting_on=["rise", "pp50_schools"] if n % 2 else [],
                reason="Test",
            )
            for n in range(count)
        )
        applications = bulk_applications(
            count,
            cohort=factory.Iterator(open_cohorts),
            status=factory.Iterator([Application.Status.AWAITING_SCHOOL, "accepted"]),
            funding_decision=factory.Iterator(decisions),
        )
        ApplicationEvent.objects.bulk_create(
            ApplicationEvent(application=a, from_status="awaiting_school", to_status=a.status)
            for a in applications
        )
        bulk(
            EnrolmentFactory,
            count // 2,
            participant=factory.Iterator([a.applicant for a in applications[1::2]]),
            cohort=factory.Iterator([a.cohort for a in applications[1::2]]),
            application=factory.Iterator(applications[1::2]),
        )
        running = bulk_cohorts(
            count, status=Cohort.Status.RUNNING, starts_on=WEEKS_AGO.date(), **shared
        )
        bulk_enrolments(count, cohort=factory.Iterator(running), created_at=WEEKS_AGO)
        for cohort in running[:2]:
            places = places_with_progress(2, *running_cohort(cohort=cohort))
        assessed(places)
        bulk(AssessmentWindowFactory, count, programme=programme, cohort=factory.Iterator(running))
        Subscriber.programmes.through.objects.bulk_create(
            Subscriber.programmes.through(subscriber_id=subscriber.pk, programme_id=programme.pk)
            for subscriber in Subscriber.objects.bulk_create(
                Subscriber(
                    email=f"{n}-{count}@interest.example",
                    first_name="Jo",
                    last_name="Bloggs",
                    consent_text="Yes",
                    consented_at=NOW,
                    confirmed_at=NOW,
                )
                for n in range(count)
            )
        )

    return url, add_rows


def dashboard(client):
    return _dashboard(client, filtered=False)


def dashboard_filtered(client):
    return _dashboard(client, filtered=True)


def cohort_report(client):
    """Everyone's registers, module phases and assessment status."""
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)
    cohort, sessions, windows = running_cohort()
    cohort.facilitators.add(facilitator)

    def add_places(count):
        assessed(places_with_progress(count, cohort, sessions, windows), released_at=NOW)

    return reverse("reports:cohort-report", args=[cohort.pk]), add_places


# ---- DfE milestones and the school leader's termly summary ----


def withdrawn_without_an_event(places) -> None:
    """Withdraw `places` as a change outside the services would: no event says when."""
    Enrolment.objects.filter(pk__in=[p.pk for p in places]).update(status="withdrawn")


def _milestone_places(cohort, count):
    """Places with their evidence; every tenth moved on to another cohort of the programme
    (with no event saying when), every tenth but one deferred (with one)."""
    _, sessions, windows = running_cohort(cohort=cohort)
    places = places_with_progress(count, cohort, sessions, windows)
    assessed(places, released_at=NOW)
    deferred = places[1::10]
    Enrolment.objects.filter(pk__in=[p.pk for p in deferred]).update(status="deferred")
    EnrolmentEvent.objects.bulk_create(
        EnrolmentEvent(enrolment=place, from_status="active", to_status="deferred")
        for place in deferred
    )
    moved = places[::10]
    withdrawn_without_an_event(moved)
    later = CohortFactory(programme=cohort.programme, starts_on=NOW.date())
    bulk(
        EnrolmentFactory,
        len(moved),
        participant=factory.Iterator([p.participant for p in moved]),
        cohort=later,
        transferred_from=factory.Iterator(moved),
    )


def _milestone_places_kept(cohort, count):
    """The places, then their milestone days worked out as the periodic task does after any
    change (test_milestone_days.py counts that work's queries; this counts the page's)."""
    _milestone_places(cohort, count)
    milestones_bring_up_to_date(cohorts=Cohort.objects.all())


def milestones(client):
    """The milestone page as a first visit after its places changed draws it: its listing
    read afresh (milestone_listing_kept)."""
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    cohort = leadership_cohort(starts_on=WEEKS_AGO.date(), status=Cohort.Status.RUNNING)
    url = reverse("reports:milestone-list") + "?places=all"
    return url, lambda count: _milestone_places_kept(cohort, count), _listing_let_go


def milestones_listing_kept(client):
    """The milestone page as a visit with nothing changed since the last draws it: its
    listing kept."""
    url, add_rows, _ = milestones(client)
    return url, add_rows, lambda: client.get(url)


def cohort_milestones_claimable(client):
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)
    cohort = leadership_cohort(starts_on=WEEKS_AGO.date(), status=Cohort.Status.RUNNING)
    cohort.facilitators.add(facilitator)
    url = reverse("reports:cohort-milestones", args=[cohort.pk]) + "?show=claimable&places=all"
    return url, lambda count: _milestone_places_kept(cohort, count), _listing_let_go


def _listing_let_go():
    KeptMilestoneListing.objects.all().delete()


def termly_summary(client):
    """The leader's school's people: registers, modules and results released this term, and
    every tenth withdrawn (with no event saying when)."""
    leader = UserFactory(roles=[Role.SCHOOL_LEADER])
    sign_in(client, leader)
    school = SchoolFactory()
    SchoolLeadership.objects.create(user=leader, school=school)
    cohort, sessions, windows = running_cohort()

    def add_people(count):
        applications = bulk_applications(
            count, cohort=cohort, school=school, status=Application.Status.ACCEPTED
        )
        places = places_with_progress(
            count, cohort, sessions, windows, application=factory.Iterator(applications)
        )
        assessed(places, released_at=NOW)
        withdrawn_without_an_event(places[::10])

    # The PDF (reports:school-summary-pdf) is drawn from the same school_termly_summary.
    return reverse("reports:school-summary"), add_people


# ---- Exports ----


def exports(client):
    user = StaffUserFactory()
    sign_in(client, user)

    def add_exports(count):
        bulk(
            ExportFactory,
            count,
            requested_by=user,
            kind=factory.Iterator(Export.Kind.values),
            status=Export.Status.RUNNING,
            rows_total=5000,
            rows_done=factory.Iterator(range(0, 5000, 5)),
        )

    return reverse("reports:export-list"), add_exports


def applications_download(client):
    """The review queue's applications as a file, each with its place and funding decision."""
    sign_in(client, StaffUserFactory())
    cohort = CohortFactory()

    def add_applications(count):
        applications = bulk_applications(count, cohort=cohort, status="accepted")
        bulk(
            EnrolmentFactory,
            count,
            participant=factory.Iterator([a.applicant for a in applications]),
            cohort=cohort,
            application=factory.Iterator(applications),
        )

    url = reverse("reports:export-create", args=["applications", "csv"])
    return url, add_applications


def attendance_download(client):
    """A cohort's registers as a spreadsheet: a line per place and session."""
    facilitator = StaffUserFactory(roles=[Role.FACILITATOR])
    sign_in(client, facilitator)
    cohort, sessions, windows = running_cohort()
    cohort.facilitators.add(facilitator)
    url = reverse("reports:export-create", args=["attendance", "xlsx"]) + f"?cohort={cohort.pk}"

    def add_places(count):
        # Three lines a place: a third as many places keeps the file within a download.
        places_with_progress(max(count // 3, 1), cohort, sessions[:3], windows)

    return url, add_places


PAGES = [
    dashboard,
    dashboard_filtered,
    cohort_report,
    milestones,
    milestones_listing_kept,
    cohort_milestones_claimable,
    termly_summary,
    exports,
    applications_download,
    attendance_download,
]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.__name__)
def test_the_query_count_does_not_grow_with_the_rows(client, page):
    url, add_rows, *before_each = page(client)

    assert_queries_do_not_grow(
        client, url, add_rows, page=page.__name__, before_each=next(iter(before_each), None)
    )
