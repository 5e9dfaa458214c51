"""Processes of their own for tests that stop, kill or restart one: a Celery worker (which
needs PostgreSQL, to share the test database, and Redis), and what such tests share.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection


def needs_postgresql_and_redis() -> None:
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL", "").strip():
        pytest.skip("Needs PostgreSQL and Redis for a worker in its own process (CI has both).")


def database_url(name: str | None = None) -> str:
    """A DATABASE_URL for the test database (or another on the same server) for a subprocess."""
    database = connection.settings_dict
    return (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/"
        f"{name or database['NAME']}"
    )


def free_port() -> int:
    """A loopback port nothing listens on, for a server the test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_worker(queue: str, email_url: str, **environment: str) -> subprocess.Popen:
    """A solo worker on `queue`, using the test database and sending mail to `email_url`."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_URL": email_url,
        **environment,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "npq_portal",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],  # fmt: skip
        cwd=Path(settings.BASE_DIR),
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_worker(worker: subprocess.Popen | None) -> None:
    if worker is not None and worker.poll() is None:
        worker.terminate()
        worker.wait(timeout=30)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        time.sleep(0.05)
