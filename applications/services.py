"""Changes of state for applications: the questions, school approval, decisions, waiting list."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort
from cohorts.services import cohort_places_changed
from funding.services import funding_decide
from npq_portal.emails import email_about_key, email_send_once
from npq_portal.models import User
from npq_portal.outbox import outbox_enqueue
from schools.models import School, SchoolLeadership
from schools.selectors import (
    school_prerequisites_check,
    schools_on_pp50_list,
    schools_prerequisites_check,
)

from .fees import application_fee_sentence
from .links import approval_url
from .models import Application, ApplicationEvent, TeamMember
from .places import places
from .signals import application_decided
from .steps import answers_still_asked, first_unanswered
from .tasks import application_send_email_task
from .team_steps import (
    SLOT_NAMED,
    SLOT_NO_ONE,
    slot_answer_key,
    team_first_unanswered,
    team_steps_for,
)

APPLICATION_EMAILS = {
    Application.Status.AWAITING_SCHOOL: "application_received",
    Application.Status.SCHOOL_APPROVED: "application_school_decision",
    Application.Status.SCHOOL_DECLINED: "application_school_decision",
    Application.Status.ACCEPTED: "application_decision",
    Application.Status.WAITLISTED: "application_decision",
    Application.Status.REJECTED: "application_decision",
}


def application_email_later(application_id: int, kind: str, occasion: str) -> None:
    """Send one of the application's emails once this change commits, through the outbox."""
    outbox_enqueue(application_send_email_task, application_id, kind, occasion)


def _application_move(
    application: Application, *, to: str, by: User | None, reason: str = "", by_name: str = ""
) -> Application:
    """Change the status and write its history row; callers hold the application's lock."""
    event = ApplicationEvent.objects.create(
        application=application,
        from_status=application.status,
        to_status=to,
        by=by,
        by_name=by_name,
        reason=reason,
    )
    had_offer = application.status == Application.Status.WAITLISTED and application.offer_expires_at
    application.status = to
    if to != Application.Status.WAITLISTED:
        application.offer_expires_at = None
    if to in Application.DECIDED:
        application.decided_at = event.at  # the day its history gives, to the moment
    application.save()
    kind = APPLICATION_EMAILS.get(to)
    if kind:
        # The status goes with the email: a later change must not alter what this one says.
        application_email_later(application.pk, kind, to)
    if had_offer and to in {Application.Status.REJECTED, Application.Status.WITHDRAWN}:
        waitlist_offer_next(cohort=application.cohort)  # their offered place goes on
    if to in Application.DECIDED:
        application_decided.send(sender=Application, application=application, status=to, by=by)
    return application


def _refuse_own_address(applicant: User, email: str) -> None:
    """The person who approves for the school cannot be the applicant."""
    from allauth.account.models import EmailAddress

    email = email.strip().lower()
    own = {applicant.email.lower()} | {
        address.lower()
        for address in EmailAddress.objects.filter(user=applicant).values_list("email", flat=True)
    }
    if email in own:
        raise ValidationError("Give your headteacher's email address, not your own.")


def _locked(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


def _refuse_unless(application: Application, to: str, message: str) -> None:
    if not application.can_move_to(to):
        raise ValidationError(f"{message} It is {application.get_status_display().lower()}.")


@transaction.atomic
def application_start(*, applicant: User, cohort) -> Application:
    """A draft application for the cohort (the one already started, if there is one).

    Raises ValidationError when the cohort is not taking applications or the applicant has
    already applied for it.
    """
    if not Cohort.objects.accepting_applications().filter(pk=cohort.pk).exists():
        raise ValidationError(f"{cohort} is not taking applications.")
    if cohort.programme.for_school_teams:
        raise ValidationError(
            f"Schools sign up for {cohort.programme.name} as a team, not teachers one by one: "
            "choose “Sign up your school”."
        )
    live = Application.objects.filter(applicant=applicant, cohort=cohort).exclude(
        status__in=[Application.Status.REJECTED, Application.Status.WITHDRAWN]
    )
    existing = live.first()
    if existing and existing.status != Application.Status.DRAFT:
        raise ValidationError("You have already applied for this cohort.")
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Application.objects.create(applicant=applicant, cohort=cohort)
    except IntegrityError:  # a double click: the first request made it
        return live.get()


@transaction.atomic
def application_save_answers(*, application: Application, answers: dict) -> Application:
    """Keep the answers given so far (save and return later). Raises ValidationError once
    the application has been sent."""
    application = _locked(application)
    if application.status != Application.Status.DRAFT:
        raise ValidationError("This application has been sent, so it can no longer change.")
    merged = {**application.answers, **answers}
    # A changed answer can make earlier ones moot (a school, once working in early years);
    # a school's sign-up asks the same questions whatever the answers.
    application.answers = (
        merged if application.team else answers_still_asked(merged, application.cohort.programme)
    )
    application.save(update_fields=["answers", "updated_at"])
    return application


def application_funding_facts(application: Application) -> dict | None:
    """The funding facts the answers give, or None for a programme DfE does not fund."""
    answers = application.answers
    course = application.cohort.programme.course_identifier
    if not course:
        return None
    previously_funded = Application.objects.filter(
        applicant=application.applicant,
        status=Application.Status.ACCEPTED,
        cohort__programme__course_identifier__in=_same_course(course),
        funding_decision__funded=True,
    ).exclude(pk=application.pk)
    facts = {
        "course_identifier": course,
        "cohort_funded": True,
        "inside_catchment": answers.get("works_in_england") == "yes",
        "previously_funded": previously_funded.exists(),
        "work_setting": answers.get("work_setting"),
        "kind_of_nursery": answers.get("kind_of_nursery") or None,
        "employment_type": answers.get("employment_type") or None,
        "new_headteacher": answers.get("new_headteacher") == "yes",
        "referred_by_return_to_teaching_adviser": answers.get("referred") == "yes",
    }
    if answers.get("school_urn"):
        facts["institution"] = {"urn": str(answers["school_urn"])}
    elif answers.get("ofsted_urn"):
        facts["institution"] = {
            "kind": "private_childcare_provider",
            "urn": answers["ofsted_urn"],
        }
    return facts


def _same_course(course: str) -> list[str]:
    """ASO and EHCO count as one course for "previously funded" (FUNDING.md)."""
    pair = {"npq-additional-support-offer", "npq-early-headship-coaching-offer"}
    return sorted(pair) if course in pair else [course]


@transaction.atomic
def application_submit(*, application: Application, by: User) -> Application:
    """Send the application: work out and record its funding, then ask the school to approve.

    Raises ValidationError when an answer it needs is missing. A school's Work Group sign-up
    is sent by team_sign_up_submit.
    """
    if application.team:
        return team_sign_up_submit(application=application, by=by)
    application = _locked(application)
    _refuse_unless(application, Application.Status.AWAITING_SCHOOL, "It cannot be sent.")
    if not Cohort.objects.accepting_applications().filter(pk=application.cohort_id).exists():
        raise ValidationError(f"{application.cohort} is no longer taking applications.")
    answers = application.answers
    if answers.get("mastery") == "cannot_show":
        raise ValidationError(
            "This NPQ needs a year of Teaching for Mastery or equivalent experience first."
        )
    missing = [
        label
        for key, label in [
            ("works_in_england", "where you work"),
            ("work_setting", "your work setting"),
            ("role", "your role"),
            *([("trn", "your TRN")] if application.cohort.programme.trn_asked else []),
            ("headteacher_name", "your headteacher's name"),
            ("headteacher_email", "your headteacher's email address"),
        ]
        if not answers.get(key)
    ]
    if missing:
        raise ValidationError("Answer every question first: " + ", ".join(missing) + ".")
    step = first_unanswered(answers, application.cohort.programme)
    if step is not None:
        raise ValidationError(f"Answer every question first: {step.title.lower()}.")
    _refuse_own_address(application.applicant, answers["headteacher_email"])
    facts = application_funding_facts(application)
    if facts is not None:
        application.funding_decision = funding_decide(
            subject=email_about_key(application),
            facts=facts,
            rules=application.cohort.funding_rules,
            by=by,
        )
    if answers.get("school_urn"):
        application.school = School.objects.filter(urn=int(answers["school_urn"])).first()
    application.trn = answers.get("trn", "")
    application.headteacher_name = answers["headteacher_name"]
    application.headteacher_email = answers["headteacher_email"].strip().lower()
    application.approver_email = application.headteacher_email
    application.submitted_at = timezone.now()
    application = _application_move(application, to=Application.Status.AWAITING_SCHOOL, by=by)
    application_email_later(application.pk, "school_approval_request", "1")
    return application


@transaction.atomic
def application_record_registered(
    *, applicant: User, cohort, trn: str, school: School | None, by: User, reason: str
) -> Application:
    """Record in the portal an application the teacher made elsewhere (registering with DfE),
    ready for staff to decide in the review queue, with a history row saying where it came
    from (`reason`) and who recorded it. Nobody is emailed: the caller says what to tell them.

    Raises ValidationError when the applicant has a live application for the cohort already,
    or the cohort takes schools' team sign-ups.
    """
    if cohort.programme.for_school_teams:
        raise ValidationError(f"Schools sign up for {cohort.programme.name} as a team.")
    live = Application.objects.filter(applicant=applicant, cohort=cohort).exclude(
        status__in=[Application.Status.REJECTED, Application.Status.WITHDRAWN]
    )
    if live.exists():
        raise ValidationError(
            f"{applicant.get_full_name() or applicant.email} has an application for {cohort} "
            "already."
        )
    # There is no school approval to wait for: the registration did not ask the school.
    application = Application.objects.create(
        applicant=applicant,
        cohort=cohort,
        status=Application.Status.SCHOOL_APPROVED,
        trn=trn.strip()[:7],
        school=school,
        submitted_at=timezone.now(),
    )
    ApplicationEvent.objects.create(
        application=application,
        from_status=Application.Status.DRAFT,
        to_status=Application.Status.SCHOOL_APPROVED,
        by=by,
        reason=reason,
    )
    return application


@transaction.atomic
def team_sign_up_start(*, applicant: User, cohort) -> Application:
    """A draft of a school's team sign-up for a Work Group cohort, made by its maths lead or
    headteacher (the one already started, if there is one).

    Raises ValidationError when the cohort is not taking sign-ups, its programme is applied
    for by teachers one by one, or the applicant has already sent a sign-up for it.
    """
    if not Cohort.objects.accepting_applications().filter(pk=cohort.pk).exists():
        raise ValidationError(f"{cohort} is not taking sign-ups.")
    if not cohort.programme.for_school_teams:
        raise ValidationError(
            f"Teachers apply for {cohort.programme.name} one by one, not as a school's team: "
            "choose “Apply”."
        )
    live = Application.objects.filter(applicant=applicant, cohort=cohort).exclude(
        status__in=[Application.Status.REJECTED, Application.Status.WITHDRAWN]
    )
    existing = live.first()
    if existing and existing.status != Application.Status.DRAFT:
        raise ValidationError("You have already sent a school's sign-up for this Work Group.")
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Application.objects.create(applicant=applicant, cohort=cohort, team=True)
    except IntegrityError:  # a double click: the first request made it
        return live.get()


@transaction.atomic
def team_slot_fill(*, application: Application, slot, people: list[dict]) -> list[TeamMember]:
    """Name the people (first_name, last_name, email) a school's draft sign-up puts in one of
    the Work Group's role slots, in place of those named before; none means no one in it.

    Raises ValidationError once the sign-up is sent, for a slot of another programme, for
    more people than the slot takes, no one in a slot that needs someone, or an email address
    named twice.
    """
    application = _locked(application)
    if not application.team or application.status != Application.Status.DRAFT:
        raise ValidationError("This sign-up has been sent, so its team can no longer change.")
    if slot.programme_id != application.cohort.programme_id:
        raise ValidationError(f"{slot.label} is not one of this Work Group's roles.")
    if len(people) > slot.people:
        raise ValidationError(f"Name at most {slot.people} for {slot.label}.")
    if not people and slot.required:
        raise ValidationError(f"Name your {slot.label}: the school cannot sign up without one.")
    people = [{**person, "email": person["email"].strip().lower()} for person in people]
    emails = [person["email"] for person in people]
    if len(set(emails)) < len(emails):
        raise ValidationError("Each person once: the same email address is given twice.")
    elsewhere = (
        application.team_members.exclude(slot=slot)
        .filter(email__in=emails)
        .select_related("slot")
        .first()
    )
    if elsewhere is not None:
        raise ValidationError(
            f"{elsewhere.email} is already named as {elsewhere.slot.label}: name each person "
            "once, in one role."
        )
    application.team_members.filter(slot=slot).delete()
    members = TeamMember.objects.bulk_create(
        TeamMember(
            application=application,
            slot=slot,
            first_name=person["first_name"].strip(),
            last_name=person["last_name"].strip(),
            email=person["email"],
        )
        for person in people
    )
    application.answers = {
        **application.answers,
        slot_answer_key(slot): SLOT_NAMED if people else SLOT_NO_ONE,
    }
    application.save(update_fields=["answers", "updated_at"])
    return members


def _named_holding_a_place(members, cohort) -> str:
    """The first person named (as "name (email)") who already holds a place in the cohort, by
    their account's address; empty when none does."""
    emails = {member.email.strip().lower(): member for member in members}
    holder = places().holding(cohort=cohort, emails=list(emails))
    if holder is None:
        return ""
    member = emails[holder]
    return f"{member.first_name} {member.last_name} ({member.email})"


@transaction.atomic
def team_sign_up_submit(*, application: Application, by: User) -> Application:
    """Send a school's Work Group sign-up: check its team and its history, then ask the
    headteacher to approve it and commit the school. No TRN, no funding decision.

    Raises ValidationError when a question is unanswered, a required role is empty, too few
    lead participants are named, someone is named twice, the school has already signed up for
    the cohort, or the school's Work Group history does not allow it.
    """
    application = _locked(application)
    _refuse_unless(application, Application.Status.AWAITING_SCHOOL, "It cannot be sent.")
    cohort = application.cohort
    programme = cohort.programme
    if not Cohort.objects.accepting_applications().filter(pk=cohort.pk).exists():
        raise ValidationError(f"{cohort} is no longer taking sign-ups.")
    answers = application.answers
    steps = team_steps_for(programme)
    step = team_first_unanswered(answers, steps)
    if step is not None:
        raise ValidationError(f"Answer every question first: {step.title.lower()}.")
    school = School.objects.filter(urn=int(answers["school_urn"])).first()
    if school is None:
        raise ValidationError("Choose your school again: the one given is no longer listed.")
    members = list(application.team_members.select_related("slot"))
    named_slots = {member.slot_id for member in members}
    for slot in programme.role_slots.all():
        if slot.required and slot.pk not in named_slots:
            raise ValidationError(f"Name your {slot.label}: the school cannot sign up without one.")
    leads = [member for member in members if member.slot.kind == member.slot.Kind.LEAD]
    if len(leads) < programme.team_leads_min:
        raise ValidationError(
            f"Name at least {programme.team_leads_min} lead participant"
            f"{'s' if programme.team_leads_min != 1 else ''} (the teachers in the lead roles): "
            f"the sign-up names {len(leads)}."
        )
    emails = [member.email.strip().lower() for member in members]
    twice = sorted({email for email in emails if emails.count(email) > 1})
    if twice:
        raise ValidationError(
            f"{', '.join(twice)} is named more than once: name each person once, in one role."
        )
    taken = (
        Application.objects.filter(team=True, school=school, cohort=cohort)
        .exclude(status__in=[Application.Status.REJECTED, Application.Status.WITHDRAWN])
        .exclude(pk=application.pk)
    )
    if taken.exists():
        raise ValidationError(f"{school.name} has already signed up for this Work Group.")
    check = school_prerequisites_check(
        school=school, programme=programme, academic_year=cohort.academic_year
    )
    if not check.met:
        raise ValidationError(
            f"{check.reason} If the school took part with another hub, or this is wrong, ask the "
            f"hub ({settings.HUB_CONTACT_EMAIL}): it can add the school's earlier years, or "
            "decide to let it take part."
        )
    # A head approves their own school's sign-up only as a school leader the hub confirmed;
    # anyone else (whatever role they chose) asks another person to approve it.
    if not SchoolLeadership.objects.filter(user=application.applicant, school=school).exists():
        _refuse_own_address(application.applicant, answers["headteacher_email"])
    clash = _named_holding_a_place(members, cohort)
    if clash:
        raise ValidationError(
            f"{clash} already has a place in this Work Group: name someone else in that role."
        )
    application.school = school
    application.trn = ""
    application.headteacher_name = answers["headteacher_name"].strip()
    application.headteacher_email = answers["headteacher_email"].strip().lower()
    application.approver_email = application.headteacher_email
    application.submitted_at = timezone.now()
    try:
        with transaction.atomic():
            application = _application_move(
                application, to=Application.Status.AWAITING_SCHOOL, by=by
            )
    except IntegrityError:  # another sign-up for the school was sent at the same moment
        raise ValidationError(f"{school.name} has already signed up for this Work Group.") from None
    application_email_later(application.pk, "school_approval_request", "1")
    return application


@transaction.atomic
def application_school_decide(
    *,
    application: Application,
    approve: bool,
    name: str,
    email: str,
    comment: str = "",
    by: User | None = None,
    commits_school: bool = False,
) -> Application:
    """Record the school's decision, made from the emailed link or by a school leader signed
    in (`by`), with who and when: the same record either way. Approving a school's Work Group
    sign-up commits the school to what the programme asks (`commits_school`), and the history
    row keeps what it was committed to.

    Raises ValidationError when the application is no longer waiting for the school, a
    decline has no comment, or a Work Group sign-up is approved without the commitment.
    """
    application = _locked(application)
    to = Application.Status.SCHOOL_APPROVED if approve else Application.Status.SCHOOL_DECLINED
    _refuse_unless(application, to, "The school's decision is already recorded.")
    if not approve and not comment.strip():
        raise ValidationError("Say why you are declining: the applicant is told.")
    reason = comment.strip()
    if application.team and approve:
        if not commits_school:
            raise ValidationError(
                "To approve the sign-up, commit the school to what the Work Group asks of it."
            )
        reason = "\n".join(filter(None, [_commitment_record(application), reason]))
    application.school_decided_by = name.strip()
    application.school_decided_by_email = email.strip().lower()
    application.school_decided_at = timezone.now()
    application.school_approved = approve
    application.school_comment = comment.strip()
    return _application_move(application, to=to, by=by, by_name=name.strip(), reason=reason)


def _commitment_record(application: Application) -> str:
    """What the approver committed the school to, in the words they were shown (the
    programme's commitment can change in later years)."""
    school = application.school.name if application.school else "the school"
    commitment = application.cohort.programme.commitment.strip()
    if not commitment:
        return f"Committed {school} to the Work Group's sessions and the tasks between them."
    return f"Committed {school} to: {commitment}"


@transaction.atomic
def application_delegate_approval(
    *, application: Application, email: str, by_name: str
) -> Application:
    """Hand the school's decision to a colleague: the old link stops, a new one is sent.

    Raises ValidationError when the decision is already made.
    """
    application = _locked(application)
    if application.status != Application.Status.AWAITING_SCHOOL:
        raise ValidationError("The school's decision is already recorded.")
    _refuse_own_address(application.applicant, email)
    application.approver_email = email.strip().lower()
    application.save(update_fields=["approver_email", "updated_at"])
    ApplicationEvent.objects.create(
        application=application,
        from_status=application.status,
        to_status=application.status,
        by_name=by_name.strip(),
        reason=f"Asked {application.approver_email} to decide for the school.",
    )
    occasion = f"delegated-{application.events.count()}"
    application_email_later(application.pk, "school_approval_request", occasion)
    return application


@transaction.atomic
def application_accept(*, application: Application, by: User, reason: str = ""):
    """Offer the applicant a place in the cohort they applied for.

    Raises ValidationError if the school has not approved it or the cohort is full.
    """
    # Lock the cohort row first (every path locks cohort, then application): two staff
    # accepting at once must not overfill it, nor deadlock with the waiting list.
    cohort = Cohort.objects.select_for_update(no_key=True).get(pk=application.cohort_id)
    application = _locked(application)
    _refuse_unless(application, Application.Status.ACCEPTED, "It cannot be accepted.")
    if cohort.status in {Cohort.Status.CANCELLED, Cohort.Status.COMPLETED}:
        raise ValidationError(f"{cohort} is {cohort.get_status_display().lower()}.")
    if application.team:
        _refuse_unless_history_allows(application, cohort)
    taken = places().taken(cohort)
    if taken + waitlist_live_offers(cohort).exclude(pk=application.pk).count() >= cohort.capacity:
        raise ValidationError(
            f"{cohort} is full (places offered from the waiting list count); waitlist the "
            "application instead."
        )
    application.offer_expires_at = None
    _application_move(application, to=Application.Status.ACCEPTED, by=by, reason=reason)
    place = places().make(application=application, cohort=cohort)
    cohort_places_changed(cohort=cohort, places_taken=taken + 1)
    return place


def _refuse_unless_history_allows(application: Application, cohort) -> None:
    """A school's sign-up is accepted only while its Work Group history allows it, checked
    again now (a year completed or imported since it was sent counts), or staff recorded why
    they accept it anyway."""
    if application.prerequisites_override_reason:
        return
    check = school_prerequisites_check(
        school=application.school, programme=cohort.programme, academic_year=cohort.academic_year
    )
    if not check.met:
        raise ValidationError(
            f"{check.reason} To accept the school anyway, record why on its sign-up first."
        )


@transaction.atomic
def application_prerequisites_override(
    *, application: Application, by: User, reason: str
) -> Application:
    """Record that staff accept a school's sign-up although its Work Group history does not
    allow it, and why (kept on the sign-up and in its history).

    Raises ValidationError without a reason, for an application that is not a school's team
    sign-up, or once it is decided.
    """
    application = _locked(application)
    if not application.team:
        raise ValidationError("Only a school's Work Group sign-up has prerequisites to override.")
    if application.status in Application.DECIDED:
        raise ValidationError("This sign-up is already decided.")
    if not reason.strip():
        raise ValidationError(
            "Say why the school may take part although its history does not allow it."
        )
    application.prerequisites_overridden_by = by
    application.prerequisites_overridden_at = timezone.now()
    application.prerequisites_override_reason = reason.strip()
    application.save(
        update_fields=[
            "prerequisites_overridden_by",
            "prerequisites_overridden_at",
            "prerequisites_override_reason",
            "updated_at",
        ]
    )
    ApplicationEvent.objects.create(
        application=application,
        from_status=application.status,
        to_status=application.status,
        by=by,
        reason=f"Prerequisites overridden: {reason.strip()}",
    )
    return application


@transaction.atomic
def application_waitlist(*, application: Application, by: User, reason: str = "") -> Application:
    """Put an approved application on the cohort's waiting list, in the order it arrives."""
    application = _locked(application)
    _refuse_unless(application, Application.Status.WAITLISTED, "It cannot be waitlisted.")
    application.waitlisted_at = timezone.now()
    return _application_move(application, to=Application.Status.WAITLISTED, by=by, reason=reason)


@transaction.atomic
def application_reject(*, application: Application, by: User, reason: str) -> Application:
    """Turn an application down, with a reason the applicant is sent.

    Raises ValidationError without a reason or once it is decided.
    """
    application = _locked(application)
    _refuse_unless(application, Application.Status.REJECTED, "It cannot be rejected.")
    if not reason.strip():
        raise ValidationError("Give a reason: the applicant is sent it.")
    return _application_move(
        application, to=Application.Status.REJECTED, by=by, reason=reason.strip()
    )


@transaction.atomic
def application_withdraw(*, application: Application, by: User, reason: str = "") -> Application:
    """The applicant withdraws before a decision. Raises ValidationError once decided."""
    application = _locked(application)
    _refuse_unless(application, Application.Status.WITHDRAWN, "It cannot be withdrawn.")
    return _application_move(
        application, to=Application.Status.WITHDRAWN, by=by, reason=reason.strip()
    )


def application_send_email(*, application: Application, kind: str, occasion: str) -> None:
    """Send one of an application's emails: to the applicant, or to whoever approves."""
    context = {
        "application": application,
        "cohort": application.cohort,
        "programme": application.cohort.programme,
        "applicant": application.applicant,
        "home_url": settings.SITE_URL + reverse("participants:teacher-home"),
        "application_url": settings.SITE_URL + application.get_absolute_url(),
        "last_event": application.events.last(),
    }
    if kind in {"application_school_decision", "application_decision"}:
        context["status"] = occasion  # the status that caused it, not today's
    if kind == "enrolment_changed":
        _, enrolment_id, status, _ = occasion.split("-", 3)
        enrolment = application.enrolments.filter(pk=int(enrolment_id)).first()
        if enrolment is None:
            return
        context.update(
            enrolment=enrolment,
            enrolment_status=type(enrolment).Status(status).label.lower(),
            event=enrolment.events.filter(to_status=status).last(),
        )
    if kind == "school_approval_request":
        if application.status != Application.Status.AWAITING_SCHOOL:
            return  # decided since: no request or reminder any more
        email_send_once(
            to=application.approver_email,
            kind=kind,
            about=application,
            occasion=f"{application.approver_email}-{occasion}",
            context={
                **context,
                "approval_url": approval_url(application),
                "fee_sentence": application_fee_sentence(application),
            },
        )
        return
    email_send_once(
        to=application.applicant.email,
        kind=kind,
        about=application,
        occasion=occasion,
        context=context,
    )


OFFER_DAYS = 5  # how long someone on the waiting list has to take up a freed place


def waitlist_live_offers(cohort):
    """Waiting-list applications holding an offered place that has not lapsed."""
    return Application.objects.filter(
        cohort=cohort, status=Application.Status.WAITLISTED, offer_expires_at__gt=timezone.now()
    )


def _next_school_in_line(cohort, waiting: list[Application]) -> Application | None:
    """A Work Group's next school on its waiting list: in the programme's priority order (PP50
    schools first, when disadvantage comes first), skipping a school whose history does not
    allow it (unless staff overrode it): the order the sign-ups page shows."""
    schools = [a.school for a in waiting if a.school_id]
    checks = schools_prerequisites_check(
        schools=schools, programme=cohort.programme, academic_year=cohort.academic_year
    )
    pp50 = (
        schools_on_pp50_list(school.urn for school in schools)
        if cohort.programme.priority == cohort.programme.Priority.DISADVANTAGE
        else set()
    )
    eligible = [
        a
        for a in waiting
        if a.school_id and (checks[a.school_id].met or a.prerequisites_override_reason)
    ]
    # sorted() keeps the waiting list's order among equals.
    return next(iter(sorted(eligible, key=lambda a: a.school.urn not in pp50)), None)


@transaction.atomic
def waitlist_offer_next(*, cohort) -> Application | None:
    """Offer a free place to the next person on the waiting list, in the order they joined it
    (a Work Group's schools in its priority order), with OFFER_DAYS to take it up. Does nothing while an offer is outstanding or none is free."""
    cohort = Cohort.objects.select_for_update(no_key=True).get(pk=cohort.pk)
    if cohort.status in {Cohort.Status.CANCELLED, Cohort.Status.COMPLETED}:
        return None
    waiting = Application.objects.select_for_update().filter(
        cohort=cohort, status=Application.Status.WAITLISTED
    )
    if places().taken(cohort) + waitlist_live_offers(cohort).count() >= cohort.capacity:
        return None
    in_line = waiting.filter(offer_expires_at__isnull=True, offer_lapsed_at__isnull=True).order_by(
        "waitlisted_at", "pk"
    )
    if cohort.programme.for_school_teams:
        # The school is read, not locked (a school may be missing: an outer join).
        schools_in_line = in_line.select_for_update(of=("self",)).select_related("school")
        next_in_line = _next_school_in_line(cohort, list(schools_in_line))
    else:
        next_in_line = in_line.first()
    if next_in_line is None:
        return None
    next_in_line.offer_expires_at = timezone.now() + timedelta(days=OFFER_DAYS)
    next_in_line.save(update_fields=["offer_expires_at", "updated_at"])
    ApplicationEvent.objects.create(
        application=next_in_line,
        from_status=next_in_line.status,
        to_status=next_in_line.status,
        reason=f"A place came free: offered until {next_in_line.offer_expires_at:%d %B %Y}.",
    )
    application_email_later(
        next_in_line.pk, "waitlist_offer", f"offer-{next_in_line.events.count()}"
    )
    return next_in_line


@transaction.atomic
def application_take_offer(*, application: Application, by: User):
    """The applicant takes up a place offered from the waiting list.

    Raises ValidationError when there is no live offer.
    """
    application = _locked(application)
    expires = application.offer_expires_at
    if (
        application.status != Application.Status.WAITLISTED
        or not expires
        or expires < timezone.now()
    ):
        raise ValidationError("There is no place on offer to you now.")
    return application_accept(application=application, by=by, reason="Took up a place offered")


@transaction.atomic
def waitlist_offers_expire() -> int:
    """Let lapsed offers go and offer those places to the next in line; returns how many."""
    due = Application.objects.filter(
        status=Application.Status.WAITLISTED, offer_expires_at__lte=timezone.now()
    )
    # Cohorts first, then applications: the order every other path takes its locks in.
    list(Cohort.objects.select_for_update(no_key=True).filter(pk__in=due.values("cohort_id")))
    lapsed = list(due.select_for_update())
    for application in lapsed:
        application.offer_expires_at = None
        application.offer_lapsed_at = timezone.now()
        application.save(update_fields=["offer_expires_at", "offer_lapsed_at", "updated_at"])
        ApplicationEvent.objects.create(
            application=application,
            from_status=application.status,
            to_status=application.status,
            reason="The offered place was not taken up in time.",
        )
        application_email_later(application.pk, "waitlist_offer_lapsed", "offer-lapsed")
    for cohort in Cohort.objects.filter(pk__in={a.cohort_id for a in lapsed}):
        waitlist_offer_next(cohort=cohort)
    return len(lapsed)


# Days after sending when the approver is reminded; after the last, staff are told.
APPROVAL_CHASES = (3, 7)


APPROVAL_STAFF_ALERT_DAYS = 10


def approvals_chase() -> int:
    """Remind approvers who have not answered (after 3 and 7 days), then tell the hub; each
    reminder once. Returns how many reminders or alerts were sent this time."""
    now = timezone.now()
    sent = 0
    waiting = Application.objects.filter(status=Application.Status.AWAITING_SCHOOL)
    for chase, days in enumerate(APPROVAL_CHASES, start=1):
        due = waiting.filter(
            approval_chases=chase - 1, submitted_at__lte=now - timedelta(days=days)
        )
        for application_id in due.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                application = _locked(Application(pk=application_id))
                if application.approval_chases != chase - 1:
                    continue  # another run got there first
                application.approval_chases = chase
                application.save(update_fields=["approval_chases", "updated_at"])
                application_email_later(application.pk, "school_approval_request", f"chase-{chase}")
                sent += 1
    stale = waiting.filter(
        approval_chases=len(APPROVAL_CHASES),
        submitted_at__lte=now - timedelta(days=APPROVAL_STAFF_ALERT_DAYS),
    )
    for application in stale.select_related("applicant", "cohort__programme").iterator():
        email_send_once(
            to=settings.HUB_CONTACT_EMAIL,
            kind="approval_overdue",
            about=application,
            occasion="staff-alert",
            context={
                "application": application,
                "url": settings.SITE_URL + application.get_absolute_url(),
            },
        )
        sent += 1
    return sent


def applications_decide_in_bulk(
    *, applications, action: str, by: User, reason: str = ""
) -> tuple[list[Application], list[tuple[Application, str]]]:
    """Accept or reject several applications, each on its own: one that cannot be decided
    (a full cohort, not yet approved) is reported and the others still go ahead.

    Returns (decided, refused with the reason why).
    """
    decide = {"accept": application_accept, "reject": application_reject}[action]
    decided, refused = [], []
    for application in applications:
        try:
            decide(application=application, by=by, reason=reason)
        except ValidationError as error:
            refused.append((application, " ".join(error.messages)))
        else:
            decided.append(application)
    return decided, refused
