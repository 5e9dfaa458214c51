"""The data generation: a token that changes whenever anything in the database changes.

Whatever is cached under the current token was drawn from the data as it is now, so it can be
served without asking whether it has gone stale: the first write anywhere (a page, a Celery
task, a management command, in any process) moves every reader on to a new token and the old
entries are never read again. Signed-in pages are cached this way (npq_portal/page_cache.py).

Writes are seen at the database connection. Outside a transaction every INSERT, UPDATE,
DELETE, COPY or TRUNCATE changes the token at once. Inside one, the token changes when it
commits (before that, no other connection can see the new data), and also at a write after
this thread last read the token: a reader inside the same transaction (a test, mostly) must
not be served a copy from before its own write. A write the connection cannot see (psycopg's
COPY) calls `data_changed()` itself.

The token lives in the shared cache. With no token (evicted, or Redis down) there is no
generation and nothing is served from or stored in the cache under it; with a cache that is not
shared by every process (settings.SHARED_CACHE off) nothing is kept at all. A write made while
this process could not reach the cache leaves the change owed: the process serves nothing from
the cache until it has moved the token on, which it tries at every read.

Entries kept this way (`fresh_set`) carry the generation they were made in, and `fresh_get`
returns one only while that is still the current generation. A signed-in request reads the
generation and every entry registered with `@prefetched` (its MFA facts, its page) in one round
trip to Redis, the first time it asks for any of them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "data-generation"
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "COPY", "TRUNCATE", "MERGE")

# Whether this thread has read the token since it last changed it.
_this_thread = threading.local()
# Whether this process wrote while the cache was unreachable and has yet to move the token on.
_change_owed = False


def data_generation() -> str | None:
    """The current token, made if there is none; None when the cache keeps nothing."""
    if _change_owed and not _pay_change_owed():
        return None
    _this_thread.read_since_change = True
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(GENERATION_KEY)
    return token


# Functions giving the key of an entry a request will ask for (or None): read with the
# generation, in one round trip.
_prefetchers: list[Callable] = []


def prefetched(key_for: Callable) -> Callable:
    """Register a function of the request giving a key to read along with the generation."""
    _prefetchers.append(key_for)
    return key_for


def request_generation(request) -> str | None:
    """The generation as this request found it (read once: it is the one its entries need)."""
    return _request_entries(request)[0]


def fresh_get(request, key: str):
    """The entry kept under `key` in the current generation, or None."""
    if not settings.SHARED_CACHE:
        return None
    generation, found = _request_entries(request)
    if generation is None:
        return None
    entry = found[key] if key in found else cache.get(key)
    if entry is None or entry[0] != generation:
        return None
    return entry[1]


def fresh_set(request, key: str, value, timeout: int) -> None:
    """Keep `value` under `key` for the generation this request started in: a write since
    then means it is never served."""
    if not settings.SHARED_CACHE:
        return
    generation = request_generation(request)
    if generation is not None:
        cache.set(key, (generation, value), timeout)


def _request_entries(request) -> tuple[str | None, dict]:
    if not hasattr(request, "_fresh_entries"):
        keys = [key for key_for in _prefetchers if (key := key_for(request))]
        _this_thread.read_since_change = True
        found = cache.get_many([GENERATION_KEY, *keys])
        generation = found.pop(GENERATION_KEY, None)
        if _change_owed or generation is None:
            # What was read may predate a write this process could not announce.
            generation, found = data_generation(), {}
        request._fresh_entries = (generation, found)
    return request._fresh_entries


def data_changed() -> None:
    """Move every reader on to a new token: what was cached before is not served again."""
    global _change_owed
    _this_thread.read_since_change = False
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    # Redis down: no one was told. Once it answers again, readers in other processes would
    # find the old token and serve copies from before this write.
    _change_owed = _cache_unreachable()


def _pay_change_owed() -> bool:
    if not _cache_unreachable():
        data_changed()
    return not _change_owed


def _cache_unreachable() -> bool:
    return getattr(cache, "unreachable", lambda: False)()


def _changed_on_commit() -> None:
    data_changed()


def watch_writes(execute, sql, params, many, context):
    """A database execute wrapper that changes the token for every write it lets through."""
    result = execute(sql, params, many, context)
    if not settings.SHARED_CACHE or not _is_write(sql):
        return result
    connection = context["connection"]
    if not connection.in_atomic_block:
        data_changed()
        return result
    if getattr(_this_thread, "read_since_change", True):
        data_changed()  # this transaction's own later reads must not find copies from before
    if not any(entry[1] is _changed_on_commit for entry in connection.run_on_commit):
        transaction.on_commit(_changed_on_commit, using=connection.alias)
    return result


def watch_connection(sender, connection, **kwargs) -> None:
    """connection_created receiver: wrap every statement the new connection runs."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, watch_writes)


def _is_write(sql) -> bool:
    # A statement that is not plain text (psycopg's Composed) cannot be read here: taking it
    # for a write costs a cache miss, taking it for a read could serve stale pages.
    return not isinstance(sql, str) or sql.lstrip()[:8].upper().startswith(WRITE_STATEMENTS)
