import os

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "up"
    expected_broker = "up" if os.environ.get("REDIS_URL") else "not configured"
    assert body["checks"]["broker"].startswith(expected_broker)


def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "up", "broker": "down"},
    }


def test_healthz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    from npq_portal import views

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", refuse)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


def test_healthz_needs_no_sign_in_and_is_never_cached(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
