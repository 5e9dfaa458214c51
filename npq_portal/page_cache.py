"""Whole-page caching: shared copies for visitors, and each signed-in session's own copies.

Visitors: only a GET from someone with no cookies at all is served from, or stored in, the
cache; only a 200 that sets no cookie is stored. Such a page was drawn for nobody in
particular, so it can be shown to anybody without cookies. Anyone with a session, a CSRF
cookie or a message waiting gets the page drawn for them.

Signed in: a page is kept for the session that asked for it, under the data generation
(npq_portal/freshness.py), so a copy is served only while nothing in the database has changed
since it was drawn, and for at most a minute (pages that say "today" or "upcoming" move on with
the clock). A reload that asks for a fresh copy (Cache-Control: no-cache, as a browser's hard
reload sends) gets one.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import cache
from django.utils import timezone

from .freshness import fresh_get, fresh_set, prefetched


def cache_for_visitors(seconds: int):
    """Decorate a view so cookie-less visitors share one copy of each page for `seconds`."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method != "GET" or request.COOKIES:
                return view(request, *args, **kwargs)
            key = f"visitor-page:{request.get_full_path()}"
            cached = cache.get(key)
            if cached is not None:
                return cached
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code == 200 and not response.cookies:
                cache.set(key, response, seconds)
            return response

        return wrapped

    return decorator


def cache_for_session(view):
    """Decorate a view so a signed-in session's repeat visits to a page, with nothing changed
    in between, are served the copy drawn for it (settings.SIGNED_IN_PAGE_SECONDS; 0 is off).

    Runs after every middleware, so sign-in, MFA and session expiry are checked as usual; the
    view's own permission check is skipped on a hit only because it answered this same session
    with this page when nothing in the database was different.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        key = session_page_key(request)
        if key is None or not request.user.is_authenticated:
            _count("bypass")
            return view(request, *args, **kwargs)
        cached = fresh_get(request, key)
        if cached is not None:
            _count("hit")
            return cached
        _count("miss")
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if _storable(request, response):
            fresh_set(request, key, response, settings.SIGNED_IN_PAGE_SECONDS)
        return response

    return wrapped


@prefetched
def session_page_key(request) -> str | None:
    """The cache key of this request's page, or None when it must be drawn afresh. Read with
    the generation for any signed-in GET (a page that is not cached just finds nothing)."""
    seconds = settings.SIGNED_IN_PAGE_SECONDS
    session_key = request.session.session_key
    if (
        not seconds
        or request.method != "GET"
        or not session_key
        or "no-cache" in request.headers.get("Cache-Control", "")
        or request.COOKIES.get(CookieStorage.cookie_name)  # a message waits to be shown
        or SessionStorage.session_key in request.session
    ):
        return None
    # The clock's minute: a page drawn in one is not served in the next.
    minute = int(timezone.now().timestamp() // seconds)
    parts = (
        str(minute),
        session_key,
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),  # forms carry this session's token
        request.get_full_path(),
    )
    return "session-page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


# ---- How often it helps (settings.PAGE_CACHE_STATS: the benchmark's mixed workload) ----
STATS_KEY = "page-cache-stats:{}"
# hit: served a kept copy; miss: drawn, and kept if it could be; bypass: drawn and never kept
# (the cache off, not a GET, a hard reload, a message waiting).
STATS_OUTCOMES = ("hit", "miss", "bypass")


def _count(outcome: str) -> None:
    if settings.PAGE_CACHE_STATS:
        key = STATS_KEY.format(outcome)
        cache.add(key, 0, timeout=None)
        cache.incr(key)


def page_cache_stats() -> dict[str, int]:
    """Requests to the cached pages since the counts were reset, by outcome (every process
    sharing this cache counts together)."""
    found = cache.get_many([STATS_KEY.format(outcome) for outcome in STATS_OUTCOMES])
    return {outcome: found.get(STATS_KEY.format(outcome), 0) for outcome in STATS_OUTCOMES}


def page_cache_stats_reset() -> None:
    """Start counting from nothing."""
    cache.delete_many([STATS_KEY.format(outcome) for outcome in STATS_OUTCOMES])


def _storable(request, response) -> bool:
    """Only a whole 200 that changed nothing about the session or its cookies is kept."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.session.modified
    )
