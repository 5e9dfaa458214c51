"""Personal data across every app: subject access exports, erasure by anonymisation, and
the retention rules. This app sits rightmost (after reports) because it reads and changes
every app's records; nothing depends on it."""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat, Replace
from django.utils import timezone

from applications.models import Application, ApplicationEvent, TeamMember
from assessment.models import (
    DeadlineExtension,
    EligibilityException,
    Marking,
    Outcome,
    Submission,
)
from cohorts.models import CalendarFeed
from mailing_list.models import Subscriber
from mailing_list.services import subscribers_expire_unconfirmed
from npq_portal.emails import email_about_key
from npq_portal.models import EmailDelivery, PersonalDataRequest, RoleChange, User
from npq_portal.roles import STAFF_ROLES, user_roles
from npq_portal.services import user_set_roles
from participants.models import AttendanceChange, Enrolment, EnrolmentEvent, SchoolPlaceEvent
from reminders.models import ReminderOptOut
from reports.models import Export, ExportEvent
from schools.models import SchoolLeadership

from .registry import personal_data_erasers
from .selectors import person_data, person_data_nested, person_emails, person_subjects

logger = logging.getLogger(__name__)

# What replaces a required free-text field (a marker's feedback, a lead's reason) on erasure:
# the database insists on some text there, and this says why it is not the original.
ERASED = "(erased)"
ERASED_DOMAIN = "erased.invalid"  # .invalid never resolves (RFC 2606): nothing can be sent
# The application's answers that are free text or identify the person; the choices (work
# setting, kind of nursery, payment) stay, as the funding figures are worked out from them.
PERSONAL_ANSWERS = (
    "role",
    "trn",
    "mastery_how",
    "senco_since",
    "headteacher_name",
    "headteacher_email",
)
# The application's fields that identify the applicant, their headteacher or the decider.
APPLICATION_PERSONAL_FIELDS = (
    "trn",
    "headteacher_name",
    "headteacher_email",
    "approver_email",
    "school_decided_by",
    "school_decided_by_email",
    "school_comment",
)
BATCH_SIZE = 500


# ---- Subject access ----


def person_data_export(*, person: User, by: User) -> tuple[bytes, PersonalDataRequest]:
    """Make the ZIP of everything held about the person and record who asked for it.

    The ZIP holds person.json (the whole record, nested), a CSV per table, and the files
    the person uploaded that are small enough (settings.PERSONAL_DATA).
    """
    data = person_data(
        person=person, file_max_bytes=settings.PERSONAL_DATA["export_file_max_bytes"]
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        document = person_data_nested(data)
        archive.writestr("person.json", json.dumps(document, indent=2, ensure_ascii=False))
        archive.writestr("account.csv", _csv([data.account]))
        for name, rows in data.tables.items():
            archive.writestr(f"{name}.csv", _csv(rows))
        for name, stored in data.files:
            with stored.open("rb") as handle:
                archive.writestr(name, handle.read())
    summary = {name: len(rows) for name, rows in data.tables.items() if rows}
    summary["files"] = len(data.files)
    record = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.ACCESS, person_id=person.pk, by=by, summary=summary
    )
    logger.info("Subject access export %s for user %s by user %s", record.pk, person.pk, by.pk)
    return buffer.getvalue(), record


def _csv(rows: list[dict]) -> str:
    output = io.StringIO()
    if not rows:
        output.write("No records\r\n")
        return output.getvalue()
    writer = csv.DictWriter(output, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: json.dumps(value, ensure_ascii=False)
                if isinstance(value, dict | list)
                else ("" if value is None else _safe_cell(value))
                for key, value in row.items()
            }
        )
    return output.getvalue()


def _safe_cell(value):
    # A cell starting with = + - @ runs as a formula in a spreadsheet: quote it as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# ---- Erasure ----


def person_erase_refusals(*, person: User, by: User | None) -> list[str]:
    """Why the person cannot be erased yet, in sentences a hub administrator can act on;
    empty when they can be."""
    reasons = []
    if by is not None and by.pk == person.pk:
        reasons.append("You cannot erase your own account; ask another hub administrator.")
    staff_roles = [role.label for role in user_roles(person) if role in STAFF_ROLES]
    if person.is_superuser or staff_roles:
        held = ", ".join(staff_roles) or "superuser"
        reasons.append(
            f"They are hub staff ({held}): remove their staff roles first (Change roles), so "
            "nobody loses access to what they run or mark without being told."
        )
    live_places = Enrolment.objects.filter(participant=person).holding_a_place()
    if live_places.exists():
        reasons.append(
            "They hold a place that is active or deferred: withdraw it first. A place in "
            "progress needs their name and TRN for registers and DfE declarations."
        )
    open_applications = Application.objects.filter(applicant=person).exclude(
        status__in=Application.DECIDED
    )
    if open_applications.exists():
        reasons.append(
            "They have an application not yet decided: withdraw or reject it first, so their "
            "headteacher is not asked to approve an application nobody can see."
        )
    return reasons


@transaction.atomic
def person_erase(*, person: User, by: User, reason: str) -> PersonalDataRequest:
    """Erase the person's personal data by anonymisation, keeping every count and status.

    Raises ValidationError, changing nothing, when erasing them would break something the
    portal needs (see person_erase_refusals) or no reason is given. Erasing someone already
    erased changes nothing and returns the earlier record.
    """
    if not reason.strip():
        raise ValidationError("Say why their data is being erased (e.g. their request's date).")
    person = User.objects.select_for_update().get(pk=person.pk)
    if person.erased_at is not None:
        earlier = PersonalDataRequest.objects.filter(
            kind=PersonalDataRequest.Kind.ERASURE, person_id=person.pk
        ).first()
        if earlier is not None:
            return earlier
    refusals = person_erase_refusals(person=person, by=by)
    if refusals:
        raise ValidationError(refusals)

    emails = person_emails(person)
    subjects = person_subjects(person)
    # What someone may have typed into a list's search to find them, read before it goes.
    searched_for = {
        *emails,
        person.get_full_name(),
        *Application.objects.filter(applicant=person).exclude(trn="").values_list("trn", flat=True),
    }
    counts: dict[str, int] = {}

    def count(name: str, changed: int) -> None:
        if changed:
            counts[name] = counts.get(name, 0) + changed

    # Roles first, through the service that records each change (a school leader's role).
    if user_roles(person)[:-1]:
        count("roles_removed", len(user_roles(person)) - 1)
        user_set_roles(user=person, roles=[], by=by, reason="Personal data erased")
    count("school_leaderships", SchoolLeadership.objects.filter(user=person).delete()[0])
    count(
        "role_change_reasons",
        RoleChange.objects.filter(user=person).exclude(reason="").update(reason=""),
    )

    applications = Application.objects.filter(applicant=person)
    for name, changed in applications_anonymise(applications).items():
        count(name, changed)
    # A Work Group's history names who replaced whom, and staff's note of why.
    full_name = person.get_full_name()
    if full_name:
        named = SchoolPlaceEvent.objects.filter(
            school_place__members__participant=person, reason__contains=full_name
        ).distinct()
        count(
            "work_group_history_entries",
            SchoolPlaceEvent.objects.filter(pk__in=named.values("pk")).update(
                reason=Replace("reason", Value(full_name), Value("a former team member")),
                staff_note="",
            ),
        )
    # Where a school named them in its Work Group team.
    count(
        "work_group_team_entries",
        _team_members_anonymise(TeamMember.objects.filter(Q(user=person) | Q(email__in=emails))),
    )
    count(
        "place_history_reasons",
        EnrolmentEvent.objects.filter(enrolment__participant=person)
        .exclude(reason="")
        # A withdrawal's reason is one of the listed codes the reports count: it stays.
        .exclude(reason__in=EnrolmentEvent.WithdrawalReason.values)
        .update(reason=""),
    )
    count(
        "attendance_change_reasons",
        AttendanceChange.objects.filter(attendance__enrolment__participant=person)
        .exclude(reason=ERASED)
        .update(reason=ERASED),
    )
    for name, changed in _assessment_anonymise(person).items():
        count(name, changed)
    # What apps above this one hold (privacy/registry.py), in this transaction.
    for eraser in personal_data_erasers():
        for name, changed in eraser(person, emails).items():
            count(name, changed)

    deliveries = EmailDelivery.objects.filter(
        Q(recipient__in=emails) | Q(about__in=subjects)
    ).exclude(recipient__endswith="@" + ERASED_DOMAIN)
    count("emails_logged", _deliveries_anonymise(deliveries))
    count("mailing_list", Subscriber.objects.filter(email__in=emails).delete()[0])
    count("reminder_opt_outs", ReminderOptOut.objects.filter(email__in=emails).delete()[0])
    count("calendar_feeds", CalendarFeed.objects.filter(owner=person).delete()[0])
    count("exports", _exports_forget(Export.objects.filter(requested_by=person)))
    count("export_searches", _export_searches_forget(searched_for))
    count("sessions", _sessions_end(person))
    count("mfa_authenticators", Authenticator.objects.filter(user=person).delete()[0])
    addresses = EmailAddress.objects.filter(user=person)
    count("email_addresses", addresses.exclude(email__endswith="@" + ERASED_DOMAIN).count())
    # One placeholder address stays, verified as the original was: the hub's count of
    # people who never verified must not change because someone was erased.
    verified = addresses.filter(verified=True).exists()
    addresses.delete()

    if person.erased_at is None:
        count("account", 1)
    person.email = f"erased-{person.pk}@{ERASED_DOMAIN}"
    person.first_name = ""
    person.last_name = ""
    person.set_unusable_password()
    person.is_active = False
    person.erased_at = person.erased_at or timezone.now()
    person.save()
    if verified:
        EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    count("admin_log_entries", _admin_log_forget(person=person, emails=emails))

    record = PersonalDataRequest.objects.create(
        kind=PersonalDataRequest.Kind.ERASURE,
        person_id=person.pk,
        by=by,
        reason=reason.strip(),
        summary=counts,
    )
    logger.info("Erased user %s (request %s) by user %s", person.pk, record.pk, by.pk)
    return record


def applications_anonymise(applications) -> dict[str, int]:
    """Remove what identifies the people in these applications (TRN, headteacher, the
    school's decider and comment, free-text answers, notes in their history), keeping each
    status, school, cohort, date and funding decision; returns how many of each changed."""
    # Lock only the applications: the applicants' accounts are read, not changed.
    applications = list(
        applications.select_related("applicant").select_for_update(of=("self",)).order_by("pk")
    )
    now = timezone.now()
    changed = []
    for application in applications:
        answers = {k: v for k, v in application.answers.items() if k not in PERSONAL_ANSWERS}
        if answers == application.answers and not any(
            getattr(application, name) for name in APPLICATION_PERSONAL_FIELDS
        ):
            continue
        for name in APPLICATION_PERSONAL_FIELDS:
            setattr(application, name, "")
        application.answers = answers
        application.updated_at = now  # bulk_update does not apply auto_now
        changed.append(application)
    Application.objects.bulk_update(
        changed, [*APPLICATION_PERSONAL_FIELDS, "answers", "updated_at"], batch_size=BATCH_SIZE
    )
    notes = ApplicationEvent.objects.filter(application__in=applications).filter(
        ~Q(reason="") | ~Q(by_name="")
    )
    # The approval requests and chases went to the headteacher, whose address the
    # applicant gave us, and name the applicant in their subject; the applicant's own
    # copies stay until they ask for erasure.
    applicant_email = {email_about_key(a): a.applicant.email for a in applications}
    logged = EmailDelivery.objects.filter(about__in=applicant_email).exclude(
        recipient__endswith="@" + ERASED_DOMAIN
    )
    to_others = [
        pk
        for pk, about, recipient in logged.values_list("pk", "about", "recipient")
        if recipient != applicant_email[about]
    ]
    return {
        "applications": len(changed),
        "application_history_notes": notes.update(reason="", by_name=""),
        # The people a school named in its Work Group sign-up.
        "work_group_team_entries": _team_members_anonymise(
            TeamMember.objects.filter(application__in=applications)
        ),
        "emails_logged": _deliveries_anonymise(EmailDelivery.objects.filter(pk__in=to_others)),
    }


def _team_members_anonymise(members) -> int:
    """Remove the names and addresses of people named in Work Group teams, keeping their slot
    (how many took part in each role still counts)."""
    return members.exclude(email__endswith="@" + ERASED_DOMAIN).update(
        first_name="",
        last_name="",
        # Unique per row, as one address a team must be.
        email=Concat(Value("erased-member-"), Cast("pk", CharField()), Value("@" + ERASED_DOMAIN)),
    )


def _deliveries_anonymise(deliveries) -> int:
    return deliveries.update(
        # Unique per row, so the log's (recipient, kind, about, occasion) key stays unique.
        recipient=Concat(Value("removed-"), Cast("pk", CharField()), Value("@" + ERASED_DOMAIN)),
        subject="",
        body="",
        last_error="",  # a server's refusal quotes the address
        updated_at=timezone.now(),
    )


def _assessment_anonymise(person: User) -> dict[str, int]:
    counts = {}
    submissions = Submission.objects.filter(enrolment__participant=person)
    files = 0
    for submission in submissions.exclude(file="").select_for_update():
        stored = submission.file
        # After commit: a rolled-back erasure must not have lost the file.
        transaction.on_commit(lambda stored=stored: stored.storage.delete(stored.name))
        submission.file = ""
        submission.save(update_fields=["file", "updated_at"])
        files += 1
    counts["submission_files"] = files
    counts["submissions"] = submissions.filter(
        ~Q(text="") | ~Q(original_filename="") | ~Q(void_reason="")
    ).update(text="", original_filename="", void_reason="", updated_at=timezone.now())
    counts["marking_feedback"] = (
        Marking.objects.filter(submission__enrolment__participant=person)
        .exclude(feedback__in=["", ERASED])
        .update(feedback=ERASED)
    )
    outcomes = Outcome.objects.filter(enrolment__participant=person)
    counts["outcome_feedback"] = outcomes.exclude(feedback="").update(feedback="")
    counts["outcome_reasons"] = outcomes.exclude(reason__in=["", ERASED]).update(reason=ERASED)
    counts["assessment_allowance_reasons"] = (
        EligibilityException.objects.filter(enrolment__participant=person)
        .exclude(reason=ERASED)
        .update(reason=ERASED)
    ) + (
        DeadlineExtension.objects.filter(enrolment__participant=person)
        .exclude(reason=ERASED)
        .update(reason=ERASED)
    )
    return counts


def _exports_forget(exports) -> int:
    forgotten = 0
    for export in exports:
        if export.file:
            stored = export.file
            transaction.on_commit(lambda stored=stored: stored.storage.delete(stored.name))
        export.delete()
        forgotten += 1
    return forgotten


def _export_searches_forget(searched_for: set[str]) -> int:
    """Other people's exports keep the filters they were made with: a search that named this
    person (their name, an address or TRN) is blanked; the export's other filters stay."""
    needles = {text.casefold() for text in searched_for if len(text.strip()) >= 3}
    changed = 0
    for model in (ExportEvent, Export):
        records = model.objects.exclude(filters={}).only("pk", "filters")
        found = []
        for record in records.iterator(chunk_size=500):
            filters = {
                key: ERASED if any(needle in str(value).casefold() for needle in needles) else value
                for key, value in record.filters.items()
            }
            if filters != record.filters:
                record.filters = filters
                found.append(record)
        model.objects.bulk_update(found, ["filters"], batch_size=500)
        changed += len(found)
    return changed


def _admin_log_forget(*, person: User, emails: set[str]) -> int:
    """The Django admin's log names each object as it was then: the person's name on their
    account's entries, an address on a logged email's. Rename them as they are now."""
    account = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(person.pk)
    )
    quoting = Q()
    for email in emails:
        quoting |= Q(object_repr__icontains=email)
    return account.exclude(object_repr=str(person)).update(object_repr=str(person)) + (
        LogEntry.objects.filter(quoting).update(object_repr=ERASED) if quoting else 0
    )


def _sessions_end(person: User) -> int:
    """Delete the person's signed-in sessions (the session table has no user column)."""
    ended = 0
    key = str(person.pk)
    live = Session.objects.filter(expire_date__gt=timezone.now()).order_by("pk")
    for session in live.iterator(chunk_size=BATCH_SIZE):
        if session.get_decoded().get("_auth_user_id") == key:
            session.delete()
            ended += 1
    return ended


# ---- Retention ----


@dataclass
class RetentionReport:
    """What a retention run did, or would do on a dry run."""

    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    record: PersonalDataRequest | None = None

    @property
    def found_nothing(self) -> bool:
        return not any(self.counts.values())


class _DryRun(Exception):
    """Raised to roll a dry run's changes back."""


def closed_applications_due(*, now=None):
    """Rejected and withdrawn applications decided longer ago than RETENTION allows that
    still hold personal data."""
    now = now or timezone.now()
    cutoff = now - settings.RETENTION["closed_applications"]
    # When it was decided, as the application keeps it; made in bulk with none kept, when it
    # last changed.
    decided_at = Coalesce(F("decided_at"), F("updated_at"))
    notes = ApplicationEvent.objects.filter(application=OuterRef("pk")).filter(
        ~Q(reason="") | ~Q(by_name="")
    )
    named = TeamMember.objects.filter(application=OuterRef("pk")).exclude(
        email__endswith="@" + ERASED_DOMAIN
    )
    holding = Q(answers__has_any_keys=list(PERSONAL_ANSWERS)) | Q(Exists(notes)) | Q(Exists(named))
    for name in APPLICATION_PERSONAL_FIELDS:
        holding |= ~Q(**{name: ""})
    return (
        Application.objects.filter(status__in=RETAINED_STATUSES)
        .alias(decided_or_changed_at=decided_at)
        .filter(decided_or_changed_at__lt=cutoff)
        .filter(holding)
    )


# An application the school declined is not closed: the hub still rejects it (or the
# applicant withdraws), and its clock starts then.
RETAINED_STATUSES = (Application.Status.REJECTED, Application.Status.WITHDRAWN)


def retention_apply(*, dry_run: bool = False, now=None) -> RetentionReport:
    """Forget what the retention rules say is kept long enough: mailing-list sign-ups never
    confirmed, and the personal data in applications closed without a place. Works in
    batches; a dry run reports the same counts and changes nothing; a rerun finds nothing."""
    report = RetentionReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            report.counts = _retention_run(now=now)
            if dry_run:
                raise _DryRun
    except _DryRun:
        return report
    if not report.found_nothing:
        report.record = PersonalDataRequest.objects.create(
            kind=PersonalDataRequest.Kind.RETENTION,
            reason="The retention rules in settings.RETENTION",
            summary={name: n for name, n in report.counts.items() if n},
        )
    logger.info("Retention run: %s", report.counts)
    return report


def _retention_run(*, now=None) -> dict[str, int]:
    now = now or timezone.now()
    counts = {
        "unconfirmed_subscribers": subscribers_expire_unconfirmed(
            older_than=settings.RETENTION["unconfirmed_subscribers"]
        ),
        "applications": 0,
        "application_history_notes": 0,
        "emails_logged": 0,
        "work_group_team_entries": 0,
    }
    last = 0
    while True:
        # On from the last batch's end: a row anonymising left unchanged is not met again.
        batch = list(
            closed_applications_due(now=now)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not batch:
            break
        last = batch[-1]
        with transaction.atomic():
            changed = applications_anonymise(Application.objects.filter(pk__in=batch))
        for name, n in changed.items():
            counts[name] += n
    return counts
