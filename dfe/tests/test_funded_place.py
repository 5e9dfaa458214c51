"""A funding decision changed after DfE accepted the application: DfE's funded place follows it,
through the outbox, once, and only when DfE holds something else."""

import datetime
import threading
import time
from datetime import timedelta
from io import BytesIO

import httpx
import pytest
import time_machine
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.services import application_accept
from dfe.client import DfeClient
from dfe.connection import connection_save
from dfe.decisions import funded_place_change_send
from dfe.fake import TOKEN
from dfe.models import SANDBOX_URL, Connection, Outgoing
from dfe.outgoing import outgoing_retry_due, outgoing_send, outgoing_send_again
from funding.services import funding_decide, funding_decision_override, funding_list_upload
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from schools.services import eligibility_list_upload
from schools.tests.factories import SchoolFactory

from .linked import covered_cohort, declare, fake_dfe, linked  # noqa: F401  a fixture
from .test_decisions import Outage

pytestmark = pytest.mark.django_db

CHANGE = r"/npq-applications/[^/]+/change-funded-place"
ACCEPT = r"/npq-applications/[^/]+/accept"
OUTGOING_PAGE = "/staff/dfe/outgoing/"


@pytest.fixture
def staff(client):
    user = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, user)
    return user


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a change and everything it queued for after its commit (the outbox task included)."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


def _accepted(fake, staff, sent, **kwargs):
    """A linked application accepted in the portal and at DfE (funded unless told otherwise)."""
    link = linked(fake, **kwargs)
    sent(application_accept, application=link.application, by=staff)
    link.dfe.refresh_from_db()
    return link


def _override(link, staff, *, funded: bool, sent=None):
    change = sent or (lambda function, **kwargs: function(**kwargs))
    return change(
        funding_decision_override,
        decision=link.application.funding_decision,
        funded=funded,
        reason="The trust pays for this place.",
        by=staff,
    )


def _changes():
    return Outgoing.objects.filter(kind=Outgoing.Kind.CHANGE_FUNDED_PLACE)


def test_overriding_an_accepted_place_to_not_funded_changes_it_at_dfe_after_the_commit(
    fake, staff, sent, client, django_capture_on_commit_callbacks
):
    link = _accepted(fake, staff, sent)
    assert link.dfe.funded_place is True
    url = reverse("applications:funding-override", args=[link.application.pk])

    with django_capture_on_commit_callbacks() as after_commit:
        response = client.post(url, {"funded": "0", "reason": "The trust pays for this place."})
        outgoing = _changes().get()
        assert outgoing.state == Outgoing.State.WAITING
        assert fake.calls_to("PUT", CHANGE) == []  # nothing leaves before the commit
    for callback in after_commit:
        callback()

    assert response.status_code == 302
    looked, changed = fake.calls[-2:]  # DfE's application first, then the change
    assert (looked.method, changed.method) == ("GET", "PUT")
    assert looked.path == f"/api/v3/npq-applications/{link.dfe.dfe_id}"
    (call,) = fake.calls_to("PUT", CHANGE)
    assert call.body == {
        "data": {
            "type": "npq-application-change-funded-place",
            "attributes": {"funded_place": False},
        }
    }
    outgoing.refresh_from_db()
    link.dfe.refresh_from_db()
    assert (outgoing.state, outgoing.by, outgoing.dfe_application) == ("sent", staff, link.dfe)
    assert link.dfe.funded_place is False
    assert fake.applications[str(link.dfe.dfe_id)]["funded_place"] is False
    assert outgoing.get_kind_display() == "Change the funded place"


def test_an_override_rolled_back_sends_nothing(
    fake, staff, sent, django_capture_on_commit_callbacks
):
    link = _accepted(fake, staff, sent)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            _override(link, staff, funded=False)
            raise RuntimeError("Something later in the same change failed.")

    assert not _changes().exists()
    assert fake.calls_to("PUT", CHANGE) == []


def test_an_override_that_leaves_the_funding_as_it_was_sends_nothing(fake, staff, sent):
    link = _accepted(fake, staff, sent)

    _override(link, staff, funded=True, sent=sent)

    assert not _changes().exists()
    assert fake.calls_to("PUT", CHANGE) == []


def test_an_application_no_longer_linked_sends_nothing(fake, staff, sent):
    link = _accepted(fake, staff, sent)
    link.dfe.application = None
    link.dfe.save()

    _override(link, staff, funded=False, sent=sent)

    assert not _changes().exists()
    assert fake.calls_to("PUT", CHANGE) == []


def test_an_application_not_yet_accepted_sends_nothing(fake, staff, sent):
    link = linked(fake)

    _override(link, staff, funded=False, sent=sent)

    assert not Outgoing.objects.exists()
    assert fake.calls == []


def test_a_cohort_before_dfes_funding_cap_sends_nothing(fake, staff, sent):
    cohort = covered_cohort(
        academic_year=2023,
        starts_on=datetime.date(2023, 10, 1),
        ends_on=datetime.date(2024, 7, 14),
        application_deadline=datetime.date(2023, 9, 15),
    )
    connection = connection_save(
        connection=Connection(
            name="Ambition Institute", base_url=SANDBOX_URL, enabled=True, cohort_years=[2023]
        ),
        token=TOKEN,
    )
    connection.programmes.add(cohort.programme)
    link = _accepted(fake, staff, sent, cohort=cohort, connection=connection)
    assert Outgoing.objects.get().state == "sent"  # accepted at DfE, funded place not given

    _override(link, staff, funded=False, sent=sent)

    assert not _changes().exists()
    assert fake.calls_to("PUT", CHANGE) == []


def test_a_funded_place_dfe_already_holds_is_not_needed(fake, staff, sent):
    link = _accepted(fake, staff, sent)
    fake.applications[str(link.dfe.dfe_id)]["funded_place"] = False  # changed at DfE meanwhile

    _override(link, staff, funded=False, sent=sent)

    outgoing = _changes().get()
    assert outgoing.state == Outgoing.State.NOT_NEEDED
    assert outgoing.note == "DfE already shows the place as not funded."
    assert fake.calls_to("PUT", CHANGE) == []
    link.dfe.refresh_from_db()
    assert link.dfe.funded_place is False


def test_declarations_at_dfe_refuse_the_change_in_words_saying_what_to_do(
    fake, staff, sent, client
):
    link = _accepted(fake, staff, sent)
    declaration = declare(fake, link.dfe)

    _override(link, staff, funded=False, sent=sent)

    outgoing = _changes().get()
    assert outgoing.state == Outgoing.State.REFUSED
    assert outgoing.last_error == (
        "DfE refused the change of funded place: Application: You cannot change the funded place "
        "because declarations have been submitted. You will need to void the existing "
        "declarations and resubmit them after changing the funded place."
    )
    assert "void their declarations on the Declarations page" in outgoing.note
    page = client.get(OUTGOING_PAGE, {"show": "attention"}).content.decode()
    assert "Change the funded place" in page
    assert "Refused by DfE" in page
    assert "You cannot change the funded place because declarations have been submitted" in page
    assert "void their declarations on the Declarations page, send this change again" in page
    assert "change_funded_place" not in page

    with DfeClient(SANDBOX_URL, TOKEN, transport=httpx.MockTransport(fake.handle)) as dfe:
        dfe.put(f"/api/v3/participant-declarations/{declaration['id']}/void")  # voided at DfE
    sent(outgoing_send_again, outgoing=outgoing, by=staff)

    outgoing.refresh_from_db()
    assert outgoing.state == Outgoing.State.SENT
    assert outgoing.note.count("void their declarations") == 1
    assert fake.applications[str(link.dfe.dfe_id)]["funded_place"] is False


def test_a_change_still_owed_gives_way_when_the_funding_changes_back(
    fake, staff, sent, monkeypatch
):
    link = _accepted(fake, staff, sent)
    outage = Outage(fake)
    transport = httpx.MockTransport(outage)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)

    _override(link, staff, funded=False, sent=sent)
    first = _changes().get()
    assert first.state == Outgoing.State.WAITING
    _override(link, staff, funded=False, sent=sent)  # the same again: nothing more is owed
    assert _changes().count() == 1
    _override(link, staff, funded=True, sent=sent)

    first.refresh_from_db()
    assert first.state == Outgoing.State.NOT_NEEDED
    assert "The funding decision changed again before DfE took this change." in first.note
    assert _changes().count() == 1  # DfE holds funded, as the portal now says
    outage.back()
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert sent(outgoing_retry_due) == 0
    assert fake.calls_to("PUT", CHANGE) == []
    assert fake.applications[str(link.dfe.dfe_id)]["funded_place"] is True


def test_an_acceptance_dfe_has_not_taken_yet_carries_the_new_funded_place(
    fake, staff, sent, monkeypatch
):
    outage = Outage(fake)
    transport = httpx.MockTransport(outage)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    link = linked(fake)
    sent(application_accept, application=link.application, by=staff)
    accept = Outgoing.objects.get()
    assert accept.state == Outgoing.State.WAITING

    _override(link, staff, funded=False, sent=sent)
    outage.back()
    sent(outgoing_send_again, outgoing=accept, by=staff)

    assert not _changes().exists()
    (call,) = fake.calls_to("POST", ACCEPT)
    assert call.body["data"]["attributes"] == {"funded_place": False}
    accept.refresh_from_db()
    assert accept.state == Outgoing.State.SENT
    assert fake.applications[str(link.dfe.dfe_id)]["funded_place"] is False


def test_a_provisional_decision_re_decided_as_funded_changes_the_place_at_dfe(fake, staff, sent):
    SchoolFactory(urn=100001, establishment_type_code=1)
    eligibility_list_upload(
        kind="rise", source=BytesIO(b"URN\r\n100009"), file_name="rise.csv", by=None
    )
    link = linked(fake)
    link.application.funding_decision = funding_decide(
        subject=f"applications.application:{link.application.pk}",
        facts={
            "course_identifier": "npq-leading-primary-mathematics",
            "work_setting": "a_school",
            "institution": {"urn": "100001"},
        },
        rules="2026",
    )
    link.application.save()
    assert link.application.funding_decision.to_be_confirmed
    sent(application_accept, application=link.application, by=staff)
    (call,) = fake.calls_to("POST", ACCEPT)
    assert call.body["data"]["attributes"] == {"funded_place": False}

    sent(
        funding_list_upload,
        kind="pp50_schools",
        source=BytesIO(b"URN\r\n100001"),
        file_name="pp50.csv",
        by=staff,
    )

    change = _changes().get()
    assert (change.state, change.by) == (Outgoing.State.SENT, staff)
    (call,) = fake.calls_to("PUT", CHANGE)
    assert call.body["data"]["attributes"] == {"funded_place": True}
    assert fake.applications[str(link.dfe.dfe_id)]["funded_place"] is True


def test_the_service_itself_owes_nothing_when_the_portal_agrees_with_dfe(fake, staff, sent):
    link = _accepted(fake, staff, sent)

    assert funded_place_change_send(application=link.application, by=staff) is None

    assert not _changes().exists()


@pytest.mark.django_db(transaction=True)
def test_an_override_while_the_acceptance_is_being_sent_waits_for_it_then_changes_the_place(
    fake, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks are only meaningful on PostgreSQL.")
    accepting = threading.Event()

    def slow(request):
        if not accepting.is_set():  # the sender's first look at DfE, its row held
            accepting.set()
            time.sleep(0.5)  # the override arrives now
        return fake.handle(request)

    transport = httpx.MockTransport(slow)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    link = linked(fake)
    Application.objects.filter(pk=link.application.pk).update(status=Application.Status.ACCEPTED)
    accept = Outgoing.objects.create(
        connection=link.connection,
        kind=Outgoing.Kind.ACCEPT,
        dfe_application=link.dfe,
        body={"data": {"type": "npq-application-accept", "attributes": {"funded_place": True}}},
    )
    admin = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    failures = []

    def run(work):
        try:
            work()
        except Exception as error:  # noqa: BLE001  a deadlock must fail the test, not the thread
            failures.append(error)
        finally:
            connections.close_all()

    def override():
        accepting.wait(10)
        _override(link, admin, funded=False)

    threads = [
        threading.Thread(target=run, args=(lambda: outgoing_send(outgoing_id=accept.pk),)),
        threading.Thread(target=run, args=(override,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    accept.refresh_from_db()
    assert accept.state == Outgoing.State.SENT
    assert accept.body["data"]["attributes"] == {"funded_place": True}  # taken as it was sent
    change = _changes().get()
    assert change.state == Outgoing.State.SENT
    assert len(fake.calls_to("PUT", CHANGE)) == 1
    assert fake.applications[str(link.dfe.dfe_id)]["funded_place"] is False
