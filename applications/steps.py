"""The application form, one question a page: each step, when it applies, and its form.

The answers are kept on the draft application as they are given, so a teacher can leave and
come back; services.application_submit checks them all again before sending.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.html import format_html

from schools.forms import SchoolChoiceField

SCHOOL_SETTINGS = {"a_school", "an_academy_trust", "a_16_to_19_educational_setting"}
YES_NO = [("yes", "Yes"), ("no", "No")]


class WorksInEnglandForm(forms.Form):
    works_in_england = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Do you work in England?"
    )


class WorkSettingForm(forms.Form):
    work_setting = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Where do you work?",
        choices=[
            ("a_school", "A school"),
            ("an_academy_trust", "An academy trust (central team)"),
            ("a_16_to_19_educational_setting", "A 16 to 19 educational setting"),
            ("early_years_or_childcare", "Early years or childcare"),
            ("another_setting", "Another setting (virtual school, hospital school, ITT, …)"),
            ("other", "Somewhere else, or not working at the moment"),
        ],
    )


class SchoolForm(forms.Form):
    school = SchoolChoiceField(
        label="Which school or college do you work at?",
        help_text="Start typing its name, town or postcode and choose it, or enter its URN.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].widget.attrs.update(
            {"data-school-search": "", "list": "school-options", "autocomplete": "off"}
        )

    def answers(self) -> dict:
        school = self.cleaned_data["school"]
        return {"school_urn": str(school.urn), "school_name": str(school)}


class NurseryForm(forms.Form):
    kind_of_nursery = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="What kind of early years setting do you work in?",
        choices=[
            ("local_authority_maintained_nursery", "A local authority maintained nursery"),
            ("preschool_class_as_part_of_school", "A pre-school class in a school"),
            ("private_nursery", "A private nursery"),
            ("childminder", "I am a childminder"),
            ("another_early_years_setting", "Another early years setting"),
        ],
    )
    ofsted_urn = forms.CharField(
        required=False,
        max_length=12,
        label="Ofsted URN (if you have one)",
        help_text="On your Ofsted registration certificate, e.g. EY123456.",
    )

    def clean_ofsted_urn(self) -> str:
        value = self.cleaned_data["ofsted_urn"].strip().upper()
        if value and not re.fullmatch(r"[A-Z]{0,2}\d{4,8}", value):
            raise forms.ValidationError("Enter an Ofsted URN like EY123456, or leave it blank.")
        return value


class EmploymentForm(forms.Form):
    employment_type = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="What is your job?",
        choices=[
            ("local_authority_virtual_school", "In a local authority virtual school"),
            ("hospital_school", "In a hospital school"),
            ("young_offender_institution", "In a young offender institution"),
            ("local_authority_supply_teacher", "A local authority supply teacher"),
            (
                "lead_mentor_for_accredited_itt_provider",
                "A lead mentor for an accredited initial teacher training provider",
            ),
            ("none_of_these", "None of these"),
        ],
    )


class ReferredForm(forms.Form):
    referred = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="Were you referred by a return-to-teaching adviser?",
    )


class RoleForm(forms.Form):
    role = forms.CharField(max_length=200, label="What is your role?", help_text="e.g. Maths lead")


# DfE's service that finds a teacher's TRN from their name and date of birth.
FIND_A_LOST_TRN = "https://find-a-lost-trn.education.gov.uk/start"


class TrnForm(forms.Form):
    trn = forms.CharField(
        label="What is your teacher reference number (TRN)?",
        help_text=format_html(
            "7 digits, on your teaching certificate or payslip. If you do not know it, "
            '<a href="{}">find a lost TRN</a> with DfE\'s service.',
            FIND_A_LOST_TRN,
        ),
    )

    def clean_trn(self) -> str:
        trn = re.sub(r"[\s-]", "", self.cleaned_data["trn"])
        if trn.upper().startswith("RP"):
            trn = trn[2:].replace("/", "")
        if not (trn.isascii() and trn.isdigit() and len(trn) == 7):
            raise forms.ValidationError("Enter your TRN as 7 digits, like 1234567.")
        return trn


class RecordedAnswer(forms.CharField):
    """Not a question: what the portal records beside one, in words of its own (`words` gets
    every answer and says it, or returns blank when there is nothing to say)."""

    def __init__(self, *, words, **kwargs):
        super().__init__(required=False, **kwargs)
        self.words = words


def _mastery_evidence_words(answers: dict) -> str:
    if not answers.get("mastery"):
        return ""
    evidence = answers.get("mastery_evidence")
    return f"Evidenced: {evidence}" if evidence else "Self-declared"


MASTERY_YES = "completed_year"


class MasteryForm(forms.Form):
    """DfE's NPQLPM question. When the portal holds a completed Teaching for Mastery year for
    the applicant (`evidence`, its sentence), "yes" is chosen for them and the evidence is kept
    with the answer; changing the answer away from yes makes it self-declared."""

    mastery = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Have you taken part in Teaching for Mastery?",
        choices=[
            (MASTERY_YES, "Yes: I have completed at least one year of the programme"),
            ("other_way", "No, but I can show a mastery approach another way"),
            ("cannot_show", "No, and I cannot show a mastery approach yet"),
        ],
    )
    mastery_how = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="How can you show a mastery approach?",
        help_text="Only if you cannot say yes: e.g. another mastery programme, or leading it.",
    )

    # Kept with the answers, never asked: the evidence the answer was given with.
    recorded = {
        "mastery_evidence": RecordedAnswer(
            label="Teaching for Mastery evidence", words=_mastery_evidence_words
        )
    }

    def __init__(self, *args, evidence: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.evidence = evidence
        self.chosen_from_evidence = bool(evidence) and not self.initial.get("mastery")
        if self.chosen_from_evidence:
            self.initial["mastery"] = MASTERY_YES

    def clean(self):
        data = super().clean()
        if data.get("mastery") == "other_way" and not data.get("mastery_how", "").strip():
            self.add_error("mastery_how", "Tell us how you can show a mastery approach.")
        return data

    def answers(self) -> dict:
        given = {name: self.cleaned_data[name] for name in self.base_fields}
        evidenced = given["mastery"] == MASTERY_YES
        return {**given, "mastery_evidence": self.evidence if evidenced else ""}


class SencoForm(forms.Form):
    senco_in_role = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Are you a SENCO?",
        choices=[("yes", "Yes"), ("planning", "No, but I plan to be one")],
    )
    senco_since = forms.DateField(
        required=False,
        label="Since when? (if you are one)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class HeadteacherForm(forms.Form):
    new_headteacher = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="Are you a headteacher in your first five years of headship?",
    )


class ApproverForm(forms.Form):
    headteacher_name = forms.CharField(max_length=200, label="Your headteacher's name")
    headteacher_email = forms.EmailField(
        label="Your headteacher's email address",
        help_text="We email them a link to approve your application for the school.",
    )


class PaymentForm(forms.Form):
    payment = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="If your place is not funded, who will pay?",
        choices=[("school", "My school"), ("trust", "My trust"), ("self", "I will")],
    )


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    form: type[forms.Form]

    def applies(self, answers: dict, programme) -> bool:
        return STEP_CONDITIONS.get(self.key, lambda answers, programme: True)(answers, programme)

    def answers_from(self, form: forms.Form) -> dict[str, Any]:
        if hasattr(form, "answers"):
            return form.answers()
        return {
            name: (value.isoformat() if hasattr(value, "isoformat") else value)
            for name, value in form.cleaned_data.items()
        }


STEPS: tuple[Step, ...] = (
    Step("england", "Where you work", WorksInEnglandForm),
    Step("setting", "Your work setting", WorkSettingForm),
    Step("school", "Your school", SchoolForm),
    Step("nursery", "Your early years setting", NurseryForm),
    Step("employment", "Your job", EmploymentForm),
    Step("referred", "Return to teaching", ReferredForm),
    Step("role", "Your role", RoleForm),
    Step("trn", "Your TRN", TrnForm),
    Step("mastery", "Teaching for Mastery", MasteryForm),
    Step("senco", "Your SENCO role", SencoForm),
    Step("headship", "Your headship", HeadteacherForm),
    Step("approver", "Your headteacher", ApproverForm),
    Step("payment", "Paying for your place", PaymentForm),
)
STEP_BY_KEY = {step.key: step for step in STEPS}

STEP_CONDITIONS = {
    "school": lambda answers, programme: answers.get("work_setting") in SCHOOL_SETTINGS,
    "nursery": lambda answers, programme: answers.get("work_setting") == "early_years_or_childcare",
    "employment": lambda answers, programme: answers.get("work_setting") == "another_setting",
    "referred": lambda answers, programme: answers.get("work_setting") == "other",
    "trn": lambda answers, programme: programme.trn_asked,
    "mastery": lambda answers, programme: (
        programme.course_identifier == "npq-leading-primary-mathematics"
    ),
    "senco": lambda answers, programme: programme.course_identifier == "npq-senco",
    "headship": lambda answers, programme: (
        programme.course_identifier == "npq-early-headship-coaching-offer"
    ),
    "payment": lambda answers, programme: bool(programme.course_identifier),
}


@dataclass(frozen=True)
class Answer:
    step: str  # the question's page, for a link to change it
    key: str  # where the answer is kept in Application.answers
    question: str
    answer: str


def answers_in_words(answers: dict, programme) -> list[Answer]:
    """Every answer the applicant gave to the questions they were asked, in the order they
    were asked, each as its question and the words of the choice made (an optional question
    left blank is left out). Staff, the school's approver and the applicant read the same.
    A school's Work Group sign-up answers questions of its own (team_steps)."""
    if programme.for_school_teams:
        from .team_steps import team_answers_in_words  # it builds on this module's forms

        return team_answers_in_words(answers, programme)
    given = []
    for step in steps_for(answers, programme):
        for key, field in _step_fields(step):
            words = answer_words(answers, key, field)
            if words or field.required:
                given.append(Answer(step.key, key, str(field.label), words or "Not given"))
    return given


def answer_fields() -> list[tuple[str, forms.Field]]:
    """Every question's answer key and its field, in the order the questions come (with what
    is recorded beside a question after it)."""
    return [pair for step in STEPS for pair in _step_fields(step)]


def _step_fields(step: Step) -> list[tuple[str, forms.Field]]:
    """The step's questions, then what is recorded beside them, as (answer key, field)."""
    asked = [(_answer_key(name), field) for name, field in step.form.base_fields.items()]
    return asked + list(getattr(step.form, "recorded", {}).items())


def answer_words(answers: dict, key: str, field: forms.Field) -> str:
    """One answer in words: the choice's words, a date as a date, blank when not given."""
    if isinstance(field, RecordedAnswer):
        return field.words(answers)
    value = answers.get(key, "")
    if not value:
        return ""
    if isinstance(field, forms.DateField):
        return _date_in_words(value)
    return str(dict(getattr(field, "choices", []) or []).get(value, value))


def _answer_key(field_name: str) -> str:
    """Where a question's answer is kept: the school question keeps the school's name."""
    return "school_name" if field_name == "school" else field_name


def _date_in_words(value: str) -> str:
    try:
        day = datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{day.day} {day:%B %Y}"


# Questions the review queue can be filtered by the answer to: those with fixed choices.
def answer_filter_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """For the queue's Answer filter: (question, [("key=value", answer words)]) per question."""
    grouped = []
    for step in STEPS:
        for name, field in step.form.base_fields.items():
            choices = getattr(field, "choices", None)
            if isinstance(field, forms.ChoiceField) and choices:
                grouped.append(
                    (
                        str(field.label),
                        [(f"{name}={value}", str(label)) for value, label in choices],
                    )
                )
    return grouped


def steps_for(answers: dict, programme) -> list[Step]:
    """The questions this applicant is asked, in order, given their answers so far."""
    return [step for step in STEPS if step.applies(answers, programme)]


def first_unanswered(answers: dict, programme) -> Step | None:
    for step in steps_for(answers, programme):
        if not all(answers.get(name) not in (None, "") for name in _required(step)):
            return step
    return None


def _required(step: Step) -> list[str]:
    if step.key == "school":
        return ["school_urn"]
    return [name for name, field in step.form.base_fields.items() if field.required]


def _answer_keys(step: Step) -> set[str]:
    if step.key == "school":
        return {"school_urn", "school_name"}
    return set(step.form.base_fields) | set(getattr(step.form, "recorded", {}))


STEP_ANSWER_KEYS = {step.key: _answer_keys(step) for step in STEPS}


def answers_still_asked(answers: dict, programme) -> dict:
    """The answers to questions this applicant is still asked: changing where you work drops
    the school you gave before, so it cannot decide funding or who approves."""
    asked = set().union(*(STEP_ANSWER_KEYS[step.key] for step in steps_for(answers, programme)))
    every_step_key = set().union(*STEP_ANSWER_KEYS.values())
    return {
        key: value for key, value in answers.items() if key in asked or key not in every_step_key
    }
