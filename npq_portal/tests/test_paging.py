"""Pages of a list too long to count: one row more than a page says whether there is a next."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger

from npq_portal.paging import UncountedPaginator


class Rows(list):
    """A list that records the slices taken of it, as a queryset would run them."""

    def __init__(self, *args):
        super().__init__(*args)
        self.asked = []

    def __getitem__(self, index):
        self.asked.append(index)
        return super().__getitem__(index)


def test_a_page_reads_one_row_more_than_it_shows_and_never_counts():
    rows = Rows(range(60))
    paginator = UncountedPaginator(rows, 25)

    first, third = paginator.page(1), paginator.page(3)

    assert rows.asked == [slice(0, 26), slice(50, 76)]
    assert list(first) == list(range(25))
    assert first.has_next() and not first.has_previous() and first.has_other_pages()
    assert (first.start_index(), first.end_index()) == (1, 25)
    assert list(third) == list(range(50, 60))
    assert not third.has_next() and third.has_previous()
    assert (third.start_index(), third.end_index()) == (51, 60)
    with pytest.raises(TypeError, match="no count"):
        paginator.count  # noqa: B018


def test_a_list_that_fills_its_pages_exactly_has_no_empty_page_after_them():
    paginator = UncountedPaginator(Rows(range(50)), 25)

    assert not paginator.page(2).has_next()
    with pytest.raises(EmptyPage):
        paginator.page(3)


def test_an_empty_list_has_one_empty_page():
    page = UncountedPaginator(Rows(), 25).page(1)

    assert list(page) == []
    assert not page.has_other_pages()
    assert (page.start_index(), page.end_index()) == (0, 0)


@pytest.mark.parametrize(
    ("number", "error"), [("two", PageNotAnInteger), (None, PageNotAnInteger), (0, EmptyPage)]
)
def test_a_page_that_is_not_one_is_refused_or_replaced_by_the_first(number, error):
    paginator = UncountedPaginator(Rows(range(30)), 25)

    with pytest.raises(error):
        paginator.page(number)
    assert paginator.get_page(number).number == 1
    assert paginator.get_page(9).number == 1
