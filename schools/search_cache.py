"""The school autocomplete's answers, kept until the schools change.

Teachers type the same beginnings ("oak", "oakf", "oakfi") into every application: each answer
is kept in the shared cache under the schools' current version, a token moved on whenever a
school is saved or deleted and when a GIAS import finishes (its COPY and bulk writes send no
signals). An answer from before a change is never served again; none is kept for longer than
an hour in any case.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from django.core.cache import cache

VERSION_KEY = "schools:search-version"
ANSWER_SECONDS = 3600


def schools_changed(**kwargs) -> None:
    """Answers kept before now are not served again (also a post_save/post_delete receiver)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def school_search_kept(query: str, *, with_closed: bool, answer: Callable[[], list]) -> list:
    """The kept answer to this search, or `answer()`, kept for the schools' current version."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    if version is None:  # the cache is away: answer, keep nothing
        return answer()
    typed = f"{with_closed}|{query.lower()}".encode()
    key = f"school-search:{version}:{hashlib.sha256(typed).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = answer()
        cache.set(key, found, ANSWER_SECONDS)
    return found
