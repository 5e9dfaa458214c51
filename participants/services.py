"""Changes of state for places: enrolment moves and transfers, registers, module progress."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from applications.services import (
    application_email_later,
    waitlist_live_offers,
    waitlist_offer_next,
)
from cohorts.models import Cohort, ModuleWindow, Session
from cohorts.services import cohort_places_changed
from npq_portal.emails import email_send_once
from npq_portal.models import User
from npq_portal.outbox import outbox_enqueue
from npq_portal.services import password_set_url, user_for_person
from npq_portal.signals import rows_written
from npq_portal.uploads import (
    HEAD_BYTES,
    file_kind,
    not_text,
    refuse_if_too_large,
    uploaded_csv,
)
from programmes.models import Programme, ProgrammeGrant
from schools.models import SchoolProgrammeYear
from schools.services import programme_year_record

from .models import (
    Attendance,
    AttendanceChange,
    Charge,
    ChargeEvent,
    Enrolment,
    EnrolmentEvent,
    GrantClaim,
    ModulePhaseDone,
    SchoolPlace,
    SchoolPlaceEvent,
)
from .participation import ATTENDED
from .signals import (
    enrolment_deferred,
    enrolment_resumed,
    enrolment_transferred,
    enrolment_withdrawn,
)
from .tasks import work_group_place_email_task

logger = logging.getLogger(__name__)


def _enrolment_move(
    enrolment: Enrolment, *, to: str, by: User | None, reason: str = "", tell: bool = True
) -> Enrolment:
    EnrolmentEvent.objects.create(
        enrolment=enrolment, from_status=enrolment.status, to_status=to, by=by, reason=reason
    )
    enrolment.status = to
    enrolment.save(update_fields=["status", "updated_at"])
    if tell and enrolment.application_id:
        # Which place and which change: the email describes this event, whatever follows.
        occasion = f"enrolment-{enrolment.pk}-{to}-{enrolment.events.count()}"
        application_email_later(enrolment.application_id, "enrolment_changed", occasion)
    return enrolment


def places_taken(cohort) -> int:
    """How many of the cohort's places are held: people's places (active or deferred), or for
    a Work Group that schools sign up to as teams, schools' places (taking part or completed).
    The one definition of places taken, which every page reads from the cohort
    (Cohort.places_taken)."""
    if Programme.objects.filter(pk=cohort.programme_id, participation=TEAMS).exists():
        return SchoolPlace.objects.filter(cohort=cohort).holding_a_place().count()
    return Enrolment.objects.filter(cohort=cohort).holding_a_place().count()


def places_recount(*, cohort_ids: Iterable[int]) -> None:
    """Store each cohort's places taken as places_taken counts them, in one query, however
    its places were made: through the services, or directly (the demo, the admin, a script)."""
    held = (
        Enrolment.objects.filter(cohort=OuterRef("pk"))
        .holding_a_place()
        .order_by()
        .values("cohort")
        .annotate(count=Count("pk"))
        .values("count")
    )
    schools = (
        SchoolPlace.objects.filter(cohort=OuterRef("pk"))
        .holding_a_place()
        .order_by()
        .values("cohort")
        .annotate(count=Count("pk"))
        .values("count")
    )
    cohorts = Cohort.objects.filter(pk__in=list(cohort_ids))
    cohorts.exclude(programme__participation=TEAMS).update(places_taken=Coalesce(Subquery(held), 0))
    cohorts.filter(programme__participation=TEAMS).update(
        places_taken=Coalesce(Subquery(schools), 0)
    )


TEAMS = Programme.Participation.SCHOOL_TEAM


def _places_changed(cohort) -> None:
    """Tell the cohort how many places are taken, then offer any free one to the waiting list."""
    cohort_places_changed(cohort=cohort, places_taken=places_taken(cohort))
    waitlist_offer_next(cohort=cohort)


ENROLMENT_MOVES = {
    Enrolment.Status.ACTIVE: {
        Enrolment.Status.DEFERRED,
        Enrolment.Status.WITHDRAWN,
        Enrolment.Status.COMPLETED,
    },
    Enrolment.Status.DEFERRED: {Enrolment.Status.ACTIVE, Enrolment.Status.WITHDRAWN},
    Enrolment.Status.WITHDRAWN: set(),
    Enrolment.Status.COMPLETED: set(),
}


@transaction.atomic
def enrolment_change(*, enrolment: Enrolment, to: str, by: User, reason: str = "") -> Enrolment:
    """Defer, resume, withdraw or complete a place, recording who, when and why.

    Raises ValidationError for a move its status does not allow, or a withdrawal or deferral
    without one of its fixed reasons (DfE is told which). A withdrawal frees the place for the
    waiting list.
    """
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if to not in ENROLMENT_MOVES[enrolment.status]:
        raise ValidationError(
            f"A place that is {enrolment.get_status_display().lower()} cannot become "
            f"{Enrolment.Status(to).label.lower()}."
        )
    if to == Enrolment.Status.WITHDRAWN and reason not in EnrolmentEvent.WithdrawalReason.values:
        raise ValidationError("Choose why they are withdrawing from the list.")
    if to == Enrolment.Status.DEFERRED and reason not in EnrolmentEvent.DeferralReason.values:
        raise ValidationError("Choose why the place is deferred from the list.")
    cohort = Cohort.objects.select_for_update(no_key=True).get(pk=enrolment.cohort_id)
    enrolment = _enrolment_move(enrolment, to=to, by=by, reason=reason)
    if to == Enrolment.Status.WITHDRAWN:
        enrolment_withdrawn.send(sender=Enrolment, enrolment=enrolment, reason=reason, by=by)
        _places_changed(cohort)
    if to == Enrolment.Status.DEFERRED:
        enrolment_deferred.send(sender=Enrolment, enrolment=enrolment, reason=reason, by=by)
    if to == Enrolment.Status.ACTIVE:
        enrolment_resumed.send(sender=Enrolment, enrolment=enrolment, by=by)
    if to == Enrolment.Status.COMPLETED:
        school_history_from_place(enrolment=enrolment, cohort=cohort)
    return enrolment


def school_history_from_place(*, enrolment: Enrolment, cohort) -> None:
    """A teacher's own place in a Maths Hub programme counts in their school's Work Group
    history (e.g. a Primary Mastery Specialist's school, which Sustaining allows): taking part
    when the place is made, completed when it is. A school's team place keeps its own."""
    if enrolment.school_place_id or not enrolment.application_id:
        return
    programme = cohort.programme
    school_id = enrolment.application.school_id
    if programme.family != Programme.Family.MATHS_HUB or school_id is None:
        return
    completed = enrolment.status == Enrolment.Status.COMPLETED
    year = SchoolProgrammeYear.objects.filter(
        school_id=school_id,
        programme=programme,
        academic_year=cohort.academic_year,
        source=SchoolProgrammeYear.Source.PORTAL,
    ).first()
    if year is not None and not completed:
        return  # another teacher's place already counts; never undo a completion
    programme_year_record(
        school=enrolment.application.school,
        programme=programme,
        academic_year=cohort.academic_year,
        status=(
            SchoolProgrammeYear.Status.COMPLETED
            if completed
            else SchoolProgrammeYear.Status.TAKING_PART
        ),
    )


@transaction.atomic
def enrolment_record_assessment(*, enrolment: Enrolment, result: str, by: User | None) -> Enrolment:
    """Record a place's latest released assessment result; a pass completes an active place.

    The assessment app calls this when it releases an outcome (and emails the result itself,
    so completing sends no second email). Raises ValueError for a result other than passed
    or failed.
    """
    if result not in (Enrolment.AssessmentResult.PASSED, Enrolment.AssessmentResult.FAILED):
        raise ValueError(f"Not an assessment result: {result!r}")
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    enrolment.assessment_result = result
    enrolment.save(update_fields=["assessment_result", "updated_at"])
    if result == Enrolment.AssessmentResult.PASSED and enrolment.status == Enrolment.Status.ACTIVE:
        enrolment = _enrolment_move(
            enrolment,
            to=Enrolment.Status.COMPLETED,
            by=by,
            reason="Passed the summative assessment.",
            tell=False,
        )
    return enrolment


@transaction.atomic
def enrolment_transfer(*, enrolment: Enrolment, to_cohort, by: User, reason: str) -> Enrolment:
    """Move a participant to another cohort of the same programme, keeping their history.

    Raises ValidationError when the other cohort is full, of another programme, or the same.
    """
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status not in {Enrolment.Status.ACTIVE, Enrolment.Status.DEFERRED}:
        raise ValidationError("Only a current place can be transferred.")
    if to_cohort.pk == enrolment.cohort_id:
        raise ValidationError("They are already in that cohort.")
    # Lock both cohorts in one order, so two transfers the other way round cannot deadlock.
    cohorts = {
        c.pk: c
        for c in Cohort.objects.select_for_update(no_key=True)
        .filter(pk__in=[enrolment.cohort_id, to_cohort.pk])
        .order_by("pk")
    }
    source, target = cohorts[enrolment.cohort_id], cohorts[to_cohort.pk]
    if source.programme_id != target.programme_id:
        raise ValidationError("A place can only move to a cohort of the same programme.")
    if places_taken(target) + waitlist_live_offers(target).count() >= target.capacity:
        raise ValidationError(f"{target} is full.")
    _enrolment_move(
        enrolment, to=Enrolment.Status.WITHDRAWN, by=by, reason=f"Transferred to {target}: {reason}"
    )
    moved = Enrolment.objects.create(
        participant_id=enrolment.participant_id,
        cohort=target,
        application_id=enrolment.application_id,
        transferred_from=enrolment,
    )
    EnrolmentEvent.objects.create(
        enrolment=moved,
        from_status=Enrolment.Status.ACTIVE,
        to_status=Enrolment.Status.ACTIVE,
        by=by,
        reason=f"Transferred from {source}: {reason}",
    )
    # The charge for the place goes with it: the same amount, still owed by the same payer.
    charge = Charge.objects.select_for_update().filter(enrolment=enrolment).first()
    if charge is not None:
        charge.enrolment = moved
        charge.save(update_fields=["enrolment", "updated_at"])
        ChargeEvent.objects.create(
            charge=charge,
            from_status=charge.status,
            to_status=charge.status,
            by=by,
            reason=f"Moved with the place from {source} to {target}.",
        )
    enrolment_transferred.send(sender=Enrolment, old=enrolment, new=moved, by=by)
    _places_changed(source)
    _places_changed(target)
    return moved


def register_enrolments(session):
    """Who is on a session's register: everyone with an active place in its cohort, and anyone
    already marked (so a mark can still be corrected after they leave), in name order."""
    from django.db.models import Q

    # Those marked are found by id (no join to every mark, and so no DISTINCT over the rows).
    marked = Attendance.objects.filter(session=session).values("enrolment_id")
    return (
        Enrolment.objects.filter(cohort_id=session.cohort_id)
        .filter(Q(status=Enrolment.Status.ACTIVE) | Q(pk__in=marked))
        .select_related("participant")
        .order_by("participant__last_name", "participant__first_name", "pk")
    )


@dataclass(frozen=True)
class RegisterResult:
    recorded: int  # marks recorded for the first time
    corrected: int  # marks changed


@transaction.atomic
def register_take(
    *, session, marks: dict[int, str], by: User | None, reason: str = ""
) -> RegisterResult:
    """Record a session's register, one mark per enrolment id. Changing a mark already on the
    register is a correction: it needs a reason, kept with the old and the new mark.

    Raises ValidationError for a session cancelled or still to come, a mark for someone not on
    the register, an unknown mark, or a correction without a reason; then nothing changes.
    """
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.status != Session.Status.SCHEDULED:
        raise ValidationError("Registers are taken for scheduled sessions only.")
    if not session.register_is_open:
        raise ValidationError(
            f"This session is on {timezone.localtime(session.starts_at):%-d %B}: "
            "take its register on the day."
        )
    unknown_marks = set(marks.values()) - set(Attendance.Mark.values)
    if unknown_marks:
        raise ValidationError("Choose present, late, absent or excused for each person.")
    on_register = set(register_enrolments(session).values_list("pk", flat=True))
    if set(marks) - on_register:
        raise ValidationError("Someone marked is not on this session's register.")
    existing = {a.enrolment_id: a for a in Attendance.objects.filter(session=session)}
    changes = [
        (existing[pk], mark)
        for pk, mark in marks.items()
        if pk in existing and existing[pk].mark != mark
    ]
    reason = reason.strip()
    if changes and not reason:
        raise ValidationError(
            f"{len(changes)} mark{'s' if len(changes) != 1 else ''} already recorded would "
            "change: say why, so the register's history makes sense."
        )
    Attendance.objects.bulk_create(
        Attendance(session=session, enrolment_id=pk, mark=mark, recorded_by=by)
        for pk, mark in marks.items()
        if pk not in existing
    )
    rows_written.send(sender=Attendance, cohort_ids={session.cohort_id})
    for attendance, mark in changes:
        AttendanceChange.objects.create(
            attendance=attendance, from_mark=attendance.mark, to_mark=mark, by=by, reason=reason
        )
        attendance.mark = mark
        attendance.recorded_by = by
        attendance.save(update_fields=["mark", "recorded_by", "recorded_at"])
    return RegisterResult(
        recorded=sum(1 for pk in marks if pk not in existing), corrected=len(changes)
    )


@dataclass(frozen=True)
class RegisterImportResult:
    present: int
    absent: int
    not_on_register: list[str]  # addresses in the file that match no one on the register
    corrected: int


@transaction.atomic
def register_import(*, session, source: IO[bytes], by: User | None, reason: str = ""):
    """Mark a session's register from a CSV of the email addresses of those who attended (an
    online meeting's attendance report): those in it present (late stays late), the rest
    absent (excused stays excused).

    Raises ValidationError, naming the row, when a row holds something that is not an email
    address, or when the file has no addresses; then nothing changes. Addresses of people not
    on the register (a guest, the facilitator) are listed back, not refused.
    """
    from django.core.validators import validate_email

    rows = [record for _, record in uploaded_csv(source, nothing_done="Nothing changed.")]
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    column = next((i for i, name in enumerate(header) if "email" in name), None)
    first_data_row = 2 if column is not None else 1
    if column is None:  # no header: the first cell that looks like an address says where
        column = next((i for i, cell in enumerate(header) if "@" in cell), None)
    if column is None:
        raise ValidationError(
            "No email addresses found: the file needs a column headed “Email” (or only "
            "addresses). Nothing changed."
        )
    attended: set[str] = set()
    for line, record in enumerate(rows[first_data_row - 1 :], start=first_data_row):
        value = record[column].strip() if len(record) > column else ""
        if not value:
            continue
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(
                f"Row {line}: “{value[:60]}” is not an email address. Nothing changed."
            ) from None
        attended.add(value.lower())
    if not attended:
        raise ValidationError("The file has no email addresses in it. Nothing changed.")
    # Lock the session before reading its marks, as register_take does: a correction saved
    # meanwhile must not be overwritten by marks worked out from the register before it.
    session = Session.objects.select_for_update().get(pk=session.pk)
    existing = dict(Attendance.objects.filter(session=session).values_list("enrolment_id", "mark"))
    marks, known = {}, set()
    for enrolment in register_enrolments(session):
        email = enrolment.participant.email.lower()
        before = existing.get(enrolment.pk)
        if email in attended:
            known.add(email)
            marks[enrolment.pk] = before if before == Attendance.Mark.LATE else "present"
        else:
            marks[enrolment.pk] = before if before == Attendance.Mark.EXCUSED else "absent"
    result = register_take(session=session, marks=marks, by=by, reason=reason)
    return RegisterImportResult(
        present=sum(1 for mark in marks.values() if mark in ATTENDED),
        absent=sum(1 for mark in marks.values() if mark not in ATTENDED),
        not_on_register=sorted(attended - known),
        corrected=result.corrected,
    )


@transaction.atomic
def module_phase_set(*, enrolment: Enrolment, module, phase: str, done: bool, by: User) -> None:
    """Tick (or untick) a phase of a module as finished, for the participant or by staff.

    Raises ValidationError for a module not in the cohort's timetable, an unknown phase, or,
    for the participant, a module not open yet or a place that is not active.
    """
    if phase not in ModulePhaseDone.Phase.values:
        raise ValidationError("Choose the study or the application phase.")
    window = ModuleWindow.objects.filter(cohort_id=enrolment.cohort_id, module=module).first()
    if window is None:
        raise ValidationError("That module is not in this cohort's timetable.")
    if by.pk == enrolment.participant_id:
        if enrolment.status != Enrolment.Status.ACTIVE:
            raise ValidationError("Your place is not active, so progress cannot change.")
        if window.opens_on > timezone.localdate():
            raise ValidationError(f"{module} opens on {window.opens_on:%-d %B %Y}.")
    if done:  # a double click, or two tabs, find the first one's record
        ModulePhaseDone.objects.get_or_create(
            enrolment=enrolment, module=module, phase=phase, defaults={"by": by}
        )
    else:
        ModulePhaseDone.objects.filter(enrolment=enrolment, module=module, phase=phase).delete()


# ---- Charges: what a place that is not funded costs, and its payment ----


def _charge_payer(application) -> dict:
    """Who pays, from the payment question's answer, with the details an invoice needs. With
    no answer (a programme that does not ask), the school pays when there is one."""
    answer = application.answers.get("payment")
    school = application.school
    if answer not in Charge.Payer.values:
        answer = Charge.Payer.SCHOOL if school else Charge.Payer.SELF
    applicant = application.applicant
    if answer == Charge.Payer.SELF:
        return {
            "payer": answer,
            "payer_name": applicant.get_full_name() or applicant.email,
            "payer_reference": applicant.email,
            "payer_email": applicant.email,
        }
    # A trust pays for its school: the portal holds the school's details, not the trust's.
    name = school.name if school else application.answers.get("school_name", "")
    return {
        "payer": answer,
        "payer_name": name or applicant.get_full_name() or applicant.email,
        "payer_reference": str(school.urn) if school else applicant.email,
        "payer_email": application.school_decided_by_email or application.approver_email,
        "payer_town": school.town if school else "",
        "payer_postcode": school.postcode if school else "",
    }


def charge_raise(*, enrolment: Enrolment, application) -> Charge | None:
    """Make the charge for a place just offered, when it is not funded and the cohort has a fee
    (the amount is the cohort's fee now); None when there is nothing to pay. The caller holds
    the transaction and the cohort's lock (accepting an application makes the place)."""
    decision = application.funding_decision
    if decision is not None and decision.effective_funded:
        return None
    cohort = Cohort.objects.select_related("programme").get(pk=enrolment.cohort_id)
    if not cohort.effective_fee:
        return None
    charge = Charge.objects.create(
        enrolment=enrolment, amount=cohort.effective_fee, **_charge_payer(application)
    )
    ChargeEvent.objects.create(
        charge=charge,
        to_status=charge.status,
        reason="The place was offered and is not funded.",
    )
    return charge


def _charge_move(charge: Charge, *, to: str, by: User, reason: str = "") -> Charge:
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    if not charge.can_move_to(to):
        if to == Charge.Status.PAID and charge.status == Charge.Status.TO_INVOICE:
            raise ValidationError(
                f"{charge.invoice_reference} is not invoiced yet: mark it invoiced first."
            )
        raise ValidationError(
            f"{charge.invoice_reference} is {charge.get_status_display().lower()}, so it "
            f"cannot be marked {Charge.Status(to).label.lower()}."
        )
    ChargeEvent.objects.create(
        charge=charge, from_status=charge.status, to_status=to, by=by, reason=reason
    )
    charge.status = to
    if to == Charge.Status.WAIVED:
        charge.waived_reason = reason
    charge.save(update_fields=["status", "waived_reason", "updated_at"])
    return charge


@transaction.atomic
def charge_mark_invoiced(*, charge: Charge, by: User) -> Charge:
    """Record that the payer has been invoiced, with who and when.

    Raises ValidationError unless the charge is still to invoice.
    """
    return _charge_move(charge, to=Charge.Status.INVOICED, by=by)


@transaction.atomic
def charge_mark_paid(*, charge: Charge, by: User) -> Charge:
    """Record that the invoice has been paid, with who and when.

    Raises ValidationError unless the charge has been invoiced (and not paid or waived).
    """
    return _charge_move(charge, to=Charge.Status.PAID, by=by)


@transaction.atomic
def charge_waive(*, charge: Charge, by: User, reason: str) -> Charge:
    """Let the payer off the charge, with the reason why (e.g. the place was withdrawn before
    it was invoiced).

    Raises ValidationError without a reason, or once the charge is paid or waived.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the charge is waived: it is kept with the charge.")
    return _charge_move(charge, to=Charge.Status.WAIVED, by=by, reason=reason)


def school_place_make(*, application, cohort) -> SchoolPlace:
    """The school's place in the Work Group for its accepted team sign-up, and a place for
    each person it named (linked to their account, or a new one they are invited to set a
    password for); the school's year goes into its history and the programme's grant for the
    year, if it has one, is owed to it. The caller holds the cohort's lock.

    Raises ValidationError when someone named already holds a place in the cohort.
    """
    members = list(application.team_members.select_related("slot", "user"))
    people = []
    for member in members:
        user, made = (
            (member.user, False)
            if member.user_id
            else user_for_person(
                email=member.email, first_name=member.first_name, last_name=member.last_name
            )
        )
        if Enrolment.objects.filter(participant=user, cohort=cohort).holding_a_place().exists():
            raise ValidationError(
                f"{member.first_name} {member.last_name} ({member.email}) already has a place "
                f"in {cohort}: ask the school to name someone else first."
            )
        if member.user_id != user.pk:
            member.user = user
            member.save(update_fields=["user"])
        people.append((member, user, made))
    place = SchoolPlace.objects.create(
        cohort=cohort, school_id=application.school_id, application=application
    )
    for member, user, made in people:
        enrolment = Enrolment.objects.create(
            participant=user,
            cohort=cohort,
            application=application,
            school_place=place,
            role_slot=member.slot,
        )
        enrolment_welcome_later(enrolment.pk, invite=made)
    programme_year_record(
        school=application.school,
        programme=cohort.programme,
        academic_year=cohort.academic_year,
        status=SchoolProgrammeYear.Status.TAKING_PART,
    )
    grant = ProgrammeGrant.objects.filter(
        programme_id=cohort.programme_id, academic_year=cohort.academic_year
    ).first()
    if grant is not None:
        GrantClaim.objects.create(school_place=place, amount=grant.amount, purpose=grant.purpose)
    return place


def enrolment_welcome_later(enrolment_id: int, *, invite: bool) -> None:
    """Tell a person a school named that they have a place, once the change commits, through
    the outbox."""
    outbox_enqueue(work_group_place_email_task, enrolment_id, invite)


def work_group_place_email(*, enrolment: Enrolment, invite: bool) -> None:
    """Email someone their place in their school's Work Group team: what, when, and how to
    sign in (with a link to set their password when their account was made for them)."""
    user = enrolment.participant
    email_send_once(
        to=user.email,
        kind="work_group_place",
        about=enrolment,
        occasion="made",
        context={
            "enrolment": enrolment,
            "cohort": enrolment.cohort,
            "school": enrolment.school_place.school,
            "slot": enrolment.role_slot,
            "user": user,
            "set_password_url": (
                password_set_url(user) if invite and not user.has_usable_password() else ""
            ),
            "home_url": settings.SITE_URL + reverse("home"),
        },
    )


# ---- Work Groups: a school's place through the year (its plan, evaluation, completion,
# withdrawal, and a member replaced) ----

TEXT = "text"
ACTION_PLAN_KINDS = ("a PDF", "a Word document (.docx)", "a text file")


def _action_plan_kind(data: bytes) -> str:
    """What an uploaded action plan is ("pdf", "docx" or "text"), judged by its bytes.

    Raises ValidationError for an empty file or anything else, whatever its name says.
    """
    if not data:
        raise ValidationError("The file is empty: choose the file with your action plan in it.")
    kind = file_kind(data)
    if kind is not None:
        return kind
    if not_text(data[:HEAD_BYTES]) is None:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return TEXT
    raise ValidationError(
        "Upload the action plan as a PDF, a Word document (.docx) or a text file. This file "
        "is none of those, whatever its name says. Nothing was saved."
    )


def _school_place_for_writing(place: SchoolPlace) -> SchoolPlace:
    place = SchoolPlace.objects.select_for_update().get(pk=place.pk)
    if place.status == SchoolPlace.Status.WITHDRAWN:
        raise ValidationError("The school has withdrawn from this Work Group: nothing can change.")
    return place


@transaction.atomic
def school_place_save_plan(
    *, place: SchoolPlace, by: User, text: str, upload=None, remove_file: bool = False
) -> SchoolPlace:
    """Save the school's action plan: its text, and a file (a PDF, Word document or text
    file, replacing one uploaded before) or the file taken off.

    Raises ValidationError for a school that has withdrawn, or a file too large or of another
    kind; then nothing is saved.
    """
    data = None
    if upload is not None:
        refuse_if_too_large(upload, limit="assessment")  # the limit assessment uploads have
        data = upload.read()
        _action_plan_kind(data)
    place = _school_place_for_writing(place)
    old = place.action_plan_file.name if place.action_plan_file else ""
    place.action_plan = text.strip()
    if data is not None:
        place.action_plan_file.save("action-plan", ContentFile(data), save=False)
        place.action_plan_filename = os.path.basename(upload.name or "")[:255] or "action-plan"
    elif remove_file:
        place.action_plan_file = ""
        place.action_plan_filename = ""
    place.action_plan_updated_at = timezone.now()
    # Only what it changes: a plan saved takes no place, so the cohort's count is not touched
    # (and its row not locked, which a withdrawal locks first).
    place.save(
        update_fields=[
            "action_plan",
            "action_plan_file",
            "action_plan_filename",
            "action_plan_updated_at",
            "updated_at",
        ]
    )
    if old and (data is not None or remove_file):
        storage = place.action_plan_file.storage
        transaction.on_commit(lambda: storage.delete(old))
    logger.info("School place %s: action plan saved by user %s", place.pk, by.pk)
    return place


EVALUATION_FIELDS = {
    "pupil_outcomes": "evaluation_pupil_outcomes",
    "practice": "evaluation_practice",
    "professional_learning": "evaluation_professional_learning",
    "whole_school": "evaluation_whole_school",
}


@transaction.atomic
def school_place_save_evaluation(
    *,
    place: SchoolPlace,
    by: User,
    pupil_outcomes: str | None = None,
    practice: str | None = None,
    professional_learning: str | None = None,
    whole_school: str | None = None,
) -> SchoolPlace:
    """Save the school's evaluation return under the four headings Work Groups are evaluated
    under (a heading left as None is left as it was, so each can be written on its own page).

    Raises ValidationError for a school that has withdrawn.
    """
    place = _school_place_for_writing(place)
    given = {
        "pupil_outcomes": pupil_outcomes,
        "practice": practice,
        "professional_learning": professional_learning,
        "whole_school": whole_school,
    }
    for key, value in given.items():
        if value is not None:
            setattr(place, EVALUATION_FIELDS[key], value.strip())
    place.evaluation_updated_at = timezone.now()
    place.save(update_fields=[*EVALUATION_FIELDS.values(), "evaluation_updated_at", "updated_at"])
    logger.info("School place %s: evaluation saved by user %s", place.pk, by.pk)
    return place


def _school_place_move(place: SchoolPlace, *, to: str, by: User | None, reason: str) -> None:
    SchoolPlaceEvent.objects.create(
        school_place=place, from_status=place.status, to_status=to, by=by, reason=reason
    )
    place.status = to
    place.save()


@transaction.atomic
def school_place_complete(*, place: SchoolPlace, by: User, reason: str = "") -> SchoolPlace:
    """Mark the school as having completed its Work Group, with every person still taking part
    in its team; the school's history records the year as completed.

    Raises ValidationError unless the school is taking part, and while the programme's rule
    for completing is not met, unless staff give a reason (kept in the history).
    """
    from .selectors import school_place_completion

    place = (
        SchoolPlace.objects.select_for_update(of=("self",))
        .select_related("cohort")
        .get(pk=place.pk)
    )
    if place.status != SchoolPlace.Status.ACTIVE:
        raise ValidationError(
            f"The school's place is {place.get_status_display().lower()}, so it cannot be "
            "completed."
        )
    reason = reason.strip()
    completion = school_place_completion(place)
    if not completion.met and not reason:
        raise ValidationError(
            "The school has not met the programme's rule for completing: "
            + " ".join(completion.reasons)
            + " To complete it anyway, say why."
        )
    for member in Enrolment.objects.select_for_update().filter(
        school_place=place, status=Enrolment.Status.ACTIVE
    ):
        _enrolment_move(
            member,
            to=Enrolment.Status.COMPLETED,
            by=by,
            reason="The school completed its Work Group.",
            tell=False,  # the school's place is the news; the applicant is not told per person
        )
    place.completed_on = timezone.localdate()
    _school_place_move(
        place,
        to=SchoolPlace.Status.COMPLETED,
        by=by,
        reason=reason or "The programme's rule for completing is met.",
    )
    programme_year_record(
        school=place.school,
        programme=place.cohort.programme,
        academic_year=place.cohort.academic_year,
        status=SchoolProgrammeYear.Status.COMPLETED,
    )
    return place


@transaction.atomic
def school_place_withdraw(*, place: SchoolPlace, by: User, reason: str) -> SchoolPlace:
    """Withdraw the school from its Work Group, with everyone in its team; the school's
    history records the year as withdrawn, its place is free for another school, and a grant
    it is owed and has not claimed is cancelled.

    Raises ValidationError without a reason, or unless the school is taking part.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the school is withdrawing: it is kept in its history.")
    # Lock the cohort first, as accepting does: the place freed is counted once.
    place_row = SchoolPlace.objects.only("cohort_id").get(pk=place.pk)
    cohort = Cohort.objects.select_for_update(no_key=True).get(pk=place_row.cohort_id)
    place = (
        SchoolPlace.objects.select_for_update(of=("self",))
        .select_related("cohort")
        .get(pk=place.pk)
    )
    if place.status != SchoolPlace.Status.ACTIVE:
        raise ValidationError(
            f"The school's place is {place.get_status_display().lower()}, so it cannot be "
            "withdrawn."
        )
    for member in Enrolment.objects.select_for_update().filter(
        school_place=place, status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.DEFERRED]
    ):
        member = _enrolment_move(
            member,
            to=Enrolment.Status.WITHDRAWN,
            by=by,
            reason=f"The school withdrew: {reason}",
            tell=False,
        )
        enrolment_withdrawn.send(sender=Enrolment, enrolment=member)
    place.withdrawn_on = timezone.localdate()
    _school_place_move(place, to=SchoolPlace.Status.WITHDRAWN, by=by, reason=reason)
    programme_year_record(
        school=place.school,
        programme=place.cohort.programme,
        academic_year=place.cohort.academic_year,
        status=SchoolProgrammeYear.Status.WITHDRAWN,
    )
    # A grant not yet claimed is not paid to a school that left; one claimed is for staff.
    owed = GrantClaim.objects.filter(school_place=place, status=GrantClaim.Status.OWED).first()
    if owed is not None:
        grant_claim_cancel(claim=owed, by=by, reason=f"The school withdrew: {reason}")
    _places_changed(cohort)
    return place


@transaction.atomic
def team_member_replace(
    *,
    enrolment: Enrolment,
    first_name: str,
    last_name: str,
    email: str,
    by: User,
    reason: str,
) -> Enrolment:
    """Replace someone in a school's Work Group team with another person in the same role,
    mid-year: their place is withdrawn with the reason, and the new person gets a place in the
    school's team (linked to their account, or a new one they are invited to set a password
    for) and is emailed it. The school's history says who replaced whom, and why.

    Raises ValidationError without a reason, for a place that is not in a school's team or
    not current, a school not taking part, or a new person who already has a place in the
    Work Group.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why they are being replaced: it is kept in the history.")
    if enrolment.school_place_id is None:
        raise ValidationError("This place is not in a school's Work Group team.")
    place = SchoolPlace.objects.select_for_update().get(pk=enrolment.school_place_id)
    if place.status != SchoolPlace.Status.ACTIVE:
        raise ValidationError(
            f"The school's place is {place.get_status_display().lower()}: its team cannot change."
        )
    old = (
        # Lock the place's row only: its role slot may be missing (an outer join), which
        # PostgreSQL cannot lock.
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("participant", "role_slot", "cohort")
        .get(pk=enrolment.pk)
    )
    if old.status not in {Enrolment.Status.ACTIVE, Enrolment.Status.DEFERRED}:
        raise ValidationError(
            f"{old.participant.get_full_name()}'s place is "
            f"{old.get_status_display().lower()}: only someone taking part can be replaced."
        )
    user, made = user_for_person(email=email, first_name=first_name, last_name=last_name)
    if user.pk == old.participant_id:
        raise ValidationError("That is the person being replaced: name someone else.")
    if Enrolment.objects.filter(
        participant=user, cohort_id=old.cohort_id, status=Enrolment.Status.ACTIVE
    ).exists():
        raise ValidationError(
            f"{first_name} {last_name} ({email}) already has a place in {old.cohort}: "
            "name someone else."
        )
    new_name = user.get_full_name() or user.email
    old_name = old.participant.get_full_name() or old.participant.email
    role = old.role_slot.label if old.role_slot else "their role"
    _enrolment_move(
        old,
        to=Enrolment.Status.WITHDRAWN,
        by=by,
        # Why stays in the school place's history, which only staff read: the team and the
        # school see who replaced whom, not the reason (it may be personal).
        reason=f"Replaced by {new_name}.",
        tell=False,
    )
    enrolment_withdrawn.send(sender=Enrolment, enrolment=old)
    new = Enrolment.objects.create(
        participant=user,
        cohort_id=old.cohort_id,
        application_id=old.application_id,
        school_place=place,
        role_slot=old.role_slot,
    )
    EnrolmentEvent.objects.create(
        enrolment=new,
        from_status=Enrolment.Status.ACTIVE,
        to_status=Enrolment.Status.ACTIVE,
        by=by,
        reason=f"Replaced {old_name} as {role}.",
    )
    SchoolPlaceEvent.objects.create(
        school_place=place,
        from_status=place.status,
        to_status=place.status,
        by=by,
        reason=f"{role}: {old_name} replaced by {new_name}.",
        staff_note=reason,
    )
    enrolment_welcome_later(new.pk, invite=made)
    return new


# ---- Work Group grants: staff record a school's claim, its payment, or cancel it ----

GRANT_CLAIM_TRANSITIONS = {
    GrantClaim.Status.OWED: {GrantClaim.Status.CLAIMED, GrantClaim.Status.CANCELLED},
    GrantClaim.Status.CLAIMED: {GrantClaim.Status.PAID, GrantClaim.Status.CANCELLED},
    GrantClaim.Status.PAID: set(),
    GrantClaim.Status.CANCELLED: set(),
}


def _grant_claim_move(claim: GrantClaim, *, to: str, by: User, reason: str = "") -> GrantClaim:
    """Move a claim on, keeping who did it, when and why as a line of its note (its history)."""
    claim = (
        GrantClaim.objects.select_for_update(of=("self",))
        .select_related("school_place__school")
        .get(pk=claim.pk)
    )
    school = claim.school_place.school.name
    if to not in GRANT_CLAIM_TRANSITIONS[claim.status]:
        if to == GrantClaim.Status.PAID and claim.status == GrantClaim.Status.OWED:
            raise ValidationError(
                f"{school}'s grant has not been claimed yet: mark the claim received first."
            )
        raise ValidationError(
            f"{school}'s grant is {claim.get_status_display().lower()}, so it cannot be marked "
            f"{GrantClaim.Status(to).label.lower()}."
        )
    today = timezone.localdate()
    who = by.get_full_name() or by.email
    line = f"{today.day} {today:%b %Y}: {GrantClaim.Status(to).label} ({who})" + (
        f": {reason}" if reason else ""
    )
    claim.note = f"{claim.note}\n{line}".strip()
    claim.status = to
    if to == GrantClaim.Status.CLAIMED:
        claim.claimed_on = today
    elif to == GrantClaim.Status.PAID:
        claim.paid_on = today
    claim.save(update_fields=["status", "claimed_on", "paid_on", "note", "updated_at"])
    return claim


@transaction.atomic
def grant_claim_mark_claimed(*, claim: GrantClaim, by: User) -> GrantClaim:
    """Record that the school has claimed its grant, today, with who recorded it.

    Raises ValidationError unless the grant is still owed.
    """
    return _grant_claim_move(claim, to=GrantClaim.Status.CLAIMED, by=by)


@transaction.atomic
def grant_claim_mark_paid(*, claim: GrantClaim, by: User) -> GrantClaim:
    """Record that the hub has paid the school's claim, today, with who recorded it.

    Raises ValidationError unless the claim has been received (and not paid or cancelled).
    """
    return _grant_claim_move(claim, to=GrantClaim.Status.PAID, by=by)


@transaction.atomic
def grant_claim_cancel(*, claim: GrantClaim, by: User, reason: str) -> GrantClaim:
    """Cancel a grant the school will not be paid (e.g. it withdrew), with the reason why.

    Raises ValidationError without a reason, or once the grant is paid or cancelled.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the grant is cancelled: it is kept with the claim.")
    return _grant_claim_move(claim, to=GrantClaim.Status.CANCELLED, by=by, reason=reason)
