"""The project's copies of crispy's field template and its radio and checkbox template
(templates/bootstrap5/, drawn by npq_portal/templatetags/form_fields.py) write what the pack's
own templates write, for every kind of field, with and without errors, and leave any other
layout to the pack."""

import contextlib
import copy
import re

import pytest
from crispy_forms import utils as crispy_utils
from crispy_forms.bootstrap import InlineCheckboxes, InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from crispy_forms.templatetags import crispy_forms_filters, crispy_forms_tags
from django import forms
from django.conf import settings
from django.template import engines
from django.template.loader import get_template
from django.test import SimpleTestCase, override_settings
from django.utils.safestring import mark_safe

from dfe.forms import ConnectionForm
from dfe.models import Connection
from npq_portal.templatetags import form_fields
from programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

TEMPLATES = ("bootstrap5/field.html", "bootstrap5/layout/radio_checkbox_select.html")
COLOURS = [("red", "Red & <b>bold</b>"), ("green", mark_safe("<em>Green</em>")), ("blue", "Blue")]
assert_html_equal = SimpleTestCase().assertHTMLEqual
GROUPED = [("Warm", [("red", "Red"), ("amber", "Amber")]), ("Cool", [("blue", "Blue")])]


class ChoicesForm(forms.Form):
    colour = forms.ChoiceField(
        choices=COLOURS, widget=forms.RadioSelect, help_text="Pick <i>one</i>."
    )
    shades = forms.MultipleChoiceField(
        choices=GROUPED, widget=forms.CheckboxSelectMultiple, required=False
    )
    years = forms.TypedMultipleChoiceField(
        choices=[(2024, "2024 to 2025"), (2025, "2025 to 2026")],
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"data-kind": "year"}),
        required=False,
    )
    more = forms.MultipleChoiceField(
        choices=COLOURS, widget=forms.CheckboxSelectMultiple, help_text="Any of them."
    )


class EveryKindForm(forms.Form):
    error_css_class = "has-error"
    required_css_class = "is-required"

    name = forms.CharField(label="Name <yours>", help_text="As on <b>your</b> passport.")
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"class": "wide"}))
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    school = forms.ChoiceField(choices=[("", "Choose"), *COLOURS], required=False)
    pick = forms.ChoiceField(choices=GROUPED)
    agree = forms.BooleanField(label="I agree & <sign>", help_text="You must.")
    optional = forms.BooleanField(required=False, label="")
    on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    when = forms.SplitDateTimeField(required=False)
    upload = forms.FileField(required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    count = forms.IntegerField(required=False, min_value=1)
    unlabelled = forms.CharField(label="", required=False)


class HelperForm(EveryKindForm):
    """A form helper's defaults (error_text_inline) send every field to the pack's template."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class HorizontalForm(HelperForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.form_class = "form-horizontal"
        self.helper.label_class = "col-3"
        self.helper.field_class = "col-9"
        self.helper.error_text_inline = False


class InlineForm(ChoicesForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            InlineRadios("colour"), InlineCheckboxes("shades"), "years", "more"
        )


# crispy keeps the templates it loads for a whole form, whichever settings loaded them.
CRISPY_KEPT = (
    crispy_forms_filters.uni_form_template,
    crispy_forms_filters.uni_formset_template,
    crispy_forms_tags.whole_uni_form_template,
    crispy_forms_tags.whole_uni_formset_template,
    crispy_utils.default_field_template,
)


@contextlib.contextmanager
def _stock_templates():
    """The settings with the project's templates folder left out: crispy's pack as shipped."""
    stock = copy.deepcopy(settings.TEMPLATES)
    stock[0]["DIRS"] = []
    for kept in CRISPY_KEPT:
        kept.cache_clear()
    try:
        with override_settings(TEMPLATES=stock):
            yield
    finally:
        for kept in CRISPY_KEPT:
            kept.cache_clear()


def _drawn(form) -> str:
    return (
        engines["django"]
        .from_string("{% load crispy_forms_tags %}{% crispy form %}")
        .render({"form": form})
    )


def _squeezed(html: str) -> str:
    """The markup without the whitespace around and inside its tags, which the pack's templates
    lay out over lines: for a comparison stricter than assertHTMLEqual's, which closes what
    is left open."""
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r"\s*<\s*", "<", html)
    html = re.sub(r"\s*(/?)>\s*", r"\1>", html)
    return html.strip()


def _both(draw):
    """What `draw()` gives with the project's templates, and with the pack's own."""
    ours = draw()
    with _stock_templates():
        assert all("crispy_bootstrap5" in get_template(name).origin.name for name in TEMPLATES)
        stock = draw()
    assert _squeezed(ours) == _squeezed(stock)
    return ours, stock


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_project_copy_is_the_one_crispy_finds(name):
    assert get_template(name).origin.name == str(settings.BASE_DIR / "templates" / name)


@pytest.mark.parametrize(
    "make_form",
    [
        pytest.param(ChoicesForm, id="unbound"),
        pytest.param(
            lambda: ChoicesForm(initial={"colour": "green", "shades": ["red", "blue"]}),
            id="chosen",
        ),
        pytest.param(lambda: ChoicesForm(data={"years": ["2025"]}), id="errors"),
        pytest.param(
            lambda: ChoicesForm(data={"colour": "red", "more": ["blue"], "years": ["2024"]}),
            id="valid",
        ),
        pytest.param(EveryKindForm, id="every kind"),
        pytest.param(
            lambda: EveryKindForm(data={"name": "", "email": "x", "count": "0", "pick": "?"}),
            id="every kind, errors",
        ),
        pytest.param(
            lambda: EveryKindForm(
                data={"name": "Jo", "pick": "red", "agree": "on", "on": "2026-12-06"}
            ),
            id="every kind, valid",
        ),
        pytest.param(lambda: HelperForm(data={"name": ""}), id="helper"),
        pytest.param(lambda: HorizontalForm(data={"agree": ""}), id="horizontal"),
        pytest.param(InlineForm, id="inline"),
        pytest.param(lambda: InlineForm(data={"shades": ["nope"]}), id="inline errors"),
    ],
)
def test_choices_are_drawn_as_the_pack_draws_them(make_form):
    ours, stock = _both(lambda: _drawn(make_form()))

    assert_html_equal(ours, stock)
    assert ours.count("<input") == stock.count("<input") > 0


@pytest.mark.parametrize("bound", [False, True])
def test_one_field_is_drawn_as_the_pack_draws_it(bound):
    """As the sync log's filters are: `|as_crispy_field`, field by field."""

    def each_field():
        form = EveryKindForm(data={"email": "x"} if bound else None)
        page = "{% load crispy_forms_tags %}" + "".join(
            f"<div>{{{{ form.{name}|as_crispy_field }}}}</div>" for name in form.fields
        )
        return engines["django"].from_string(page).render({"form": form})

    ours, stock = _both(each_field)

    assert_html_equal(ours, stock)


def test_a_real_form_with_model_choices_is_drawn_as_the_pack_draws_it():
    programme = ProgrammeFactory(course_identifier="npq-senior-leadership")
    connection = Connection.objects.create(name="Lead provider", cohort_years=[2024])
    connection.programmes.add(programme)

    ours, stock = _both(lambda: _drawn(ConnectionForm(instance=connection)))

    assert_html_equal(ours, stock)
    # The stored DfE cohort and programme, and the connection switched on.
    assert ours.count(" checked") == stock.count(" checked") == 3


def test_a_plain_layout_leaves_only_a_file_field_to_the_pack(monkeypatch):
    handed_over = []
    stock = form_fields._stock_field
    monkeypatch.setattr(
        form_fields, "_stock_field", lambda engine: handed_over.append(1) or stock(engine)
    )

    engines["django"].from_string("{% load crispy_forms_tags %}{{ form|crispy }}").render(
        {"form": EveryKindForm()}
    )

    assert len(handed_over) == 1  # the file field: the pack's own template draws it


@pytest.mark.parametrize("bound", [False, True])
def test_a_plain_layouts_choices_are_what_the_choices_template_writes_to_the_newline(bound):
    """bootstrap_field writes a plain layout's choices itself (form_fields._choices_block):
    exactly what the project's radio and checkbox template writes for them."""
    from django.template import Context

    form = ChoicesForm(data={"shades": ["red"], "years": ["2024"]} if bound else None)
    if bound:
        form.is_valid()  # colour and more are required: errors drawn after the last choice
    template = get_template("bootstrap5/layout/radio_checkbox_select.html").template
    for name in form.fields:
        context = Context({"field": form[name], "form_show_labels": True, "form_show_errors": True})
        assert form_fields._choices_block(context, form[name]) == template.render(context), name
