"""Rate limits for the portal's own public pages, counted like allauth's sign-in limits.

The limits are in settings.RATE_LIMITS. Counts live in the cache (Redis in production, so
every process shares them; without Redis each process keeps its own). The counting is
allauth's sliding window, with its lock, reused rather than written again: allauth is pinned,
and npq_portal/tests/test_ratelimit.py fails if the functions it relies on change.
"""

from __future__ import annotations

import math
import time
from http import HTTPStatus

from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

APP = "npq_portal"
# allauth's own limits (sign-in, password reset…) run over a few minutes at most, and say
# nothing of when they lift: five minutes covers every one of them.
RETRY_AFTER_SECONDS = 300


def rate_limit_refusal(
    request: HttpRequest, *, action: str, key: str | None = None, dry_run: bool = False
) -> HttpResponse | None:
    """Count this request (GET or POST) against the action's limits: the 429 page, saying
    how long to wait, once over one. With dry_run, only asks whether one is used up."""
    key = key.strip().lower() if key is not None else None
    if _consume(request, action=action, key=key, dry_run=dry_run):
        return None
    return too_many_requests(request, retry_after=_seconds_until_allowed(request, action, key))


def _consume(request, *, action: str, key: str | None = None, dry_run: bool = False) -> bool:
    usage = allauth_ratelimit.consume(
        request,
        app=APP,
        action=action,
        config=settings.RATE_LIMITS,
        key=key,
        dry_run=dry_run,
        limit_get=True,
    )
    return usage is not None


def _seconds_until_allowed(request: HttpRequest, action: str, key: str | None) -> int:
    # The counts are allauth's: for each rate, the times of the requests it counted, newest
    # first. A full one frees a place when the oldest of its last `amount` leaves the window.
    now = time.time()
    wait = 0.0
    for rate in allauth_ratelimit.get_rates(app=APP, action=action, config=settings.RATE_LIMITS):
        if rate.per == "key" and key is None:
            continue
        cache_key = allauth_ratelimit.get_cache_key(
            request, app=APP, action=action, rate=rate, key=key
        )
        counted = [at for at in cache.get(cache_key, []) if at > now - rate.duration]
        if len(counted) >= rate.amount:
            wait = max(wait, counted[rate.amount - 1] + rate.duration - now)
    # Nothing full (the count's lock was busy): a short wait is the honest answer.
    return math.ceil(wait) or 60


def too_many_requests(
    request: HttpRequest,
    exception: Exception | None = None,
    *,
    retry_after: int = RETRY_AFTER_SECONDS,
) -> HttpResponse:
    """The portal's 429 page, for its own limits and allauth's (urls.handler429)."""
    response = render(
        request,
        "429.html",
        {"retry_after_minutes": math.ceil(retry_after / 60)},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(retry_after)
    return response


class SignedLinkMixin:
    """For a page reached by a signed link in an email (no sign-in): finds what the link
    names, with `link_target(token)`, or answers a clear page (404) when it names nothing.

    Every request counts against `link_action`'s limits for the address and the link, and a
    link that names nothing against the address's allowance of bad links ("bad_link"): past
    that, every link page answers 429, real links included, so tokens cannot be guessed.
    """

    link_action = "email_link"
    link_invalid_template: str

    def link_target(self, token: str):
        raise NotImplementedError

    def link_invalid_context(self) -> dict:
        return {}

    def dispatch(self, request, *args, **kwargs):
        token = kwargs["token"]
        refused = rate_limit_refusal(request, action="bad_link", dry_run=True)
        refused = refused or rate_limit_refusal(request, action=self.link_action, key=token)
        if refused:
            return refused
        if self.link_target(token) is None:
            _consume(request, action="bad_link")
            return render(
                request, self.link_invalid_template, self.link_invalid_context(), status=404
            )
        return super().dispatch(request, *args, **kwargs)
