"""The forms of the review and approval: a school's decision, delegating, staff decisions."""

from django import forms


class SchoolDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve the application"), ("decline", "Decline it")],
        widget=forms.RadioSelect,
        label="Your decision",
    )
    name = forms.CharField(max_length=200, label="Your name")
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Comment for the applicant",
        help_text="Needed if you decline.",
    )


class TeamSchoolDecisionForm(SchoolDecisionForm):
    """The headteacher's decision on a school's Work Group sign-up: approving commits the
    school to what the Work Group asks of it."""

    commits_school = forms.BooleanField(required=False)

    def __init__(self, *args, school_name: str = "the school", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [
            ("approve", "Approve the sign-up"),
            ("decline", "Decline it"),
        ]
        self.fields[
            "commits_school"
        ].label = f"I commit {school_name} to what the Work Group asks of it, as set out above"
        self.fields["commits_school"].help_text = "Needed to approve."
        self.order_fields(["decision", "commits_school", "name", "comment"])

    def clean(self):
        data = super().clean()
        if data.get("decision") == "approve" and not data.get("commits_school"):
            self.add_error("commits_school", "Tick this to approve: it commits the school.")
        return data


class DelegateApprovalForm(forms.Form):
    email = forms.EmailField(label="Colleague's email address")
    name = forms.CharField(max_length=200, label="Your name")


class ApplicationDecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("accept", "Accept"), ("waitlist", "Waitlist"), ("reject", "Reject")],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(max_length=1000, required=False)


class FundingOverrideForm(forms.Form):
    funded = forms.TypedChoiceField(
        choices=[("1", "Mark as funded by policy"), ("0", "Mark as not funded by policy")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        label="Override",
    )
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class PrerequisitesOverrideForm(forms.Form):
    reason = forms.CharField(
        label="Why may this school take part?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept on the sign-up; the school can then be accepted.",
    )
