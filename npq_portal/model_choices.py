"""A model choice field's options read in one plain query.

Django's `ModelChoiceIterator` reads a field's rows with `QuerySet.iterator()`, which on
PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round trips, and the
cursor held past the transaction (WITH HOLD). That keeps memory flat for a list of millions;
a form's options are drawn in full into the page anyway, so here they are read as any list
is, in one query. The apps' `ready()` makes this every model choice field's iterator
(`ModelChoiceField.iterator`, which `ModelMultipleChoiceField` and ModelForms' fields share).

`PlainChoices` keeps a long list of options, already (value, label) pairs, as it is when set as
a field's choices.
"""

from django import forms
from django.utils.choices import BaseChoiceIterator


class PlainChoices(BaseChoiceIterator):
    """Options already as (value, label) pairs, kept as they are when set as a field's
    `choices`: Django goes through a list set so item by item, twice (the field's and its
    widget's), about 2 ms for a list of 270 cohorts."""

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


class ListedModelChoiceIterator(forms.models.ModelChoiceIterator):
    """Django's iterator, reading the queryset in one query rather than through a cursor."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        queryset = self.queryset
        # As Django's: read afresh each time, never from (or into) the field's queryset's
        # cache; a prefetching one is iterated itself, as Django does.
        if not queryset._prefetch_related_lookups:
            queryset = queryset.all()
        for row in queryset:
            yield self.choice(row)


def model_choices_listed() -> None:
    """Make every model choice field read its options in one query (apps' `ready()`)."""
    forms.ModelChoiceField.iterator = ListedModelChoiceIterator
