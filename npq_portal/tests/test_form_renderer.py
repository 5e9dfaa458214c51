"""The portal's form renderer (npq_portal/form_renderer.py) draws every widget as Django's
own renderer does, character for character."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

from npq_portal.form_renderer import PortalFormRenderer
from npq_portal.tests.factories import UserFactory

DJANGOS = DjangoTemplates()
PORTALS = PortalFormRenderer()
TRICKY = 'Tom & Jerry\'s <b>"best"</b>'


class EveryWidgetForm(forms.Form):
    text = forms.CharField(help_text="Say <it>", max_length=20, initial=TRICKY)
    empty = forms.CharField(required=False)
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    number = forms.DecimalField(initial=Decimal("12.50"), disabled=True)
    whole = forms.IntegerField(initial=1234567, min_value=0)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(initial=datetime.datetime(2026, 12, 6, 9, 30))
    url = forms.URLField(required=False, assume_scheme="https")
    hidden = forms.CharField(widget=forms.HiddenInput, initial="x&y")
    tick = forms.BooleanField(required=False, initial=True)
    untick = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=TRICKY)
    blank_notes = forms.CharField(widget=forms.Textarea, required=False)
    colour = forms.ChoiceField(
        choices=[
            ("", "Choose"),
            ("red", "Red & orange"),
            (3, 3),
            ("<b>", mark_safe("<b>Bold</b>")),
        ],
        initial=3,
    )
    grouped = forms.ChoiceField(
        choices=[("", "Any"), ("Primary", [("p1", "Year 1"), ("p2", "Year 2")]), ("x", "Other")],
        initial="p2",
        required=False,
    )
    many = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B"), ("c", "C")], initial=["a", "c"], required=False
    )
    year = forms.TypedChoiceField(choices=[(2025, "2025 to 2026"), (2026, "2026 to 2027")])
    safe_value = forms.CharField(initial=mark_safe("<kept>"))
    choose = forms.NullBooleanField()
    radio = forms.ChoiceField(choices=[("y", "Yes"), ("n", "No")], widget=forms.RadioSelect)
    split = forms.SplitDateTimeField(required=False)
    upload = forms.FileField(required=False)


def _drawn(form_class, renderer, **kwargs) -> dict[str, str]:
    form = form_class(renderer=renderer, **kwargs)
    return {name: str(form[name]) for name in form.fields}


@pytest.mark.parametrize(
    "data",
    [
        None,  # unbound: initial values
        {"text": "<script>", "email": "not an email", "number": "x", "colour": "nope"},
        {"text": "ok", "many": ["b"], "grouped": "x", "tick": "on", "year": "2026"},
    ],
)
def test_every_widget_is_drawn_as_djangos_renderer_draws_it(data):
    ours = _drawn(EveryWidgetForm, PORTALS, data=data)
    theirs = _drawn(EveryWidgetForm, DJANGOS, data=data)
    for name in theirs:
        assert ours[name] == theirs[name], name


@pytest.mark.django_db
def test_a_model_choice_field_is_drawn_as_djangos_renderer_draws_it():
    UserFactory(first_name="Ada", last_name="O'Neil")

    class PersonForm(forms.Form):
        from npq_portal.models import User

        person = forms.ModelChoiceField(queryset=User.objects.all(), empty_label="Anyone")
        people = forms.ModelMultipleChoiceField(queryset=User.objects.all(), required=False)

    assert _drawn(PersonForm, PORTALS) == _drawn(PersonForm, DJANGOS)


@given(st.text(), st.text())
def test_any_text_is_drawn_as_djangos_renderer_draws_it(value, label):
    class AnyForm(forms.Form):
        text = forms.CharField(initial=value)
        notes = forms.CharField(widget=forms.Textarea, initial=value)
        pick = forms.ChoiceField(choices=[(value, label), ("", label)], initial=value)

    assert _drawn(AnyForm, PORTALS) == _drawn(AnyForm, DJANGOS)


def test_the_portal_draws_its_forms_with_it_and_the_widgets_in_python(monkeypatch):
    form = EveryWidgetForm()
    assert isinstance(form.renderer, PortalFormRenderer)
    drawn_by_templates = []
    real = DjangoTemplates.render
    monkeypatch.setattr(
        DjangoTemplates,
        "render",
        lambda self, name, *a, **k: drawn_by_templates.append(name) or real(self, name, *a, **k),
    )
    for name in ("text", "notes", "colour", "grouped", "many", "tick", "day"):
        str(form[name])
    assert drawn_by_templates == []
    str(form["radio"])  # not one drawn here
    assert drawn_by_templates == ["django/forms/widgets/radio.html"]
