"""A Celery worker in its own process, for tests that stop, kill or restart one.

Such tests need PostgreSQL (the worker shares the test database) and Redis (the broker).
"""

from __future__ import annotations

import os
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


def start_worker(queue: str, email_url: str, **environment: str) -> subprocess.Popen:
    """A solo worker on `queue`, using the test database and sending mail to `email_url`."""
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}",
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
