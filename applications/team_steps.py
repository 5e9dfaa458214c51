"""A school's Work Group sign-up, one question a page: its school, the applicant's role, a page
per role slot of the programme, the programme's own questions, and the headteacher.

The answers are kept on the draft application (`answers`) and the people named in
`TeamMember` rows as each page is answered, so the maths lead or head can leave and come back;
services.team_sign_up_submit checks them all again before sending.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from .steps import Answer, SchoolForm, answer_words

# The most people one slot's page asks for at once (wider staff: "people at most" may be more).
SLOT_ROWS_MAX = 10

# What a slot's page records in `answers` once it is answered: someone named, or no one.
SLOT_NAMED, SLOT_NO_ONE = "named", "none"


class TeamSchoolForm(SchoolForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].label = "Which school are you signing up?"


class ApplicantRoleForm(forms.Form):
    applicant_role = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="What is your role at the school?",
        choices=[
            ("maths_lead", "Maths lead"),
            ("headteacher", "Headteacher"),
            ("other", "Another role"),
        ],
    )


class BarrierForm(forms.Form):
    barrier = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="Which barrier does your school face?",
        help_text="Mastery Readiness is for schools facing one of these; it then has priority "
        "for Teaching for Mastery.",
        choices=[
            ("ofsted", "Ofsted judged the school Requires Improvement or Inadequate"),
            ("progress", "Pupils make poor progress in maths"),
            ("social_mobility", "The school is in an area of low social mobility"),
            ("sustaining_change", "The school has trouble sustaining change"),
        ],
    )


class TeamHeadteacherForm(forms.Form):
    headteacher_name = forms.CharField(max_length=200, label="The headteacher's name")
    headteacher_email = forms.EmailField(
        label="The headteacher's email address",
        help_text="We email them a link to approve the sign-up and commit the school to it.",
    )


class SlotForm(forms.Form):
    """The people named in one role slot: a row (first name, last name, email) per person the
    slot takes, and "No one in this role" when the slot may be left empty."""

    slot = None  # set on each slot's subclass (slot_form)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        slot = self.slot
        self.rows = min(slot.people, SLOT_ROWS_MAX)
        for row in range(1, self.rows + 1):
            person = f"Person {row}: " if self.rows > 1 else ""
            self.fields[f"p{row}_first_name"] = forms.CharField(
                max_length=100, required=False, label=f"{person}first name".capitalize()
            )
            self.fields[f"p{row}_last_name"] = forms.CharField(
                max_length=100, required=False, label=f"{person}last name".capitalize()
            )
            self.fields[f"p{row}_email"] = forms.EmailField(
                required=False, label=f"{person}email address".capitalize()
            )
        if not slot.required:
            self.fields["no_one"] = forms.BooleanField(
                required=False,
                label="No one in this role",
                help_text="Tick this if the school names no one for it; any names above are "
                "then left out.",
            )

    def clean(self):
        data = super().clean()
        if data.get("no_one"):
            return data
        named = 0
        for row in range(1, self.rows + 1):
            keys = [f"p{row}_first_name", f"p{row}_last_name", f"p{row}_email"]
            given = [bool((data.get(key) or "").strip()) for key in keys]
            if any(given):
                named += 1
                for key, present in zip(keys, given, strict=True):
                    if not present and key not in self.errors:
                        self.add_error(key, "Give their first name, last name and email address.")
        if not named and not self.errors:
            message = "Name someone for this role."
            if "no_one" in self.fields:
                message = "Name someone for this role, or tick “No one in this role”."
            self.add_error("p1_first_name", message)
        return data

    def person_rows(self) -> list[list]:
        """The bound fields, a list per person, for the page to group."""
        names = ("first_name", "last_name", "email")
        return [[self[f"p{row}_{name}"] for name in names] for row in range(1, self.rows + 1)]

    def people(self) -> list[dict[str, str]]:
        """The people named, in the order given (none when "No one in this role")."""
        if self.cleaned_data.get("no_one"):
            return []
        people = []
        for row in range(1, self.rows + 1):
            person = {
                name: self.cleaned_data[f"p{row}_{name}"].strip()
                for name in ("first_name", "last_name", "email")
            }
            if any(person.values()):
                people.append(person)
        return people


def slot_form(slot) -> type[SlotForm]:
    return type("SlotForm", (SlotForm,), {"slot": slot})


def slot_initial(members) -> dict:
    """A slot page's answers so far: its people, or "No one in this role"."""
    initial = {}
    for row, member in enumerate(members, start=1):
        initial |= {
            f"p{row}_first_name": member.first_name,
            f"p{row}_last_name": member.last_name,
            f"p{row}_email": member.email,
        }
    return initial


@dataclass(frozen=True)
class TeamStep:
    key: str  # its page's address (and, but for a slot, where its answers are kept)
    title: str  # the page's heading
    form: type[forms.Form]
    slot: object = None  # a role slot's page: the RoleSlot

    def answered(self, answers: dict) -> bool:
        if self.slot is not None:
            return answers.get(slot_answer_key(self.slot)) in {SLOT_NAMED, SLOT_NO_ONE}
        if self.key == "school":
            return bool(answers.get("school_urn"))
        return all(
            answers.get(name) not in (None, "")
            for name, field in self.form.base_fields.items()
            if field.required
        )


def slot_answer_key(slot) -> str:
    return f"slot_{slot.pk}"


def slot_question(slot) -> str:
    if slot.people > 1:
        return f"Who are your school's {slot.label} (up to {slot.people} people)?"
    return f"Who is your {slot.label}?"


# A programme's own questions, by its slug: the school answers them when it signs up.
PROGRAMME_QUESTIONS: dict[str, tuple[TeamStep, ...]] = {
    "maths-hub-primary-mastery-readiness": (
        TeamStep("barrier", "Your school's barrier", BarrierForm),
    ),
}


def team_steps_for(programme) -> list[TeamStep]:
    """The pages of a school's sign-up for `programme`, in order: the questions before the
    role slots, a page per slot, then the programme's questions and the headteacher."""
    before, after = _question_steps(programme)
    slots = [
        TeamStep(f"slot-{slot.pk}", slot_question(slot), slot_form(slot), slot=slot)
        for slot in programme.role_slots.all()
    ]
    return [*before, *slots, *after]


def _question_steps(programme) -> tuple[list[TeamStep], list[TeamStep]]:
    return (
        [
            TeamStep("school", "Your school", TeamSchoolForm),
            TeamStep("your-role", "Your role", ApplicantRoleForm),
        ],
        [
            *PROGRAMME_QUESTIONS.get(programme.slug, ()),
            TeamStep("headteacher", "Your headteacher", TeamHeadteacherForm),
        ],
    )


def team_first_unanswered(answers: dict, steps: list[TeamStep]) -> TeamStep | None:
    return next((step for step in steps if not step.answered(answers)), None)


def team_answers_in_words(answers: dict, programme) -> list[Answer]:
    """A school's answers to its sign-up's questions, in order, each as its question and the
    words of the answer; the people it named are its TeamMember rows
    (applications/_team.html lists them)."""
    given = []
    before, after = _question_steps(programme)
    for step in [*before, *after]:
        for name, field in step.form.base_fields.items():
            key = "school_name" if name == "school" else name
            label = "Which school are you signing up?" if name == "school" else field.label
            words = answer_words(answers, key, field)
            given.append(Answer(step.key, key, str(label), words or "Not given"))
    return given
