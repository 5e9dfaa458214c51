import gc
import weakref

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from npq_portal.server import (
    COLLECTOR_THRESHOLDS,
    PortalWSGIHandler,
    PortalWSGIRequest,
    collector_tune,
)

from .factories import UserFactory

pytestmark = pytest.mark.django_db


class WatchedRequest(PortalWSGIRequest):
    """The portal's request, each one watched."""

    made: list[weakref.ref] = []

    def __init__(self, environ):
        super().__init__(environ)
        WatchedRequest.made.append(weakref.ref(self))


def _serve(handler, path: str, cookie: str) -> tuple[str, bytes]:
    """What a WSGI server does: call the application, send the body, close the response.
    The test's database connection is kept open through it, as the test client keeps it
    (Django closes old connections when a request starts and ends)."""
    environ = RequestFactory()._base_environ(PATH_INFO=path, HTTP_COOKIE=cookie)
    status = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = handler(environ, lambda line, headers, exc_info=None: status.append(line))
        body = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return status[0], body


def test_a_request_is_freed_as_soon_as_the_server_has_sent_its_response(client, no_cycle_collector):
    client.force_login(UserFactory())
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    handler = PortalWSGIHandler()
    handler.request_class = WatchedRequest
    WatchedRequest.made.clear()

    status, body = _serve(handler, "/my-npqs/", cookie)

    assert status == "200 OK" and b"My NPQs" in body  # signed in: the lazy user was read
    (watched,) = WatchedRequest.made
    assert watched() is None  # freed by reference counting: its cycles were broken


def test_the_collector_is_set_for_a_web_process_once_the_application_is_loaded():
    before = gc.get_threshold()
    try:
        collector_tune()

        assert gc.get_threshold() == COLLECTOR_THRESHOLDS
        assert gc.get_freeze_count() > 10_000  # Django, the apps and their modules
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
