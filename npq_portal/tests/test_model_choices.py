"""Model choice fields read their options in one plain query (npq_portal/model_choices.py),
the same options Django's own iterator gives."""

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from npq_portal.model_choices import ListedModelChoiceIterator, PlainChoices

pytestmark = pytest.mark.django_db


NAMES = ("Zebra & co", "Alpha", "<Middle>", "Newer")
OURS = Group.objects.filter(name__in=NAMES)  # not the roles' groups, which migrating made


class GroupsForm(forms.Form):
    one = forms.ModelChoiceField(OURS.order_by("name"), empty_label="Any group")
    some = forms.ModelMultipleChoiceField(OURS.order_by("-name"), required=False)
    fixed = forms.ModelChoiceField(OURS.order_by("name"), empty_label=None)


class GroupsModelForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "permissions"]


@pytest.fixture
def groups():
    return [Group.objects.create(name=name) for name in NAMES[:3]]


def test_every_model_choice_field_uses_it():
    assert forms.ModelChoiceField.iterator is ListedModelChoiceIterator
    assert forms.ModelMultipleChoiceField.iterator is ListedModelChoiceIterator
    assert isinstance(GroupsModelForm().fields["permissions"].choices, ListedModelChoiceIterator)


def test_the_options_are_djangos(groups):
    form = GroupsForm()
    for name, field in form.fields.items():
        ours = [(str(value), label) for value, label in field.choices]
        djangos = [(str(value), label) for value, label in forms.models.ModelChoiceIterator(field)]
        assert ours == djangos, name
        assert len(ours) == 3 + (field.empty_label is not None)
    assert [label for _, label in form.fields["one"].choices] == [
        "Any group",
        "<Middle>",
        "Alpha",
        "Zebra & co",
    ]


def test_a_field_is_drawn_with_one_plain_query(groups):
    form = GroupsForm(initial={"one": groups[1].pk, "some": [groups[0].pk]})
    html = {}
    for name in ("one", "some"):
        with CaptureQueriesContext(connection) as captured:
            html[name] = str(form[name])
        # No server-side cursor (DECLARE, FETCH, CLOSE on PostgreSQL): one SELECT.
        assert [query["sql"].split()[0] for query in captured.captured_queries] == ["SELECT"]
    assert f'<option value="{groups[1].pk}" selected>Alpha</option>' in html["one"]
    assert "&lt;Middle&gt;" in html["one"] and "Zebra &amp; co" in html["some"]


def test_the_options_are_read_afresh_each_time(groups):
    form = GroupsForm()
    field = form.fields["one"]
    assert len(list(field.choices)) == 4
    Group.objects.create(name="Newer")
    assert [label for _, label in field.choices][-2:] == ["Newer", "Zebra & co"]
    assert field.queryset._result_cache is None  # the field's own queryset keeps nothing


def test_a_prefetching_queryset_is_read_as_django_reads_it(groups):
    field = forms.ModelChoiceField(OURS.prefetch_related("permissions").order_by("pk"))
    with CaptureQueriesContext(connection) as captured:
        labels = [label for _, label in field.choices]
    assert labels == ["---------", "Zebra & co", "Alpha", "<Middle>"]
    assert len(captured.captured_queries) == 2  # the groups, then their permissions


PAIRS = [("", "All"), ("1", "MN 2026/27, Autumn"), ("2", "SL 2026/27, <Spring> & more")]


def _pairs_form(choices, chosen: str = "2") -> forms.Form:
    class PairsForm(forms.Form):
        pick = forms.ChoiceField(required=False)
        cohort = forms.ModelChoiceField(OURS, required=False)

    form = PairsForm({"pick": chosen})
    form.fields["pick"].choices = choices
    form.fields["cohort"].choices = choices
    return form


def test_plain_choices_are_the_options_a_list_makes_kept_as_they_are(groups):
    plain, listed = _pairs_form(PlainChoices(PAIRS)), _pairs_form(list(PAIRS))

    for name in ("pick", "cohort"):
        field = plain.fields[name]
        assert list(field.choices) == PAIRS and len(field.choices) == 3
        assert list(field.widget.choices) == list(listed.fields[name].widget.choices)
        assert str(plain[name]) == str(listed[name])  # drawn alike, escaped alike
    assert plain.is_valid() and plain.cleaned_data["pick"] == "2"
    plain_bad, listed_bad = _pairs_form(PlainChoices(PAIRS), "3"), _pairs_form(list(PAIRS), "3")
    assert not plain_bad.is_valid() and plain_bad.errors == listed_bad.errors
