"""The page benchmark: gunicorn (3 sync workers) on loopback, measured with wrk, each page
beside a trivial Django view (the ceiling) and the Django admin's application list (the peer).

Signed-in pages use sessions made here, in the shape allauth leaves after a password and (for
staff) an authenticator code, so wrk needs only the cookie.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    user_id: int | None = None  # who is signed in; None for a visitor
    # "ceiling", "peer", "page", or "floor": the trivial view signed in, which no page's goal
    # is set on; it says what every signed-in page costs before it draws anything.
    kind: str = "page"


@dataclass(frozen=True)
class PageResult:
    page: Page
    requests_per_second: float
    latency_ms: float
    bad_responses: int
    queries: int
    # Signed-in pages: requests a second when each is drawn afresh (a first visit, or one
    # after any change), beside requests_per_second for repeat visits, and their mean latency.
    drawn_requests_per_second: float | None = None
    drawn_latency_ms: float | None = None
    rows: int = 0  # table rows the page shows (<tr> tags, headers included)
    error: str = ""  # why it was not measured (only when measured with strict=False)
    # The trivial view's requests a second measured just before this page (pages_measure's
    # `ceiling_beside`): the page's share of the ceiling is taken of this one.
    ceiling_beside: float | None = None

    @property
    def afresh(self) -> tuple[float, float]:
        """Requests a second and mean latency in ms of the page drawn afresh: the signed-in
        pages' drawn-afresh run, the others' only run (nothing caches those)."""
        if self.drawn_requests_per_second is not None:
            return self.drawn_requests_per_second, self.drawn_latency_ms or 0.0
        return self.requests_per_second, self.latency_ms


def bench_pages(people) -> list[Page]:
    """The pages `make bench` measures, for the people bench_data_make made (pages about
    something BenchPeople made before issue 22 does not name are left out)."""
    from programmes.models import Programme

    programme = Programme.objects.get(slug=people.programme_slug)
    cohort = people.cohort_id
    lead = people.lead_id
    pages = [
        Page("Trivial Django view (ceiling)", "/ping", kind="ceiling"),
        Page("Trivial Django view, signed in as staff (floor)", "/ping", lead, kind="floor"),
        Page(
            "Django admin: applications (peer)",
            "/admin/applications/application/?status__exact=awaiting_school",
            lead,
            kind="peer",
        ),
        Page(
            "Review queue, filtered and paginated",
            "/staff/applications/?status=awaiting_school&page=2",
            lead,
        ),
        Page("Cohort page (participants)", f"/staff/cohorts/{cohort}/", lead),
        Page("Cohort grid", f"/staff/cohorts/{cohort}/progress/", people.facilitator_id),
        Page("Staff dashboard", "/staff/dashboard/", lead),
        Page("School search (autocomplete)", f"/schools/search/?q={people.school_query}"),
        Page("Public catalogue", "/programmes/"),
        Page("Programme page", programme.get_absolute_url()),
        Page("Teacher's home", "/my-npqs/", people.teacher_id),
        Page("School leader's page", "/my-school/", people.leader_id),
    ]
    optional = [
        (people.application_id, "An application (staff)", "/applications/{}/", lead),
        (
            people.session_id,
            "Register of a session",
            "/staff/sessions/{}/register/",
            people.facilitator_id,
        ),
        (True, "Milestones (DfE declarations)", "/staff/milestones/", lead),
        (people.enrolment_id, "Teacher's progress", "/my-progress/{}/", people.teacher_id),
        # Work Groups (issue 20).
        (people.work_group_id, "Work Group sign-ups", "/staff/cohorts/{}/sign-ups/", lead),
        (
            people.work_group_id,
            "Work Group Lead's page",
            "/staff/cohorts/{}/work-group/",
            people.facilitator_id,
        ),
        (
            people.school_place_id,
            "A school's page in a Work Group",
            "/work-group-places/{}/",
            people.team_member_id,
        ),
        (people.work_group_id, "Engagement roster", "/staff/engagement/roster/", lead),
        (people.work_group_id, "Engagement: the hub's area", "/staff/engagement/area/", lead),
        (people.work_group_id, "Grants owed to schools", "/staff/engagement/grants/", lead),
        # The exchange with DfE (issue 21).
        (people.connection_id, "DfE: connections", "/staff/dfe/", lead),
        (
            people.connection_id,
            "DfE: a connection's settings",
            "/staff/dfe/connections/{}/",
            people.admin_id,
        ),
        (people.connection_id, "DfE: sync log", "/staff/dfe/log/", lead),
        (people.connection_id, "DfE: reconciliation", "/staff/dfe/reconciliation/", lead),
        (people.connection_id, "DfE: declarations", "/staff/dfe/declarations/", lead),
        (people.connection_id, "DfE: changes sent", "/staff/dfe/outgoing/", lead),
    ]
    pages += [
        Page(name, path.format(about), user_id)
        for about, name, path, user_id in optional
        if about is not None and user_id is not None
    ]
    return pages


def session_key_for(user_id: int) -> str:
    """A signed-in session for this person, as if they had passed the sign-in (and, for
    staff, the authenticator code) just now."""
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from npq_portal.models import User

    user = User.objects.get(pk=user_id)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    store.create()
    return store.session_key


def session_cookie_for(user_id: int) -> str:
    """The Cookie header of a signed-in session for this person on the benchmark's server,
    which runs with DEBUG off and so reads production's session cookie."""
    return f"{settings.PRODUCTION_SESSION_COOKIE_NAME}={session_key_for(user_id)}"


def bench_redis_url() -> str | None:
    """The Redis database the benchmark's portal caches in, emptied; None without Redis."""
    import redis

    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        return None
    return url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn serving the portal as production would (DEBUG off, connections kept)."""

    def __init__(self, *, database_url: str, extra_env: dict[str, str] | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,  # the sessions made here must be valid there
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            **(extra_env or {}),
        }
        # The cache is Redis, as in production: it is shared by the workers, which the
        # signed-in page cache needs. A database of its own, emptied first.
        self.redis_url = bench_redis_url()
        if self.redis_url:
            self.env["REDIS_URL"] = self.redis_url
        else:
            self.env.pop("REDIS_URL", None)

    def __enter__(self) -> Gunicorn:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=settings.BASE_DIR,
            env=self.env,
            check=True,
        )
        self._start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop()

    def restart(self) -> None:
        """Stop the workers at once and start afresh: a slow page's requests still queued
        when wrk stopped would otherwise run on into the next page's measurement."""
        self._stop()
        self._start()

    def _start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "npq_portal.wsgi",
                "--workers=3",
                "--no-control-socket",
                f"--bind=127.0.0.1:{self.port}",
                "--log-level=warning",
                # Stopping (restart(), the end) does not wait for a slow request to finish.
                "--graceful-timeout=1",
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/ping", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("gunicorn did not start")

    def _stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _check(url: str, cookie: str, *, timeout: int = 60) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        status = opener.open(request, timeout=timeout).status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise RuntimeError(f"{url} answered {status}, not 200: the benchmark would measure that")


def wrk(
    url: str, *, cookie: str, seconds: int, connections: int, fresh: bool = False
) -> tuple[float, float, int]:
    """Requests a second, mean latency in ms and non-2xx answers from one bounded wrk run;
    `fresh` asks for every page to be drawn, as a browser's hard reload does."""
    # A request slower than wrk's default 2 s would be left out of the latency, not counted.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if fresh:
        command += ["-H", "Cache-Control: no-cache"]
    output = subprocess.run(
        command + [url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", output)
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[latency.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rps, float(latency.group(1)) * factor, int(bad.group(1)) if bad else 0


ROW = re.compile(rb"<tr[\s>]")


def page_shape(page: Page, cookie: str) -> tuple[int, int]:
    """The database queries one request for the page makes, counted in this process, and the
    table rows it shows (<tr> tags, headers included)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if cookie:
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie.split("=", 1)[1]
    client.get(page.path)  # warm caches the way a second visitor finds them
    with CaptureQueriesContext(connection) as captured:
        # Drawn, not a signed-in session's repeat visit served whole from the cache.
        response = client.get(page.path, headers={"Cache-Control": "no-cache"})
    if response.status_code != 200:
        raise RuntimeError(f"{page.path} answered {response.status_code} in process")
    return len(captured), len(ROW.findall(response.content))


def page_queries(page: Page, cookie: str) -> int:
    """The database queries one request for the page makes, counted in this process."""
    return page_shape(page, cookie)[0]


def pages_measure(
    pages: list[Page],
    *,
    database_url: str,
    seconds: int,
    connections: int,
    log,
    drawn_only: bool = False,
    strict: bool = True,
    ceiling_beside: bool = False,
) -> list[PageResult]:
    """Serve the portal with gunicorn and measure each page with wrk, one after another.

    `drawn_only` measures each signed-in page drawn afresh only (not also served again from
    the page cache). Without `strict`, a page that does not answer 200 within 30 s is
    reported (its `error`) instead of stopping the benchmark. A page so slow that no request
    finished during a wrk run gets 0 requests a second and, as its latency, how long one
    request took alone.

    With `ceiling_beside`, the trivial view (the list's ceiling) is measured again, for half as
    long, just before each other page: a machine shared with others changes speed during a run
    (by a half between two runs here), and a page is then compared with the ceiling of its own
    minutes, not of the run's first."""
    ceiling = next((page for page in pages if page.kind == "ceiling"), None)
    cookies = {page.user_id: session_cookie_for(page.user_id) for page in pages if page.user_id}
    results = []
    with Gunicorn(database_url=database_url) as server:
        if not server.redis_url:
            log("No Redis at BENCH_REDIS_URL: signed-in pages are drawn on every visit.")

        def measure(url: str, cookie: str, alone_ms: float, fresh: bool = False):
            rps, latency, bad = wrk(
                url, cookie=cookie, seconds=seconds, connections=connections, fresh=fresh
            )
            if latency > 1000 or not rps:
                server.restart()
            return rps, (latency if rps else alone_ms), bad

        for page in pages:
            cookie = cookies.get(page.user_id, "")
            url = server.url + page.path
            started = time.perf_counter()
            try:
                _check(url, cookie, timeout=60 if strict else 30)
            except (RuntimeError, OSError) as error:
                if strict:
                    raise
                log(f"{page.name}: not measured: {error}")
                results.append(PageResult(page, 0.0, 0.0, 0, 0, error=str(error) or "timed out"))
                server.restart()
                continue
            alone_ms = (time.perf_counter() - started) * 1000
            beside = None
            if ceiling_beside and ceiling is not None and page.kind != "ceiling":
                beside, _, _ = wrk(
                    server.url + ceiling.path,
                    cookie="",
                    seconds=max(1, seconds // 2),
                    connections=connections,
                )
            fresh = bool(cookie) and page.kind == "page"
            drawn = drawn_latency = None
            if drawn_only and fresh:
                drawn, drawn_latency, bad = measure(url, cookie, alone_ms, fresh=True)
                rps, latency = drawn, drawn_latency
            else:
                rps, latency, bad = measure(url, cookie, alone_ms)
                if fresh:
                    drawn, drawn_latency, drawn_bad = measure(url, cookie, alone_ms, fresh=True)
                    bad += drawn_bad
            queries, rows = page_shape(page, cookie)
            log(
                f"{page.name}: {rps:,.0f} requests/s"
                + (f" ({drawn:,.0f} drawn afresh, {drawn_latency:.1f} ms)" if drawn else "")
                + f", {latency:.1f} ms, {queries} queries, {rows} rows"
                + (f"; the ceiling beside it {beside:,.0f} requests/s" if beside else "")
            )
            results.append(
                PageResult(
                    page,
                    rps,
                    latency,
                    bad,
                    queries,
                    drawn,
                    drawn_latency,
                    rows,
                    ceiling_beside=beside,
                )
            )
    return results
