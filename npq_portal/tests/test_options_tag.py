from django import forms
from django.template import Context, Template

from npq_portal.templatetags.options import field_options, select_option_groups, select_options


def test_the_chosen_option_is_marked_and_every_label_escaped():
    html = select_options([(1, "Oak & Ash"), (2, "<Birch>")], "2", "All cohorts")

    assert html == (
        '<option value="">All cohorts</option>'
        '<option value="1">Oak &amp; Ash</option>'
        '<option selected value="2">&lt;Birch&gt;</option>'
    )


def test_a_value_needing_escapes_is_marked_and_lists_of_lists_are_pairs_too():
    pairs = [["a&b", "A and B"], ["a", "A"], ["<x>", "X"]]  # as JSON gives them

    assert select_options(pairs, "a&b", "") == (
        '<option value=""></option>'
        '<option selected value="a&amp;b">A and B</option>'
        '<option value="a">A</option>'
        '<option value="&lt;x&gt;">X</option>'
    )
    assert 'selected value="&lt;x&gt;"' in select_options(pairs, "<x>")
    assert select_options(pairs, "a").count("selected") == 1  # not "a&b"


def test_nothing_is_marked_when_nothing_or_something_unknown_is_chosen():
    for chosen in ["", "9", None]:
        html = select_options([("a", "A"), ("b", "B")], chosen)
        assert "selected" not in html
        assert html.startswith('<option value="">Any</option>')


def test_the_tag_in_a_template_draws_the_same_as_a_loop_would():
    template = Template(
        "{% load options %}<select>{% select_options choices chosen 'Any' %}</select>"
    )

    html = template.render(Context({"choices": [("x", "X")], "chosen": "x"}))

    assert (
        html
        == '<select><option value="">Any</option><option selected value="x">X</option></select>'
    )


def test_grouped_choices_are_drawn_as_optgroups():
    html = select_option_groups(
        [("Your role", [("role=head", "Head")]), ("Phase & key stage", [("phase=p", "Primary")])],
        "phase=p",
    )

    assert html == (
        '<option value="">Any</option>'
        '<optgroup label="Your role"><option value="role=head">Head</option></optgroup>'
        '<optgroup label="Phase &amp; key stage">'
        '<option selected value="phase=p">Primary</option></optgroup>'
    )


class _Filters(forms.Form):
    year = forms.TypedChoiceField(
        required=False, coerce=int, choices=[("", "All"), (2026, "2026/27"), (2027, "2027/28")]
    )


def test_a_fields_options_keep_its_own_empty_choice_and_mark_what_was_asked_for():
    asked = _Filters({"year": "2027"})
    fresh = _Filters()

    assert field_options(asked["year"]) == (
        '<option value="">All</option><option value="2026">2026/27</option>'
        '<option selected value="2027">2027/28</option>'
    )
    assert field_options(fresh["year"]).startswith('<option selected value="">All</option>')
