"""The reconciliation page: each bucket with its count, its actions (invite, remind, link,
unlink, acknowledge, sync now), filters, words not codes, and queries that do not grow."""

import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.tests.factories import bulk_applications
from dfe.fake import FakeDfe
from dfe.models import Connection, DfeApplication, Outgoing, Statement, Sync
from dfe.reconcile import reconciliation_bring_up_to_date
from dfe.reconcile_counts import reconciliation_counts_stale
from npq_portal.models import EmailDelivery
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, bulk, sign_in
from npq_portal.tests.querycount import assert_queries_do_not_grow, statement_of
from npq_portal.tests.test_words import SNAKE_CASE, shown_text
from schools.tests.factories import SchoolFactory

from .reconciling import PORTAL_NOW, SENIOR_LEADERSHIP, Hub, dfe_add, pull, transport
from .test_reconcile import _decide_funding

pytestmark = pytest.mark.django_db

PAGE = reverse("dfe:reconciliation")


@pytest.fixture(autouse=True)
def _portal_clock():
    with time_machine.travel(PORTAL_NOW, tick=True):
        yield


@pytest.fixture
def hub():
    return Hub()


@pytest.fixture
def staff(client):
    person = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, person)
    return person


class Scene:
    """One application in each bucket, pulled from the fake through the real path."""

    def __init__(self, hub: Hub):
        fake = self.fake = FakeDfe()
        self.matched = hub.application(email="matched@example.org", trn="1000001")
        dfe_add(fake, self.matched, full_name="Mary Matched")
        self.disagreeing = hub.application(email="dora@example.org", trn="1000002")
        _decide_funding(self.disagreeing, funded=True, status="funded")
        self.disagreeing_id = dfe_add(
            fake, self.disagreeing, full_name="Dora Disagrees", eligible_for_funding=False
        )
        self.dfe_only_id = dfe_add(
            fake,
            email="olive@example.org",
            teacher_reference_number="1000003",
            full_name="Olive Onlyatdfe",
            course_identifier=SENIOR_LEADERSHIP,
        )
        self.portal_only = hub.application(email="pat@example.org", trn="1000004")
        pull(fake, hub.connection)


@pytest.fixture
def scene(hub):
    return Scene(hub)


def test_each_bucket_lists_its_applications_with_counts(client, staff, scene):
    pages = {
        show: client.get(PAGE, {"show": show}).content.decode()
        for show in ("matched", "dfe_only", "portal_only", "disagreements")
    }

    assert "Matched (1)" in pages["matched"]
    assert "Only at DfE (1)" in pages["matched"]
    assert "Only in the portal (1)" in pages["matched"]
    assert "Disagreements (1)" in pages["matched"]
    assert "Mary Matched" in pages["matched"] and "Dora" not in pages["matched"]
    assert "Olive Onlyatdfe" in pages["dfe_only"]
    assert "No portal application from this person for this course and cohort" in pages["dfe_only"]
    assert "pat@example.org" in pages["portal_only"]
    assert "Remind them to register" in pages["portal_only"]
    disagreements = pages["disagreements"]
    assert "Dora Disagrees" in disagreements
    assert "Funding eligibility" in disagreements
    assert "<td>Funded</td>" in disagreements
    assert "Not eligible for funding: Workplace not eligible" in disagreements
    assert scene.disagreeing.get_absolute_url() in disagreements


def test_the_page_opens_on_disagreements_and_filters_by_cohort_and_course(client, staff, scene):
    page = client.get(PAGE).content.decode()
    headship_only = client.get(PAGE, {"course": "npq-headship", "show": "dfe_only"})
    unknown = client.get(PAGE, {"year": "1999", "course": "nonsense"})

    assert "Dora Disagrees" in page
    assert "Only at DfE (0)" in headship_only.content.decode()
    assert "Olive" not in headship_only.content.decode()
    assert "Only at DfE (1)" in unknown.content.decode()  # an unknown filter is no filter


def test_the_page_shows_dfes_codes_in_words(client, staff, scene):
    DfeApplication.objects.filter(dfe_id=scene.dfe_only_id).update(
        status="rejected",
        reason_for_rejection="other_application_in_this_cohort_accepted",
        ineligible_for_funding_reason="previously-funded",
        eligible_for_funding=False,
    )

    pages = [client.get(PAGE, {"show": show}).content.decode() for show in ("dfe_only", "matched")]

    for page in pages:
        assert not SNAKE_CASE.findall(shown_text(page))
        assert SENIOR_LEADERSHIP not in shown_text(page)
    assert "Funded before for this NPQ" in pages[0]
    assert "NPQ in Senior Leadership" in pages[0]


def test_someone_only_at_dfe_is_invited_to_apply_once(client, staff, scene, hub, mailoutbox):
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)
    url = reverse("dfe:dfe-application-invite", args=[record.pk])

    first = client.post(url, follow=True)
    second = client.post(url, follow=True)

    assert len(mailoutbox) == 1
    (email,) = mailoutbox
    assert email.to == ["olive@example.org"]
    assert reverse("applications:apply", kwargs={"cohort_pk": hub.cohort.pk}) in email.body
    assert "Olive Onlyatdfe has been invited to apply." in first.content.decode()
    assert "were invited on" in second.content.decode()
    page = client.get(PAGE, {"show": "dfe_only"}).content.decode()
    assert "Invited " in page and "Invite them to apply" not in page


def test_no_invitation_when_no_cohort_takes_applications(client, staff, scene, hub, mailoutbox):
    hub.cohort.status = "draft"
    hub.cohort.save()
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)

    response = client.post(reverse("dfe:dfe-application-invite", args=[record.pk]), follow=True)

    assert mailoutbox == []
    assert "is taking applications, so there is nothing to invite them to yet" in (
        response.content.decode()
    )


def test_a_portal_only_teacher_is_reminded_to_register_once(client, staff, scene, mailoutbox):
    url = reverse("dfe:application-remind", args=[scene.portal_only.pk])

    client.post(url)
    second = client.post(url, follow=True)

    assert len(mailoutbox) == 1
    (email,) = mailoutbox
    assert email.to == ["pat@example.org"]
    assert "https://register-national-professional-qualifications.education.gov.uk/" in email.body
    assert "The teacher was reminded on" in second.content.decode()
    delivery = EmailDelivery.objects.get(kind="dfe_register_reminder")
    page = client.get(PAGE, {"show": "portal_only"}).content.decode()
    assert f"Reminded {timezone.localtime(delivery.sent_at):%-d %b %Y}" in page


def test_no_reminder_for_an_application_dfe_has(client, staff, scene, mailoutbox):
    response = client.post(reverse("dfe:application-remind", args=[scene.matched.pk]), follow=True)

    assert mailoutbox == []
    assert "DfE has this application already." in response.content.decode()


def test_staff_link_a_dfe_only_application_to_a_candidate(client, staff, scene, hub):
    applicant = scene.portal_only.applicant
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)
    DfeApplication.objects.filter(pk=record.pk).update(candidate_ids=[scene.portal_only.pk])
    page = client.get(PAGE, {"show": "dfe_only"}).content.decode()
    assert applicant.email in page  # offered as a candidate

    client.post(
        reverse("dfe:dfe-application-link", args=[record.pk]),
        {"application": scene.portal_only.pk},
    )

    record.refresh_from_db()
    assert (record.application, record.linked_by) == (scene.portal_only, staff)
    assert "Only at DfE (0)" in client.get(PAGE).content.decode()


def test_linking_to_nothing_says_what_to_do(client, staff, scene):
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)

    response = client.post(reverse("dfe:dfe-application-link", args=[record.pk]), follow=True)

    assert "Choose the portal application it is." in response.content.decode()
    record.refresh_from_db()
    assert record.application is None


def test_staff_unlink_and_acknowledge_from_the_page(client, staff, scene):
    record = DfeApplication.objects.get(dfe_id=scene.disagreeing_id)

    acknowledged = client.post(
        reverse("dfe:disagreement-acknowledge", args=[record.pk]), {"kind": "funding"}, follow=True
    )

    assert "Funding eligibility: acknowledged" in acknowledged.content.decode()
    assert "Disagreements (0)" in acknowledged.content.decode()
    matched = client.get(PAGE, {"show": "matched"}).content.decode()
    assert "Dora Disagrees" in matched and "Funding eligibility differs (acknowledged)" in matched

    client.post(reverse("dfe:dfe-application-unlink", args=[record.pk]))

    record.refresh_from_db()
    assert record.application is None and record.match_problem == "unlinked"
    assert "Unlinked by staff" in client.get(PAGE, {"show": "dfe_only"}).content.decode()


def test_sync_now_pulls_from_dfe(
    client, staff, hub, monkeypatch, django_capture_on_commit_callbacks
):
    fake = FakeDfe()
    dfe_add(fake, email="new@example.org", full_name="Nina New")
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport(fake))

    with django_capture_on_commit_callbacks(execute=True):  # the outbox hands it on at commit
        response = client.post(reverse("dfe:sync-now"), follow=True)

    assert "Pulling from DfE now" in response.content.decode()
    assert Sync.objects.filter(succeeded=True).count() == 4  # applications to statements
    assert "Nina New" in client.get(PAGE, {"show": "dfe_only"}).content.decode()


def test_sync_now_without_a_connection_says_so(client, staff):
    response = client.post(reverse("dfe:sync-now"), follow=True)

    assert "Set up and switch on a DfE connection first." in response.content.decode()
    assert not Sync.objects.exists()


def test_a_failed_pull_shows_dfes_error_on_the_page(client, staff, hub):
    Sync.objects.create(
        connection=hub.connection,
        kind=Sync.Kind.APPLICATIONS,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        succeeded=False,
        error="DfE did not accept the portal's API token (HTTP Token: Access denied).",
    )

    page = client.get(PAGE).content.decode()

    assert "Failed:</span> DfE did not accept the portal&#x27;s API token" in page


# ---- Queries do not grow with rows ---------------------------------------------------------


def _dfe_rows(hub, count, **fields):
    """`count` DfE applications only at DfE (2025, pending unless `fields` say otherwise)."""
    DfeApplication.objects.bulk_create(
        DfeApplication(
            connection=hub.connection,
            dfe_id=uuid.uuid4(),
            participant_id=uuid.uuid4(),
            course_identifier=SENIOR_LEADERSHIP,
            email=f"dfe{n}@example.org",
            dfe_updated_at=timezone.now(),
            **{
                "cohort_year": 2025,
                "status": "pending",
                "full_name": f"Dfe Person {n:04d}",
                **fields,
            },
        )
        for n in range(count)
    )


def _linked_dfe_rows(
    hub, applications, label, *, status="accepted", compared=True, **one_a_row
) -> list[DfeApplication]:
    """A DfE application (accepted unless `status` says) linked to each of these, named after
    it; each of `one_a_row`'s fields holds a value for each row. Compared, as a pull compares
    the rows it wrote before it ends, unless `compared` is False."""
    records = DfeApplication.objects.bulk_create(
        DfeApplication(
            connection=hub.connection,
            dfe_id=uuid.uuid4(),
            participant_id=uuid.uuid4(),
            course_identifier=SENIOR_LEADERSHIP,
            cohort_year=2025,
            status=status,
            full_name=f"{label} {application.pk}",
            dfe_updated_at=timezone.now(),
            application=application,
            **{field: values[index] for field, values in one_a_row.items()},
        )
        for index, application in enumerate(applications)
    )
    if compared:
        reconciliation_bring_up_to_date()
    return records


@pytest.fixture(params=[True, False], ids=["counts kept", "counted afresh"])
def kept(request, monkeypatch):
    """Each sweep twice: with the page's counts kept (dfe/reconcile_counts.py), and with them
    counted on every request."""
    if not request.param:
        monkeypatch.setattr("dfe.reconcile_counts._keep", lambda *args: None)
    return request.param


def _sweep(client, url: str, add_rows, kept: bool) -> None:
    def add(count):
        add_rows(count)
        reconciliation_counts_stale()  # written in bulk: as the writers in bulk say themselves
        if kept:  # counted, as the first request after a change does
            client.get(url)

    assert_queries_do_not_grow(client, url, add)


def test_the_dfe_only_bucket_makes_the_same_queries_for_many_rows(client, staff, hub, kept):
    candidate = hub.application()

    _sweep(
        client,
        PAGE + "?show=dfe_only",
        lambda count: _dfe_rows(hub, count, candidate_ids=[candidate.pk]),
        kept,
    )


def test_the_portal_only_bucket_makes_the_same_queries_for_many_rows(client, staff, hub, kept):
    _sweep(
        client,
        PAGE + "?show=portal_only",
        lambda count: bulk_applications(count, cohort=hub.cohort, status="school_approved"),
        kept,
    )


@pytest.mark.parametrize("show", ["matched", "disagreements"])
def test_the_linked_buckets_make_the_same_queries_for_many_rows(client, staff, hub, show, kept):
    def add_rows(count):
        applications = bulk_applications(
            count,
            cohort=hub.cohort,
            status="accepted" if show == "matched" else "school_approved",
        )
        people = bulk(UserFactory, count)  # each linked by hand, by someone else
        _linked_dfe_rows(hub, applications, "Linked", linked_by=people)

    _sweep(client, PAGE + f"?show={show}", add_rows, kept)


def test_acknowledged_disagreements_are_sorted_with_no_queries_per_row(client, staff, hub, kept):
    """Pairs that differ, with an acknowledgement: as the sides say now, they are matched;
    from before, disagreeing. Python compares each of them, loaded in one query."""
    now = {"status": {"portal": "Approved by school", "dfe": "Accepted"}}
    before = {"status": {"portal": "Waiting for school approval", "dfe": "Accepted"}}

    def add_rows(count):
        applications = bulk_applications(count, cohort=hub.cohort, status="school_approved")
        seen = [now if index % 2 else before for index in range(count)]
        _linked_dfe_rows(hub, applications, "Acknowledged", acknowledged=seen)

    _sweep(client, PAGE + "?show=matched", add_rows, kept)

    page = client.get(PAGE, {"show": "matched"}).content.decode()
    assert "Matched (500)" in page and "Disagreements (500)" in page
    assert "Status differs (acknowledged)" in page


def test_only_staff_who_exchange_with_dfe_may_open_the_page(client):
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))

    assert client.get(PAGE).status_code == 403


# ---- A decision made before the link -----------------------------------------------------------


@pytest.fixture
def decided_before_link(hub, monkeypatch):
    """A portal application accepted before DfE's pending one was pulled and linked to it."""
    fake = FakeDfe()
    application = hub.application(email="lena@example.org", trn="1000009", status="accepted")
    dfe_id = dfe_add(fake, application, full_name="Lena Latelink")
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport(fake))
    pull(fake, hub.connection)
    record = DfeApplication.objects.get(dfe_id=dfe_id)
    assert record.application == application  # linked by matching, after the decision
    return fake, record


def test_a_decision_made_before_the_link_is_offered_and_sent_to_dfe(
    client, staff, decided_before_link, django_capture_on_commit_callbacks
):
    fake, record = decided_before_link
    page = client.get(PAGE).content.decode()
    assert "Lena Latelink" in page and "Send the decision to DfE" in page
    assert "DfE has not been told" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("dfe:dfe-application-decision-send", args=[record.pk]), follow=True
        )

    assert "is on its way to DfE" in response.content.decode()
    outgoing = Outgoing.objects.get(dfe_application=record)
    assert (outgoing.kind, outgoing.state, outgoing.by) == ("accept", "sent", staff)
    assert fake.applications[str(record.dfe_id)]["status"] == "accepted"
    record.refresh_from_db()
    assert record.status == "accepted"
    assert "Lena Latelink" in client.get(PAGE, {"show": "matched"}).content.decode()


def test_a_decision_waiting_to_be_sent_is_shown_instead_of_an_action(
    client, staff, decided_before_link
):
    fake, record = decided_before_link

    client.post(reverse("dfe:dfe-application-decision-send", args=[record.pk]))  # not sent yet
    again = client.post(reverse("dfe:dfe-application-decision-send", args=[record.pk]), follow=True)

    assert "The decision is waiting to be sent to DfE already." in again.content.decode()
    assert Outgoing.objects.filter(dfe_application=record, state="waiting").count() == 1
    page = client.get(PAGE).content.decode()
    assert "waiting to be sent to DfE" in page
    assert 'href="/staff/dfe/outgoing/"' in page
    assert "Send the decision to DfE" not in page


def test_a_rejection_made_before_the_link_is_sent_as_a_rejection(
    client, staff, hub, monkeypatch, django_capture_on_commit_callbacks
):
    fake = FakeDfe()
    application = hub.application(email="rita@example.org", trn="1000010", status="rejected")
    dfe_id = dfe_add(fake, application, full_name="Rita Rejected")
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport(fake))
    pull(fake, hub.connection)
    record = DfeApplication.objects.get(dfe_id=dfe_id)
    assert "Send the decision to DfE" in client.get(PAGE).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dfe:dfe-application-decision-send", args=[record.pk]))

    assert Outgoing.objects.get(dfe_application=record).kind == "reject"
    assert fake.applications[dfe_id]["status"] == "rejected"


def test_no_decision_is_sent_for_an_application_the_portal_has_not_decided(client, staff, scene):
    record = DfeApplication.objects.get(dfe_id=scene.disagreeing_id)

    response = client.post(
        reverse("dfe:dfe-application-decision-send", args=[record.pk]), follow=True
    )

    assert "The portal has not decided this application yet" in response.content.decode()
    assert not Outgoing.objects.exists()
    assert "Send the decision to DfE" not in client.get(PAGE).content.decode()


def test_decisions_owed_and_waiting_add_no_queries_per_row(client, staff, hub, kept):
    def add_rows(count):
        applications = bulk_applications(count, cohort=hub.cohort, status="accepted")
        records = _linked_dfe_rows(hub, applications, "Late", status="pending", compared=False)
        Outgoing.objects.bulk_create(  # every other one's decision is waiting to be sent
            Outgoing(connection=hub.connection, kind="accept", dfe_application=record)
            for record in records[::2]
        )
        reconciliation_bring_up_to_date()  # as the pull that brought them does

    _sweep(client, PAGE + "?show=disagreements", add_rows, kept)


# ---- Making the portal's application from DfE's registration ---------------------------------


def _create(client, record, **data):
    return client.post(reverse("dfe:dfe-application-create", args=[record.pk]), data, follow=True)


def test_staff_create_the_application_for_someone_only_at_dfe(
    client, staff, scene, hub, mailoutbox, django_capture_on_commit_callbacks
):
    school = SchoolFactory(urn=100000, name="Olive Grove School")  # DfE's URN for Olive
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)
    page = client.get(PAGE, {"show": "dfe_only"}).content.decode()
    assert "Create the application" in page and f"In {hub.cohort.name}" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = _create(client, record, cohort=hub.cohort.pk)

    assert "it waits in the review queue for a decision" in response.content.decode()
    application = Application.objects.get(applicant__email="olive@example.org")
    assert (application.cohort, application.status) == (hub.cohort, "school_approved")
    assert (application.trn, application.school) == ("1000003", school)
    assert application.applicant.get_full_name() == "Olive Onlyatdfe"
    assert not application.applicant.has_usable_password()
    (event,) = application.events.all()
    assert event.by == staff and "Made from the applicant's registration with DfE" in event.reason
    record.refresh_from_db()
    assert (record.application, record.linked_by) == (application, staff)
    (email,) = mailoutbox
    assert email.to == ["olive@example.org"]
    assert "/accounts/password/reset/key/" in email.body
    matched = client.get(PAGE, {"show": "matched"}).content.decode()
    assert "Olive Onlyatdfe" in matched and "Only at DfE (0)" in matched
    queue = client.get(reverse("applications:application-list"), {"status": "school_approved"})
    assert application.get_absolute_url() in queue.content.decode()


def test_an_existing_account_is_used_and_not_sent_a_password_link(
    client, staff, scene, hub, mailoutbox, django_capture_on_commit_callbacks
):
    olive = UserFactory(email="Olive@Example.org", first_name="Olive", last_name="Own")
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)

    with django_capture_on_commit_callbacks(execute=True):
        _create(client, record, cohort=hub.cohort.pk)

    assert Application.objects.get(applicant=olive).cohort == hub.cohort
    (email,) = mailoutbox
    assert "/accounts/password/reset/key/" not in email.body
    assert "Sign in to your account" in email.body


def test_with_several_cohorts_staff_choose_one(client, staff, scene, hub):
    spring = hub.cohort_make(hub.leadership, name="Spring start")
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)
    page = client.get(PAGE, {"show": "dfe_only"}).content.decode()
    assert f'<label for="create-{record.pk}"' in page and "Spring start, 2025/26" in page

    unchosen = _create(client, record)
    _create(client, record, cohort=spring.pk)

    assert "Choose the cohort to make the application in." in unchosen.content.decode()
    record.refresh_from_db()
    assert record.application.cohort == spring


def test_a_cohort_the_connection_does_not_cover_for_it_is_refused(client, staff, scene, hub):
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)
    last_year = hub.cohort_make(hub.leadership, year=2024)

    for cohort in (hub.headship_cohort, last_year):
        response = _create(client, record, cohort=cohort.pk)

        assert (
            f"Choose a NPQ in Senior Leadership cohort in 2025/26 that your DfE connection "
            f"covers; {cohort} is not one."
        ) in response.content.decode()
    assert not Application.objects.filter(applicant__email="olive@example.org").exists()


def test_no_second_application_for_a_linked_record_or_a_cohort_applied_for(
    client, staff, scene, hub
):
    linked_record = DfeApplication.objects.get(dfe_id=scene.disagreeing_id)
    record = DfeApplication.objects.get(dfe_id=scene.dfe_only_id)
    olive = UserFactory(email="olive@example.org")
    hub.application(applicant=olive, trn="")  # applied meanwhile, not linked yet

    linked_response = _create(client, linked_record, cohort=hub.cohort.pk)
    applied_response = _create(client, record, cohort=hub.cohort.pk)

    assert "linked to a portal application already" in linked_response.content.decode()
    assert (
        f"Olive Onlyatdfe has an application for {hub.cohort} already (approved by school): "
        "link DfE&#x27;s application to it instead."
    ) in applied_response.content.decode()
    assert Application.objects.filter(applicant=olive).count() == 1
    record.refresh_from_db()
    assert record.application is None


@pytest.mark.parametrize("show", ["dfe_only", "portal_only"])
def test_the_unlinked_buckets_compare_no_linked_application(client, staff, hub, monkeypatch, show):
    """Comparing linked applications takes every one of them: only their own tabs pay for it."""
    application = hub.application()
    DfeApplication.objects.create(
        connection=hub.connection,
        dfe_id=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        course_identifier=SENIOR_LEADERSHIP,
        cohort_year=2025,
        status="pending",
        full_name="Linked Person",
        dfe_updated_at=timezone.now(),
        application=application,
    )
    _dfe_rows(hub, 2)
    bulk_applications(3, cohort=hub.cohort, status="school_approved")

    def not_here(record):
        raise AssertionError("a linked application was compared for a tab that does not show it")

    monkeypatch.setattr("dfe.reconcile.disagreements", not_here)

    response = client.get(PAGE + f"?show={show}")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Only at DfE (2)" in page
    assert "Only in the portal (3)" in page
    assert ">Matched</a>" in page and ">Disagreements</a>" in page


def test_the_page_lists_the_dfe_cohorts_dfe_still_pays_on_unless_asked(client, staff, hub):
    """DfE has paid every statement of 2024, so its contract has ended: its applications leave
    the default list (in every bucket), a filter away."""
    Connection.objects.filter(pk=hub.connection.pk).update(cohort_years=[2024, 2025])
    for cohort_year, paid in [(2024, True), (2024, True), (2025, True), (2025, False)]:
        Statement.objects.create(
            connection=hub.connection,
            dfe_id=uuid.uuid4(),
            cohort_year=cohort_year,
            month="March",
            year=str(cohort_year + 1),
            paid=paid,
            dfe_updated_at=timezone.now(),
        )
    _dfe_rows(hub, 2, cohort_year=2025)
    _dfe_rows(hub, 3, cohort_year=2024, full_name="Old Contract")
    old_cohort = hub.cohort_make(hub.leadership, year=2024)
    hub.application(email="old@example.org", trn="2000001", cohort=old_cohort)
    hub.application(email="new@example.org", trn="2000002")

    def tab(show, **query):
        response = client.get(PAGE, {"show": show, **query})
        assert response.status_code == 200
        return response.context["paginator"].count, response.content.decode()

    count, page = tab("dfe_only")
    assert count == 2 and "Old Contract" not in page
    assert "DfE has paid every statement of 2024/25, so its contract has ended." in page
    assert "year=all" in page
    assert tab("portal_only")[0] == 1
    assert tab("dfe_only", year="all")[0] == 5
    assert tab("portal_only", year="all")[0] == 2
    count, page = tab("dfe_only", year="2024")
    assert count == 3 and "DfE has paid every statement" not in page
    assert tab("dfe_only", year="1999")[0] == 2  # not a DfE cohort it covers: the default


@pytest.mark.parametrize("show", ["matched", "dfe_only", "portal_only", "disagreements"])
def test_the_page_reads_the_switched_on_connections_once(client, staff, scene, show):
    """Its filters, the DfE cohorts still paid on, what the connections cover and the pulls
    box all come from one read of the connections (and one of their programmes)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE, {"show": show})

    assert response.status_code == 200
    # A prepared statement's own text (PostgreSQL runs the page's fixed queries prepared).
    statements = [statement_of(query["sql"]) for query in queries]
    read = [sql for sql in statements if 'FROM "dfe_connection"' in sql]
    assert len(read) == 1, read
