from django.template import Context, Template

from npq_portal.templatetags.options import select_option_groups, select_options


def test_the_chosen_option_is_marked_and_every_label_escaped():
    html = select_options([(1, "Oak & Ash"), (2, "<Birch>")], "2", "All cohorts")

    assert html == (
        '<option value="">All cohorts</option>'
        '<option value="1">Oak &amp; Ash</option>'
        '<option selected value="2">&lt;Birch&gt;</option>'
    )


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
