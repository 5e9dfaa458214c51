"""Template tags of the application pages: a blank form drawn by crispy once a process."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

from applications.forms import FundingOverrideForm
from applications.templatetags.application_tags import crispy_blank


def test_a_blank_form_is_drawn_as_crispy_draws_it_every_time():
    drawn = crispy_blank(FundingOverrideForm())

    assert drawn == as_crispy_form(FundingOverrideForm())
    assert crispy_blank(FundingOverrideForm()) is drawn  # drawn once, then the same string
    assert 'name="reason"' in drawn


def test_a_bound_form_is_drawn_each_time_with_its_errors():
    form = FundingOverrideForm(data={"funded": "1", "reason": ""})
    form.is_valid()

    drawn = crispy_blank(form)

    assert drawn == as_crispy_form(form)
    assert "This field is required" in drawn
    assert drawn != crispy_blank(FundingOverrideForm())
