"""Rate limits for the portal's own public pages, counted like allauth's sign-in limits.

The limits are in settings.RATE_LIMITS. Counts live in the cache (Redis in production, so
every process shares them; without Redis each process keeps its own). The counting is
allauth's sliding window, with its lock, reused rather than written again: allauth is pinned,
and npq_portal/tests/test_ratelimit.py fails if the function it relies on changes.
"""

from __future__ import annotations

from http import HTTPStatus

from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

APP = "npq_portal"
RETRY_AFTER_SECONDS = 300


def rate_limit_consume(request: HttpRequest, *, action: str, key: str | None = None) -> bool:
    """Count this request (GET or POST) against the action's limits; False once over one."""
    usage = allauth_ratelimit.consume(
        request,
        app=APP,
        action=action,
        config=settings.RATE_LIMITS,
        key=key.strip().lower() if key is not None else None,
        limit_get=True,
    )
    return usage is not None


def rate_limit_reached(request: HttpRequest, *, action: str) -> bool:
    """True when the action's limits are used up, without counting this request."""
    usage = allauth_ratelimit.consume(
        request,
        app=APP,
        action=action,
        config=settings.RATE_LIMITS,
        dry_run=True,
        limit_get=True,
    )
    return usage is None


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The portal's 429 page, for its own limits and allauth's (urls.handler429)."""
    response = render(request, "429.html", status=HTTPStatus.TOO_MANY_REQUESTS)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def signed_link_refused(request: HttpRequest, *, action: str, token: str) -> HttpResponse | None:
    """The 429 page when this address guessed too many links or used this one too often."""
    if rate_limit_reached(request, action="bad_link"):
        return too_many_requests(request)
    if not rate_limit_consume(request, action=action, key=token):
        return too_many_requests(request)
    return None


def signed_link_failed(request: HttpRequest) -> None:
    """Count a link that matched nothing against this address's allowance of bad links."""
    rate_limit_consume(request, action="bad_link")
