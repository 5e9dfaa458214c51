"""Test set-up shared by every app: fast hashing, inline tasks, a real worker on request."""

import gc
import os
from datetime import timedelta

# Playwright runs an event loop in the test thread; Django must still let tests use the ORM.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # an empty value would not count

import factory.random  # noqa: E402
import pytest  # noqa: E402
from django.conf import settings as django_settings  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

from npq_portal.celery import app as celery_app  # noqa: E402

# ---- Hypothesis ----
# "ci" (`make test`, CI): the same examples every run, whatever is in .hypothesis/, so a red
# build is the code's doing, not the draw's. "fuzz" (`make fuzz`): fifty times the examples from
# a new random seed each run (ten times missed a bug funding_check had). The property tests
# scale their own max_examples by this profile's.
hypothesis_settings.register_profile(
    "ci", max_examples=100, derandomize=True, database=None, print_blob=True
)
hypothesis_settings.register_profile(
    "fuzz", max_examples=5000, derandomize=False, database=None, print_blob=True
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TEST_SETTINGS = {
    # Hashing a real password takes about half a second; tests only need it to work.
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # The manifest storage needs collectstatic; tests serve files as they are.
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
    # Each test starts with empty rate-limit counters and TOTP replay records.
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    # Many tests sign staff in, then travel in time (time_machine) to see a page on a later
    # day; staff sessions would end on the way. npq_portal/tests/test_sessions.py puts the
    # real limits back to test them.
    "STAFF_SESSION": {"idle": timedelta(days=10000), "max_age": timedelta(days=10000)},
}


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory):
    # Requests to a fake DfE need no spacing (DFE["min_interval_seconds"]). The demo's fake DfE
    # (load_demo_data) lives in a temporary file, never in the developer's .dfe-fake.pickle.
    dfe = {
        **django_settings.DFE,
        "min_interval_seconds": 0,
        "fake_state": str(tmp_path_factory.mktemp("dfe-fake") / "fake.pickle"),
    }
    with override_settings(**TEST_SETTINGS, DFE=dfe):
        yield


@pytest.fixture(autouse=True)
def _same_draws_every_run(request):
    """Factories draw the same names for a test on every run, whatever ran before it (an
    O'Brien drawn now and then once made a test fail one run in many)."""
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_run_inline(request):
    """Tasks run in-process unless the test asked for a real worker (celery_worker)."""
    if "celery_worker" in request.fixturenames:
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread, consuming from the Redis broker in REDIS_URL."""
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if not redis_url:
        pytest.skip("REDIS_URL is not set: no broker for a real worker (CI sets it).")
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    def close_worker_connections(**kwargs):
        # The worker thread's connection would otherwise outlive the test database.
        connections.close_all()

    # A queue of its own, so a developer's running worker cannot take the test's tasks.
    queue = f"test-{os.getpid()}"
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(
            celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=30
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_worker_connections)
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


# ---- Browser tests (Playwright driving Debian's Chromium) ----
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    """Browser tests skip where Chromium is missing, except in CI, where they must run."""
    if os.path.exists(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install -y chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium (Playwright's own download fails here)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


# Chromium logs each refusal as "Refused to …"; the listener (injected by Playwright, so the
# page's own policy cannot block it) also catches refusals that log nothing, such as reports.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} refused ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """Content security policy violations Chromium reported during the test, with their page."""
    return []


@pytest.fixture
def page(page, csp_violations):
    """pytest-playwright's page, watched for content security policy violations."""

    def watch(message):
        text = message.text
        if text.startswith(("Refused to", "CSP violation")):
            csp_violations.append(f"{message.page.url if message.page else '?'}: {text}")

    page.context.add_init_script(CSP_LISTENER)
    page.context.on("console", watch)
    return page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A browser test that passed fails if Chromium refused anything under the policy."""
    result = yield
    violations = item.funcargs.get("csp_violations") if hasattr(item, "funcargs") else None
    if violations:
        # Each refusal is logged twice (Chromium and the listener): name each one once.
        pytest.fail("Content security policy violations:\n" + "\n".join(dict.fromkeys(violations)))
    return result


@pytest.fixture
def no_cycle_collector():
    """Only reference counting frees anything while a test runs with this: an object kept alive
    by a reference cycle stays alive (npq_portal/template_backend.py, npq_portal/server.py)."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


@pytest.fixture
def mail_server_down(monkeypatch):
    """Every email send fails as an SMTP server that drops the connection would make it fail."""
    from smtplib import SMTPServerDisconnected

    from django.core.mail import EmailMultiAlternatives

    def refuse(self, fail_silently=False):
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
