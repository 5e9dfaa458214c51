"""Sending a row: claimed before DfE is called, one worker at a time, one participant's changes
in order, and what a dead worker or "Send again" leaves."""

import datetime
from datetime import timedelta

import httpx
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.services import application_accept
from dfe.client import DfeClient
from dfe.declarations import declaration_submit
from dfe.fake import FakeDfe
from dfe.models import Call, Declaration, Outgoing
from dfe.outgoing import BEHIND, outgoing_retry_due, outgoing_send, outgoing_send_again
from npq_portal.models import OutboxTask
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory
from participants.services import enrolment_change

from .declaration_setup import (
    SENIOR_LEADERSHIP,
    attended,
    dfe_cohort,
    dfe_connection,
    linked_place,
    partner_link,
    programme_for,
    use_fake,
)
from .linked import declare, linked
from .test_decisions import Outage

pytestmark = pytest.mark.django_db

ACCEPT = r"/npq-applications/[^/]+/accept"
DECLARATIONS = r"/participant-declarations$"


@pytest.fixture
def staff():
    return StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a change and everything it queued for after its commit (the outbox tasks too)."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


@pytest.fixture
def fake():
    return FakeDfe(now=timezone.now() + datetime.timedelta(minutes=5))


@pytest.fixture
def hub(fake, monkeypatch, settings):
    """A place with evidence for its started declaration, linked to DfE's accepted application."""
    programme = programme_for(SENIOR_LEADERSHIP)
    connection = dfe_connection(programme)
    cohort = dfe_cohort(programme)
    partner_link(connection, fake)
    ada = linked_place(connection, fake, cohort, first_name="Ada")
    attended(cohort, ada)
    use_fake(monkeypatch, settings, fake)
    return connection, ada


@pytest.fixture
def linked_fake(monkeypatch):
    """The fake DfE for places made by `linked`, reached by every client; no backing off."""
    fake = FakeDfe()
    transport = httpx.MockTransport(fake.handle)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    monkeypatch.setitem(DfeClient.__init__.__kwdefaults__, "sleep", lambda seconds: None)
    return fake


# ---- A worker that dies, and the claim ----


def test_a_send_that_dies_after_dfe_took_the_declaration_adopts_it_on_the_next_try(
    hub, fake, monkeypatch, django_capture_on_commit_callbacks
):
    connection, ada = hub
    crashes = {"left": 1}
    real = __import__("dfe.declarations", fromlist=["_take_dfe"])._take_dfe

    def take_then_die(declaration, record):
        if crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("a database error after DfE answered")
        return real(declaration, record)

    monkeypatch.setattr("dfe.declarations._take_dfe", take_then_die)
    with django_capture_on_commit_callbacks(execute=False):
        declaration = declaration_submit(
            connection=connection, enrolment=ada, declaration_type="started", by=None
        )
    outgoing = declaration.outgoing.get()
    with pytest.raises(RuntimeError):
        outgoing_send(outgoing_id=outgoing.pk)

    outgoing.refresh_from_db()
    declaration.refresh_from_db()
    assert len(fake.declarations) == 1  # DfE has it
    # The try was counted before DfE was called, and the sync log kept DfE's answer.
    assert (outgoing.state, outgoing.attempts, outgoing.claimed_until) == ("waiting", 1, None)
    assert Call.objects.filter(method="POST", path__endswith="declarations").count() == 1
    assert declaration.state == Declaration.State.SENDING

    outgoing_send(outgoing_id=outgoing.pk)  # the next try: looks DfE up first

    declaration.refresh_from_db()
    outgoing.refresh_from_db()
    assert len(fake.calls_to("POST", DECLARATIONS)) == 1, "posted twice"
    (held,) = fake.declarations
    assert (str(declaration.dfe_id), declaration.error) == (held, "")
    assert declaration.state in ("submitted", "eligible")
    assert outgoing.state == Outgoing.State.SENT


def _claimed_accept(fake):
    link = linked(fake)
    return Outgoing.objects.create(
        connection=link.connection,
        kind=Outgoing.Kind.ACCEPT,
        dfe_application=link.dfe,
        body={"data": {"type": "npq-application-accept", "attributes": {"funded_place": True}}},
        attempts=1,
        claimed_until=timezone.now() + timedelta(minutes=10),  # a worker is sending it
    )


def test_a_row_another_worker_has_claimed_is_not_sent_nor_swept(linked_fake):
    outgoing = _claimed_accept(linked_fake)
    Outgoing.objects.filter(pk=outgoing.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    assert outgoing_send(outgoing_id=outgoing.pk) is None
    assert outgoing_retry_due() == 0

    outgoing.refresh_from_db()
    assert (outgoing.state, outgoing.attempts) == ("waiting", 1)
    assert linked_fake.calls == []


def test_the_claim_of_a_worker_that_died_expires_and_the_row_is_sent(
    linked_fake, django_capture_on_commit_callbacks
):
    outgoing = _claimed_accept(linked_fake)

    with (
        time_machine.travel(timezone.now() + timedelta(minutes=11)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert outgoing_retry_due() == 1

    outgoing.refresh_from_db()
    assert (outgoing.state, outgoing.attempts, outgoing.claimed_until) == ("sent", 2, None)
    assert len(linked_fake.calls_to("POST", ACCEPT)) == 1


# ---- Send again ----


def _refused_declaration(connection, ada, fake, sent):
    fake.now = datetime.datetime(2025, 10, 1, tzinfo=datetime.UTC)  # DfE refuses: in its future
    declaration = sent(
        declaration_submit,
        connection=connection,
        enrolment=ada,
        declaration_type="started",
        by=None,
    )
    declaration.refresh_from_db()
    assert declaration.state == Declaration.State.REFUSED
    fake.now = timezone.now() + datetime.timedelta(minutes=5)  # staff fixed the cause
    return declaration


def test_send_again_on_a_refused_declaration_sends_it(hub, fake, sent, staff):
    connection, ada = hub
    declaration = _refused_declaration(connection, ada, fake, sent)
    outgoing = declaration.outgoing.get()

    sent(outgoing_send_again, outgoing=outgoing, by=staff)

    outgoing.refresh_from_db()
    declaration.refresh_from_db()
    (held,) = fake.declarations
    assert (outgoing.state, outgoing.note) == ("sent", "")
    assert (str(declaration.dfe_id), declaration.error) == (held, "")
    assert declaration.state in ("submitted", "eligible")


def test_send_again_is_refused_in_words_when_another_live_declaration_is_held(
    hub, fake, sent, staff
):
    connection, ada = hub
    declaration = _refused_declaration(connection, ada, fake, sent)
    outgoing = declaration.outgoing.get()
    Declaration.objects.create(  # found at DfE by a pull since
        connection=connection,
        participant_id=declaration.participant_id,
        course_identifier=declaration.course_identifier,
        declaration_type="started",
        declaration_date=declaration.declaration_date,
        state=Declaration.State.SUBMITTED,
    )

    with pytest.raises(ValidationError, match="another started declaration"):
        sent(outgoing_send_again, outgoing=outgoing, by=staff)

    outgoing.refresh_from_db()
    declaration.refresh_from_db()
    assert (outgoing.state, declaration.state) == ("refused", "refused")
    assert fake.declarations == {}


# ---- One participant's changes, in order ----


def test_a_deferral_and_resumption_queued_in_an_outage_reach_dfe_in_order(
    linked_fake, staff, sent, monkeypatch
):
    fake = linked_fake
    link = linked(fake)
    enrolment = sent(application_accept, application=link.application, by=staff)
    declare(fake, link.dfe, "started")
    outage = Outage(fake)
    transport = httpx.MockTransport(outage)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)

    sent(enrolment_change, enrolment=enrolment, to="deferred", by=staff, reason="other")
    sent(enrolment_change, enrolment=enrolment, to="active", by=staff)  # a mistake undone
    defer, resume = Outgoing.objects.filter(kind__in=["defer", "resume"]).order_by("pk")
    resume.refresh_from_db()
    assert (resume.state, resume.attempts, resume.last_error) == ("waiting", 0, BEHIND)
    outage.back()

    # The resumption's task runs first (two workers, or the deferral's longer backoff): it
    # waits for the deferral, which queues it when done.
    assert sent(outgoing_send, outgoing_id=resume.pk) is None
    sent(outgoing_send, outgoing_id=defer.pk)

    defer.refresh_from_db()
    resume.refresh_from_db()
    enrolment.refresh_from_db()
    assert (defer.state, resume.state) == ("sent", "sent")
    assert enrolment.status == "active"
    assert fake.applications[str(link.dfe.dfe_id)]["training_status"] == "active"


def test_a_withdrawal_after_a_started_declaration_is_sent_after_it(hub, fake, sent, monkeypatch):
    connection, ada = hub
    staff = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    outage = Outage(fake)
    monkeypatch.setattr(
        "dfe.connection._transport_for", lambda connection: httpx.MockTransport(outage)
    )
    monkeypatch.setitem(DfeClient.__init__.__kwdefaults__, "sleep", lambda seconds: None)
    declaration = sent(
        declaration_submit,
        connection=connection,
        enrolment=ada,
        declaration_type="started",
        by=None,
    )
    sent(enrolment_change, enrolment=ada, to="withdrawn", by=staff, reason="health")
    withdraw = Outgoing.objects.get(kind="withdraw")
    outage.back()

    assert sent(outgoing_send, outgoing_id=withdraw.pk) is None  # behind the declaration
    sent(outgoing_send, outgoing_id=declaration.outgoing.get().pk)

    withdraw.refresh_from_db()
    declaration.refresh_from_db()
    assert (withdraw.state, withdraw.last_error) == ("sent", "")
    assert declaration.dfe_id is not None
    dfe_id = str(ada.application.dfe.dfe_id)
    assert fake.applications[dfe_id]["training_status"] == "withdrawn"


def test_the_sweep_queues_only_the_oldest_waiting_row_of_each_participant(linked_fake):
    ada = linked(linked_fake)
    ben = linked(linked_fake, connection=ada.connection, cohort=ada.cohort, email="ben@example.org")
    rows = [
        Outgoing.objects.create(
            connection=ada.connection, kind=kind, dfe_application=link.dfe, attempts=1
        )
        for link, kind in [(ada, "defer"), (ada, "resume"), (ben, "withdraw"), (ben, "defer")]
    ]
    Outgoing.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    OutboxTask.objects.all().delete()

    assert outgoing_retry_due() == 2

    queued = sorted(task.args[0] for task in OutboxTask.objects.all())
    assert queued == [rows[0].pk, rows[2].pk]


def test_a_change_left_behind_by_a_worker_that_died_is_picked_up_by_the_sweep(linked_fake):
    """The older change was sent, but its worker died before queueing the next one: the
    sweep queues the next once it has waited long enough, and not before."""
    ada = linked(linked_fake)
    defer, resume = (
        Outgoing.objects.create(connection=ada.connection, kind=kind, dfe_application=ada.dfe)
        for kind in ("defer", "resume")
    )
    Outgoing.objects.filter(pk=defer.pk).update(state=Outgoing.State.SENT, attempts=1)
    OutboxTask.objects.all().delete()

    assert outgoing_retry_due() == 0  # the outbox may still hand it on
    assert outgoing_retry_due(now=timezone.now() + timedelta(minutes=31)) == 1
    assert [task.args[0] for task in OutboxTask.objects.all()] == [resume.pk]
