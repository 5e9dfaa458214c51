"""Queries prepared once a PostgreSQL connection (npq_portal/prepared.py) answer as the SQL
run as it is does, are prepared once, and are prepared again on a new connection."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from npq_portal.prepared import prepared_execute
from npq_portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SQL = (
    "SELECT email, first_name || '%%' FROM npq_portal_user "
    "WHERE id IN (%s, %s) AND is_active = %s ORDER BY id"
)


def _rows(sql, params):
    with connection.cursor() as cursor:
        prepared_execute(cursor, sql, params)
        return cursor.fetchall()


def _plain(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.fixture
def people():
    return UserFactory(first_name="Ada"), UserFactory(first_name="Ben", is_active=False)


def test_the_answer_is_the_sql_run_as_it_is(people):
    ada, ben = people
    for params in ([ada.pk, ben.pk, True], [ada.pk, ben.pk, False], [0, 0, True]):
        assert _rows(SQL, params) == _plain(SQL, params)
    assert _rows(SQL, [ada.pk, ben.pk, True]) == [(ada.email, "Ada%")]


def test_a_statement_is_prepared_once_a_connection(people):
    if connection.vendor != "postgresql":
        pytest.skip("Only PostgreSQL prepares statements.")
    ada, ben = people
    with CaptureQueriesContext(connection) as first:
        _rows(SQL, [ada.pk, ben.pk, True])
    with CaptureQueriesContext(connection) as again:
        _rows(SQL, [ben.pk, ada.pk, False])

    prepared = [q["sql"] for q in first.captured_queries if q["sql"].startswith("PREPARE")]
    assert len(prepared) <= 1  # none if an earlier test prepared it on this connection
    assert [q["sql"].split("(")[0] for q in again.captured_queries] == [
        first.captured_queries[-1]["sql"].split("(")[0]
    ]
    assert again.captured_queries[0]["sql"].startswith("EXECUTE npq_")


def test_a_rolled_back_transaction_leaves_it_prepared(people):
    ada, ben = people
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _rows(SQL, [ada.pk, ben.pk, True]) == [(ada.email, "Ada%")]
        raise RuntimeError("rolled back")

    assert _rows(SQL, [ada.pk, ben.pk, True]) == [(ada.email, "Ada%")]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_it_again():
    ada = UserFactory(first_name="Ada")
    assert _rows(SQL, [ada.pk, 0, True]) == [(ada.email, "Ada%")]

    connection.close()  # as Django does with a connection kept too long, or broken

    assert _rows(SQL, [ada.pk, 0, True]) == [(ada.email, "Ada%")]
