"""Pages of a list too long to count: one row more than a page says whether there is a next;
and of a list counted no further than a cap."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from npq_portal.models import User
from npq_portal.paging import CappedPaginator, SortingCappedPaginator, UncountedPaginator
from npq_portal.tests.factories import UserFactory


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


# ---- Counted up to a cap ----


def test_a_list_within_the_cap_is_counted_and_paged_as_django_pages_it():
    rows = Rows(range(60))
    paginator = CappedPaginator(rows, 25, cap=100)

    third = paginator.page(3)

    assert (paginator.count, paginator.count_in_words, paginator.num_pages) == (60, "60", 3)
    assert not paginator.more_than_cap
    assert rows.asked[0] == slice(None, 101)  # the count asks for one row more than the cap
    assert list(third) == list(range(50, 60))
    assert (third.start_index(), third.end_index()) == (51, 60)
    with pytest.raises(EmptyPage):
        paginator.page(4)


def test_a_list_longer_than_the_cap_says_so_and_is_paged_without_a_count_of_pages():
    rows = Rows(range(130))
    paginator = CappedPaginator(rows, 25, cap=100)

    fifth, sixth = paginator.page(5), paginator.page(6)

    assert (paginator.count_in_words, paginator.num_pages) == ("More than 100", None)
    assert paginator.more_than_cap
    assert list(fifth) == list(range(100, 125)) and fifth.has_next()
    assert list(sixth) == list(range(125, 130)) and not sixth.has_next()
    assert rows.asked[1:] == [slice(100, 126), slice(125, 151)]  # a row more than each page
    with pytest.raises(EmptyPage):
        paginator.page(7)
    assert paginator.get_page("last").number == 1


def test_the_default_cap_is_a_thousand_in_words():
    paginator = CappedPaginator(Rows(range(1_001)), 25)

    assert paginator.count_in_words == "More than 1,000"
    assert CappedPaginator(Rows(range(1_000)), 25).count_in_words == "1,000"


@pytest.mark.django_db
def test_a_queryset_is_counted_with_a_limit_and_without_its_order(django_assert_num_queries):
    UserFactory.create_batch(4)
    paginator = CappedPaginator(User.objects.order_by("email"), 2, cap=3)

    with CaptureQueriesContext(connection) as captured:
        assert paginator.count_in_words == "More than 3"
    [count] = captured.captured_queries
    assert "LIMIT 4" in count["sql"] and "ORDER BY" not in count["sql"]
    with django_assert_num_queries(1):
        assert len(paginator.page(2)) == 2


@pytest.mark.django_db
def test_within_the_cap_a_sorting_paginator_sorts_what_it_found_in_the_same_order():
    for n in range(7):
        UserFactory(last_name=f"Zed{n % 3}", first_name=f"P{n}")
    people = User.objects.filter(last_name__startswith="Zed").order_by("-last_name", "pk")

    with CaptureQueriesContext(connection) as queries:
        sorted_page = list(SortingCappedPaginator(people, 3, cap=10).page(2))
    plain_page = list(CappedPaginator(people, 3, cap=10).page(2))

    assert sorted_page == plain_page == list(people)[3:6]
    assert "COALESCE" in queries[-1]["sql"]  # no index can serve this order


@pytest.mark.django_db
def test_above_the_cap_a_sorting_paginator_keeps_the_lists_own_order():
    for n in range(5):
        UserFactory(last_name=f"Zed{n}")
    people = User.objects.filter(last_name__startswith="Zed").order_by("last_name", "pk")

    with CaptureQueriesContext(connection) as queries:
        page = list(SortingCappedPaginator(people, 2, cap=3).page(1))

    assert page == list(people)[:2]
    assert "COALESCE" not in queries[-1]["sql"]


@pytest.mark.django_db
@pytest.mark.parametrize("cap", [100, 10], ids=["within-the-cap", "above-the-cap"])
def test_given_its_rows_a_page_reads_its_ids_then_its_rows_by_id(cap):
    people = UserFactory.create_batch(30)
    listed = User.objects.filter(pk__in=[p.pk for p in people]).order_by("-pk")
    asked = []

    def rows(ids):
        asked.append(ids)
        return User.objects.only("email").order_by().in_bulk(ids)

    with CaptureQueriesContext(connection) as queries:
        second = CappedPaginator(listed, 10, cap=cap, rows=rows).page(2)

    assert list(second) == list(listed[10:20])
    assert asked[0][:10] == [person.pk for person in listed[10:20]]
    assert len(queries) == 3  # the count, the page's ids, its rows
    assert "email" in queries[2]["sql"] and "first_name" not in queries[2]["sql"]


@pytest.mark.django_db
def test_a_row_gone_since_its_id_was_read_is_left_out_of_the_page():
    people = UserFactory.create_batch(3)
    listed = User.objects.filter(pk__in=[p.pk for p in people]).order_by("pk")

    def rows(ids):
        User.objects.filter(pk=ids[1]).delete()  # removed meanwhile
        return User.objects.in_bulk(ids)

    page = UncountedPaginator(listed, 25, rows=rows).page(1)

    assert list(page) == [people[0], people[2]]
