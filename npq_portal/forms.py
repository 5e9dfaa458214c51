from django import forms
from django.core.exceptions import ValidationError

from .roles import GROUP_ROLES, Role


class ModelChoicesField(forms.ModelMultipleChoiceField):
    """Rows ticked on a form, by id. An id past 64 bits is refused as any unknown id is:
    SQLite cannot compare one (OverflowError, a server error), and Django guards only
    single-value lookups, not the `__in` this field queries with."""

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                too_large = abs(int(pk)) >= 2**63
            except (TypeError, ValueError):
                continue  # not a number at all: Django's own check refuses it
            if too_large:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super().clean(value)


class SignupForm(forms.Form):
    """The name fields allauth's sign-up form adds to email and password."""

    first_name = forms.CharField(max_length=150, label="First name", strip=True)
    last_name = forms.CharField(max_length=150, label="Last name", strip=True)

    field_order = ["first_name", "last_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def signup(self, request, user) -> None:
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.save(update_fields=["first_name", "last_name"])


class UserRolesForm(forms.Form):
    """Which roles someone holds; the service decides whether the change is allowed."""

    roles = forms.MultipleChoiceField(
        choices=[(role.value, role.label) for role in GROUP_ROLES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Everyone can apply for programmes as a teacher; these roles add to that.",
    )
    reason = forms.CharField(
        max_length=500,
        required=True,
        help_text="Kept with the change, e.g. 'Joined the maths team as facilitator'.",
    )

    def clean_roles(self) -> list[Role]:
        try:
            return [Role(value) for value in self.cleaned_data["roles"]]
        except ValueError as error:  # pragma: no cover - the choices already limit it
            raise ValidationError("Choose roles from the list.") from error
