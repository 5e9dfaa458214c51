"""What each export holds: its columns, where its rows come from, the permission it needs,
and, in one table (ROLE_COLUMNS), which columns each role gets.

Who may export a list at all is a permission in npq_portal/roles.py (a 403 without it);
which rows is the list's own for_user() scope (reports/selectors.py); which columns is
decided here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.text import slugify

from applications.models import Application, ApplicationQuerySet
from applications.steps import answer_fields, answer_filter_choices, answer_words
from npq_portal.roles import Role, user_roles
from npq_portal.words import word
from participants.models import ChargeQuerySet, Enrolment, GrantClaim

from . import selectors
from .models import Export

# The longest value a filter may carry (a search box's text, a slug, an id).
FILTER_MAX_LENGTH = 200


# How each filter is named on an export's page.
FILTER_LABELS = {
    "status": "Status",
    "cohort": "Cohort",
    "programme": "Programme",
    "funding": "Funding outcome",
    "answer": "Their answer",
    "q": "Search",
    "schools": "Schools",
    "academic_year": "Year",
    "year": "Year",
    "partner": "Delivery partner",
    "show": "Showing",
    "window": "Assessment window",
    "payer": "Who pays",
    "on": "As it stood on",
}


# Statuses a list may be filtered by, in words: an application's, a place's or a grant's.
STATUS_WORDS = {
    **dict(GrantClaim.Status.choices),
    **dict(Enrolment.Status.choices),
    **dict(Application.Status.choices),
}


# The queue's Answer filter in words: "Teaching for Mastery: No, but ... another way".
ANSWER_WORDS = {
    value: f"{question}: {words}"
    for question, choices in answer_filter_choices()
    for value, words in choices
}


def _outcome(code: str) -> str:
    return word("funding_outcome", code)


def filters_described(filters: Mapping[str, str]) -> list[tuple[str, str]]:
    """The filters an export was made with, as (name, value) for its page, in words."""
    described = []
    for key, value in filters.items():
        if key == "funding":
            value = _outcome(value)
        elif key == "status":
            value = STATUS_WORDS.get(value, value)
        elif key == "answer":
            value = ANSWER_WORDS.get(value, value)
        described.append((FILTER_LABELS.get(key, key), value))
    return described


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Dataset:
    kind: str
    title: str
    permission: str
    filter_keys: tuple[str, ...]  # the list's filters the export carries
    columns: tuple[Column, ...]
    read: Callable[..., selectors.ExportRows]
    file_stem: Callable[[Mapping[str, str]], str] | None = None

    def filters_from(self, data: Mapping[str, str]) -> dict[str, str]:
        """The filters this export takes, from a request's query (others are left out)."""
        filters = {}
        for key in self.filter_keys:
            value = (data.get(key) or "").strip()[:FILTER_MAX_LENGTH]
            if value:
                filters[key] = value
        return filters

    def file_name(self, *, filters: Mapping[str, str], file_format: str) -> str:
        """e.g. subscribers-npq-leading-primary-mathematics-2027-11-09.csv; a filter's text
        goes into the name only as a slug, so a crafted one cannot break the header."""
        stem = slugify(self.file_stem(filters) if self.file_stem else self.kind) or "export"
        return f"{stem[:100]}-{timezone.localdate():%Y-%m-%d}.{file_format}"


def _full_name(user) -> str:
    return user.get_full_name() or user.email


def _cohort(cohort) -> str:
    return f"{cohort.academic_year_label}, {cohort.name}"


def _places(application) -> str:
    """The place an application led to, as My school shows it (a transfer adds a second)."""
    return "; ".join(
        place.get_status_display()
        + (f" ({place.cohort.name})" if place.cohort_id != application.cohort_id else "")
        for place in application.enrolments.all()
    )


def _decision(application):
    return application.funding_decision


# The first columns of both exports of applications: who applied, for what, and from where.
def _answer(application, *, key: str, field) -> str:
    return answer_words(application.answers, key, field)


APPLICANT_COLUMNS = (
    Column("id", "Application", lambda a: a.pk),
    Column("first_name", "First name", lambda a: a.applicant.first_name),
    Column("last_name", "Last name", lambda a: a.applicant.last_name),
    Column("email", "Email", lambda a: a.applicant.email),
    Column("trn", "TRN", lambda a: a.trn),
    Column("programme", "Programme", lambda a: a.cohort.programme.short_name),
    Column("cohort", "Cohort", lambda a: _cohort(a.cohort)),
    Column("school_urn", "School URN", lambda a: a.school.urn if a.school else None),
    Column("school", "School", lambda a: a.school.name if a.school else ""),
)

# Every other answer the applicant gave, a column each, in words (the TRN, school and
# headteacher have their own columns above and below).
ANSWER_COLUMNS = tuple(
    Column(f"answer_{key}", str(field.label), partial(_answer, key=key, field=field))
    for key, field in answer_fields()
    if key not in {"trn", "school_name", "headteacher_name", "headteacher_email"}
)

APPLICATIONS = Dataset(
    kind=Export.Kind.APPLICATIONS,
    title="Applications",
    permission="reports.export_applications",
    filter_keys=(*ApplicationQuerySet.FILTERS, "schools"),
    read=selectors.applications_export_rows,
    columns=(
        *APPLICANT_COLUMNS,
        *ANSWER_COLUMNS,
        Column("status", "Status", lambda a: a.get_status_display()),
        Column("submitted_at", "Sent", lambda a: a.submitted_at),
        Column("headteacher", "Headteacher", lambda a: a.headteacher_name),
        Column("headteacher_email", "Headteacher email", lambda a: a.headteacher_email),
        Column("school_decided_by", "School decision by", lambda a: a.school_decided_by),
        Column("school_decided_at", "School decision on", lambda a: a.school_decided_at),
        Column(
            "funding",
            "Funding outcome",
            lambda a: _outcome(_decision(a).effective_status) if _decision(a) else "",
        ),
        Column(
            "funded", "Funded", lambda a: _decision(a).effective_funded if _decision(a) else None
        ),
        Column("place", "Place", _places),
        Column(
            "assessment",
            "Assessment",
            lambda a: "; ".join(p.get_assessment_result_display() for p in a.enrolments.all()),
        ),
    ),
)

FUNDING_DECISIONS = Dataset(
    kind=Export.Kind.FUNDING_DECISIONS,
    title="Funding decisions",
    permission="reports.export_funding_decisions",
    filter_keys=ApplicationQuerySet.FILTERS,
    read=selectors.funding_decisions_export_rows,
    columns=(
        *APPLICANT_COLUMNS,
        Column("application_status", "Application status", lambda a: a.get_status_display()),
        Column("rules", "Rule set", lambda a: _decision(a).rules),
        Column("calculated", "Calculated outcome", lambda a: _outcome(_decision(a).status)),
        Column("calculated_funded", "Calculated: funded", lambda a: _decision(a).funded),
        Column("subject_to_review", "Subject to review", lambda a: _decision(a).subject_to_review),
        Column("reason", "Reason", lambda a: _decision(a).reason),
        Column("bursary_eligible", "Bursary eligible", lambda a: _decision(a).bursary_eligible),
        Column("bursary_amount", "Bursary (£)", lambda a: _decision(a).bursary_amount),
        Column("decided_at", "Decided on", lambda a: _decision(a).created_at),
        Column("override", "Override", lambda a: _outcome(_decision(a).override_status)),
        Column("override_reason", "Override reason", lambda a: _decision(a).override_reason),
        Column(
            "overridden_by",
            "Overridden by",
            lambda a: _full_name(_decision(a).overridden_by) if _decision(a).overridden_by else "",
        ),
        Column("overridden_at", "Overridden on", lambda a: _decision(a).overridden_at),
        Column("outcome", "Outcome that stands", lambda a: _outcome(_decision(a).effective_status)),
        Column("funded", "Funded", lambda a: _decision(a).effective_funded),
    ),
)


def _place_school(row):
    application = row.enrolment.application
    return application.school if application else None


ENROLMENTS = Dataset(
    kind=Export.Kind.ENROLMENTS,
    title="Places",
    permission="reports.export_enrolments",
    filter_keys=("programme", "academic_year", "status", "partner", "cohort", "schools"),
    read=selectors.enrolments_export_rows,
    file_stem=lambda filters: "places",
    columns=(
        Column("id", "Place", lambda r: r.enrolment.pk),
        Column("first_name", "First name", lambda r: r.enrolment.participant.first_name),
        Column("last_name", "Last name", lambda r: r.enrolment.participant.last_name),
        Column("email", "Email", lambda r: r.enrolment.participant.email),
        Column(
            "trn",
            "TRN",
            lambda r: r.enrolment.application.trn if r.enrolment.application else "",
        ),
        Column("programme", "Programme", lambda r: r.enrolment.cohort.programme.short_name),
        Column("cohort", "Cohort", lambda r: _cohort(r.enrolment.cohort)),
        Column("partner", "Delivery partner", lambda r: r.enrolment.cohort.delivery_partner.name),
        Column(
            "school_urn",
            "School URN",
            lambda r: _place_school(r).urn if _place_school(r) else None,
        ),
        Column("school", "School", lambda r: _place_school(r).name if _place_school(r) else ""),
        Column("status", "Place status", lambda r: r.enrolment.get_status_display()),
        Column("started_on", "Place since", lambda r: timezone.localdate(r.enrolment.created_at)),
        Column(
            "participation", "Participation so far (%)", lambda r: r.participation.so_far_percent
        ),
        Column("assessment", "Assessment", lambda r: r.enrolment.get_assessment_result_display()),
    ),
)

ATTENDANCE = Dataset(
    kind=Export.Kind.ATTENDANCE,
    title="Attendance",
    permission="reports.export_attendance",
    filter_keys=("programme", "academic_year", "status", "partner", "cohort", "show"),
    read=selectors.attendance_export_rows,
    columns=(
        Column("place", "Place", lambda r: r.enrolment.pk),
        Column("first_name", "First name", lambda r: r.enrolment.participant.first_name),
        Column("last_name", "Last name", lambda r: r.enrolment.participant.last_name),
        Column("email", "Email", lambda r: r.enrolment.participant.email),
        Column("programme", "Programme", lambda r: r.cohort.programme.short_name),
        Column("cohort", "Cohort", lambda r: _cohort(r.cohort)),
        Column("session", "Session", lambda r: r.session.title),
        Column("kind", "Kind", lambda r: r.session.get_kind_display()),
        Column("starts_at", "Starts", lambda r: r.session.starts_at),
        Column("mark", "Mark", lambda r: r.mark_label),
        Column(
            "participation", "Participation so far (%)", lambda r: r.participation.so_far_percent
        ),
        Column("at_risk", "At risk", lambda r: r.at_risk),
    ),
)


def _eligible(row) -> str:
    if row.eligibility.exception:
        return "Yes, by exception"
    return "Yes" if row.eligibility.allowed else "No"


def _submission(row) -> str:
    submission = row.submission
    return submission.get_status_display() if submission else "Not started"


OUTCOMES = Dataset(
    kind=Export.Kind.OUTCOMES,
    title="Assessment outcomes",
    permission="reports.export_outcomes",
    filter_keys=("window", "cohort"),
    read=selectors.outcomes_export_rows,
    file_stem=lambda filters: f"assessment-outcomes-{filters.get('window', '')}",
    columns=(
        Column("place", "Place", lambda r: r.row.enrolment.pk),
        Column("first_name", "First name", lambda r: r.row.enrolment.participant.first_name),
        Column("last_name", "Last name", lambda r: r.row.enrolment.participant.last_name),
        Column("email", "Email", lambda r: r.row.enrolment.participant.email),
        Column("programme", "Programme", lambda r: r.row.enrolment.cohort.programme.short_name),
        Column("cohort", "Cohort", lambda r: _cohort(r.row.enrolment.cohort)),
        Column("window", "Window", lambda r: r.window.title),
        Column("place_status", "Place status", lambda r: r.row.enrolment.get_status_display()),
        Column(
            "participation",
            "Participation so far (%)",
            lambda r: r.row.participation.so_far_percent,
        ),
        Column("eligible", "Eligible", lambda r: _eligible(r.row)),
        Column("submission", "Submission", lambda r: _submission(r.row)),
        Column(
            "attempt", "Attempt", lambda r: r.row.submission.attempt if r.row.submission else None
        ),
        Column(
            "submitted_at",
            "Submitted",
            lambda r: r.row.submission.submitted_at if r.row.submission else None,
        ),
        Column("late", "Late", lambda r: r.row.submission.late if r.row.submission else None),
        Column(
            "words", "Words", lambda r: r.row.submission.total_words if r.row.submission else None
        ),
        Column(
            "deadline",
            "Deadline",
            lambda r: r.row.extension.until if r.row.extension else r.window.closes_at,
        ),
        Column("result", "Result", lambda r: r.outcome.get_result_display() if r.outcome else ""),
        Column("basis", "Decided by", lambda r: r.outcome.get_basis_display() if r.outcome else ""),
        Column("decided_at", "Decided on", lambda r: r.outcome.decided_at if r.outcome else None),
        Column(
            "released_at", "Released on", lambda r: r.outcome.released_at if r.outcome else None
        ),
    ),
)

SUBSCRIBERS = Dataset(
    kind=Export.Kind.SUBSCRIBERS,
    title="Mailing-list subscribers",
    permission="reports.export_subscribers",
    filter_keys=("programme",),
    read=selectors.subscribers_export_rows,
    file_stem=lambda filters: f"subscribers-{filters.get('programme') or 'all'}",
    columns=(
        Column("first_name", "First name", lambda s: s.first_name),
        Column("last_name", "Last name", lambda s: s.last_name),
        Column("email", "Email", lambda s: s.email),
        Column("school_urn", "School URN", lambda s: s.school.urn if s.school else None),
        Column("school", "School", lambda s: s.school.name if s.school else ""),
        Column("confirmed_at", "Confirmed", lambda s: timezone.localdate(s.confirmed_at)),
    ),
)


def _charge_description(charge) -> str:
    """e.g. "NPQ in Leading Primary Mathematics, 2026/27, Autumn start"."""
    cohort = charge.enrolment.cohort
    return f"{cohort.programme.name}, {cohort.academic_year_label}, {cohort.name}"


def _vat_code(charge) -> str:
    from django.conf import settings

    return settings.CHARGE_VAT_CODE


# A sales-invoice import: one line an invoice, one invoice a charge, in whole pounds.
CHARGES = Dataset(
    kind=Export.Kind.CHARGES,
    title="Charges",
    permission="participants.manage_charges",
    filter_keys=ChargeQuerySet.FILTERS,
    read=selectors.charges_export_rows,
    columns=(
        Column("invoice_reference", "Invoice reference", lambda c: c.invoice_reference),
        Column("date", "Date", lambda c: timezone.localdate(c.created_at)),
        Column("customer_name", "Customer name", lambda c: c.payer_name),
        Column("customer_reference", "Customer reference", lambda c: c.payer_reference),
        Column("customer_kind", "Customer type", lambda c: c.get_payer_display()),
        Column("email", "Email", lambda c: c.payer_email),
        Column("town", "Town", lambda c: c.payer_town),
        Column("postcode", "Postcode", lambda c: c.payer_postcode),
        Column("description", "Description", _charge_description),
        Column("participant", "Participant", lambda c: _full_name(c.enrolment.participant)),
        Column("quantity", "Quantity", lambda c: 1),
        Column("unit_amount", "Unit amount", lambda c: c.amount),
        Column("vat_code", "VAT code", _vat_code),
        Column("total", "Total", lambda c: c.amount),
        Column("status", "Status", lambda c: c.get_status_display()),
    ),
)

# ---- Work Group engagement ----


def _school_place_school(claim):
    return claim.school_place.school


ENGAGEMENT_ROSTER = Dataset(
    kind=Export.Kind.ENGAGEMENT_ROSTER,
    title="Work Group engagement roster",
    permission="reports.export_engagement",
    filter_keys=("programme", "year", "on"),
    read=selectors.engagement_roster_export_rows,
    file_stem=lambda filters: "-".join(
        ["engagement", filters.get("programme") or "work-groups", filters.get("year", "")]
        + (["on", filters["on"]] if filters.get("on") else [])
    ),
    columns=(
        Column("school_urn", "School URN", lambda r: r.school.urn),
        Column("school", "School", lambda r: r.school.name),
        Column("local_authority", "Local authority", lambda r: r.school.la_name),
        Column("programme", "Programme", lambda r: r.cohort.programme.short_name),
        Column("cohort", "Cohort", lambda r: _cohort(r.cohort)),
        Column("signed_up_on", "Signed up", lambda r: r.signed_up_on),
        Column("status", "Status", lambda r: r.status_label),
        Column("completed_on", "Completed", lambda r: r.completed_on),
        Column("withdrawn_on", "Withdrawn", lambda r: r.withdrawn_on),
    ),
)

GRANT_CLAIMS = Dataset(
    kind=Export.Kind.GRANT_CLAIMS,
    title="Work Group grants",
    permission="participants.view_grantclaim",
    filter_keys=("programme", "year", "status"),
    read=selectors.grant_claims_export_rows,
    file_stem=lambda filters: "work-group-grants",
    columns=(
        Column("school_urn", "School URN", lambda c: _school_place_school(c).urn),
        Column("school", "School", lambda c: _school_place_school(c).name),
        Column("programme", "Programme", lambda c: c.school_place.cohort.programme.short_name),
        Column("cohort", "Cohort", lambda c: _cohort(c.school_place.cohort)),
        Column("purpose", "Purpose", lambda c: c.purpose),
        Column("amount", "Amount (£)", lambda c: c.amount),
        Column("status", "Status", lambda c: c.get_status_display()),
        Column("claimed_on", "Claim received", lambda c: c.claimed_on),
        Column("paid_on", "Paid", lambda c: c.paid_on),
        Column("note", "Note", lambda c: c.note),
    ),
)

DATASETS: dict[str, Dataset] = {
    dataset.kind: dataset
    for dataset in (
        APPLICATIONS,
        ENROLMENTS,
        ATTENDANCE,
        OUTCOMES,
        SUBSCRIBERS,
        FUNDING_DECISIONS,
        CHARGES,
        ENGAGEMENT_ROSTER,
        GRANT_CLAIMS,
    )
}

# ---- Which columns each role gets: the one place this is decided ----
#
# A role that may export a list (its permission in npq_portal/roles.py) is named here with
# its columns; EVERY means all of them. Someone holding several roles gets the columns of the
# first of their roles, in roles.py's order of precedence, that is named for the list. TRN
# and funding are for hub administrators and programme leads only; school leaders see their
# schools' people without them; facilitators see their cohorts' registers without contacts.
EVERY = "every"
ROLE_COLUMNS: dict[str, dict[Role, str | tuple[str, ...]]] = {
    Export.Kind.APPLICATIONS: {
        Role.HUB_ADMINISTRATOR: EVERY,
        Role.PROGRAMME_LEAD: EVERY,
        Role.SCHOOL_LEADER: (
            "first_name",
            "last_name",
            "email",
            "programme",
            "cohort",
            "school_urn",
            "school",
            "status",
            "submitted_at",
            "school_decided_by",
            "school_decided_at",
            "place",
            "assessment",
        ),
    },
    Export.Kind.ENROLMENTS: {
        Role.HUB_ADMINISTRATOR: EVERY,
        Role.PROGRAMME_LEAD: EVERY,
        Role.SCHOOL_LEADER: (
            "first_name",
            "last_name",
            "email",
            "programme",
            "cohort",
            "school_urn",
            "school",
            "status",
            "started_on",
            "participation",
            "assessment",
        ),
    },
    Export.Kind.ATTENDANCE: {
        Role.HUB_ADMINISTRATOR: EVERY,
        Role.PROGRAMME_LEAD: EVERY,
        Role.FACILITATOR: (
            "first_name",
            "last_name",
            "programme",
            "cohort",
            "session",
            "kind",
            "starts_at",
            "mark",
            "participation",
            "at_risk",
        ),
    },
    Export.Kind.OUTCOMES: {Role.HUB_ADMINISTRATOR: EVERY, Role.PROGRAMME_LEAD: EVERY},
    Export.Kind.SUBSCRIBERS: {Role.HUB_ADMINISTRATOR: EVERY, Role.PROGRAMME_LEAD: EVERY},
    Export.Kind.FUNDING_DECISIONS: {Role.HUB_ADMINISTRATOR: EVERY, Role.PROGRAMME_LEAD: EVERY},
    Export.Kind.CHARGES: {Role.HUB_ADMINISTRATOR: EVERY, Role.PROGRAMME_LEAD: EVERY},
    Export.Kind.ENGAGEMENT_ROSTER: {Role.HUB_ADMINISTRATOR: EVERY, Role.PROGRAMME_LEAD: EVERY},
    Export.Kind.GRANT_CLAIMS: {Role.HUB_ADMINISTRATOR: EVERY, Role.PROGRAMME_LEAD: EVERY},
}


def columns_for(*, user, dataset: Dataset, filters: Mapping[str, str]) -> tuple[Column, ...]:
    """The columns of `dataset` this person gets, in the dataset's order.

    A school leader's columns go with a school leader's rows (schools=mine) only: someone who
    is also, say, a facilitator must not get them over their cohorts' rows.

    Raises PermissionDenied when they may not export it, or none of their roles has columns.
    """
    if not user.has_perm(dataset.permission):
        raise PermissionDenied(f"You may not export {dataset.title.lower()}.")
    if user.is_superuser:
        return dataset.columns
    table = ROLE_COLUMNS[dataset.kind]
    roles = user_roles(user)
    if filters.get("schools") != "mine":
        roles = [role for role in roles if role != Role.SCHOOL_LEADER]
    for role in roles:
        if role in table:
            keys = table[role]
            if keys == EVERY:
                return dataset.columns
            return tuple(column for column in dataset.columns if column.key in keys)
    raise PermissionDenied(f"None of your roles has columns in the {dataset.title.lower()} export.")


@dataclass
class ExportContents:
    """What one person's export of a list holds: its columns and its rows."""

    dataset: Dataset
    columns: tuple[Column, ...]
    total: int
    rows: Any  # an iterable of the dataset's row objects

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def values(self):
        """Each row as a list of cell values, in column order."""
        for row in self.rows:
            yield [column.value(row) for column in self.columns]


def export_contents(*, user, kind: str, filters: Mapping[str, str]) -> ExportContents:
    """The columns this person gets and the rows of the list for these filters, counted.

    Raises KeyError for a kind that does not exist, PermissionDenied when they may not
    export it, and a model's DoesNotExist when a filter names something out of their scope.
    """
    dataset = DATASETS[kind]
    columns = columns_for(user=user, dataset=dataset, filters=filters)
    found = dataset.read(user=user, filters=filters)
    return ExportContents(dataset=dataset, columns=columns, total=found.total, rows=found.rows)
