"""PostgreSQL restarted under a running portal: /healthz says so, and the same server recovers.

The PostgreSQL stopped here is a private one (its own folder and port), so the test database
and everything else on the machine's PostgreSQL carry on. Runs in CI's PostgreSQL pass.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from npq_portal.tests.workers import free_port, wait_for

POSTGRES_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def _as_postgres(*command: str) -> None:
    # PostgreSQL will not run as root; the machine's postgres account runs it.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True)


class PrivatePostgres:
    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            subprocess.run(["chown", "postgres", str(self.folder)], check=True)
        _as_postgres(
            f"{POSTGRES_BIN}/initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self.start()
        subprocess.run(
            [f"{POSTGRES_BIN}/createdb", "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", "postgres", "portal"],
            check=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        _as_postgres(
            f"{POSTGRES_BIN}/pg_ctl", "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "log"), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        _as_postgres(f"{POSTGRES_BIN}/pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _manage(*arguments: str, environment: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *arguments, "-v0"],
        cwd=settings.BASE_DIR,
        env=environment,
        check=True,
    )


@pytest.fixture
def private_postgres(tmp_path_factory):
    if connection.vendor != "postgresql":
        pytest.skip("Runs in the PostgreSQL pass (CI's second).")
    if POSTGRES_BIN is None:
        pytest.skip("PostgreSQL's server programs are not installed.")
    database = PrivatePostgres(Path("/tmp") / f"npq-restart-{os.getpid()}")
    database.create()
    yield database
    database.stop()
    subprocess.run(["rm", "-rf", str(database.folder)], check=False)


def test_after_a_database_restart_healthz_reports_it_and_the_same_server_recovers(
    private_postgres,
):
    environment = {**os.environ, "DATABASE_URL": private_postgres.url}
    _manage("migrate", "--no-input", environment=environment)
    _manage("load_catalogue", environment=environment)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(Path(settings.BASE_DIR) / ".venv/bin/gunicorn"),
            "npq_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",
        ],  # fmt: skip
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _reachable(base), 30, "the server to start")
        before = [_get(f"{base}/healthz"), _get(f"{base}/programmes/")]

        private_postgres.stop()
        during = [_get(f"{base}/healthz"), _get(f"{base}/programmes/?during=outage")]
        private_postgres.start()
        after = [_get(f"{base}/healthz"), _get(f"{base}/programmes/?after=restart")]
        still_running = server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert before[0][0] == 200 and json.loads(before[0][1])["checks"]["database"] == "up"
    assert before[1][0] == 200 and "Leading Primary Mathematics" in before[1][1]
    assert during[0][0] == 503 and json.loads(during[0][1])["checks"]["database"] == "down"
    assert during[1][0] >= 500  # (the 503 page itself: test_views, with DEBUG off)
    assert still_running  # recovered without a restart of the server
    assert after[0][0] == 200 and json.loads(after[0][1])["checks"]["database"] == "up"
    assert after[1][0] == 200 and "Leading Primary Mathematics" in after[1][1]


def _reachable(base: str) -> bool:
    try:
        return _get(f"{base}/ping")[0] == 200
    except OSError:
        return False
