import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from npq_portal.settings import database_from_url, email_from_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": "q8Z-3vN!x0pL7mR2tY5wK9bH4jD6fG1sA8cE3uV0nM7zQ2rT5yX9",
    "ALLOWED_HOSTS": "npq.hub.example.org",
    "DATABASE_URL": "postgres://npq:secret@db.internal:5432/npq",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "EMAIL_URL": "smtp://mailer:secret@smtp.internal:587?tls=1",
    "SITE_URL": "https://npq.hub.example.org",
    "DEFAULT_FROM_EMAIL": "NPQ team <npq@hub.example.org>",
    "HUB_CONTACT_EMAIL": "npq@hub.example.org",
}


def _check_deploy(environment: dict) -> subprocess.CompletedProcess:
    # The test run sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; production never would.
    ignored = {*PRODUCTION_ENVIRONMENT, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in ignored}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = _check_deploy(PRODUCTION_ENVIRONMENT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_every_production_setting_left_at_its_default():
    result = _check_deploy({"DEBUG": "false"})

    assert result.returncode != 0
    for name in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
        "SITE_URL",
        "DEFAULT_FROM_EMAIL",
        "HUB_CONTACT_EMAIL",
    ):
        assert f"{name} is not set" in result.stderr


def test_database_url_becomes_a_postgresql_connection_that_is_reused():
    database = database_from_url("postgres://npq:p%40ss@127.0.0.1:5433/npq_live?sslmode=require")

    assert database["ENGINE"] == "npq_portal.postgresql"  # Django's, checked more cheaply
    assert (database["USER"], database["PASSWORD"]) == ("npq", "p@ss")
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "127.0.0.1",
        "5433",
        "npq_live",
    )
    assert database["OPTIONS"] == {"sslmode": "require"}
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_a_database_url_that_is_not_postgres_is_refused_clearly():
    with pytest.raises(ValueError, match="must be a postgres:// URL"):
        database_from_url("mysql://root@localhost/npq")


def test_email_url_becomes_smtp_settings():
    email = email_from_url("smtp://mailer:secret@smtp.example.org:587?tls=1")

    assert email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (email["EMAIL_HOST"], email["EMAIL_PORT"]) == ("smtp.example.org", 587)
    assert email["EMAIL_USE_TLS"] is True
    assert email["EMAIL_USE_SSL"] is False


def test_empty_variables_mean_the_embedded_defaults():
    values = _settings_in_subprocess(
        {"DATABASE_URL": "", "REDIS_URL": " ", "EMAIL_URL": ""},
        "settings.DATABASES['default']['ENGINE']",
        "settings.CELERY_TASK_ALWAYS_EAGER",
        "settings.EMAIL_BACKEND",
    )

    assert values == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_check_deploy_refuses_a_site_url_without_https():
    result = _check_deploy({**PRODUCTION_ENVIRONMENT, "SITE_URL": "http://npq.hub.example.org"})

    assert result.returncode != 0
    assert "links in email must use https://" in result.stderr


def _settings_in_subprocess(environment: dict, *expressions: str) -> list[str]:
    env = {**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "npq_portal.settings"}
    code = "import django; django.setup(); from django.conf import settings; " + "; ".join(
        f"print({expression})" for expression in expressions
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_redis_url_makes_redis_the_broker_and_the_cache_for_rate_limits():
    values = _settings_in_subprocess(
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},
        "settings.CACHES['default']['BACKEND']",
        "settings.CELERY_BROKER_URL",
        "settings.CELERY_TASK_ALWAYS_EAGER",
    )

    assert values == [
        "npq_portal.cache.TolerantRedisCache",
        "redis://127.0.0.1:6379/0",
        "False",
    ]


def test_the_health_check_is_not_redirected_to_https_in_production():
    values = _settings_in_subprocess(
        PRODUCTION_ENVIRONMENT,
        "settings.SECURE_SSL_REDIRECT",
        "settings.SECURE_REDIRECT_EXEMPT",
    )

    assert values == ["True", "['^healthz$']"]


# A page served under production settings, as a browser over HTTPS would get it. The database,
# cache and static files stand in locally: only the headers and cookies are under test.
PRODUCTION_RESPONSE = """
import django, json
django.setup()
from django.test import Client
from django.test.utils import override_settings
storages = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=storages):
    response = Client(HTTP_HOST="npq.hub.example.org").get("/accounts/login/", secure=True)
    plain = Client(HTTP_HOST="npq.hub.example.org").get("/accounts/login/")
cookie = response.cookies["__Host-csrftoken"]
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "cookie": {key: cookie[key] for key in ("secure", "httponly", "samesite", "path", "domain")},
    "plain": [plain.status_code, plain.headers.get("Location")],
}))
"""


def test_production_pages_carry_hsts_csp_and_cookies_only_sent_over_https():
    env = {
        **os.environ,
        **PRODUCTION_ENVIRONMENT,
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "npq_portal.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_RESPONSE],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout.strip().splitlines()[-1])

    assert page["status"] == 200
    headers = page["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page["cookie"] == {
        "secure": True,
        "httponly": True,
        "samesite": "Lax",
        "path": "/",
        "domain": "",
    }
    assert page["plain"] == [301, "https://npq.hub.example.org/accounts/login/"]


def test_production_session_cookies_are_secure_host_only_and_lax():
    values = _settings_in_subprocess(
        PRODUCTION_ENVIRONMENT,
        "settings.SESSION_COOKIE_NAME",
        "settings.SESSION_COOKIE_SECURE",
        "settings.SESSION_COOKIE_HTTPONLY",
        "settings.SESSION_COOKIE_SAMESITE",
        "settings.CSRF_COOKIE_SECURE",
        "settings.CSRF_COOKIE_HTTPONLY",
    )

    assert values == ["__Host-sessionid", "True", "True", "Lax", "True", "True"]
