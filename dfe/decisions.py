"""Decisions, place changes and outcomes the portal owes DfE, and the senders that make each call.

The lower apps say what happened through their signals (dfe/handlers.py); the services here
decide whether DfE must hear of it and queue it through the outbox (`dfe.outgoing`), inside the
transaction that made the change: nothing is owed for a change that rolls back. Only a portal
application linked to one of DfE's (`application.dfe`), in a cohort its connection covers, is
ever sent (queued while the connection is switched off, sent once it is on).

Each kind has a sender (`@sender`), run by the outbox task with no transaction open: it looks at
what DfE holds first, so a change DfE already has (after a timeout, say) is not sent twice but
ends "not needed" with a note; otherwise it makes the call, then records DfE's answer on the
portal's copy of DfE's records (`DfeApplication`) in a short transaction.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications.models import Application
from assessment.models import Outcome
from participants.models import Enrolment, EnrolmentEvent

from .client import DfeClient, DfeGone, DfeRefused
from .connection import connection_covers, parse_dfe_time
from .identities import participant_get, participant_ids_follow, replacement_for
from .models import (
    LIVE_DECLARATION_STATES,
    Declaration,
    DfeApplication,
    Outgoing,
)
from .outgoing import outgoing_leave_to_staff, outgoing_queue, sender

logger = logging.getLogger(__name__)

APPLICATIONS = "/api/v3/npq-applications"
PARTICIPANTS = "/api/v3/participants/npq"

# DfE's cohorts are capped from 2024: `funded_place` must then be true or false on acceptance
# (and is ignored before). DFE_API.md §2.
CAPPED_FROM_COHORT = 2024
# Courses DfE takes no outcome for (DFE_API.md §2, 8).
NO_OUTCOME_COURSES = ("npq-early-headship-coaching-offer", "npq-additional-support-offer")
LEADERSHIP_COURSES = (
    "npq-senior-leadership",
    "npq-headship",
    "npq-executive-leadership",
    "npq-early-years-leadership",
)

# The portal's withdrawal reasons (EnrolmentEvent.WithdrawalReason) as DfE's codes: the one
# table (dfe/tests/test_decisions.py checks every reason is here, with a code DfE takes).
WITHDRAWAL_REASONS: dict[str, str] = {
    EnrolmentEvent.WithdrawalReason.PERSONAL: "personal-reason-other",
    EnrolmentEvent.WithdrawalReason.WORKLOAD: "insufficient-capacity-to-undertake-programme",
    EnrolmentEvent.WithdrawalReason.LEFT_SCHOOL: "personal-reason-moving-school",
    EnrolmentEvent.WithdrawalReason.CHANGED_ROLE: "change-in-career",
    EnrolmentEvent.WithdrawalReason.HEALTH: "personal-reason-health-or-pregnancy-related",
    EnrolmentEvent.WithdrawalReason.PROGRAMME_NOT_RIGHT: (
        "programme-not-appropriate-for-role-and-cpd-needs"
    ),
    EnrolmentEvent.WithdrawalReason.OTHER: "other",
}

# The portal's deferral reasons (EnrolmentEvent.DeferralReason) as DfE's five codes.
DEFERRAL_REASONS: dict[str, str] = {
    EnrolmentEvent.DeferralReason.BEREAVEMENT: "bereavement",
    EnrolmentEvent.DeferralReason.LONG_TERM_SICKNESS: "long-term-sickness",
    EnrolmentEvent.DeferralReason.PARENTAL_LEAVE: "parental-leave",
    EnrolmentEvent.DeferralReason.CAREER_BREAK: "career-break",
    EnrolmentEvent.DeferralReason.OTHER: "other",
}


def deferral_reason_code(reason: str) -> str:
    """DfE's deferral code for the portal's reason ("other" for one given before the list)."""
    return DEFERRAL_REASONS.get(reason, "other")


def dfe_schedule_for(*, course_identifier: str, starts_on: date) -> str | None:
    """DfE's schedule for a course starting on this date, or None when it cannot be told.

    Leadership and specialist NPQs start in the autumn (September to December) or the spring
    (January to April); EHCO and ASO start in November, December, March or June.
    """
    month = starts_on.month
    if course_identifier in NO_OUTCOME_COURSES:
        prefix = (
            "npq-ehco" if course_identifier == "npq-early-headship-coaching-offer" else "npq-aso"
        )
        season = {11: "november", 12: "december", 3: "march", 6: "june"}.get(month)
        return f"{prefix}-{season}" if season else None
    family = "leadership" if course_identifier in LEADERSHIP_COURSES else "specialist"
    if 9 <= month <= 12:
        return f"npq-{family}-autumn"
    if 1 <= month <= 4:
        return f"npq-{family}-spring"
    return None


# ---- Which DfE application a portal change is about ----


def dfe_application_for(application: Application | None) -> DfeApplication | None:
    """The DfE application linked to this portal application, when the connection it came from
    covers the application's cohort (its DfE cohort and course), switched on or not: a change
    made while staff have switched the connection off is queued, and waits until it is on."""
    if application is None:
        return None
    dfe = DfeApplication.objects.select_related("connection").filter(application=application)
    dfe = dfe.first()
    if dfe is None or not connection_covers(dfe.connection, application.cohort):
        return None
    return dfe


def _dfe_for_place(enrolment: Enrolment) -> DfeApplication | None:
    if not enrolment.application_id:
        return None
    application = Application.objects.select_related("cohort__programme").get(
        pk=enrolment.application_id
    )
    return dfe_application_for(application)


# ---- Queueing: called from the handlers, inside the change's transaction ----


def funded_place_for(
    *, application: Application, dfe_application: DfeApplication
) -> tuple[bool | None, str]:
    """What to tell DfE as `funded_place` on accepting, and a note for staff ("" if none).

    None before DfE's capped cohorts (it is ignored then). From 2024: the portal's funding
    decision (staff's override where there is one), but never true when DfE says the applicant
    is not eligible for funding.
    """
    if dfe_application.cohort_year < CAPPED_FROM_COHORT:
        return None, ""
    decision = application.funding_decision
    funded = bool(decision and decision.effective_funded)
    notes = []
    if decision is None:
        notes.append(
            "The portal has no funding decision for this application, so DfE was told the "
            "place is not funded."
        )
    elif decision.to_be_confirmed:
        notes.append(
            "The portal's funding decision is still to be confirmed; if it changes, the portal "
            "changes the funded place at DfE (which DfE refuses once declarations are made)."
        )
    if funded and not dfe_application.eligible_for_funding:
        funded = False
        notes.append(_NOT_ELIGIBLE_NOTE)
    return funded, " ".join(notes)


_NOT_ELIGIBLE_NOTE = (
    "The portal funds this place, but DfE says the applicant is not eligible for funding, so "
    "DfE was told the place is not funded. Check the funding decision against DfE's."
)


def application_decision_send(*, application: Application, status: str, by=None) -> Outgoing | None:
    """Queue the portal's decision on a linked application for DfE: accept it (with the funded
    place), or reject it (rejected, or withdrawn by the applicant). None when DfE need not hear.
    """
    dfe = dfe_application_for(application)
    if dfe is None:
        return None
    if status == Application.Status.ACCEPTED:
        funded_place, note = funded_place_for(application=application, dfe_application=dfe)
        attributes = {} if funded_place is None else {"funded_place": funded_place}
        body = {"data": {"type": "npq-application-accept", "attributes": attributes}}
        outgoing = outgoing_queue(
            connection=dfe.connection,
            kind=Outgoing.Kind.ACCEPT,
            by=by,
            body=body,
            dfe_application=dfe,
        )
    elif status in (Application.Status.REJECTED, Application.Status.WITHDRAWN):
        note = ""
        if status == Application.Status.WITHDRAWN:
            note = (
                "The applicant withdrew in the portal; DfE has no withdrawal for an application, "
                "so it is rejected there (DfE records it as rejected by the provider)."
            )
        outgoing = outgoing_queue(
            connection=dfe.connection, kind=Outgoing.Kind.REJECT, by=by, dfe_application=dfe
        )
    else:
        return None
    if note:
        outgoing.note = note
        outgoing.save(update_fields=["note", "updated_at"])
    return outgoing


def _funded_place_body(funded_place: bool) -> dict:
    return {
        "data": {
            "type": "npq-application-change-funded-place",
            "attributes": {"funded_place": funded_place},
        }
    }


_FUNDING_CHANGED_AGAIN = "The funding decision changed again before DfE took this change."


@transaction.atomic
def funded_place_change_send(*, application: Application, by=None) -> Outgoing | None:
    """Queue a change of the funded place DfE holds for an accepted, linked application, when its
    funding decision changed and the portal now says otherwise (DfE's capped cohorts only).

    Called when a funding decision changes (dfe/handlers.py). A change to the funded place still
    owed that now says the wrong thing is marked not needed; while DfE has not yet taken the
    acceptance, the acceptance still owed carries the new value instead. None when DfE need not
    hear of it.
    """
    application = Application.objects.select_related("cohort__programme", "funding_decision").get(
        pk=application.pk
    )
    if application.status != Application.Status.ACCEPTED:
        return None
    dfe = dfe_application_for(application)
    if dfe is None or dfe.cohort_year < CAPPED_FROM_COHORT:
        return None
    # Lock what is still owed before the DfE application, in the order a sender takes them (its
    # row, then the DfE application it records DfE's answer on): one at work finishes first.
    owed = list(
        Outgoing.objects.select_for_update()
        .filter(
            dfe_application=dfe,
            kind__in=[Outgoing.Kind.ACCEPT, Outgoing.Kind.CHANGE_FUNDED_PLACE],
            state__in=[Outgoing.State.WAITING, Outgoing.State.REFUSED],
        )
        .order_by("created_at", "pk")
    )
    dfe = DfeApplication.objects.select_for_update().select_related("connection").get(pk=dfe.pk)
    funded_place, note = funded_place_for(application=application, dfe_application=dfe)
    now = timezone.now()
    being_sent = any(
        outgoing.kind == Outgoing.Kind.ACCEPT
        and outgoing.claimed_until is not None
        and outgoing.claimed_until > now
        for outgoing in owed
    )
    if dfe.status != DfeApplication.Status.ACCEPTED and not being_sent:
        # The acceptance still owed carries the new value. One a worker is sending right now
        # went with the old one: a change is queued after it instead (below).
        for outgoing in owed:
            if outgoing.kind == Outgoing.Kind.ACCEPT:
                outgoing.body = {
                    "data": {
                        "type": "npq-application-accept",
                        "attributes": {"funded_place": funded_place},
                    }
                }
                outgoing.note = note
                outgoing.save(update_fields=["body", "note", "updated_at"])
        return None
    already_owed = None
    for outgoing in owed:
        if outgoing.kind != Outgoing.Kind.CHANGE_FUNDED_PLACE:
            continue
        if already_owed is None and _funded_place_of(outgoing) == funded_place:
            already_owed = outgoing
            continue
        outgoing.state = Outgoing.State.NOT_NEEDED
        outgoing.note = " ".join(filter(None, [outgoing.note, _FUNDING_CHANGED_AGAIN]))
        outgoing.save(update_fields=["state", "note", "updated_at"])
    if already_owed is not None:
        return already_owed
    if dfe.funded_place == funded_place:
        return None
    outgoing = outgoing_queue(
        connection=dfe.connection,
        kind=Outgoing.Kind.CHANGE_FUNDED_PLACE,
        by=by,
        body=_funded_place_body(funded_place),
        dfe_application=dfe,
    )
    if note:
        outgoing.note = note
        outgoing.save(update_fields=["note", "updated_at"])
    return outgoing


def _funded_place_of(outgoing: Outgoing) -> bool | None:
    return (outgoing.body or {}).get("data", {}).get("attributes", {}).get("funded_place")


def _participant_body(kind: str, dfe: DfeApplication, **attributes) -> dict:
    return {
        "data": {
            "type": f"participant-{kind}",
            "attributes": {"course_identifier": dfe.course_identifier, **attributes},
        }
    }


def enrolment_deferral_send(*, enrolment: Enrolment, reason: str = "", by=None) -> Outgoing | None:
    """Queue a deferral of a linked place for DfE, with DfE's code for the reason given."""
    dfe = _dfe_for_place(enrolment)
    if dfe is None:
        return None
    return outgoing_queue(
        connection=dfe.connection,
        kind=Outgoing.Kind.DEFER,
        by=by,
        body=_participant_body("defer", dfe, reason=deferral_reason_code(reason)),
        dfe_application=dfe,
        enrolment=enrolment,
    )


def enrolment_resumption_send(*, enrolment: Enrolment, by=None) -> Outgoing | None:
    """Queue the resumption of a linked, deferred place for DfE."""
    dfe = _dfe_for_place(enrolment)
    if dfe is None:
        return None
    return outgoing_queue(
        connection=dfe.connection,
        kind=Outgoing.Kind.RESUME,
        by=by,
        body=_participant_body("resume", dfe),
        dfe_application=dfe,
        enrolment=enrolment,
    )


def enrolment_withdrawal_send(
    *, enrolment: Enrolment, reason: str = "", by=None
) -> Outgoing | None:
    """Queue a withdrawal of a linked place for DfE, its reason as DfE's code (WITHDRAWAL_REASONS;
    a reason outside the list is "other")."""
    dfe = _dfe_for_place(enrolment)
    if dfe is None:
        return None
    code = WITHDRAWAL_REASONS.get(reason or "", "other")
    return outgoing_queue(
        connection=dfe.connection,
        kind=Outgoing.Kind.WITHDRAW,
        by=by,
        body=_participant_body("withdraw", dfe, reason=code),
        dfe_application=dfe,
        enrolment=enrolment,
    )


def enrolment_transfer_send(*, old: Enrolment, new: Enrolment, by=None) -> Outgoing | None:
    """Queue DfE's change of schedule (and cohort) for a linked place moved to another cohort.

    When the portal cannot tell DfE's schedule for the new cohort, or no connection covers it,
    the change is left to staff, with a note saying what to do at DfE.
    """
    dfe = _dfe_for_place(old)
    if dfe is None:
        return None
    cohort = new.cohort
    schedule = dfe_schedule_for(course_identifier=dfe.course_identifier, starts_on=cohort.starts_on)
    if not connection_covers(dfe.connection, cohort):
        return outgoing_leave_to_staff(
            connection=dfe.connection,
            kind=Outgoing.Kind.CHANGE_SCHEDULE,
            by=by,
            dfe_application=dfe,
            enrolment=new,
            note=(
                f"The place moved to {cohort}, which this DfE connection does not cover: move "
                "the participant at DfE yourself, or ask the lead provider to."
            ),
        )
    if schedule is None:
        return outgoing_leave_to_staff(
            connection=dfe.connection,
            kind=Outgoing.Kind.CHANGE_SCHEDULE,
            by=by,
            dfe_application=dfe,
            enrolment=new,
            note=(
                f"The place moved to {cohort}, starting {cohort.starts_on:%d %B %Y}; the portal "
                "cannot tell which of DfE's schedules that is. Change the participant's schedule "
                f"at DfE yourself (DfE cohort {cohort.academic_year})."
            ),
        )
    if schedule == dfe.schedule_identifier and cohort.academic_year == dfe.cohort_year:
        return None  # the same schedule in the same DfE cohort: nothing changes at DfE
    attributes = {"schedule_identifier": schedule}
    if cohort.academic_year != dfe.cohort_year:
        attributes["cohort"] = str(cohort.academic_year)
    return outgoing_queue(
        connection=dfe.connection,
        kind=Outgoing.Kind.CHANGE_SCHEDULE,
        by=by,
        body=_participant_body("change-schedule", dfe, **attributes),
        dfe_application=dfe,
        enrolment=new,
    )


def _completed_declaration(enrolment: Enrolment, dfe: DfeApplication) -> Declaration | None:
    """DfE's completed declaration for the place, once DfE has taken it (not while sending)."""
    live = [state for state in LIVE_DECLARATION_STATES if state != Declaration.State.SENDING]
    return (
        Declaration.objects.filter(Q(enrolment=enrolment) | Q(dfe_application=dfe))
        .filter(declaration_type="completed", state__in=live)
        .order_by("-created_at", "-pk")
        .first()
    )


def _latest_release(enrolment: Enrolment) -> Outcome | None:
    outcomes = Outcome.objects.released().exclude(result=Outcome.Result.VOIDED)
    if enrolment.application_id:  # a place transferred since: its results count too
        outcomes = outcomes.filter(enrolment__application_id=enrolment.application_id)
    else:
        outcomes = outcomes.filter(enrolment=enrolment)
    return outcomes.order_by("-released_at", "-pk").first()


@transaction.atomic
def outcome_send_if_due(*, enrolment: Enrolment, by=None) -> Outgoing | None:
    """Queue the place's assessment result for DfE, once DfE has its completed declaration and
    unless DfE already has this result (from the declaration's has_passed, or sent before).

    Called when an outcome is released and when DfE takes a completed declaration (from the
    declarations' after-completed hook, outside any transaction: it owns its own). A waiting
    outcome that a later result replaces is not sent.
    """
    enrolment = Enrolment.objects.get(pk=enrolment.pk)
    result = enrolment.assessment_result
    if result not in (Enrolment.AssessmentResult.PASSED, Enrolment.AssessmentResult.FAILED):
        return None
    dfe = _dfe_for_place(enrolment)
    if dfe is None or dfe.course_identifier in NO_OUTCOME_COURSES:
        return None
    completed = _completed_declaration(enrolment, dfe)
    if completed is None:
        return None  # DfE takes no outcome before the completed declaration
    # A release and DfE taking the completed declaration at once must queue one outcome.
    DfeApplication.objects.select_for_update().filter(pk=dfe.pk).first()
    sent = (
        Outgoing.objects.filter(dfe_application=dfe, kind=Outgoing.Kind.OUTCOME)
        .exclude(state__in=[Outgoing.State.REFUSED, Outgoing.State.NOT_NEEDED])
        .order_by("-created_at", "-pk")
        .first()
    )
    if sent is not None and sent.created_at >= completed.created_at:
        dfe_has = sent.body["data"]["attributes"]["state"]
    elif completed.has_passed is not None:
        dfe_has = "passed" if completed.has_passed else "failed"
    else:
        dfe_has = None
    if dfe_has == result:
        return None
    release = _latest_release(enrolment)
    released_on = timezone.localdate(release.released_at) if release else timezone.localdate()
    Outgoing.objects.filter(
        dfe_application=dfe, kind=Outgoing.Kind.OUTCOME, state=Outgoing.State.WAITING
    ).update(
        state=Outgoing.State.NOT_NEEDED,
        note="A later result replaced this one before DfE took it.",
        updated_at=timezone.now(),
    )
    body = {
        "data": {
            "type": "npq-outcome-confirmation",
            "attributes": {
                "course_identifier": dfe.course_identifier,
                "state": result,
                "completion_date": released_on.isoformat(),
            },
        }
    }
    return outgoing_queue(
        connection=dfe.connection,
        kind=Outgoing.Kind.OUTCOME,
        by=by,
        body=body,
        dfe_application=dfe,
        enrolment=enrolment,
    )


# ---- Senders: run by the outbox task with no transaction open ----
# Each asks DfE first and calls DfE with nothing locked; the portal's copy of DfE's records
# (`DfeApplication`) is written after DfE's last answer, in a short transaction.


def _mirror_application(dfe: DfeApplication, record: dict) -> None:
    """Keep the portal's copy of DfE's application as DfE just answered."""
    attributes = record.get("attributes") or {}
    dfe.status = attributes.get("status") or dfe.status
    dfe.funded_place = attributes.get("funded_place")
    dfe.eligible_for_funding = bool(attributes.get("eligible_for_funding"))
    dfe.schedule_identifier = attributes.get("schedule_identifier") or ""
    dfe.dfe_updated_at = parse_dfe_time(attributes.get("updated_at")) or dfe.dfe_updated_at
    with transaction.atomic():
        dfe.save(
            update_fields=[
                "status",
                "funded_place",
                "eligible_for_funding",
                "schedule_identifier",
                "dfe_updated_at",
                "updated_at",
            ]
        )


def _application_record(client: DfeClient, dfe: DfeApplication) -> dict:
    """DfE's application as DfE holds it now (not yet written on the portal's copy)."""
    return client.get(f"{APPLICATIONS}/{dfe.dfe_id}").get("data") or {}


@sender(Outgoing.Kind.ACCEPT)
def accept_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Accept the application at DfE, unless DfE shows it accepted already."""
    dfe = outgoing.dfe_application
    record = _application_record(client, dfe)
    attributes_at_dfe = record.get("attributes") or {}
    if attributes_at_dfe.get("status") == DfeApplication.Status.ACCEPTED:
        _mirror_application(dfe, record)
        return "DfE already shows this application accepted."
    body = outgoing.body or None
    attributes = (body or {}).get("data", {}).get("attributes", {})
    if attributes.get("funded_place") and not attributes_at_dfe.get("eligible_for_funding"):
        # DfE's eligibility changed since the decision was queued: never send true then.
        attributes["funded_place"] = False
        outgoing.note = " ".join(filter(None, [outgoing.note, _NOT_ELIGIBLE_NOTE]))
        outgoing.save(update_fields=["body", "note", "updated_at"])
    record = client.post(f"{APPLICATIONS}/{dfe.dfe_id}/accept", body).get("data") or {}
    _mirror_application(dfe, record)
    return None


@sender(Outgoing.Kind.REJECT)
def reject_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Reject the application at DfE, unless DfE shows it rejected already."""
    dfe = outgoing.dfe_application
    record = _application_record(client, dfe)
    if (record.get("attributes") or {}).get("status") == DfeApplication.Status.REJECTED:
        _mirror_application(dfe, record)
        return "DfE already shows this application rejected."
    record = client.post(f"{APPLICATIONS}/{dfe.dfe_id}/reject").get("data") or {}
    _mirror_application(dfe, record)
    return None


_DECLARATIONS_STAND_NOTE = (
    "DfE does not change a funded place while the participant has declarations. To change it: "
    "void their declarations on the Declarations page, send this change again, then send the "
    "declarations again (once voided they are listed as ready)."
)


@sender(Outgoing.Kind.CHANGE_FUNDED_PLACE)
def funded_place_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Change the funded place at DfE, unless DfE holds that value already. When DfE refuses
    because declarations stand, the note tells staff how to put it right."""
    dfe = outgoing.dfe_application
    record = _application_record(client, dfe)
    at_dfe = record.get("attributes") or {}
    attributes = outgoing.body["data"]["attributes"]
    if attributes["funded_place"] and not at_dfe.get("eligible_for_funding"):
        # DfE's eligibility changed since the change was queued: never send true then.
        attributes["funded_place"] = False
        outgoing.note = " ".join(filter(None, [outgoing.note, _NOT_ELIGIBLE_NOTE]))
        outgoing.save(update_fields=["body", "note", "updated_at"])
    if at_dfe.get("funded_place") == attributes["funded_place"]:
        _mirror_application(dfe, record)
        funded = "funded" if attributes["funded_place"] else "not funded"
        return f"DfE already shows the place as {funded}."
    try:
        record = client.put(f"{APPLICATIONS}/{dfe.dfe_id}/change-funded-place", outgoing.body)
    except DfeRefused as refused:
        if "declaration" in str(refused).lower() and _DECLARATIONS_STAND_NOTE not in outgoing.note:
            outgoing.note = " ".join(filter(None, [outgoing.note, _DECLARATIONS_STAND_NOTE]))
            outgoing.save(update_fields=["note", "updated_at"])
        raise
    _mirror_application(dfe, record.get("data") or {})
    return None


def _participant_enrolment(client: DfeClient, dfe: DfeApplication) -> tuple[dict, dict]:
    """DfE's participant (following a retired participant id) and its enrolment on the
    application's course; the portal's copy is not written yet (`_mirror_enrolment`)."""
    record = participant_get(client=client, participant_id=str(dfe.participant_id))
    dfe.refresh_from_db(fields=["participant_id"])
    return record, _enrolment_of(dfe, record)


def _enrolment_of(dfe: DfeApplication, record: dict) -> dict:
    enrolments = (record.get("attributes") or {}).get("npq_enrolments") or []
    return next((e for e in enrolments if e.get("course_identifier") == dfe.course_identifier), {})


def _mirror_enrolment(dfe: DfeApplication, record: dict) -> dict:
    """Keep the portal's copy of the participant's training status, schedule and cohort as DfE
    just answered, in a short transaction."""
    enrolment = _enrolment_of(dfe, record)
    if enrolment:
        dfe.training_status = enrolment.get("training_status") or ""
        dfe.schedule_identifier = enrolment.get("schedule_identifier") or ""
        if enrolment.get("cohort"):
            dfe.cohort_year = int(enrolment["cohort"])
        with transaction.atomic():
            dfe.save(
                update_fields=[
                    "training_status",
                    "schedule_identifier",
                    "cohort_year",
                    "updated_at",
                ]
            )
    return enrolment


def _participant_change(
    client: DfeClient, outgoing: Outgoing, *, action: str, done: str, already: str
) -> str | None:
    dfe = outgoing.dfe_application
    record, enrolment = _participant_enrolment(client, dfe)
    if enrolment.get("training_status") == done:
        _mirror_enrolment(dfe, record)
        return already
    record = client.put(f"{PARTICIPANTS}/{dfe.participant_id}/{action}", outgoing.body)
    _mirror_enrolment(dfe, record.get("data") or {})
    return None


@sender(Outgoing.Kind.DEFER)
def defer_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Defer the participant at DfE, unless DfE shows them deferred already."""
    return _participant_change(
        client,
        outgoing,
        action="defer",
        done="deferred",
        already="DfE already shows the participant deferred.",
    )


@sender(Outgoing.Kind.RESUME)
def resume_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Resume the participant at DfE, unless DfE shows them active already."""
    return _participant_change(
        client,
        outgoing,
        action="resume",
        done="active",
        already="DfE already shows the participant active.",
    )


@sender(Outgoing.Kind.WITHDRAW)
def withdraw_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Withdraw the participant at DfE, unless DfE shows them withdrawn already."""
    return _participant_change(
        client,
        outgoing,
        action="withdraw",
        done="withdrawn",
        already="DfE already shows the participant withdrawn.",
    )


@sender(Outgoing.Kind.CHANGE_SCHEDULE)
def change_schedule_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Change the participant's schedule (and cohort) at DfE, unless DfE has them on it."""
    dfe = outgoing.dfe_application
    participant, enrolment = _participant_enrolment(client, dfe)
    attributes = outgoing.body["data"]["attributes"]
    cohort = attributes.get("cohort") or enrolment.get("cohort")
    if (
        enrolment.get("schedule_identifier") == attributes["schedule_identifier"]
        and enrolment.get("cohort") == cohort
    ):
        _mirror_enrolment(dfe, participant)
        return "DfE already has the participant on this schedule and cohort."
    record = client.put(f"{PARTICIPANTS}/{dfe.participant_id}/change-schedule", outgoing.body)
    _mirror_enrolment(dfe, record.get("data") or {})
    return None


@sender(Outgoing.Kind.OUTCOME)
def outcome_send(client: DfeClient, outgoing: Outgoing) -> str | None:
    """Send the participant's outcome to DfE (DfE answers a repeat of its latest with that one,
    so sending again after a timeout makes no second outcome)."""
    dfe = outgoing.dfe_application
    try:
        client.post(f"{PARTICIPANTS}/{dfe.participant_id}/outcomes", outgoing.body)
    except DfeGone as gone:
        participant_ids_follow(gone.participant_id_changes)
        new = replacement_for(str(dfe.participant_id), gone)
        if new is None:
            raise
        dfe.refresh_from_db(fields=["participant_id"])
        client.post(f"{PARTICIPANTS}/{new}/outcomes", outgoing.body)
    return None
