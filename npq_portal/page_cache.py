"""Whole-page caching for visitors: shared copies of the public pages.

Only a GET from someone with no cookies at all is served from, or stored in, the cache; only a
200 that sets no cookie is stored. Such a page was drawn for nobody in particular, so it can be
shown to anybody without cookies. Anyone with a session, a CSRF cookie or a message waiting gets
the page drawn for them.

(Signed-in pages were once kept for each session until anything in the database changed. Under
the benchmark's mixed workload that cache served none of its pages from a copy, since staff and
Celery write every few seconds, so it was removed: docs/performance.md.)
"""

from __future__ import annotations

import functools

from django.core.cache import cache


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
