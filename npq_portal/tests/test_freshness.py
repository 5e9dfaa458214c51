"""The data generation moves on with every write, wherever it is made."""

import pytest
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction

from npq_portal import freshness
from npq_portal.freshness import data_generation, fresh_get, fresh_set
from npq_portal.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_reading_leaves_the_generation_alone():
    person = UserFactory()
    before = data_generation()

    type(person).objects.get(pk=person.pk)
    list(type(person).objects.filter(email__startswith="person"))

    assert data_generation() == before


def test_saving_a_row_moves_it_on():
    person = UserFactory()
    before = data_generation()

    person.first_name = "Siobhán"
    person.save()

    assert data_generation() != before


def test_a_queryset_update_and_a_delete_move_it_on():
    person = UserFactory()
    first = data_generation()
    type(person).objects.filter(pk=person.pk).update(first_name="Aled")
    second = data_generation()
    person.delete()

    assert len({first, second, data_generation()}) == 3


def test_raw_sql_moves_it_on():
    person = UserFactory()
    before = data_generation()

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE npq_portal_user SET first_name = %s WHERE id = %s", ["Ana", person.pk]
        )

    assert data_generation() != before


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_it_moves_on_when_read_since_and_again_when_it_commits(monkeypatch):
    person = UserFactory()
    data_generation()
    changes = []
    change = freshness.data_changed
    monkeypatch.setattr(freshness, "data_changed", lambda: changes.append(change()))

    with transaction.atomic():
        person.save()  # read since the last change: its own later reads need a new token
        person.save()  # not read since: nothing to do
        freshness.data_generation()
        person.save()
        assert len(changes) == 2
        assert len(connection.run_on_commit) == 1

    assert len(changes) == 3  # and once on commit, however many writes


def test_a_rolled_back_savepoint_does_not_leave_a_change_waiting(
    django_capture_on_commit_callbacks,
):
    person = UserFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    person.save()
                    raise RuntimeError
            except RuntimeError:
                pass

    assert callbacks == []


def test_without_a_cache_every_process_shares_nothing_is_kept(settings, rf):
    # A write in one process moves only its own generation on; another process would go on
    # serving what it kept (a staff member's MFA check, say) if it kept anything.
    settings.SHARED_CACHE = False
    fresh_set(rf.get("/"), "mfa-facts:1", (False, False), 300)

    assert fresh_get(rf.get("/"), "mfa-facts:1") is None


def test_a_statement_it_cannot_read_counts_as_a_write():
    class Composed:  # stands in for psycopg's composed SQL, which is not a str
        pass

    before = data_generation()
    freshness.watch_writes(
        lambda *args: None, Composed(), None, False, {"connection": _autocommit()}
    )

    assert data_generation() != before


def _autocommit():
    class Connection:
        in_atomic_block = False

    return Connection()


class CacheThatGoesAway(LocMemCache):
    """A local cache that can be made unreachable, answering then as TolerantRedisCache does."""

    down = False

    def unreachable(self) -> bool:
        return self.down

    def get(self, key, default=None, version=None):
        return default if self.down else super().get(key, default, version)

    def get_many(self, keys, version=None):
        return {} if self.down else super().get_many(keys, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not self.down:
            super().set(key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return True if self.down else super().add(key, value, timeout, version)


def test_a_write_while_the_cache_is_unreachable_still_retires_what_was_cached(rf, monkeypatch):
    person = UserFactory(first_name="Before")
    flaky = CacheThatGoesAway("freshness-test", {})
    monkeypatch.setattr(freshness, "cache", flaky)
    monkeypatch.setattr(freshness, "_change_owed", False, raising=False)
    monkeypatch.setattr(freshness, "_prefetchers", [])  # these bare requests have no session
    fresh_set(rf.get("/"), "page", "drawn when the name was Before", 60)
    assert fresh_get(rf.get("/"), "page") == "drawn when the name was Before"

    flaky.down = True  # Redis unreachable from this process while it writes
    person.first_name = "After"
    person.save()
    assert fresh_get(rf.get("/"), "page") is None
    flaky.down = False  # back: the old token is still there for everyone else to read

    assert fresh_get(rf.get("/"), "page") is None
    fresh_set(rf.get("/"), "page", "drawn when the name was After", 60)
    assert fresh_get(rf.get("/"), "page") == "drawn when the name was After"  # caching again
