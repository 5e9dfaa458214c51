"""Paging through lists too long to count on every visit.

`UncountedPaginator` never counts (a log, what was sent): a page reads one row more than it
shows, and that row only says whether there is a next page. No query counts the list, so the
first page costs the same however long the list grows (a far page costs the rows it skips). Its
pages say "Page 3", never "of 80".

`CappedPaginator` counts no further than a cap (a searched list, a queue): the count stops once
it has found one row more than the cap, so it costs at most that many rows. A list within the
cap is counted and paged as Django's Paginator does ("24 applications", "Page 1 of 1"); a longer
one is "More than 1,000 applications" and paged as an uncounted list is ("Page 41").

Either may be given `rows`: a function from a page's ids to its rows (by id). The page's ids
are then read on their own, in the list's order, and its rows by id. PostgreSQL plans a sorted,
limited read across several joined tables slowly (the review queue's: 2.3 ms to plan, 0.3 to
run); the ids alone and the rows by id take about 1 ms together.
"""

import inspect
from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils.inspect import method_has_no_args


class UncountedPaginator(Paginator):
    """Pages of a list without counting it (ListView's `paginator_class`)."""

    # ListView asks for this only for ?page=last, which a list with no count cannot offer:
    # None makes that page missing (a 404), like any other page that is not there.
    num_pages = None

    def __init__(self, object_list, per_page, *args, rows=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.rows = rows

    @property
    def count(self):
        raise TypeError("An uncounted list has no count; ask the page whether there is a next.")

    def validate_number(self, number) -> int:
        return _page_number(number)

    def page(self, number) -> "UncountedPage":
        return _uncounted_page(self, number)

    def get_page(self, number) -> "UncountedPage":
        """The page asked for, or the first when that one is not a page."""
        try:
            return self.page(number)
        except (PageNotAnInteger, EmptyPage):
            return self.page(1)


class CappedPaginator(Paginator):
    """Pages of a list counted up to `cap` rows (ListView's `paginator_class`): counted and
    paged as Django's Paginator does when it holds at most `cap`, and, when it holds more, said
    to hold more than `cap` (`count_in_words`) and paged without a count of pages."""

    cap = 1000

    def __init__(self, object_list, per_page, *args, cap: int | None = None, rows=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        if cap is not None:
            self.cap = cap
        self.rows = rows

    @cached_property
    def count(self) -> int:
        """How many rows the list holds, counting no further than one more than the cap (a
        count above the cap means only "more than the cap"). A list that counts itself so
        (`count_up_to(limit)`, as a review queue read by fixed queries does) is asked."""
        counter = getattr(self.object_list, "count_up_to", None)
        if counter is not None:
            return counter(self.cap + 1)
        rows = self.object_list
        if hasattr(rows, "order_by"):
            rows = rows.order_by()  # a queryset: its order changes nothing counted, only the cost
        rows = rows[: self.cap + 1]
        count = getattr(rows, "count", None)
        if callable(count) and not inspect.isbuiltin(count) and method_has_no_args(count):
            return count()  # a queryset's: SELECT COUNT(*) FROM (… LIMIT cap + 1)
        return len(rows)

    @property
    def more_than_cap(self) -> bool:
        return self.count > self.cap

    @property
    def count_in_words(self) -> str:
        """How many, for a caption: "24", or "More than 1,000"."""
        return f"More than {self.cap:,}" if self.more_than_cap else f"{self.count:,}"

    @cached_property
    def num_pages(self) -> int | None:
        """How many pages, or None when there are more rows than the cap (so ?page=last is
        missing, a 404, as for an uncounted list)."""
        return None if self.more_than_cap else super().num_pages

    def validate_number(self, number) -> int:
        if self.more_than_cap:
            return _page_number(number)
        return super().validate_number(number)

    # Within the cap, sort the rows found rather than walk the list's order index (below).
    sort_within_cap = False

    def page(self, number) -> Page:
        if self.more_than_cap:
            return _uncounted_page(self, number)
        if self.sort_within_cap:
            ordering = _unindexed_order(self.object_list)
            if ordering is not None:
                self.object_list = self.object_list.order_by(*ordering)
        if self.rows is None:
            return super().page(number)
        number = self.validate_number(number)  # as Django's Paginator.page, the rows by id
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(_read(self, bottom, top), number, self)

    def get_page(self, number) -> Page:
        """The page asked for, or, when that one is not a page, the first (or, for a list
        within the cap, the last when it was past the end, as Django's Paginator does)."""
        if not self.more_than_cap:
            return super().get_page(number)
        try:
            return self.page(number)
        except (PageNotAnInteger, EmptyPage):
            return self.page(1)


class UncountedPage(Page):
    """One page of an uncounted list: it knows whether a next page has rows, not how many."""

    def __init__(self, object_list, number, paginator, *, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class SortingCappedPaginator(CappedPaginator):
    """A CappedPaginator whose page, within the cap, is the rows found sorted: for a log
    searched by words. With its order index and a LIMIT, PostgreSQL may walk the whole log
    backwards filtering each row, expecting thousands of matches where a rare search has three
    (69 ms for one person's emails among 350,000); sorting what the trigram index finds (at
    most the cap) takes a few. Above the cap the order index serves, as it should."""

    sort_within_cap = True


def _unindexed_order(rows) -> list | None:
    """The queryset's order as expressions no index matches (COALESCE(x, x) sorts as x), or
    None where it is not a plain list of field names."""
    if not isinstance(rows, QuerySet) or rows.query.combinator is not None:
        return None
    terms = rows.query.order_by or rows.model._meta.ordering
    if not terms or not all(isinstance(term, str) for term in terms):
        return None
    ordering = []
    for term in terms:
        name = term.lstrip("-")
        expression = Coalesce(F(name), F(name))
        ordering.append(expression.desc() if term.startswith("-") else expression.asc())
    return ordering


def _page_number(number) -> int:
    """A page number of a list without a count of pages: a whole number from 1."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise PageNotAnInteger("That page number is not a whole number.") from None
    if number < 1:
        raise EmptyPage("That page number is less than 1.")
    return number


def _uncounted_page(paginator: Paginator, number) -> UncountedPage:
    """Page `number`, read with one row more than it shows to learn whether there is a next."""
    number = _page_number(number)
    bottom = (number - 1) * paginator.per_page
    rows = _read(paginator, bottom, bottom + paginator.per_page + 1)
    if not rows and number > 1:
        raise EmptyPage("That page has nothing on it.")
    return UncountedPage(
        rows[: paginator.per_page], number, paginator, has_next=len(rows) > paginator.per_page
    )


def _read(paginator: Paginator, bottom: int, top: int) -> list:
    """The list's rows from `bottom` to `top`: sliced, or, given the paginator's `rows`, their
    ids sliced and then the rows by id (one that went meanwhile is left out)."""
    if getattr(paginator, "rows", None) is None:
        return list(paginator.object_list[bottom:top])
    reader = getattr(paginator.object_list, "ids_between", None)  # a list that reads its own
    if reader is not None:
        ids = reader(bottom, top)
    else:
        ids = list(paginator.object_list.values_list("pk", flat=True)[bottom:top])
    found = paginator.rows(ids) if ids else {}
    return [found[pk] for pk in ids if pk in found]
