"""Version counters (npq_portal/versions.py): moved on at once and again on commit, read as a
number that every move changes, the first one included."""

from types import SimpleNamespace

import pytest
from django.db import connection

from npq_portal.versions import version_counter_operation, version_move_on, version_sql

pytestmark = pytest.mark.django_db

COUNTER = "npq_test_version"


def version_read(counter: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(version_sql(counter))
        return cursor.fetchone()[0]


@pytest.fixture
def counter():
    """A new counter, as a migration makes one (gone with the test's transaction)."""
    editor = SimpleNamespace(connection=connection, execute=connection.cursor().execute)
    version_counter_operation(COUNTER).code(None, editor)
    return COUNTER


def test_the_first_move_of_a_new_counter_moves_its_version_on(counter):
    first = version_read(counter)

    version_move_on(counter)

    assert first == 1
    assert version_read(counter) > first


def test_a_writer_moves_the_version_on_at_once_and_again_once_it_commits(
    counter, django_capture_on_commit_callbacks
):
    before = version_read(counter)

    with django_capture_on_commit_callbacks(execute=True):
        version_move_on(counter)
        during = version_read(counter)
    after = version_read(counter)

    assert before < during < after
