"""Decisions, place changes and outcomes reach DfE through the outbox, once, and only when owed."""

import datetime
import logging
from datetime import timedelta

import httpx
import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from applications.models import Application
from applications.services import application_accept, application_reject, application_withdraw
from assessment.models import Outcome
from assessment.signals import outcome_released
from dfe.decisions import (
    DEFERRAL_REASONS,
    WITHDRAWAL_REASONS,
    deferral_reason_code,
    dfe_schedule_for,
    outcome_send_if_due,
)
from dfe.fake import DEFER_REASONS, TOKEN, WITHDRAW_REASONS, FakeDfe
from dfe.models import Call, Declaration, DfeApplication, Outgoing
from dfe.outgoing import outgoing_retry_due
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory
from participants.models import Enrolment, EnrolmentEvent
from participants.services import enrolment_change, enrolment_record_assessment, enrolment_transfer

from .linked import covered_cohort, declare, fake_dfe, linked  # noqa: F401  a fixture

pytestmark = pytest.mark.django_db

ACCEPT = r"/npq-applications/[^/]+/accept"
REJECT = r"/npq-applications/[^/]+/reject"


@pytest.fixture
def staff():
    return StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a change and everything it queued for after its commit (the outbox task included)."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


def _accepted(fake, staff, sent, **kwargs):
    link = linked(fake, **kwargs)
    enrolment = sent(application_accept, application=link.application, by=staff)
    return link, enrolment


# ---- Accept and reject ----


def test_accepting_a_linked_application_accepts_it_at_dfe_after_the_commit(fake, staff, sent):
    link = linked(fake)

    sent(application_accept, application=link.application, by=staff)

    (call,) = fake.calls_to("POST", ACCEPT)
    assert call.body == {
        "data": {"type": "npq-application-accept", "attributes": {"funded_place": True}}
    }
    outgoing = Outgoing.objects.get()
    link.dfe.refresh_from_db()
    assert (outgoing.kind, outgoing.state, outgoing.attempts) == ("accept", "sent", 1)
    assert outgoing.sent_at is not None and outgoing.by == staff
    assert (link.dfe.status, link.dfe.funded_place) == ("accepted", True)
    assert link.dfe.schedule_identifier == "npq-leadership-autumn"
    assert fake.applications[str(link.dfe.dfe_id)]["status"] == "accepted"


def test_rejecting_a_linked_application_rejects_it_at_dfe_with_no_body(fake, staff, sent):
    link = linked(fake)

    sent(application_reject, application=link.application, by=staff, reason="No places")

    (call,) = fake.calls_to("POST", REJECT)
    assert call.body is None
    link.dfe.refresh_from_db()
    assert link.dfe.status == "rejected"
    assert Outgoing.objects.get().state == "sent"


def test_an_applicant_withdrawing_rejects_the_application_at_dfe_and_says_why(fake, sent):
    link = linked(fake)

    sent(application_withdraw, application=link.application, by=link.application.applicant)

    assert len(fake.calls_to("POST", REJECT)) == 1
    outgoing = Outgoing.objects.get()
    assert outgoing.state == "sent"
    assert "withdrew in the portal" in outgoing.note


@pytest.mark.parametrize("decide", ["accept", "reject"])
def test_a_decision_rolled_back_sends_nothing(
    fake, staff, django_capture_on_commit_callbacks, decide
):
    link = linked(fake)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            if decide == "accept":
                application_accept(application=link.application, by=staff)
            else:
                application_reject(application=link.application, by=staff, reason="No places")
            raise RuntimeError("Something later in the same change failed.")

    assert fake.calls == []
    assert not Outgoing.objects.exists()
    link.application.refresh_from_db()
    assert link.application.status == Application.Status.SCHOOL_APPROVED


def test_an_application_not_linked_or_not_covered_sends_nothing(fake, staff, sent):
    link = linked(fake)
    unlinked = linked(
        fake,
        email="bea@example.org",
        cohort=covered_cohort(programme=link.cohort.programme, name="Spring start"),
        connection=link.connection,
    )
    DfeApplication.objects.filter(pk=unlinked.dfe.pk).update(application=None)
    link.connection.cohort_years = [2026]  # the connection no longer covers the 2025 cohort
    link.connection.save()

    sent(application_accept, application=link.application, by=staff)
    sent(application_accept, application=unlinked.application, by=staff)

    assert fake.calls == []
    assert not Outgoing.objects.exists()


def test_a_decision_made_while_the_connection_is_switched_off_waits_for_it(fake, staff, sent):
    link = linked(fake)
    link.connection.enabled = False  # e.g. an hour to change the token
    link.connection.save()

    sent(application_accept, application=link.application, by=staff)

    assert fake.calls == []
    outgoing = Outgoing.objects.get()
    assert (outgoing.kind, outgoing.state) == ("accept", "waiting")
    assert "switched off" in outgoing.last_error
    link.connection.enabled = True
    link.connection.save()
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert sent(outgoing_retry_due) == 1
    outgoing.refresh_from_db()
    assert outgoing.state == "sent"
    assert fake.applications[str(link.dfe.dfe_id)]["status"] == "accepted"


def test_dfe_not_eligible_for_funding_sends_funded_place_false_with_a_note(fake, staff, sent):
    link = linked(fake, funded=True, eligible_for_funding=False)

    sent(application_accept, application=link.application, by=staff)

    (call,) = fake.calls_to("POST", ACCEPT)
    assert call.body["data"]["attributes"] == {"funded_place": False}
    outgoing = Outgoing.objects.get()
    assert outgoing.state == "sent"
    assert "DfE says the applicant is not eligible for funding" in outgoing.note
    link.dfe.refresh_from_db()
    assert link.dfe.funded_place is False


def test_dfe_changing_its_mind_on_eligibility_before_the_send_still_never_sends_true(
    fake, staff, sent
):
    link = linked(fake, funded=True, eligible_for_funding=True)
    fake.applications[str(link.dfe.dfe_id)]["eligible_for_funding"] = False

    sent(application_accept, application=link.application, by=staff)

    (call,) = fake.calls_to("POST", ACCEPT)
    assert call.body["data"]["attributes"] == {"funded_place": False}
    assert "not eligible for funding" in Outgoing.objects.get().note


def test_a_place_the_portal_does_not_fund_is_sent_as_not_funded(fake, staff, sent):
    link = linked(fake, funded=False)

    sent(application_accept, application=link.application, by=staff)

    (call,) = fake.calls_to("POST", ACCEPT)
    assert call.body["data"]["attributes"] == {"funded_place": False}
    assert Outgoing.objects.get().note == ""


def test_dfe_already_showing_the_application_accepted_is_not_sent_again(fake, staff, sent):
    link = linked(fake)
    fake.applications[str(link.dfe.dfe_id)].update(
        status="accepted", funded_place=True, schedule_identifier="npq-leadership-autumn"
    )

    sent(application_accept, application=link.application, by=staff)

    assert fake.calls_to("POST", ACCEPT) == []
    outgoing = Outgoing.objects.get()
    assert outgoing.state == "not_needed"
    assert outgoing.note == "DfE already shows this application accepted."
    link.dfe.refresh_from_db()
    assert link.dfe.status == "accepted"


# ---- DfE down, then back ----


class Outage:
    """DfE unreachable (or answering 503) until `back()`, then the fake answers."""

    def __init__(self, fake, *, status: int | None = None):
        self.fake, self.status, self.down = fake, status, True

    def __call__(self, request):
        if not self.down:
            return self.fake.handle(request)
        if self.status is None:
            raise httpx.ConnectError("Connection refused", request=request)
        return httpx.Response(self.status, json={"error": "Service unavailable"})

    def back(self):
        self.down = False


@pytest.mark.parametrize(
    ("status", "words"),
    [(None, "DfE could not be reached"), (503, "DfE failed to handle the request (503)")],
)
def test_dfe_down_during_a_decision_then_back_accepts_exactly_once(
    fake, staff, sent, monkeypatch, client, status, words
):
    outage = Outage(fake, status=status)
    transport = httpx.MockTransport(outage)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    link = linked(fake)

    sent(application_accept, application=link.application, by=staff)

    outgoing = Outgoing.objects.get()
    assert (outgoing.state, outgoing.attempts) == ("waiting", 1)
    assert words in outgoing.last_error
    link.application.refresh_from_db()
    assert link.application.status == Application.Status.ACCEPTED  # the portal goes on
    assert sent(outgoing_retry_due) == 0  # not before its backoff

    later = timezone.now() + timedelta(minutes=6)
    with time_machine.travel(later):
        assert sent(outgoing_retry_due) == 1  # still down: waits longer
    outgoing.refresh_from_db()
    assert (outgoing.state, outgoing.attempts) == ("waiting", 2)

    outage.back()
    with time_machine.travel(later + timedelta(minutes=11)):
        assert sent(outgoing_retry_due) == 1
        assert sent(outgoing_retry_due) == 0

    outgoing.refresh_from_db()
    assert (outgoing.state, outgoing.attempts, outgoing.last_error) == ("sent", 3, "")
    assert len(fake.calls_to("POST", ACCEPT)) == 1
    assert fake.applications[str(link.dfe.dfe_id)]["status"] == "accepted"


def test_an_accept_dfe_took_before_timing_out_is_not_sent_twice(fake, staff, sent, monkeypatch):
    def handle(request):
        response = fake.handle(request)
        if request.method == "POST" and request.url.path.endswith("/accept"):
            raise httpx.ReadTimeout("DfE took it but the answer was lost", request=request)
        return response

    transport = httpx.MockTransport(handle)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)
    link = linked(fake)

    sent(application_accept, application=link.application, by=staff)
    outgoing = Outgoing.objects.get()
    assert outgoing.state == "waiting" and "may have been recorded" in outgoing.last_error
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        sent(outgoing_retry_due)

    outgoing.refresh_from_db()
    assert outgoing.state == "not_needed"
    assert len(fake.calls_to("POST", ACCEPT)) == 1


def test_a_refusal_is_kept_in_dfes_words_and_not_retried(fake, staff, sent):
    link = linked(fake)
    fake.applications[str(link.dfe.dfe_id)]["status"] = "rejected"

    sent(application_accept, application=link.application, by=staff)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert sent(outgoing_retry_due) == 0

    outgoing = Outgoing.objects.get()
    assert outgoing.state == "refused"
    assert outgoing.last_error == (
        "DfE refused the acceptance of the application: Application: This NPQ application has "
        "already been rejected"
    )
    assert len(fake.calls_to("POST", ACCEPT)) == 1


# ---- Place changes ----


def test_every_portal_withdrawal_reason_maps_to_a_code_dfe_accepts():
    assert set(WITHDRAWAL_REASONS) == set(EnrolmentEvent.WithdrawalReason.values)
    assert set(WITHDRAWAL_REASONS.values()) <= set(WITHDRAW_REASONS)


def test_every_deferral_reason_is_one_of_dfes_codes():
    """One table: each of the portal's deferral reasons is one of DfE's five codes."""
    for reason in EnrolmentEvent.DeferralReason.values:
        assert deferral_reason_code(reason) in DEFER_REASONS
    assert set(DEFERRAL_REASONS.values()) == set(DEFER_REASONS)
    assert deferral_reason_code("Maternity leave") == "other"  # a reason given before the list


def _participant_calls(fake, action):
    return fake.calls_to("PUT", rf"/participants/npq/[^/]+/{action}")


def test_defer_resume_and_withdraw_send_dfes_calls_with_their_bodies(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    declare(fake, link.dfe, "started")

    sent(enrolment_change, enrolment=enrolment, to="deferred", by=staff, reason="parental_leave")
    sent(enrolment_change, enrolment=enrolment, to="active", by=staff)
    sent(enrolment_change, enrolment=enrolment, to="withdrawn", by=staff, reason="workload")

    participant = f"/api/v3/participants/npq/{link.dfe.participant_id}"
    assert [(c.path, c.body) for c in fake.calls if c.method == "PUT"] == [
        (
            f"{participant}/defer",
            {
                "data": {
                    "type": "participant-defer",
                    "attributes": {
                        "course_identifier": "npq-senior-leadership",
                        "reason": "parental-leave",
                    },
                }
            },
        ),
        (
            f"{participant}/resume",
            {
                "data": {
                    "type": "participant-resume",
                    "attributes": {"course_identifier": "npq-senior-leadership"},
                }
            },
        ),
        (
            f"{participant}/withdraw",
            {
                "data": {
                    "type": "participant-withdraw",
                    "attributes": {
                        "course_identifier": "npq-senior-leadership",
                        "reason": "insufficient-capacity-to-undertake-programme",
                    },
                }
            },
        ),
    ]
    assert list(Outgoing.objects.order_by("pk").values_list("kind", "state", "enrolment")) == [
        ("accept", "sent", None),
        ("defer", "sent", enrolment.pk),
        ("resume", "sent", enrolment.pk),
        ("withdraw", "sent", enrolment.pk),
    ]
    link.dfe.refresh_from_db()
    assert link.dfe.training_status == "withdrawn"


def test_a_withdrawal_dfe_refuses_is_kept_in_its_words(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)  # no started declaration at DfE

    sent(enrolment_change, enrolment=enrolment, to="withdrawn", by=staff, reason="health")

    outgoing = Outgoing.objects.get(kind="withdraw")
    assert outgoing.state == "refused"
    assert "who has not got a started declaration cannot be withdrawn" in outgoing.last_error


def test_a_change_dfe_already_has_is_not_sent(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    declare(fake, link.dfe, "started")
    fake.applications[str(link.dfe.dfe_id)]["training_status"] = "deferred"

    sent(enrolment_change, enrolment=enrolment, to="deferred", by=staff, reason="other")

    assert _participant_calls(fake, "defer") == []
    outgoing = Outgoing.objects.get(kind="defer")
    assert (outgoing.state, outgoing.note) == (
        "not_needed",
        "DfE already shows the participant deferred.",
    )


def test_a_retired_participant_id_is_followed(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    declare(fake, link.dfe, "started")
    old_id = str(link.dfe.participant_id)
    new_id = fake.retire_participant(old_id)

    sent(enrolment_change, enrolment=enrolment, to="deferred", by=staff, reason="other")

    link.dfe.refresh_from_db()
    assert str(link.dfe.participant_id) == new_id
    assert [call.path for call in _participant_calls(fake, "defer")] == [
        f"/api/v3/participants/npq/{new_id}/defer"
    ]
    assert Outgoing.objects.get(kind="defer").state == "sent"


def test_moving_a_place_to_a_spring_cohort_changes_the_schedule_at_dfe(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    spring = covered_cohort(
        programme=link.cohort.programme,
        name="Spring start",
        starts_on=datetime.date(2026, 1, 12),
        application_deadline=datetime.date(2025, 12, 1),
    )

    moved = sent(
        enrolment_transfer, enrolment=enrolment, to_cohort=spring, by=staff, reason="Timing"
    )

    (call,) = _participant_calls(fake, "change-schedule")
    assert call.body == {
        "data": {
            "type": "participant-change-schedule",
            "attributes": {
                "course_identifier": "npq-senior-leadership",
                "schedule_identifier": "npq-leadership-spring",
            },
        }
    }
    outgoing = Outgoing.objects.get(kind="change_schedule")
    assert (outgoing.state, outgoing.enrolment) == ("sent", moved)
    assert not Outgoing.objects.filter(kind="withdraw").exists()  # a move, not a withdrawal
    link.dfe.refresh_from_db()
    assert link.dfe.schedule_identifier == "npq-leadership-spring"


def test_a_move_whose_schedule_cannot_be_told_is_left_to_staff_in_words(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    summer = covered_cohort(
        programme=link.cohort.programme,
        name="Summer start",
        starts_on=datetime.date(2026, 6, 1),
        application_deadline=datetime.date(2026, 5, 1),
    )

    sent(enrolment_transfer, enrolment=enrolment, to_cohort=summer, by=staff, reason="Timing")

    assert _participant_calls(fake, "change-schedule") == []
    outgoing = Outgoing.objects.get(kind="change_schedule")
    assert outgoing.state == "for_staff"
    assert "cannot tell which of DfE's schedules" in outgoing.note


@pytest.mark.parametrize(
    ("course", "starts_on", "schedule"),
    [
        ("npq-headship", datetime.date(2025, 10, 1), "npq-leadership-autumn"),
        ("npq-senco", datetime.date(2026, 2, 1), "npq-specialist-spring"),
        ("npq-early-headship-coaching-offer", datetime.date(2025, 11, 3), "npq-ehco-november"),
        ("npq-early-headship-coaching-offer", datetime.date(2025, 10, 3), None),
        ("npq-leading-teaching", datetime.date(2026, 7, 1), None),
    ],
)
def test_dfes_schedule_is_told_from_the_course_and_start(course, starts_on, schedule):
    assert dfe_schedule_for(course_identifier=course, starts_on=starts_on) == schedule


# ---- Outcomes ----


def _completed(link, enrolment, *, has_passed):
    record = declare(link.fake, link.dfe, "completed", has_passed=has_passed)
    return Declaration.objects.create(
        connection=link.connection,
        enrolment=enrolment,
        dfe_application=link.dfe,
        dfe_id=record["id"],
        participant_id=link.dfe.participant_id,
        declaration_type="completed",
        declaration_date=datetime.datetime(2025, 10, 6, 9, tzinfo=datetime.UTC),
        course_identifier=link.dfe.course_identifier,
        has_passed=has_passed,
        state=record["attributes"]["state"],
    )


def _release(sent, enrolment, result):
    def release():
        enrolment_record_assessment(enrolment=enrolment, result=result, by=None)
        outcome_released.send(sender=Outcome, outcome=None, enrolment=enrolment)

    sent(release)


OUTCOMES = r"/participants/npq/[^/]+/outcomes"


def _on_the_fakes_day():
    """The portal's clock on the fake DfE's day (its clock stands still): DfE refuses an
    outcome whose completion date, the day the result was released, is after its today. Run
    on the real clock these tests failed from the day after the fake's."""
    return time_machine.travel(FakeDfe().now + timedelta(hours=3))


@_on_the_fakes_day()
def test_an_outcome_waits_for_the_completed_declaration_then_is_sent_once(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    _release(sent, enrolment, "failed")
    assert fake.calls_to("POST", OUTCOMES) == []
    assert not Outgoing.objects.filter(kind="outcome").exists()

    # The completed declaration said not passed: DfE has that outcome already.
    _completed(link, enrolment, has_passed=False)
    assert sent(outcome_send_if_due, enrolment=enrolment) is None

    # A resubmission passed: the changed outcome goes to DfE, once.
    _release(sent, enrolment, "passed")
    sent(outcome_send_if_due, enrolment=enrolment)
    _release(sent, enrolment, "passed")

    (call,) = fake.calls_to("POST", OUTCOMES)
    assert call.body == {
        "data": {
            "type": "npq-outcome-confirmation",
            "attributes": {
                "course_identifier": "npq-senior-leadership",
                "state": "passed",
                "completion_date": timezone.localdate().isoformat(),
            },
        }
    }
    assert fake.outcomes[-1]["state"] == "passed"
    assert list(Outgoing.objects.filter(kind="outcome").values_list("state", flat=True)) == ["sent"]


@_on_the_fakes_day()
def test_an_outcome_is_sent_when_the_completed_declaration_is_taken_after_it(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    _release(sent, enrolment, "passed")
    declaration = _completed(link, enrolment, has_passed=True)
    Declaration.objects.filter(pk=declaration.pk).update(has_passed=None)  # as if not said

    sent(outcome_send_if_due, enrolment=enrolment)

    assert len(fake.calls_to("POST", OUTCOMES)) == 1
    assert Outgoing.objects.get(kind="outcome").state == "sent"


def test_a_declaration_still_being_sent_does_not_count(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    _release(sent, enrolment, "passed")
    declaration = _completed(link, enrolment, has_passed=True)
    Declaration.objects.filter(pk=declaration.pk).update(state="sending", has_passed=None)

    assert sent(outcome_send_if_due, enrolment=enrolment) is None
    assert fake.calls_to("POST", OUTCOMES) == []


# ---- The token ----


def test_the_token_is_never_logged_nor_kept_on_these_paths(fake, staff, sent, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    link, enrolment = _accepted(fake, staff, sent)
    declare(fake, link.dfe, "started")
    sent(enrolment_change, enrolment=enrolment, to="deferred", by=staff, reason="other")
    sent(enrolment_change, enrolment=enrolment, to="active", by=staff)
    sent(enrolment_change, enrolment=enrolment, to="withdrawn", by=staff, reason="other")
    other = linked(fake, email="bea@example.org", cohort=link.cohort, connection=link.connection)
    fake.applications[str(other.dfe.dfe_id)]["status"] = "rejected"
    sent(application_accept, application=other.application, by=staff)  # refused

    assert Outgoing.objects.filter(state="refused").exists()
    assert Call.objects.count() >= 8
    assert caplog.records, "the paths log"
    assert TOKEN not in caplog.text
    kept = [
        repr(row) for model in (Call, Outgoing, DfeApplication) for row in model.objects.values()
    ]
    assert not any(TOKEN in row for row in kept)
    assert Enrolment.objects.get(pk=enrolment.pk).status == "withdrawn"


def test_moving_a_place_to_next_years_cohort_changes_dfes_cohort_until_declarations_exist(
    fake, staff, sent
):
    link, enrolment = _accepted(fake, staff, sent)
    link.connection.cohort_years = [2025, 2026]
    link.connection.save()
    next_year = covered_cohort(
        programme=link.cohort.programme,
        name="Next autumn",
        academic_year=2026,
        starts_on=datetime.date(2026, 10, 5),
        ends_on=datetime.date(2027, 7, 16),
        application_deadline=datetime.date(2026, 9, 15),
    )
    other = linked(fake, email="bea@example.org", cohort=link.cohort, connection=link.connection)
    other_place = sent(application_accept, application=other.application, by=staff)
    declare(fake, other.dfe, "started")

    sent(enrolment_transfer, enrolment=enrolment, to_cohort=next_year, by=staff, reason="Later")
    sent(enrolment_transfer, enrolment=other_place, to_cohort=next_year, by=staff, reason="Later")

    first, second = Outgoing.objects.filter(kind="change_schedule").order_by("pk")
    assert first.body["data"]["attributes"] == {
        "course_identifier": "npq-senior-leadership",
        "schedule_identifier": "npq-leadership-autumn",
        "cohort": "2026",
    }
    assert first.state == "sent"
    assert fake.applications[str(link.dfe.dfe_id)]["cohort"] == "2026"
    assert second.state == "refused"
    assert "cannot change once declarations have been submitted" in second.last_error


def test_moving_a_place_to_a_cohort_the_connection_does_not_cover_is_left_to_staff(
    fake, staff, sent
):
    link, enrolment = _accepted(fake, staff, sent)
    next_year = covered_cohort(
        programme=link.cohort.programme,
        name="Next autumn",
        academic_year=2026,
        starts_on=datetime.date(2026, 10, 5),
        ends_on=datetime.date(2027, 7, 16),
        application_deadline=datetime.date(2026, 9, 15),
    )

    sent(enrolment_transfer, enrolment=enrolment, to_cohort=next_year, by=staff, reason="Later")

    outgoing = Outgoing.objects.get(kind="change_schedule")
    assert outgoing.state == "for_staff"
    assert "which this DfE connection does not cover" in outgoing.note
    assert _participant_calls(fake, "change-schedule") == []


def test_moving_a_place_while_the_connection_is_switched_off_is_queued_not_left_to_staff(
    fake, staff, sent
):
    link, enrolment = _accepted(fake, staff, sent)
    spring = covered_cohort(
        programme=link.cohort.programme,
        name="Spring start",
        starts_on=datetime.date(2026, 1, 12),
        application_deadline=datetime.date(2025, 12, 1),
    )
    link.connection.enabled = False
    link.connection.save()

    sent(enrolment_transfer, enrolment=enrolment, to_cohort=spring, by=staff, reason="Timing")

    outgoing = Outgoing.objects.get(kind="change_schedule")
    assert (outgoing.state, outgoing.note) == ("waiting", "")
    assert "switched off" in outgoing.last_error
    assert _participant_calls(fake, "change-schedule") == []


def test_a_withdrawal_whose_answer_was_lost_is_looked_up_on_the_retry_not_sent_twice(
    fake, staff, sent, monkeypatch
):
    link, enrolment = _accepted(fake, staff, sent)
    declare(fake, link.dfe, "started")
    lost = {"left": 1}

    def withdraw_then_lose_the_answer(request):
        response = fake.handle(request)
        if request.method == "PUT" and request.url.path.endswith("/withdraw") and lost["left"]:
            lost["left"] -= 1
            raise httpx.ReadTimeout("DfE withdrew them but the answer was lost", request=request)
        return response

    transport = httpx.MockTransport(withdraw_then_lose_the_answer)
    monkeypatch.setattr("dfe.connection._transport_for", lambda connection: transport)

    sent(enrolment_change, enrolment=enrolment, to="withdrawn", by=staff, reason="health")
    outgoing = Outgoing.objects.get(kind="withdraw")
    assert (outgoing.state, outgoing.attempts) == ("waiting", 1)  # not repeated by the client
    assert "Look it up at DfE" in outgoing.last_error
    assert fake.applications[str(link.dfe.dfe_id)]["training_status"] == "withdrawn"
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert sent(outgoing_retry_due) == 1

    outgoing.refresh_from_db()
    assert len(_participant_calls(fake, "withdraw")) == 1
    assert [c.status for c in fake.calls if c.method == "PUT"] == [200]
    assert (outgoing.state, outgoing.note) == (
        "not_needed",
        "DfE already shows the participant withdrawn.",
    )
    link.dfe.refresh_from_db()
    assert link.dfe.training_status == "withdrawn"


def test_a_withdrawal_made_while_the_connection_is_switched_off_is_sent_once_it_is_on(
    fake, staff, sent
):
    link, enrolment = _accepted(fake, staff, sent)
    declare(fake, link.dfe, "started")
    link.connection.enabled = False  # e.g. an hour to rotate the token
    link.connection.save()

    sent(enrolment_change, enrolment=enrolment, to="withdrawn", by=staff, reason="health")
    outgoing = Outgoing.objects.get(kind="withdraw")
    assert outgoing.state == "waiting" and _participant_calls(fake, "withdraw") == []
    link.connection.enabled = True
    link.connection.save()
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert sent(outgoing_retry_due) == 1

    outgoing.refresh_from_db()
    assert outgoing.state == "sent"
    assert len(_participant_calls(fake, "withdraw")) == 1
    assert fake.applications[str(link.dfe.dfe_id)]["training_status"] == "withdrawn"


# ---- Retired participant ids (DfE merged two records of one person) ----


def test_a_withdrawal_follows_a_retired_participant_id(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    declare(fake, link.dfe, "started")
    new_id = fake.retire_participant(str(link.dfe.participant_id))

    sent(enrolment_change, enrolment=enrolment, to="withdrawn", by=staff, reason="workload")

    assert [call.path for call in _participant_calls(fake, "withdraw")] == [
        f"/api/v3/participants/npq/{new_id}/withdraw"
    ]
    assert Outgoing.objects.get(kind="withdraw").state == "sent"
    assert fake.applications[str(link.dfe.dfe_id)]["training_status"] == "withdrawn"


@_on_the_fakes_day()
def test_an_outcome_follows_a_retired_participant_id_in_the_same_send(fake, staff, sent):
    link, enrolment = _accepted(fake, staff, sent)
    old_id = str(link.dfe.participant_id)
    declaration = _completed(link, enrolment, has_passed=True)
    Declaration.objects.filter(pk=declaration.pk).update(has_passed=None)
    new_id = fake.retire_participant(old_id)

    _release(sent, enrolment, "passed")

    assert [(call.path, call.status) for call in fake.calls_to("POST", OUTCOMES)] == [
        (f"/api/v3/participants/npq/{old_id}/outcomes", 410),
        (f"/api/v3/participants/npq/{new_id}/outcomes", 200),
    ]
    outgoing = Outgoing.objects.get(kind="outcome")
    assert (outgoing.state, outgoing.attempts) == ("sent", 1)
    link.dfe.refresh_from_db()
    declaration.refresh_from_db()
    assert str(link.dfe.participant_id) == str(declaration.participant_id) == new_id


def test_accepting_is_not_troubled_by_a_retired_participant_id(fake, staff, sent):
    link = linked(fake)
    fake.retire_participant(str(link.dfe.participant_id))

    sent(application_accept, application=link.application, by=staff)

    assert Outgoing.objects.get(kind="accept").state == "sent"  # by DfE's application id
    assert fake.applications[str(link.dfe.dfe_id)]["status"] == "accepted"
