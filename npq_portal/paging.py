"""Paging through a list too long to count on every visit (a log, what was sent).

A page reads one row more than it shows; that row only says whether there is a next page. No
query counts the list, so the first page costs the same however long the list grows (a far
page costs the rows it skips). Its pages say "Page 3", never "of 80".
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator


class UncountedPaginator(Paginator):
    """Pages of a list without counting it (ListView's `paginator_class`)."""

    # ListView asks for this only for ?page=last, which a list with no count cannot offer:
    # None makes that page missing (a 404), like any other page that is not there.
    num_pages = None

    @property
    def count(self):
        raise TypeError("An uncounted list has no count; ask the page whether there is a next.")

    def validate_number(self, number) -> int:
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not a whole number.") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1.")
        return number

    def page(self, number) -> "UncountedPage":
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page has nothing on it.")
        return UncountedPage(
            rows[: self.per_page], number, self, has_next=len(rows) > self.per_page
        )

    def get_page(self, number) -> "UncountedPage":
        """The page asked for, or the first when that one is not a page."""
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
