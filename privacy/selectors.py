"""Everything the portal holds about one person, read from every app, for a subject access
export. Each table is a list of flat rows (ids link them); person_data_nested() hangs each
row under the record it belongs to, for the readable JSON file."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from applications.models import Application, ApplicationEvent, TeamMember
from assessment.models import DeadlineExtension, EligibilityException, Outcome, Submission
from cohorts.models import CalendarFeed
from funding.models import FundingDecision, FundingOverride
from mailing_list.models import Subscriber
from npq_portal.models import EmailDelivery, PersonalDataRequest, RoleChange, User
from npq_portal.roles import user_roles
from participants.models import (
    Attendance,
    AttendanceChange,
    Enrolment,
    EnrolmentEvent,
    ModulePhaseDone,
)
from reminders.models import ReminderOptOut
from reports.models import ExportEvent
from schools.models import SchoolLeadership

from .registry import personal_data_sources


@dataclass
class PersonData:
    """The tables of one person's data, in the order the export lists them."""

    person_id: int
    made_at: Any
    account: dict
    tables: dict[str, list[dict]] = field(default_factory=dict)
    # Submission files to put in the ZIP: (the name in the ZIP, the stored file).
    files: list[tuple[str, Any]] = field(default_factory=list)


def _when(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _who(user: User | None) -> str:
    """Staff who acted on the record, by name; the person's own actions say "You"."""
    if user is None:
        return ""
    return user.get_full_name() or "Hub staff"


def _rows(queryset: QuerySet, columns: dict[str, Callable[[Model], Any]]) -> list[dict]:
    return [{name: read(row) for name, read in columns.items()} for row in queryset]


def person_emails(person: User) -> set[str]:
    """Every address the person has used with the portal: the account's and allauth's."""
    addresses = {person.email.lower()}
    addresses |= {
        email.lower()
        for email in EmailAddress.objects.filter(user=person).values_list("email", flat=True)
    }
    return addresses


def person_subjects(person: User) -> list[str]:
    """How emails and funding decisions name the person's applications and places."""
    applications = Application.objects.filter(applicant=person).values_list("pk", flat=True)
    enrolments = Enrolment.objects.filter(participant=person).values_list("pk", flat=True)
    return [f"{Application._meta.label_lower}:{pk}" for pk in applications] + [
        f"{Enrolment._meta.label_lower}:{pk}" for pk in enrolments
    ]


def person_data(*, person: User, file_max_bytes: int) -> PersonData:
    """Every record held about the person, as tables of rows, and which files to include."""
    emails = person_emails(person)
    subjects = person_subjects(person)
    data = PersonData(person_id=person.pk, made_at=timezone.now(), account=_account(person))
    tables = data.tables

    tables["email_addresses"] = _rows(
        EmailAddress.objects.filter(user=person).order_by("pk"),
        {
            "email": lambda r: r.email,
            "verified": lambda r: r.verified,
            "primary": lambda r: r.primary,
        },
    )
    tables["two_factor_authentication"] = _rows(
        Authenticator.objects.filter(user=person).order_by("pk"),
        {
            "type": lambda r: r.get_type_display(),
            "set_up_at": lambda r: _when(r.created_at),
            "last_used_at": lambda r: _when(r.last_used_at),
        },
    )
    tables["role_changes"] = _rows(
        RoleChange.objects.filter(user=person).select_related("by"),
        {
            "role": lambda r: r.get_role_display(),
            "change": lambda r: "given" if r.granted else "removed",
            "by": lambda r: _who(r.by) or "The portal",
            "reason": lambda r: r.reason,
            "at": lambda r: _when(r.changed_at),
        },
    )
    tables["school_leadership"] = _rows(
        SchoolLeadership.objects.filter(user=person).select_related("school"),
        {
            "school": lambda r: r.school.name,
            "urn": lambda r: r.school.urn,
            "confirmed_at": lambda r: _when(r.confirmed_at),
        },
    )

    applications = Application.objects.filter(applicant=person).select_related(
        "cohort__programme", "school"
    )
    tables["applications"] = _rows(
        applications.order_by("created_at", "pk"),
        {
            "application_id": lambda r: r.pk,
            "programme": lambda r: r.cohort.programme.name,
            "cohort": lambda r: str(r.cohort),
            "status": lambda r: r.get_status_display(),
            "school": lambda r: r.school.name if r.school else "",
            "school_urn": lambda r: r.school.urn if r.school else "",
            "trn": lambda r: r.trn,
            "headteacher_name": lambda r: r.headteacher_name,
            "headteacher_email": lambda r: r.headteacher_email,
            "approver_email": lambda r: r.approver_email,
            "school_decided_by": lambda r: r.school_decided_by,
            "school_decided_by_email": lambda r: r.school_decided_by_email,
            "school_decided_at": lambda r: _when(r.school_decided_at),
            "school_comment": lambda r: r.school_comment,
            "answers": lambda r: r.answers,
            "started_at": lambda r: _when(r.created_at),
            "submitted_at": lambda r: _when(r.submitted_at),
            "waitlisted_at": lambda r: _when(r.waitlisted_at),
            "offer_expires_at": lambda r: _when(r.offer_expires_at),
            "offer_lapsed_at": lambda r: _when(r.offer_lapsed_at),
        },
    )
    tables["application_history"] = _rows(
        ApplicationEvent.objects.filter(application__applicant=person).select_related("by"),
        {
            "application_id": lambda r: r.application_id,
            "from": lambda r: r.get_from_status_display(),
            "to": lambda r: r.get_to_status_display(),
            "by": lambda r: "You" if r.by_id == person.pk else (_who(r.by) or r.by_name),
            "reason": lambda r: r.reason,
            "at": lambda r: _when(r.at),
        },
    )
    decisions = FundingDecision.objects.filter(subject__in=subjects)
    tables["funding_decisions"] = _rows(
        decisions.order_by("created_at", "pk"),
        {
            "funding_decision_id": lambda r: r.pk,
            "application_id": lambda r: int(r.subject.rsplit(":", 1)[1]),
            "rule_set": lambda r: r.rules,
            "outcome": lambda r: r.status,
            "funded": lambda r: r.funded,
            "reason": lambda r: r.reason,
            "bursary_eligible": lambda r: r.bursary_eligible,
            "bursary_amount": lambda r: r.bursary_amount,
            "overridden_to": lambda r: r.override_status,
            "override_reason": lambda r: r.override_reason,
            "overridden_at": lambda r: _when(r.overridden_at),
            "facts": lambda r: r.facts,
            "decided_at": lambda r: _when(r.created_at),
        },
    )
    tables["funding_overrides"] = _rows(
        FundingOverride.objects.filter(decision__in=decisions).select_related("by"),
        {
            "funding_decision_id": lambda r: r.decision_id,
            "outcome": lambda r: r.status,
            "reason": lambda r: r.reason,
            "by": lambda r: _who(r.by),
            "at": lambda r: _when(r.at),
        },
    )

    tables["work_group_teams"] = _rows(
        TeamMember.objects.filter(Q(user=person) | Q(email__in=emails))
        .select_related("application__cohort__programme", "application__school", "slot")
        .order_by("pk"),
        {
            "application_id": lambda r: r.application_id,
            "school": lambda r: r.application.school.name if r.application.school else "",
            "programme": lambda r: r.application.cohort.programme.name,
            "cohort": lambda r: str(r.application.cohort),
            "role": lambda r: r.slot.label,
            "first_name": lambda r: r.first_name,
            "last_name": lambda r: r.last_name,
            "email": lambda r: r.email,
        },
    )

    enrolments = Enrolment.objects.filter(participant=person).select_related("cohort__programme")
    tables["places"] = _rows(
        enrolments.order_by("created_at", "pk"),
        {
            "place_id": lambda r: r.pk,
            "programme": lambda r: r.cohort.programme.name,
            "cohort": lambda r: str(r.cohort),
            "status": lambda r: r.get_status_display(),
            "assessment_result": lambda r: r.get_assessment_result_display(),
            "application_id": lambda r: r.application_id or "",
            "transferred_from_place_id": lambda r: r.transferred_from_id or "",
            "made_at": lambda r: _when(r.created_at),
        },
    )
    tables["place_history"] = _rows(
        EnrolmentEvent.objects.filter(enrolment__participant=person).select_related("by"),
        {
            "place_id": lambda r: r.enrolment_id,
            "from": lambda r: r.get_from_status_display(),
            "to": lambda r: r.get_to_status_display(),
            "by": lambda r: "You" if r.by_id == person.pk else _who(r.by),
            "reason": lambda r: r.reason,
            "at": lambda r: _when(r.at),
        },
    )
    tables["attendance"] = _rows(
        Attendance.objects.filter(enrolment__participant=person)
        .select_related("session")
        .order_by("session__starts_at", "pk"),
        {
            "place_id": lambda r: r.enrolment_id,
            "session": lambda r: r.session.title,
            "session_starts_at": lambda r: _when(r.session.starts_at),
            "mark": lambda r: r.get_mark_display(),
            "recorded_at": lambda r: _when(r.recorded_at),
        },
    )
    tables["attendance_changes"] = _rows(
        AttendanceChange.objects.filter(attendance__enrolment__participant=person).select_related(
            "attendance__session", "by"
        ),
        {
            "place_id": lambda r: r.attendance.enrolment_id,
            "session": lambda r: r.attendance.session.title,
            "from": lambda r: r.get_from_mark_display(),
            "to": lambda r: r.get_to_mark_display(),
            "by": lambda r: _who(r.by),
            "reason": lambda r: r.reason,
            "at": lambda r: _when(r.at),
        },
    )
    tables["module_progress"] = _rows(
        ModulePhaseDone.objects.filter(enrolment__participant=person)
        .select_related("module")
        .order_by("at", "pk"),
        {
            "place_id": lambda r: r.enrolment_id,
            "module": lambda r: r.module.title,
            "phase": lambda r: r.get_phase_display(),
            "done_at": lambda r: _when(r.at),
        },
    )

    submissions = list(
        Submission.objects.filter(enrolment__participant=person)
        .select_related("window")
        .order_by("created_at", "pk")
    )
    files_in_zip: dict[int, str] = {}
    for submission in submissions:
        if not submission.file:
            continue
        try:
            size = submission.file.size
        except OSError:  # the file has gone from storage; the row still says it was there
            files_in_zip[submission.pk] = "missing from storage"
            continue
        if size > file_max_bytes:
            files_in_zip[submission.pk] = "too large for this download: ask the hub for it"
            continue
        name = f"files/submission-{submission.pk}-{_safe_name(submission.original_filename)}"
        data.files.append((name, submission.file))
        files_in_zip[submission.pk] = name
    tables["assessment_submissions"] = [
        {
            "submission_id": s.pk,
            "place_id": s.enrolment_id,
            "window": s.window.title,
            "attempt": s.attempt,
            "status": s.get_status_display(),
            "text": s.text,
            "word_count": s.word_count,
            "uploaded_file": s.original_filename,
            "file_in_this_download": files_in_zip.get(s.pk, ""),
            "last_saved_at": _when(s.last_saved_at),
            "submitted_at": _when(s.submitted_at),
            "late": s.late,
            "voided_at": _when(s.voided_at),
            "void_reason": s.void_reason,
        }
        for s in submissions
    ]
    # Only released results: until its release date a result is not final, and the law lets
    # results wait for their announcement (UK DPA 2018, Schedule 2, paragraph 25).
    tables["assessment_outcomes"] = _rows(
        Outcome.objects.released()
        .filter(enrolment__participant=person)
        .select_related("window")
        .order_by("released_at", "pk"),
        {
            "submission_id": lambda r: r.submission_id,
            "place_id": lambda r: r.enrolment_id,
            "window": lambda r: r.window.title,
            "attempt": lambda r: r.attempt,
            "result": lambda r: r.get_result_display(),
            "feedback": lambda r: r.feedback,
            "released_at": lambda r: _when(r.released_at),
        },
    )
    tables["assessment_allowances"] = [
        *_rows(
            EligibilityException.objects.filter(enrolment__participant=person).select_related(
                "window"
            ),
            {
                "place_id": lambda r: r.enrolment_id,
                "window": lambda r: r.window.title,
                "allowance": lambda r: "may take the assessment below the participation needed",
                "until": lambda r: "",
                "reason": lambda r: r.reason,
                "at": lambda r: _when(r.at),
            },
        ),
        *_rows(
            DeadlineExtension.objects.filter(enrolment__participant=person).select_related(
                "window"
            ),
            {
                "place_id": lambda r: r.enrolment_id,
                "window": lambda r: r.window.title,
                "allowance": lambda r: "deadline extended",
                "until": lambda r: _when(r.until),
                "reason": lambda r: r.reason,
                "at": lambda r: _when(r.at),
            },
        ),
    ]

    tables["emails_sent"] = _rows(
        EmailDelivery.objects.filter(recipient__in=emails).order_by("created_at", "pk"),
        {
            "to": lambda r: r.recipient,
            "email": lambda r: r.kind,
            "subject": lambda r: r.subject,
            "status": lambda r: r.get_status_display(),
            "sent_at": lambda r: _when(r.sent_at),
            "logged_at": lambda r: _when(r.created_at),
        },
    )
    tables["mailing_list"] = _rows(
        Subscriber.objects.filter(email__in=emails)
        .select_related("school")
        .prefetch_related("programmes"),
        {
            "email": lambda r: r.email,
            "first_name": lambda r: r.first_name,
            "last_name": lambda r: r.last_name,
            "school": lambda r: r.school.name if r.school else "",
            "programmes": lambda r: "; ".join(p.name for p in r.programmes.all()),
            "consent_text": lambda r: r.consent_text,
            "consented_at": lambda r: _when(r.consented_at),
            "confirmed_at": lambda r: _when(r.confirmed_at),
            "unsubscribed_at": lambda r: _when(r.unsubscribed_at),
        },
    )
    tables["reminder_opt_outs"] = _rows(
        ReminderOptOut.objects.filter(email__in=emails),
        {"email": lambda r: r.email, "at": lambda r: _when(r.at)},
    )
    tables["calendar_feeds"] = _rows(
        CalendarFeed.objects.filter(owner=person).order_by("created_at", "pk"),
        {
            "made_at": lambda r: _when(r.created_at),
            "turned_off_at": lambda r: _when(r.revoked_at),
        },
    )
    # Every list taken away writes an event, downloaded at once or made in the background,
    # and the event outlives the export and its file (reports.services.export_record).
    tables["exports_made"] = _rows(
        ExportEvent.objects.filter(by=person).order_by("at", "pk"),
        {
            "export": lambda r: r.get_kind_display(),
            "format": lambda r: r.get_file_format_display(),
            "filters": lambda r: r.filters,
            "rows": lambda r: r.rows,
            "at": lambda r: _when(r.at),
        },
    )
    # What apps above this one hold (privacy/registry.py), each section a table of its own.
    for source in personal_data_sources():
        for name, rows in source(person, emails):
            if name in tables:
                raise ValueError(f"Two tables of the export are called {name!r}")
            tables[name] = rows
    tables["personal_data_requests"] = _rows(
        PersonalDataRequest.objects.filter(person_id=person.pk).order_by("at", "pk"),
        {"request": lambda r: r.get_kind_display(), "at": lambda r: _when(r.at)},
    )
    return data


def _account(person: User) -> dict:
    return {
        "person_id": person.pk,
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "roles": [role.label for role in user_roles(person)],
        "joined_at": _when(person.date_joined),
        "last_signed_in_at": _when(person.last_login),
        "can_sign_in": person.is_active,
        "erased_at": _when(person.erased_at),
    }


def _safe_name(name: str) -> str:
    kept = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return kept.strip("._") or "file"


# Which table's rows hang under which record in the JSON, by the id column they share.
NESTED: tuple[tuple[str, str, str, str], ...] = (
    # (child table, under parent table, the id they share, the key in the parent)
    ("application_history", "applications", "application_id", "history"),
    ("funding_decisions", "applications", "application_id", "funding_decisions"),
    ("place_history", "places", "place_id", "history"),
    ("attendance", "places", "place_id", "attendance"),
    ("attendance_changes", "places", "place_id", "attendance_changes"),
    ("module_progress", "places", "place_id", "module_progress"),
    ("assessment_submissions", "places", "place_id", "assessment_submissions"),
    ("assessment_outcomes", "places", "place_id", "assessment_outcomes"),
    ("assessment_allowances", "places", "place_id", "assessment_allowances"),
)


def person_data_nested(data: PersonData) -> dict:
    """The whole record as one readable document: each row under the record it belongs to."""
    tables = {name: [dict(row) for row in rows] for name, rows in data.tables.items()}
    overrides = _group(tables.pop("funding_overrides"), "funding_decision_id")
    for decision in tables["funding_decisions"]:
        decision["overrides"] = overrides.get(decision["funding_decision_id"], [])
    for child, parent, key, under in NESTED:
        grouped = _group(tables.pop(child), key)
        for row in tables[parent]:
            row[under] = grouped.get(row[key], [])
    return {
        "about": (
            "Everything the NPQ Portal holds about you, as it stood when this file was made. "
            "The CSV files hold the same records, one table each."
        ),
        "made_at": _when(data.made_at),
        "account": data.account,
        **tables,
    }


def _group(rows: Iterable[dict], key: str) -> dict[Any, list[dict]]:
    grouped: dict[Any, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row.get(key)].append(row)
    return grouped
