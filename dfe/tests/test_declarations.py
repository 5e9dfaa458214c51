"""Declarations out (ready, submit, timeout and retry, refusal, void) and pulls, against FakeDfe."""

import datetime
import json

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dfe import declarations as declarations_module
from dfe.client import MAX_ATTEMPTS, DfeClient
from dfe.connection import connection_client
from dfe.declarations import (
    BLOCKED_NO_PARTNER,
    declaration_date_for,
    declaration_submit,
    declaration_void,
    declarations_pull,
    declarations_ready,
    declarations_submit_all,
    dfe_time,
    has_passed_for,
    statements_pull,
)
from dfe.fake import FakeDfe
from dfe.identities import participant_ids_follow
from dfe.models import Call, Declaration, Outgoing, ParticipantIdChange, Statement
from dfe.outgoing import outgoing_send
from dfe.sync import participants_pull
from npq_portal.tests.factories import StaffUserFactory
from participants.models import Enrolment

from .declaration_setup import (
    EHCO,
    SENIOR_LEADERSHIP,
    STARTED_DATE,
    attended,
    dfe_cohort,
    dfe_connection,
    linked_place,
    partner_link,
    programme_for,
    use_fake,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    """DfE's clock a little ahead of the portal's, so nothing sent now is in DfE's future."""
    return FakeDfe(now=timezone.now() + datetime.timedelta(minutes=5))


@pytest.fixture
def hub(fake, monkeypatch, settings):
    """A 2025 Senior Leadership cohort covered by the connection, the hub's delivery partner,
    and two places DfE accepted whose holders attended the first session."""
    programme = programme_for(SENIOR_LEADERSHIP)
    connection = dfe_connection(programme)
    cohort = dfe_cohort(programme)
    link = partner_link(connection, fake)
    ada = linked_place(connection, fake, cohort, first_name="Ada")
    ben = linked_place(connection, fake, cohort, first_name="Ben")
    attended(cohort, ada, ben)
    use_fake(monkeypatch, settings, fake)
    return connection, cohort, link, ada, ben


def test_ready_lists_what_the_evidence_supports_as_it_would_be_sent(hub):
    connection, cohort, link, ada, ben = hub

    ready = declarations_ready(connection=connection)

    assert [(item.enrolment, item.declaration_type) for item in ready] == [
        (ada, "started"),
        (ben, "started"),
    ]
    assert ready[0].attributes() == {
        "participant_id": str(ada.application.dfe.participant_id),
        "declaration_type": "started",
        "declaration_date": STARTED_DATE,
        "course_identifier": SENIOR_LEADERSHIP,
        "delivery_partner_id": str(link.delivery_partner_id),
    }
    assert all(item.ready for item in ready)


def test_a_place_not_linked_or_not_accepted_at_dfe_or_outside_the_connection_is_not_ready(
    hub, fake
):
    connection, cohort, link, ada, ben = hub
    ben.application.dfe.status = "pending"
    ben.application.dfe.save()
    other = dfe_cohort(programme_for("npq-headship"))
    carl = linked_place(connection, fake, other, first_name="Carl")
    attended(other, carl)

    ready = declarations_ready(connection=connection)

    assert [item.enrolment for item in ready] == [ada]


def test_without_a_delivery_partner_a_declaration_is_blocked_not_ready(hub, fake):
    connection, cohort, link, ada, ben = hub
    link.delete()
    outside = linked_place(connection, fake, cohort, first_name="Cat", teacher_catchment=False)
    attended(cohort, outside, when=datetime.datetime(2025, 11, 4, 16, tzinfo=datetime.UTC))

    ready = {
        item.enrolment.participant.first_name: item
        for item in declarations_ready(connection=connection)
    }

    assert ready["Ada"].blocked == BLOCKED_NO_PARTNER
    assert ready["Cat"].blocked == ""  # outside the catchment: DfE wants no delivery partner
    assert "delivery_partner_id" not in ready["Cat"].attributes()
    with pytest.raises(ValidationError, match="choose the delivery partner"):
        declaration_submit(
            connection=connection, enrolment=ada, declaration_type="started", by=None
        )
    assert not Declaration.objects.filter(enrolment=ada).exists()


@pytest.mark.parametrize(
    ("course", "declaration_type", "result", "expected"),
    [
        (SENIOR_LEADERSHIP, "completed", "passed", True),
        (SENIOR_LEADERSHIP, "completed", "failed", False),
        ("npq-leading-teaching", "completed", "passed", True),
        (SENIOR_LEADERSHIP, "started", "passed", None),
        (SENIOR_LEADERSHIP, "retained-1", "", None),
        (EHCO, "completed", "passed", None),
        ("npq-additional-support-offer", "completed", "passed", None),
    ],
)
def test_has_passed_is_sent_on_completed_except_for_ehco_and_aso(
    course, declaration_type, result, expected
):
    assert (
        has_passed_for(
            course_identifier=course, declaration_type=declaration_type, assessment_result=result
        )
        is expected
    )


def test_submitting_one_stores_dfe_id_and_state(hub, fake, django_capture_on_commit_callbacks):
    connection, cohort, link, ada, ben = hub
    staff = StaffUserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        declaration = declaration_submit(
            connection=connection, enrolment=ada, declaration_type="started", by=staff
        )

    declaration.refresh_from_db()
    (at_dfe,) = fake.declarations.values()
    assert str(declaration.dfe_id) == at_dfe["id"]
    assert declaration.state == Declaration.State.ELIGIBLE == at_dfe["state"]
    assert declaration.submitted_by == staff
    assert at_dfe["declaration_date"] == STARTED_DATE
    assert at_dfe["delivery_partner_id"] == str(link.delivery_partner_id)
    assert declaration.outgoing.get().state == Outgoing.State.SENT
    assert declarations_ready(connection=connection)[0].enrolment == ben  # Ada's is sent
    # The sync log names the DfE ids the path does not: the participant and the declaration.
    (posted,) = Call.objects.filter(method="POST", path="/api/v3/participant-declarations")
    assert posted.ids == (
        f"participant {at_dfe['participant_id']}, application {at_dfe['application_id']}, "
        f"made {at_dfe['id']}"
    )


def test_submitting_all_sends_each_ready_one(hub, fake, django_capture_on_commit_callbacks):
    connection, cohort, link, ada, ben = hub

    with django_capture_on_commit_callbacks(execute=True):
        counts = declarations_submit_all(connection=connection, by=StaffUserFactory())

    assert counts == {"sent": 2, "not_sent": 0, "blocked": 0, "missing": 0}
    assert len(fake.declarations) == 2
    assert set(Declaration.objects.values_list("state", flat=True)) == {"eligible"}
    assert declarations_ready(connection=connection) == []


def test_submitting_selected_ones_and_one_refused_here_does_not_stop_the_rest(
    hub, fake, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    Declaration.objects.create(  # sent meanwhile by another member of staff
        connection=connection,
        participant_id=ada.application.dfe.participant_id,
        declaration_type="started",
        declaration_date=timezone.now(),
        course_identifier=SENIOR_LEADERSHIP,
        state=Declaration.State.SENDING,
    )
    keys = [f"{ada.pk}:started", f"{ben.pk}:started", "999999:started"]

    with django_capture_on_commit_callbacks(execute=True):
        counts = declarations_submit_all(connection=connection, by=None, keys=keys)

    assert counts == {"sent": 1, "not_sent": 0, "blocked": 0, "missing": 2}
    assert [d["participant_id"] for d in fake.declarations.values()] == [
        str(ben.application.dfe.participant_id)
    ]


def test_a_post_that_times_out_is_looked_up_and_adopted_not_sent_twice(
    hub, fake, monkeypatch, settings, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    timeouts = {"left": 1}

    def forward_then_time_out(request):
        response = fake.handle(request)  # DfE records it...
        if request.method == "POST" and timeouts["left"]:
            timeouts["left"] -= 1
            raise httpx.ReadTimeout("no answer", request=request)  # ...but the portal hears nothing
        return response

    use_fake(monkeypatch, settings, fake, httpx.MockTransport(forward_then_time_out))

    with django_capture_on_commit_callbacks(execute=True):
        declaration = declaration_submit(
            connection=connection, enrolment=ada, declaration_type="started", by=None
        )
    outgoing = declaration.outgoing.get()
    declaration.refresh_from_db()
    assert outgoing.state == Outgoing.State.WAITING and "did not answer" in outgoing.last_error
    assert declaration.state == Declaration.State.SENDING and declaration.dfe_id is None
    assert len(fake.declarations) == 1

    outgoing_send(outgoing_id=outgoing.pk)  # the retry

    outgoing.refresh_from_db()
    declaration.refresh_from_db()
    (at_dfe,) = fake.declarations.values()
    assert len(fake.calls_to("POST", r"/participant-declarations")) == 1
    assert fake.calls_to("GET", r"/participant-declarations")[0].query[
        "filter[participant_id]"
    ] == str(declaration.participant_id)
    assert str(declaration.dfe_id) == at_dfe["id"]
    assert declaration.state == Declaration.State.ELIGIBLE
    assert outgoing.state == Outgoing.State.SENT


def test_a_refusal_is_kept_in_dfes_words_and_the_declaration_can_be_sent_again(
    hub, fake, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    fake.now = datetime.datetime(2025, 10, 1, tzinfo=datetime.UTC)  # DfE's clock: before it

    with django_capture_on_commit_callbacks(execute=True):
        declaration = declaration_submit(
            connection=connection, enrolment=ada, declaration_type="started", by=None
        )

    declaration.refresh_from_db()
    assert declaration.state == Declaration.State.REFUSED
    assert declaration.error.startswith("DfE refused the declaration: Declaration date: ")
    assert "cannot be a future date" in declaration.error
    assert declaration.outgoing.get().state == Outgoing.State.REFUSED
    assert fake.declarations == {}
    assert ada in [item.enrolment for item in declarations_ready(connection=connection)]


def test_a_completed_ehco_declaration_is_sent_without_has_passed(
    fake, monkeypatch, settings, django_capture_on_commit_callbacks
):
    programme = programme_for(EHCO)
    connection = dfe_connection(programme)
    cohort = dfe_cohort(programme)
    partner_link(connection, fake)
    place = linked_place(
        connection, fake, cohort, assessment_result=Enrolment.AssessmentResult.PASSED
    )
    attended(cohort, place)
    use_fake(monkeypatch, settings, fake)
    hooked = []
    monkeypatch.setattr(
        declarations_module, "outcome_send_if_due", lambda enrolment: hooked.append(enrolment)
    )

    ready = {item.declaration_type: item for item in declarations_ready(connection=connection)}
    assert "has_passed" not in ready["completed"].attributes()
    with django_capture_on_commit_callbacks(execute=True):
        declarations_submit_all(connection=connection, by=None)

    sent = {d["declaration_type"]: d for d in fake.declarations.values()}
    assert set(sent) == {"started", "completed"}
    assert fake.calls_to("POST", r"/participant-declarations")[-1].body["data"][
        "attributes"
    ].keys() == {
        "participant_id",
        "declaration_type",
        "declaration_date",
        "course_identifier",
        "delivery_partner_id",
    }
    assert hooked == [place]  # the outcome is looked at once DfE holds the completed one


def _sent(hub, fake, capture):
    connection, cohort, link, ada, ben = hub
    with capture(execute=True):
        declaration = declaration_submit(
            connection=connection, enrolment=ada, declaration_type="started", by=None
        )
    declaration.refresh_from_db()
    return declaration


def test_voiding_needs_a_reason_and_voids_at_dfe(hub, fake, django_capture_on_commit_callbacks):
    declaration = _sent(hub, fake, django_capture_on_commit_callbacks)
    staff = StaffUserFactory()

    with pytest.raises(ValidationError, match="Say why"):
        declaration_void(declaration=declaration, reason="  ", by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        outgoing = declaration_void(
            declaration=declaration, reason="Declared for the wrong person.", by=staff
        )

    declaration.refresh_from_db()
    outgoing.refresh_from_db()
    assert declaration.state == Declaration.State.VOIDED
    assert fake.declarations[str(declaration.dfe_id)]["state"] == "voided"
    assert declaration.void_reason == "Declared for the wrong person."
    assert outgoing.kind == Outgoing.Kind.VOID and outgoing.by == staff
    with pytest.raises(ValidationError, match="has not voided"):
        declaration_void(declaration=declaration, reason="Again.", by=staff)


def test_voiding_a_paid_declaration_awaits_clawback(hub, fake, django_capture_on_commit_callbacks):
    declaration = _sent(hub, fake, django_capture_on_commit_callbacks)
    paid_on = fake.add_statement(month="November", year="2025", paid=True)
    clawback = fake.add_statement(month="January", year="2027")
    fake.set_declaration_state(str(declaration.dfe_id), "payable", statement_id=paid_on)
    fake.set_declaration_state(str(declaration.dfe_id), "paid")
    Declaration.objects.filter(pk=declaration.pk).update(state=Declaration.State.PAID)

    with django_capture_on_commit_callbacks(execute=True):
        declaration_void(declaration=declaration, reason="Withdrew before starting.", by=None)

    declaration.refresh_from_db()
    assert declaration.state == Declaration.State.AWAITING_CLAWBACK
    assert str(declaration.clawback_statement_id) == clawback


class LoseVoidAnswers:
    """DfE voids it, but the answer to the next `count` voids is lost; `lookups_fail` GETs of
    the declaration before then find DfE unreachable."""

    def __init__(self, fake, *, count=1, lookups_fail=0):
        self.fake, self.count, self.lookups_fail = fake, count, lookups_fail

    def __call__(self, request):
        path = request.url.path
        if request.method == "GET" and "/participant-declarations/" in path and self.lookups_fail:
            self.lookups_fail -= 1
            raise httpx.ConnectError("Connection refused", request=request)
        response = self.fake.handle(request)
        if request.method == "PUT" and path.endswith("/void") and self.count:
            self.count -= 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


VOIDS = r"/participant-declarations/[^/]+/void"


def test_a_void_whose_answer_was_lost_is_looked_up_and_adopted_not_refused(
    hub, fake, monkeypatch, settings, django_capture_on_commit_callbacks
):
    declaration = _sent(hub, fake, django_capture_on_commit_callbacks)
    use_fake(monkeypatch, settings, fake, httpx.MockTransport(LoseVoidAnswers(fake)))

    with django_capture_on_commit_callbacks(execute=True):
        outgoing = declaration_void(declaration=declaration, reason="Wrong person", by=None)

    outgoing.refresh_from_db()
    declaration.refresh_from_db()
    assert fake.declarations[str(declaration.dfe_id)]["state"] == "voided"
    assert (outgoing.state, declaration.state) == ("sent", "voided"), outgoing.last_error
    assert len(fake.calls_to("PUT", VOIDS)) == 1
    assert len(fake.calls_to("GET", r"/participant-declarations/[^/]+")) == 1


def test_a_void_retried_after_a_lost_answer_looks_first_and_is_not_sent_again(
    hub, fake, monkeypatch, settings, django_capture_on_commit_callbacks
):
    declaration = _sent(hub, fake, django_capture_on_commit_callbacks)
    paid_on = fake.add_statement(month="November", year="2025", paid=True)
    fake.add_statement(month="January", year="2027")
    fake.set_declaration_state(str(declaration.dfe_id), "payable", statement_id=paid_on)
    fake.set_declaration_state(str(declaration.dfe_id), "paid")
    Declaration.objects.filter(pk=declaration.pk).update(state=Declaration.State.PAID)
    # The answer is lost and so is the look-up after it: the row waits.
    lose = LoseVoidAnswers(fake, lookups_fail=MAX_ATTEMPTS)
    use_fake(monkeypatch, settings, fake, httpx.MockTransport(lose))
    monkeypatch.setitem(DfeClient.__init__.__kwdefaults__, "sleep", lambda seconds: None)
    with django_capture_on_commit_callbacks(execute=True):
        outgoing = declaration_void(declaration=declaration, reason="Wrong person", by=None)
    outgoing.refresh_from_db()
    assert (outgoing.state, outgoing.attempts) == ("waiting", 1)
    assert "Look it up at DfE" in outgoing.last_error

    outgoing_send(outgoing_id=outgoing.pk)  # the retry

    outgoing.refresh_from_db()
    declaration.refresh_from_db()
    assert len(fake.calls_to("PUT", VOIDS)) == 1
    assert (outgoing.state, outgoing.note) == (
        "not_needed",
        "DfE already shows this declaration awaiting clawback.",
    )
    assert declaration.state == Declaration.State.AWAITING_CLAWBACK
    assert declaration.clawback_statement_id is not None


def test_a_void_dfe_answers_already_voided_takes_dfes_state(
    hub, fake, django_capture_on_commit_callbacks
):
    declaration = _sent(hub, fake, django_capture_on_commit_callbacks)
    fake._void(query={}, body={}, id=str(declaration.dfe_id))  # voided at DfE meanwhile

    with django_capture_on_commit_callbacks(execute=True):
        outgoing = declaration_void(declaration=declaration, reason="Wrong person", by=None)

    outgoing.refresh_from_db()
    declaration.refresh_from_db()
    assert [call.status for call in fake.calls_to("PUT", VOIDS)] == [422]
    assert (outgoing.state, outgoing.note) == (
        "not_needed",
        "DfE already shows this declaration voided.",
    )
    assert declaration.state == Declaration.State.VOIDED


def test_pulling_updates_states_and_statements_and_finds_what_the_portal_did_not_send(
    hub, fake, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    declaration = _sent(hub, fake, django_capture_on_commit_callbacks)
    statement_id = fake.add_statement(month="January", year="2027", cut_off_date="2026-12-25")
    fake.set_declaration_state(str(declaration.dfe_id), "payable", statement_id=statement_id)
    # Ben's started declaration, made at DfE by the lead provider itself.
    bens_id = fake._create_declaration(
        query={},
        body={
            "data": {
                "attributes": {
                    "participant_id": str(ben.application.dfe.participant_id),
                    "declaration_type": "started",
                    "declaration_date": STARTED_DATE,
                    "course_identifier": SENIOR_LEADERSHIP,
                    "delivery_partner_id": str(link.delivery_partner_id),
                }
            }
        },
    )["id"]
    since = timezone.now() - datetime.timedelta(days=1)

    with connection_client(connection=connection) as client:
        pulled = declarations_pull(client=client, connection=connection, since=since)
        statements = statements_pull(client=client, connection=connection, since=since)

    declaration.refresh_from_db()
    found = Declaration.objects.get(dfe_id=bens_id)
    statement = Statement.objects.get()
    assert pulled == 2 and statements == 1
    assert declaration.state == Declaration.State.PAYABLE
    assert str(declaration.statement_id) == statement_id == str(statement.dfe_id)
    assert found.enrolment == ben and found.dfe_application == ben.application.dfe
    assert found.state == Declaration.State.ELIGIBLE
    assert (statement.month, statement.year, statement.cohort_year) == ("January", "2027", 2025)
    assert statement.cut_off_date == datetime.date(2026, 12, 25) and statement.paid is False
    query = fake.calls_to("GET", r"/participant-declarations")[0].query
    assert query["filter[cohort]"] == "2025" and "filter[updated_since]" in query
    assert declarations_ready(connection=connection) == []


def test_a_dasherised_state_from_dfe_is_stored_with_underscores(
    hub, fake, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    declaration = _sent(hub, fake, django_capture_on_commit_callbacks)
    paid_on = fake.add_statement(paid=True)
    fake.set_declaration_state(str(declaration.dfe_id), "payable", statement_id=paid_on)
    fake.set_declaration_state(str(declaration.dfe_id), "paid")
    fake._void(query={}, body={}, id=str(declaration.dfe_id))
    fake.declarations[str(declaration.dfe_id)]["state"] = "awaiting-clawback"

    with connection_client(connection=connection) as client:
        declarations_pull(client=client, connection=connection, since=None)

    declaration.refresh_from_db()
    assert declaration.state == Declaration.State.AWAITING_CLAWBACK


def test_a_pull_adopts_a_declaration_a_timed_out_send_made(hub, fake):
    connection, cohort, link, ada, ben = hub
    sending = Declaration.objects.create(
        connection=connection,
        enrolment=ada,
        participant_id=ada.application.dfe.participant_id,
        declaration_type="started",
        declaration_date=timezone.now(),
        course_identifier=SENIOR_LEADERSHIP,
    )
    dfe_id = fake._create_declaration(
        query={},
        body={
            "data": {
                "attributes": {
                    "participant_id": str(ada.application.dfe.participant_id),
                    "declaration_type": "started",
                    "declaration_date": STARTED_DATE,
                    "course_identifier": SENIOR_LEADERSHIP,
                    "delivery_partner_id": str(link.delivery_partner_id),
                }
            }
        },
    )["id"]

    with connection_client(connection=connection) as client:
        declarations_pull(client=client, connection=connection, since=None)

    sending.refresh_from_db()
    assert str(sending.dfe_id) == dfe_id and sending.state == Declaration.State.ELIGIBLE
    assert Declaration.objects.count() == 1


def test_a_pull_adopts_only_a_declaration_on_the_places_own_application(hub, fake):
    connection, cohort, link, ada, ben = hub
    participant_id = str(ada.application.dfe.participant_id)
    # Ada's earlier place with another provider, transferred here: DfE lists its paid started
    # declaration with hers (same participant, course and type; its own application).
    theirs = fake.add_other_providers_declaration(participant_id=participant_id)
    sending = Declaration.objects.create(
        connection=connection,
        enrolment=ada,
        dfe_application=ada.application.dfe,
        participant_id=participant_id,
        declaration_type="started",
        declaration_date=timezone.now(),
        course_identifier=SENIOR_LEADERSHIP,
    )

    with connection_client(connection=connection) as client:
        declarations_pull(client=client, connection=connection, since=None)
    sending.refresh_from_db()
    assert (sending.dfe_id, sending.state) == (None, Declaration.State.SENDING)

    ours = fake._create_declaration(
        query={},
        body={
            "data": {
                "attributes": {
                    "participant_id": participant_id,
                    "declaration_type": "started",
                    "declaration_date": STARTED_DATE,
                    "course_identifier": SENIOR_LEADERSHIP,
                    "delivery_partner_id": str(link.delivery_partner_id),
                }
            }
        },
    )["id"]
    with connection_client(connection=connection) as client:
        declarations_pull(client=client, connection=connection, since=None)

    sending.refresh_from_db()
    assert str(sending.dfe_id) == ours != theirs
    assert sending.state == Declaration.State.ELIGIBLE
    assert not Declaration.objects.filter(dfe_id=theirs).exists()


def test_a_pull_leaves_out_another_providers_declaration_so_the_hubs_own_can_be_sent(
    hub, fake, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    participant_id = str(ada.application.dfe.participant_id)
    theirs = fake.add_other_providers_declaration(participant_id=participant_id, cohort="2025")

    with connection_client(connection=connection) as client:
        declarations_pull(client=client, connection=connection, since=None)
    assert not Declaration.objects.filter(dfe_id=theirs).exists()

    with django_capture_on_commit_callbacks(execute=True):
        declaration = declaration_submit(
            connection=connection, enrolment=ada, declaration_type="started", by=None
        )
    declaration.refresh_from_db()
    assert declaration.state == Declaration.State.ELIGIBLE and declaration.dfe_id is not None


def test_a_retried_send_does_not_adopt_another_providers_declaration(
    hub, fake, monkeypatch, settings, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    theirs = fake.add_other_providers_declaration(
        participant_id=str(ada.application.dfe.participant_id)
    )
    lost = {"left": 1}

    def lose_the_first_post(request):
        if request.method == "POST" and lost["left"]:
            lost["left"] -= 1
            raise httpx.ReadTimeout("no answer; DfE never got it", request=request)
        return fake.handle(request)

    use_fake(monkeypatch, settings, fake, httpx.MockTransport(lose_the_first_post))
    with django_capture_on_commit_callbacks(execute=True):
        declaration = declaration_submit(
            connection=connection, enrolment=ada, declaration_type="started", by=None
        )
    outgoing = declaration.outgoing.get()
    assert outgoing.state == Outgoing.State.WAITING

    outgoing_send(outgoing_id=outgoing.pk)  # the retry looks first, then posts

    declaration.refresh_from_db()
    outgoing.refresh_from_db()
    assert outgoing.state == Outgoing.State.SENT
    assert fake.calls_to("GET", r"/participant-declarations")  # it looked first
    assert len(fake.calls_to("POST", r"/participant-declarations")) == 1
    ours = fake.declarations[str(declaration.dfe_id)]
    assert str(declaration.dfe_id) != theirs
    assert ours["application_id"] == str(ada.application.dfe.dfe_id)
    assert declaration.state == Declaration.State.ELIGIBLE


@pytest.mark.parametrize(
    ("evidenced_on", "now", "expected"),
    [
        # 09:00 UK time: British Summer Time in October, Greenwich time in December.
        (datetime.date(2025, 10, 14), "2026-12-05T10:00:00+00:00", "2025-10-14T08:00:00Z"),
        (datetime.date(2025, 12, 2), "2026-12-05T10:00:00+00:00", "2025-12-02T09:00:00Z"),
        # Evidence from this morning, before 9am: declared as of now, never in the future.
        (datetime.date(2026, 12, 5), "2026-12-05T07:30:00+00:00", "2026-12-05T07:30:00Z"),
    ],
)
def test_the_declaration_date_is_9am_uk_time_and_never_in_the_future(evidenced_on, now, expected):
    moment = declaration_date_for(evidenced_on, now=datetime.datetime.fromisoformat(now))

    assert dfe_time(moment) == expected


# ---- Retired participant ids ----


def _sent_one(connection, enrolment, capture):
    with capture(execute=True):
        declaration = declaration_submit(
            connection=connection, enrolment=enrolment, declaration_type="started", by=None
        )
    declaration.refresh_from_db()
    return declaration


def test_a_declaration_for_a_retired_participant_id_is_sent_under_the_new_one(
    hub, fake, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    old_id = str(ada.application.dfe.participant_id)
    new_id = fake.retire_participant(old_id)

    declaration = _sent_one(connection, ada, django_capture_on_commit_callbacks)

    posts = fake.calls_to("POST", r"/participant-declarations")
    assert [call.body["data"]["attributes"]["participant_id"] for call in posts] == [
        old_id,
        new_id,
    ]
    assert [call.status for call in posts] == [422, 200]  # DfE: the old id is not recognised
    assert str(declaration.participant_id) == new_id
    assert declaration.state == Declaration.State.ELIGIBLE and declaration.dfe_id is not None
    outgoing = declaration.outgoing.get()
    assert (outgoing.state, outgoing.attempts) == (Outgoing.State.SENT, 1)
    assert outgoing.body["data"]["attributes"]["participant_id"] == new_id
    ada.application.dfe.refresh_from_db()
    assert str(ada.application.dfe.participant_id) == new_id


def test_a_410_to_the_declaration_is_followed_and_sent_once_more(
    hub, fake, monkeypatch, settings, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    old_id = str(ada.application.dfe.participant_id)
    new_id = fake.retire_participant(old_id)

    def gone_for_retired_ids(request):
        if request.method == "POST" and "participant-declarations" in request.url.path:
            attributes = json.loads(request.content)["data"]["attributes"]
            change = fake.retired_participant_ids.get(attributes["participant_id"])
            if change is not None:  # as DfE's base controller answers a retired id
                return httpx.Response(
                    410,
                    json={
                        "errors": [
                            {
                                "title": "Participant ID has been changed",
                                "detail": "The ID has been retired.",
                                "participant_id_changes": [change],
                            }
                        ]
                    },
                )
        return fake.handle(request)

    use_fake(monkeypatch, settings, fake, httpx.MockTransport(gone_for_retired_ids))

    declaration = _sent_one(connection, ada, django_capture_on_commit_callbacks)

    assert str(declaration.participant_id) == new_id
    assert declaration.state == Declaration.State.ELIGIBLE
    assert declaration.outgoing.get().state == Outgoing.State.SENT
    assert ParticipantIdChange.objects.filter(from_participant_id=old_id).exists()


def test_a_refusal_that_is_not_a_retired_id_is_still_a_refusal(
    hub, fake, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    fake.applications[str(ada.application.dfe.dfe_id)]["status"] = "pending"  # DfE: no place

    declaration = _sent_one(connection, ada, django_capture_on_commit_callbacks)

    assert declaration.state == Declaration.State.REFUSED
    assert "participant_id" in declaration.error
    assert len(fake.calls_to("POST", r"/participant-declarations")) == 1


def test_merging_two_participants_with_a_live_declaration_each_keeps_both(
    hub, fake, django_capture_on_commit_callbacks, caplog
):
    connection, cohort, link, ada, ben = hub
    ada_declaration = _sent_one(connection, ada, django_capture_on_commit_callbacks)
    ben_declaration = _sent_one(connection, ben, django_capture_on_commit_callbacks)
    ada_id, ben_id = (str(d.participant_id) for d in (ada_declaration, ben_declaration))
    fake.retire_participant(ada_id, ben_id)  # DfE: Ada's record is Ben's person

    with connection_client(connection=connection) as client:
        participants_pull(client=client, connection=connection, since=None)

    ada_declaration.refresh_from_db()
    ada.application.dfe.refresh_from_db()
    assert str(ada.application.dfe.participant_id) == ben_id  # the application moved
    assert str(ada_declaration.participant_id) == ada_id  # the clashing declaration did not
    assert ada_declaration.state == Declaration.State.ELIGIBLE
    assert "holds a live started declaration already" in caplog.text

    # DfE voids the duplicate; the next pull brings that, and the voided one moves.
    at_dfe = fake.declarations[str(ada_declaration.dfe_id)]
    at_dfe["state"], at_dfe["updated_at"] = "voided", fake.now
    with connection_client(connection=connection) as client:
        declarations_pull(client=client, connection=connection, since=None)

    ada_declaration.refresh_from_db()
    assert ada_declaration.state == Declaration.State.VOIDED
    assert str(ada_declaration.participant_id) == ben_id


def test_a_pull_keeps_dfes_state_for_a_live_duplicate_left_under_its_old_id(
    hub, fake, django_capture_on_commit_callbacks
):
    connection, cohort, link, ada, ben = hub
    ada_declaration = _sent_one(connection, ada, django_capture_on_commit_callbacks)
    ben_declaration = _sent_one(connection, ben, django_capture_on_commit_callbacks)
    ada_id, ben_id = (str(d.participant_id) for d in (ada_declaration, ben_declaration))
    fake.retire_participant(ada_id, ben_id)
    participant_ids_follow([fake.retired_participant_ids[ada_id]])
    statement = fake.add_statement()
    fake.set_declaration_state(str(ada_declaration.dfe_id), "payable", statement_id=statement)

    with connection_client(connection=connection) as client:
        declarations_pull(client=client, connection=connection, since=None)

    ada_declaration.refresh_from_db()
    assert ada_declaration.state == Declaration.State.PAYABLE
    assert str(ada_declaration.participant_id) == ada_id
    assert str(ada_declaration.statement_id) == statement
