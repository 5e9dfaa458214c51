"""A model choice field's options read in one plain query.

Django's `ModelChoiceIterator` reads a field's rows with `QuerySet.iterator()`, which on
PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round trips, and the
cursor held past the transaction (WITH HOLD). That keeps memory flat for a list of millions;
a form's options are drawn in full into the page anyway, so here they are read as any list
is, in one query. The apps' `ready()` makes this every model choice field's iterator
(`ModelChoiceField.iterator`, which `ModelMultipleChoiceField` and ModelForms' fields share).
"""

from django import forms


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
