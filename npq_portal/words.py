"""Every code the portal stores, in the words staff read: one place, for pages, filters and exports.

Statuses and other model choices say themselves (their TextChoices labels, get_FOO_display).
What is stored as a bare code is said here: the funding rules' outcome codes (funding/rules.py)
and the kinds of email (templates/emails/<kind>_subject.txt). Templates use the `words` filter
(`{{ decision.status|words:"funding_outcome" }}`), code uses `word()`. A code nobody has named
yet still reads as words ("A new kind"), and npq_portal/tests/test_words.py fails until it is
named here, and on any page that shows a code_with_underscores.
"""

from __future__ import annotations

import functools

from django.utils.encoding import force_str

# The outcome that stands, as a short phrase: lists, filters and exports. The reasons the
# rules give (funding.rules.REASONS) say the whole sentence to the applicant.
FUNDING_OUTCOMES = {
    "funded": "Funded",
    "unfunded_cohort": "Cohort not funded",
    "not_in_england": "Not working in England",
    "previously_funded": "Funded before for this NPQ",
    "not_new_headteacher_requesting_ehco": "EHCO: not a new headteacher",
    "early_years_invalid_npq": "Early years: NPQ not funded",
    "not_entitled_childminder": "Childminder not on the list",
    "ineligible_establishment_type": "Workplace not eligible",
    "ineligible_establishment_not_a_pp50": "Not on the PP50 list",
    "not_lead_mentor_course": "Lead mentor: other NPQ only",
    "not_entitled_ey_institution": "Early years setting not on the list",
    "subject_to_review": "To be reviewed by staff",
    "referred_by_return_to_teaching_adviser": "Referred by a return-to-teaching adviser",
    "marked_funded_by_policy": "Marked funded by hub policy",
    "marked_ineligible_by_policy": "Marked not funded by hub policy",
    "funding_to_be_confirmed": "To be confirmed: a list is missing",
}

EMAIL_KINDS = {
    "application_decision": "Application decided",
    "application_received": "Application received",
    "application_school_decision": "School's decision",
    "applications_open": "Applications are open",
    "approval_overdue": "Approval overdue (to the hub)",
    "assessment_closing": "Assessment closing soon",
    "assessment_opening": "Assessment open",
    "assessment_result": "Assessment result",
    "dfe_application_made": "Application made from a DfE registration",
    "dfe_invite_to_apply": "Invitation to apply (registered with DfE)",
    "dfe_register_reminder": "Reminder to register with DfE",
    "enrolment_changed": "Place changed",
    "module_due_soon": "Module due soon",
    "module_opening": "Module opening",
    "module_overdue": "Module overdue",
    "school_approval_request": "School approval request",
    "session_cancelled": "Session cancelled",
    "session_moved": "Session moved",
    "session_reminder": "Session reminder",
    "subscriber_already": "Already on the mailing list",
    "subscriber_confirm": "Mailing list: confirm your address",
    "waitlist_offer": "Waiting list: place offered",
    "waitlist_offer_expiring": "Waiting list: offer ending soon",
    "waitlist_offer_lapsed": "Waiting list: offer lapsed",
    "welcome": "Welcome",
    "work_group_place": "Work Group place (to each person named)",
}

# How a call to DfE's API ended (the dfe app's sync log): DfE's status, or why it had none.
DFE_CALL_RESULTS = {
    "timeout": "Timed out",
    "unreachable": "Could not reach DfE",
    "not_sent": "Not sent: does not fit DfE's API",
    "200": "200 OK",
    "201": "201 Created",
    "204": "204 Done",
    "400": "400 Not understood",
    "401": "401 Token not accepted",
    "403": "403 Another provider's record",
    "404": "404 Not found",
    "405": "405 Not allowed",
    "410": "410 Participant id retired",
    "422": "422 Refused",
    "429": "429 Too many requests",
    "500": "500 DfE failed",
    "502": "502 DfE's gateway failed",
    "503": "503 DfE unavailable",
    "504": "504 DfE's gateway timed out",
}
# The query of a call to DfE's API (the sync log), parameter by parameter.
DFE_QUERY_PARAMETERS = {
    "page[page]": "page",
    "page[per_page]": "per page",
    "filter[updated_since]": "changed since",
    "filter[created_since]": "created since",
    "filter[cohort]": "cohort",
    "filter[participant_id]": "participant",
    "filter[from_participant_id]": "retired participant",
    "filter[training_status]": "training status",
    "sort": "sorted by",
}

# DfE's codes (its Lead Provider API v3, dfe/spec/lead-provider-api-v3.yaml), as staff read them.
DFE_COURSES = {
    "npq-senior-leadership": "NPQ in Senior Leadership",
    "npq-headship": "NPQ in Headship",
    "npq-executive-leadership": "NPQ in Executive Leadership",
    "npq-early-years-leadership": "NPQ in Early Years Leadership",
    "npq-leading-teaching": "NPQ in Leading Teaching",
    "npq-leading-behaviour-culture": "NPQ in Leading Behaviour and Culture",
    "npq-leading-teaching-development": "NPQ in Leading Teacher Development",
    "npq-leading-literacy": "NPQ in Leading Literacy",
    "npq-leading-primary-mathematics": "NPQ in Leading Primary Mathematics",
    "npq-senco": "NPQ for Special Educational Needs Co-ordinators",
    "npq-additional-support-offer": "Additional Support Offer",
    "npq-early-headship-coaching-offer": "Early Headship Coaching Offer",
}

# Why DfE says an application is not eligible for funding.
DFE_INELIGIBLE_REASONS = {
    "previously-funded": "Funded before for this NPQ",
    "establishment-ineligible": "Workplace not eligible",
}

# Why DfE rejected an application (reason_for_rejection).
DFE_REJECTION_REASONS = {
    "rejected_by_provider": "Rejected by the lead provider",
    "other_application_in_this_cohort_accepted": "Another application of theirs was accepted",
}

# A participant's training at DfE (training_status).
DFE_TRAINING_STATUSES = {
    "active": "Training",
    "deferred": "Deferred",
    "withdrawn": "Withdrawn",
}

# What the reconciliation compares between the portal's application and DfE's.
DFE_DISAGREEMENTS = {
    "funding": "Funding eligibility",
    "course": "Course",
    "cohort": "Cohort",
    "school": "School",
    "status": "Status",
}

# What DfE's refusals (422) are about: the title of each error is an attribute of the request.
# "base" is the request as a whole, so its detail is said alone.
DFE_ATTRIBUTES = {
    "declaration_date": "Declaration date",
    "declaration_type": "Declaration type",
    "declaration": "Declaration",
    "participant_id": "Participant",
    "application_id": "Application",
    "application": "Application",
    "funded_place": "Funded place",
    "course_identifier": "Course",
    "has_passed": "Passed",
    "delivery_partner_id": "Delivery partner",
    "cohort": "Cohort",
    "schedule_identifier": "Schedule",
    "reason": "Reason",
    "completion_date": "Completion date",
    "state": "Outcome",
    "training_status": "Training status",
    "teacher_reference_number": "Teacher reference number",
}

VOCABULARIES: dict[str, dict[str, str]] = {
    "funding_outcome": FUNDING_OUTCOMES,
    "email_kind": EMAIL_KINDS,
    "dfe_call_result": DFE_CALL_RESULTS,
    "dfe_query_parameter": DFE_QUERY_PARAMETERS,
    "dfe_course": DFE_COURSES,
    "dfe_ineligible_reason": DFE_INELIGIBLE_REASONS,
    "dfe_rejection_reason": DFE_REJECTION_REASONS,
    "dfe_training_status": DFE_TRAINING_STATUSES,
    "dfe_disagreement": DFE_DISAGREEMENTS,
    "dfe_attribute": DFE_ATTRIBUTES,
}


def word(vocabulary: str, code: str | None) -> str:
    """`code` in words: as `vocabulary` names it, else the code itself made readable."""
    if not code:
        return ""
    named = VOCABULARIES[vocabulary].get(code)
    if named is not None:
        return named
    text = code.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def choices(vocabulary: str, codes) -> list[tuple[str, str]]:
    """(code, words) for a filter's options, in the order given."""
    return [(code, word(vocabulary, code)) for code in codes]


def choice_words(instance, field_name: str):
    """What `instance.get_<field_name>_display()` says: a model choice's label, from the
    field's choices read into a dict once a process (Django's method makes the dict afresh at
    each call, about 3 µs; a Work Group's tables ask a few hundred times). Choices given by a
    callable, which may change, are asked of Django each time."""
    labels = _choice_labels(type(instance), field_name)
    value = getattr(instance, field_name)
    try:
        label = labels.get(value, value) if labels is not None else None
    except TypeError:  # a value that cannot be a key (a list): Django's own way
        labels = None
    if labels is None:
        return getattr(instance, f"get_{field_name}_display")()
    # As Django's: a label in the active language; a value with no label, as it is.
    return label if type(label) is str else force_str(label, strings_only=True)


@functools.cache
def _choice_labels(model, field_name: str) -> dict | None:
    field = model._meta.get_field(field_name)
    if not isinstance(field.choices, list | tuple):
        return None
    return {value: label for value, label in field.flatchoices}
