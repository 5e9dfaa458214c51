"""Queries planned with their joins in the order written (npq_portal/planning.py): the hint is
sent with each statement outside a transaction on PostgreSQL, lasts for that statement only,
and changes no answer; inside a transaction, and on SQLite, nothing is sent."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from npq_portal.models import User
from npq_portal.planning import WRITTEN_ORDER, joins_in_written_order
from npq_portal.tests.factories import UserFactory


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return cursor.fetchone()[0]


def _people():
    # A join for the planner to order: people without a group, through the membership table.
    return list(
        User.objects.filter(groups__isnull=True, email__endswith="@example.com")
        .order_by("pk")
        .values_list("pk", "email")
    )


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_each_statement_carries_the_hint_for_itself_only():
    made = [UserFactory(email=f"person{n}@example.com") for n in range(3)]
    expected = _people()

    with CaptureQueriesContext(connection) as captured, joins_in_written_order():
        found = _people()
        streamed = list(User.objects.order_by("pk").values_list("pk", flat=True).iterator(2))

    assert found == expected == [(person.pk, person.email) for person in made]
    assert streamed == [person.pk for person in made]
    sent = [query["sql"] for query in captured.captured_queries]
    if connection.vendor == "postgresql":
        assert sent[0].startswith(WRITTEN_ORDER) and " JOIN " in sent[0]
        # A server-side cursor's DECLARE is sent as it is.
        assert not any(sql.startswith(WRITTEN_ORDER) for sql in sent[1:])
        assert _setting() == "8"  # PostgreSQL's own, for every statement after
    else:
        assert not any(WRITTEN_ORDER in sql for sql in sent)


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_nothing_is_sent_that_could_outlast_the_statement():
    UserFactory(email="person@example.com")

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        with joins_in_written_order():
            found = _people()
        after = _setting() if connection.vendor == "postgresql" else "8"

    assert len(found) == 1
    assert not any(WRITTEN_ORDER in query["sql"] for query in captured.captured_queries)
    assert after == "8"


@pytest.mark.django_db(transaction=True)
def test_after_the_block_statements_are_sent_as_they_are():
    with joins_in_written_order():
        pass
    with CaptureQueriesContext(connection) as captured:
        _people()

    assert not any(WRITTEN_ORDER in query["sql"] for query in captured.captured_queries)
