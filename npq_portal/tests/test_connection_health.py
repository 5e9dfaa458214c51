"""A kept PostgreSQL connection is checked before each request uses it, without a round trip
while it is sound (npq_portal/postgresql/base.py): a connection the server ended is noticed and
replaced, so the request goes on as if nothing happened."""

import time
from unittest import mock

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="Runs in the PostgreSQL pass (CI's second)."
    ),
    pytest.mark.django_db,
]


@pytest.fixture
def kept():
    """A connection of its own, kept between "requests" as gunicorn's workers keep theirs
    (the test's own connection is inside the test's transaction)."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    assert wrapper.health_check_enabled  # the settings ask for the check (STACK.md)
    yield wrapper
    wrapper.close()


def _next_request(wrapper) -> int:
    """What a request does: Django's start-of-request tidy, then a query."""
    wrapper.close_if_unusable_or_obsolete()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_sound_connection_is_used_without_asking_the_server_first(kept):
    pid = _next_request(kept)
    with mock.patch.object(kept, "is_usable", wraps=kept.is_usable) as is_usable:
        assert _next_request(kept) == pid
        assert _next_request(kept) == pid
    is_usable.assert_not_called()


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(kept):
    pid = _next_request(kept)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        # The server ends it a moment later: wait until it has gone.
        for _ in range(100):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if not cursor.fetchone()[0]:
                break
            time.sleep(0.05)
    with mock.patch.object(kept, "is_usable", wraps=kept.is_usable) as is_usable:
        replaced = _next_request(kept)  # no error reaches the request
    is_usable.assert_called_once()  # the socket's news sent it to Django's own check
    assert replaced != pid
    assert _next_request(kept) == replaced


def test_a_connection_closed_on_this_side_is_replaced(kept):
    pid = _next_request(kept)
    kept.connection.close()  # as psycopg2 leaves one after a broken pipe
    assert _next_request(kept) != pid
