"""The mixed workload of `make bench`: many people signed in at once, reading and writing, with
a Celery worker and beat running against Redis as in production.

Simulated people (locust, reports/bench_locust.py, each with a session of their own): programme
leads work the review queue and accept applications; facilitators open their cohort and save
registers; teachers open their home and progress pages and send the application they drafted;
school leaders open My school. Every page is checked (its status, where it redirects, the
message a change shows): anything else is an error.

This module has no Django import at the top: the locustfile imports its helpers (the cookie jar,
the checks) in a process that gevent has patched.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path

# Who is simulated, and for how long. Full scale is what docs/performance.md records; small is
# CI's run, so the workload cannot rot: a few people, a few seconds, little waiting between pages
# so that every kind of change is made at least once.
SIZES = {
    "full": {
        "users": {"lead": 10, "facilitator": 10, "teacher": 20, "leader": 10},
        "teachers": 120,  # each run's teachers, each with a draft application to send
        "leaders": 20,
        "accepts": 60,  # at most, each lead in each run
        "spawn_rate": 10,  # people starting a second
        "warm_seconds": 10,  # from the start (everyone started by then) to measuring
        "seconds": 60,  # measured
        "wait": (1.0, 3.0),  # seconds each person spends on a page before the next
    },
    "small": {
        "users": {"lead": 1, "facilitator": 1, "teacher": 2, "leader": 1},
        "teachers": 10,
        "leaders": 2,
        "accepts": 10,
        "spawn_rate": 5,
        "warm_seconds": 2,
        "seconds": 5,
        "wait": (0.1, 0.3),
    },
}
RUNS = ("workload",)  # one run; each run has people of its own, who find no other run's changes
GOAL_P95_MS = 250

# The pages, as the locustfile names its requests, in the order the report lists them.
PAGES = [
    "Review queue",
    "Staff dashboard",
    "Application page",
    "Accept an application (POST)",
    "Cohort page",
    "Cohort grid",
    "Register",
    "Save a register (POST)",
    "Teacher's home",
    "Progress page",
    "Check answers",
    "Send an application (POST)",
    "My school",
]
# The answers a teacher's draft is given: enough for every individual programme without
# questions of its own (services.application_submit checks them again when it is sent).
DRAFT_ANSWERS = {
    "works_in_england": "yes",
    "work_setting": "a_school",
    "role": "Maths lead",
    "trn": "1234567",
    "mastery": "completed_year",
    "headteacher_name": "Helen Whitfield",
    "payment": "school",
}


# ---- Figures: percentiles, a run's summary, the verdict ----


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie, interpolating between the two nearest
    (the "linear" method of numpy and of statistics.quantiles(method="inclusive"))."""
    if not values:
        raise ValueError("No values to take a percentile of.")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Record:
    """One request as the locustfile saw it."""

    name: str
    started: float  # seconds since the epoch
    ms: float
    error: str | None = None


@dataclass(frozen=True)
class PageFigures:
    name: str
    requests: int  # in the measured window
    per_second: float
    p50: float
    p95: float
    p99: float
    errors: int  # over the whole run


@dataclass(frozen=True)
class RunFigures:
    """One run of the workload."""

    label: str
    seconds: float  # measured
    requests: int
    per_second: float
    p50: float
    p95: float
    p99: float
    errors: int
    pages: list[PageFigures]
    error_samples: list[str] = field(default_factory=list)
    tasks: int = 0  # Celery tasks the worker finished during the run
    task_errors: list[str] = field(default_factory=list)  # what the worker and beat logged

    @property
    def goal_met(self) -> bool:
        return self.errors == 0 and all(page.p95 < GOAL_P95_MS for page in self.pages)


def run_summary(
    records: Iterable[Record], *, label: str, measured_from: float, measured_to: float
) -> RunFigures:
    """Throughput and latency over the measured window (requests started in it); errors over
    the whole run, warming up included: there must be none at any time."""
    records = list(records)
    seconds = measured_to - measured_from
    if seconds <= 0:
        raise ValueError("The measured window is empty.")
    measured = [r for r in records if measured_from <= r.started < measured_to]
    if not measured:
        raise ValueError("No request started in the measured window.")
    names = [n for n in PAGES if any(r.name == n for r in records)]
    names += sorted({r.name for r in records} - set(names))
    pages = []
    for name in names:
        timings = [r.ms for r in measured if r.name == name]
        if not timings:
            timings = [r.ms for r in records if r.name == name]  # seen only while warming up
        pages.append(
            PageFigures(
                name=name,
                requests=sum(1 for r in measured if r.name == name),
                per_second=sum(1 for r in measured if r.name == name) / seconds,
                p50=percentile(timings, 0.50),
                p95=percentile(timings, 0.95),
                p99=percentile(timings, 0.99),
                errors=sum(1 for r in records if r.name == name and r.error),
            )
        )
    timings = [r.ms for r in measured]
    errors = [f"{r.name}: {r.error}" for r in records if r.error]
    return RunFigures(
        label=label,
        seconds=seconds,
        requests=len(measured),
        per_second=len(measured) / seconds,
        p50=percentile(timings, 0.50),
        p95=percentile(timings, 0.95),
        p99=percentile(timings, 0.99),
        errors=len(errors),
        pages=pages,
        error_samples=sorted(set(errors))[:10],
    )


# ---- What the locustfile checks in each answer (plain functions, tested without a server) ----


def cookies_update(jar: dict[str, str], set_cookie_headers: Iterable[str]) -> None:
    """Keep the cookies an answer sets, as a browser would (and drop those it deletes). The
    benchmark's server sets Secure cookies on plain HTTP, which an HTTP client's own jar would
    keep but never send back."""
    for header in set_cookie_headers:
        parsed = SimpleCookie()
        try:
            parsed.load(header)
        except CookieError:
            continue
        for name, morsel in parsed.items():
            if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                jar.pop(name, None)
            else:
                jar[name] = morsel.coded_value


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHECKED_RADIO = re.compile(r'<input type="radio"[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"[^>]*>')
ERROR_ALERT = re.compile(r'<div class="alert alert-danger"[^>]*>(.*?)</div>', re.S)
INVALID_FEEDBACK = re.compile(r'<div class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', re.S)
TAG = re.compile(r"<[^>]+>")


def csrf_token(body: str) -> str | None:
    """The CSRF token of the page's first form."""
    found = CSRF_FIELD.search(body)
    return found.group(1) if found else None


def checked_radios(body: str) -> dict[str, str]:
    """The value of each checked radio button on the page, by its name (what a browser sends
    when the form is submitted unchanged)."""
    return {
        match.group(1): match.group(2)
        for match in CHECKED_RADIO.finditer(body)
        if re.search(r"\schecked\b", match.group(0))
    }


def page_error(body: str) -> str | None:
    """The words of an error the page shows (a message, a form's error), or None."""
    for pattern in (ERROR_ALERT, INVALID_FEEDBACK):
        found = pattern.search(body)
        if found:
            return " ".join(TAG.sub(" ", found.group(1)).split())[:200]
    return None


def answer_problem(
    *,
    status: int,
    location: str | None,
    body: str,
    expect_status: int = 200,
    expect_location: str | None = None,
    expect_text: str | None = None,
) -> str | None:
    """What is wrong with an answer, or None. A form refused (drawn again with its error, or a
    redirect to a page saying why) is wrong as surely as a 500."""
    if status != expect_status:
        problem = f"answered {status}, not {expect_status}"
        if status in (301, 302, 303, 307, 308):
            problem += f" (to {location})"
        elif error := page_error(body):
            problem += f": {error}"
        return problem
    if expect_location is not None and location != expect_location:
        return f"redirected to {location}, not {expect_location}"
    if expect_text is not None:
        if error := page_error(body):
            return f"the page shows an error: {error}"
        if expect_text not in body:
            return f"the page does not say {expect_text!r}"
    return None


# ---- The people the workload signs in as ----


def load_plans_make(*, scale: str, seed: int = 2026) -> dict[str, dict]:
    """Add, to the data bench_data_make made, the people the workload needs, and return what
    each run's simulated people do (one plan a run, so no run finds another's changes made)."""
    from allauth.mfa.totp.internal.auth import TOTP
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from applications.models import Application
    from cohorts.models import Cohort, Session
    from npq_portal.models import User
    from npq_portal.roles import Role
    from npq_portal.services import user_set_roles
    from participants.models import Enrolment
    from programmes.models import Programme
    from schools.models import SchoolLeadership

    size = SIZES[scale]
    users = size["users"]
    rng = random.Random(seed)
    password = make_password(None)
    individual = Cohort.objects.filter(programme__participation=Programme.Participation.INDIVIDUAL)

    def people(kind: str, count: int, role: Role, *, staff: bool) -> list:
        made = []
        for n in range(count):
            person = User.objects.create(
                email=f"load-{kind}{n}@bench.example",
                first_name=kind.title(),
                last_name=f"Load{n}",
                password=password,
            )
            user_set_roles(user=person, roles=[role], by=None, reason="Benchmark")
            if staff:  # staff without an authenticator are sent to set one up
                TOTP.activate(person, base64.b32encode(rng.randbytes(20)).decode())
            made.append(person)
        return made

    with transaction.atomic():
        leads = people("lead", users["lead"], Role.PROGRAMME_LEAD, staff=True)
        facilitators = people("facilitator", users["facilitator"], Role.FACILITATOR, staff=True)
        leaders = people("leader", size["leaders"], Role.SCHOOL_LEADER, staff=False)

        # Each facilitator runs a cohort of their own, and its register is open today.
        running = list(individual.filter(status=Cohort.Status.RUNNING).order_by("pk"))
        if len(running) < len(facilitators):
            raise ValueError("Too few running cohorts for the facilitators.")
        facilitator_sessions = {}
        for facilitator, cohort in zip(facilitators, running[-len(facilitators) :], strict=True):
            cohort.facilitators.add(facilitator)
            start = timezone.localtime().replace(hour=0, minute=1, second=0, microsecond=0)
            Session.objects.create(
                cohort=cohort,
                kind=Session.Kind.CLINIC,
                title="Today's clinic",
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=1),
                status=Session.Status.SCHEDULED,
            )
            facilitator_sessions[facilitator.pk] = (
                cohort.pk,
                [
                    session.pk
                    for session in cohort.sessions.filter(status=Session.Status.SCHEDULED)
                    if session.register_is_open
                ],
            )

        # School leaders, confirmed at the schools with the most applications.
        busiest = (
            Application.objects.sent()
            .exclude(school=None)
            .values("school")
            .annotate(n=Count("pk"))
            .order_by("-n", "school")[: len(leaders)]
        )
        leader_applications = {}
        for leader, row in zip(leaders, busiest, strict=True):
            SchoolLeadership.objects.create(user=leader, school_id=row["school"])
            leader_applications[leader.pk] = list(
                Application.objects.sent()
                .filter(school_id=row["school"])
                .order_by("pk")
                .values_list("pk", flat=True)[:5]
            )

    # Applications their schools approved, for the leads to accept: never more in a cohort than
    # it has places left, each lead a list of their own (two never decide the same one).
    pools = [(run, lead.pk) for run in RUNS for lead in leads]
    wanted = len(pools) * size["accepts"]
    by_cohort = []
    for cohort in individual.exclude(
        status__in=[Cohort.Status.CANCELLED, Cohort.Status.COMPLETED]
    ).order_by("pk"):
        free = cohort.capacity - cohort.places_taken
        if free > 0:
            by_cohort.append(
                [
                    {"pk": pk, "cohort": cohort.pk, "surname": surname}
                    for pk, surname in cohort.applications.filter(
                        status=Application.Status.SCHOOL_APPROVED
                    )
                    .order_by("submitted_at", "pk")
                    .values_list("pk", "applicant__last_name")[:free]
                ]
            )
        if sum(len(ids) for ids in by_cohort) >= wanted:
            break
    hands = deal(by_cohort, hands=len(pools), each=size["accepts"])
    pools = dict(zip(pools, hands, strict=True))

    teachers = _teachers_with_drafts(
        Enrolment, Application, Cohort, count=len(RUNS) * size["teachers"], rng=rng
    )
    plans = {}
    for index, run in enumerate(RUNS):
        ours = teachers[index * size["teachers"] : (index + 1) * size["teachers"]]
        plans[run] = {
            "session_cookie": settings.PRODUCTION_SESSION_COOKIE_NAME,  # the server runs DEBUG off
            "users": users,
            "wait": list(size["wait"]),
            "leads": [
                {"session": _session(lead.pk), "applications": pools[(run, lead.pk)]}
                for lead in leads
            ],
            "facilitators": [
                {
                    "session": _session(facilitator.pk),
                    "cohort": facilitator_sessions[facilitator.pk][0],
                    "sessions": facilitator_sessions[facilitator.pk][1],
                }
                for facilitator in facilitators
            ],
            "teachers": [
                {"session": _session(user_id), "enrolment": enrolment, "draft": draft}
                for user_id, enrolment, draft in ours
            ],
            "leaders": [
                {"session": _session(leader.pk), "applications": leader_applications[leader.pk]}
                for leader in leaders
            ],
        }
    return plans


def deal(by_cohort: list[list], *, hands: int, each: int) -> list[list]:
    """Share out applications, listed by cohort (no more in a cohort than it has places
    left), into `hands` lists of at most `each`: the first of each cohort's, then the second of
    each, and so on, round the hands in turn, so no two hands share one."""
    in_turn = [
        ids[n]
        for n in range(max((len(ids) for ids in by_cohort), default=0))
        for ids in by_cohort
        if n < len(ids)
    ]
    dealt = [[] for _ in range(hands)]
    for n, entry in enumerate(in_turn[: hands * each]):
        dealt[n % hands].append(entry)
    return dealt


def _session(user_id: int) -> str:
    from reports.bench_pages import session_key_for

    return session_key_for(user_id)


def _teachers_with_drafts(Enrolment, Application, Cohort, *, count: int, rng) -> list[tuple]:
    """Teachers holding a place, each with an application drafted for an open cohort and
    answered in full, ready to send: (user id, their enrolment's id, the draft's id)."""
    from django.db.models import Count

    from applications.services import application_save_answers, application_start
    from applications.steps import first_unanswered
    from programmes.models import Programme
    from schools.models import School

    open_cohorts = [
        cohort
        for cohort in Cohort.objects.accepting_applications()
        .filter(programme__participation=Programme.Participation.INDIVIDUAL)
        .select_related("programme")
        .order_by("pk")
        if first_unanswered(_answers_for(cohort, School(urn=100000, name="x")), cohort.programme)
        is None
    ]
    if not open_cohorts:
        raise ValueError("No open cohort takes the drafts' answers.")
    schools = list(School.objects.order_by("pk")[:500])
    # People with one place, as most teachers have (not the reminders benchmark's, who hold a
    # hundred).
    one_place = (
        Enrolment.objects.values("participant")
        .annotate(n=Count("pk"))
        .filter(n=1)
        .values("participant")
    )
    enrolments = (
        Enrolment.objects.filter(
            status=Enrolment.Status.ACTIVE, cohort__status="running", participant__in=one_place
        )
        .select_related("participant")
        .order_by("pk")
    )
    made = []
    for enrolment in enrolments[:count]:
        cohort = open_cohorts[len(made) % len(open_cohorts)]
        draft = application_start(applicant=enrolment.participant, cohort=cohort)
        answers = _answers_for(cohort, rng.choice(schools))
        draft = application_save_answers(application=draft, answers=answers)
        if first_unanswered(draft.answers, cohort.programme) is not None:
            raise ValueError(f"The draft for {cohort} is not answered in full.")
        made.append((enrolment.participant_id, enrolment.pk, draft.pk))
    if len(made) < count:
        raise ValueError(f"Only {len(made)} teachers hold a place; the workload needs {count}.")
    return made


def _answers_for(cohort, school) -> dict:
    return {
        **DRAFT_ANSWERS,
        "school_urn": str(school.urn),
        "school_name": f"{school.name} (URN {school.urn})",
        "headteacher_email": f"head{school.urn}@school.example",
    }


# ---- Running it: gunicorn, a Celery worker and beat, locust ----


class CeleryProcesses:
    """A Celery worker and beat, as production runs them (`make worker`, `make beat`),
    against the portal's Redis and database; stopped, with anything they started, on exit."""

    def __init__(self, *, env: dict[str, str], folder: Path):
        self.env = env
        self.folder = folder
        self.log = folder / "celery.log"
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> CeleryProcesses:
        from django.conf import settings

        celery = str(Path(sys.executable).with_name("celery"))
        with self.log.open("wb") as log:
            for command in (
                [celery, "-A", "npq_portal", "worker", "--loglevel=INFO", "-n", "bench-load@%h"],
                [
                    celery,
                    "-A",
                    "npq_portal",
                    "beat",
                    "--loglevel=INFO",
                    f"--schedule={self.folder / 'beat-schedule'}",
                    f"--pidfile={self.folder / 'beat.pid'}",
                ],
            ):
                self.processes.append(
                    subprocess.Popen(
                        command,
                        cwd=settings.BASE_DIR,
                        env=self.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its own group: its children are stopped too
                    )
                )
        for _ in range(300):
            if " ready." in self.log.read_text(errors="replace"):
                return self
            if any(process.poll() is not None for process in self.processes):
                break
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"The Celery worker did not start:\n{self._tail()}")

    def tasks_done(self) -> int:
        return self.log.read_text(errors="replace").count(" succeeded in ")

    def errors(self) -> list[str]:
        """What the worker and beat logged as errors (a task that failed, say)."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if " ERROR/" in line or " CRITICAL/" in line]

    def _tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()  # a warm shutdown: the worker finishes its task
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def load_run(plan: dict, *, label: str, scale: str, database_url: str, log) -> RunFigures:
    """Serve the portal (gunicorn, a Celery worker and beat, all on Redis) and run the workload
    against it for a bounded time; every process is stopped at the end, failed or not."""
    from django.conf import settings

    from reports.bench_pages import Gunicorn

    size = SIZES[scale]
    users = sum(size["users"].values())
    run_seconds = size["warm_seconds"] + size["seconds"]
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        folder = Path(folder)
        plan_file, out_file = folder / "plan.json", folder / "out.json"
        plan_file.write_text(json.dumps(plan), encoding="utf-8")
        server = stack.enter_context(Gunicorn(database_url=database_url))
        celery = stack.enter_context(CeleryProcesses(env=server.env, folder=folder))
        locust_log = folder / "locust.log"
        with locust_log.open("wb") as output:
            finished = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    "reports/bench_locust.py",
                    "--headless",
                    f"--users={users}",
                    f"--spawn-rate={size['spawn_rate']}",
                    f"--run-time={run_seconds}s",
                    f"--host={server.url}",
                    "--only-summary",
                    "--loglevel=WARNING",
                ],
                cwd=settings.BASE_DIR,
                env={
                    **os.environ,
                    "BENCH_LOAD_PLAN": str(plan_file),
                    "BENCH_LOAD_OUT": str(out_file),
                },
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=run_seconds + 120,
            )
        if not out_file.exists():
            tail = "\n".join(locust_log.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"locust exited {finished.returncode} with no results:\n{tail}")
        result = json.loads(out_file.read_text(encoding="utf-8"))
        started = result["started"]
        figures = run_summary(
            [Record(*record) for record in result["records"]],
            label=label,
            measured_from=started + size["warm_seconds"],
            measured_to=min(result["stopped"], started + run_seconds),
        )
        tasks, task_errors = celery.tasks_done(), celery.errors()
    figures = RunFigures(**{**figures.__dict__, "tasks": tasks, "task_errors": task_errors})
    log(
        f"mixed workload: {figures.per_second:,.1f} requests/s, p95 {figures.p95:.0f} ms, "
        f"{figures.errors} errors, {tasks} Celery tasks"
    )
    for sample in figures.error_samples:
        log(f"  error: {sample}")
    for line in task_errors[:10]:
        log(f"  Celery: {line}")
    return figures


def bench_load(*, scale: str, database_url: str, log: Callable[[str], None]) -> dict:
    """The mixed workload on the data bench_data_make made: the figures `load_section`
    reports."""
    from reports.bench_pages import bench_redis_url

    if bench_redis_url() is None:
        log("No Redis at BENCH_REDIS_URL: the mixed workload needs one, as production does.")
        return {"load": None}
    started = time.perf_counter()
    plans = load_plans_make(scale=scale)
    log(f"mixed workload's people: {time.perf_counter() - started:.1f} s")
    run = load_run(
        plans["workload"], label="workload", scale=scale, database_url=database_url, log=log
    )
    return {"load": {"scale": scale, "run": run}}


# ---- The report ----

# The run that decided the signed-in page cache's fate (2026-12-05, full scale, this kind of
# machine, other work running beside it): four runs with the cache on and off, the mixed
# workload as below. (cache on requests/s, p95 ms, cache off requests/s, p95 ms, hits, requests
# to the cached pages)
PAGE_CACHE_RUNS = (
    (15.2, 1876, 19.2, 1408, 0, 573),
    (23.7, 275, 20.6, 1047, 0, None),
    (19.5, 1198, 20.5, 991, 0, 714),
    (21.7, 593, 19.7, 1218, 0, 766),
)


def load_section(figures: dict) -> str:
    """docs/performance.md's sections on the mixed workload and on the page cache."""
    load = figures.get("load")
    if load is None:
        return (
            "## Mixed workload\n\nNot run: there was no Redis for the Celery worker, beat and "
            "cache it needs.\n"
        ) + _page_cache_decision()
    size = SIZES[load["scale"]]
    run = load["run"]
    users = size["users"]
    rows = [
        f"| {page.name} | {page.per_second:.1f} | {page.p50:.0f} | {page.p95:.0f} | "
        f"{page.p99:.0f} | {page.errors} |"
        for page in run.pages
    ]
    rows.append(
        f"| **all requests** | **{run.per_second:.1f}** | {run.p50:.0f} | **{run.p95:.0f}** | "
        f"{run.p99:.0f} | **{run.errors}** |"
    )
    table = "\n".join(rows)
    slow = [page.name for page in run.pages if page.p95 >= GOAL_P95_MS]
    goal = (
        "met"
        if run.goal_met
        else "**not met**"
        + (f": p95 at or over {GOAL_P95_MS} ms for {', '.join(slow)}" if slow else "")
        + (f"; {run.errors} errors" if run.errors else "")
    )
    errors = ""
    if run.error_samples:
        errors = "\nErrors seen:\n\n" + "\n".join(f"- {e}" for e in run.error_samples) + "\n"
    writes = sum(page.per_second for page in run.pages if page.name.endswith("(POST)"))
    return f"""## Mixed workload ({load["scale"]} scale)

{sum(users.values())} people signed in at once, each with a session of their own (locust
{_locust_version()}, `reports/bench_locust.py`), each waiting {size["wait"][0]:g}–{size["wait"][1]:g} s
on a page before the next: {users["lead"]} programme leads work the review queue (filtered, paged,
one cohort at a time), open an application and accept it (one write in five pages), now and
then the dashboard; {users["facilitator"]} facilitators open their cohort, its grid and a
session's register, and save it with a mark or two corrected (one write in five);
{users["teacher"]} teachers (taking turns as {size["teachers"]} people) open their home and
progress pages and send the application they drafted; {users["leader"]} school leaders (taking
turns as {size["leaders"]}) open My school and an application from their school. Every POST
carries the CSRF token of the form it came from, and every answer is checked: its status, where
it redirects, and the message a change shows (a form refused is an error). The server is the
one above (gunicorn, 3 sync workers), with a Celery worker and beat on the same Redis and
database, as in production. Measured for {size["seconds"]} s after {size["warm_seconds"]} s of
starting up (errors counted throughout); latencies in milliseconds.

| page | requests/s | p50 | p95 | p99 | errors |
| --- | ---: | ---: | ---: | ---: | ---: |
{table}

The people's changes came {writes:.1f} a second, besides what the Celery tasks wrote
({run.tasks:,} finished during the run).

Goal (issue 22): p95 under {GOAL_P95_MS} ms for every page at {sum(users.values())} people, with 0
errors: {goal}.
{errors}{_page_cache_decision()}"""


def _page_cache_decision() -> str:
    rows = "\n".join(
        f"| {n} | {on_rps:.1f} | {on_p95:,} | {off_rps:.1f} | {off_p95:,} | {hits} | "
        f"{'' if asked is None else f'{asked:,}'} |"
        for n, (on_rps, on_p95, off_rps, off_p95, hits, asked) in enumerate(PAGE_CACHE_RUNS, 1)
    )
    return f"""
## The signed-in page cache: removed

Issue 22's rule: keep the signed-in page cache (each session's copy of a page, served until
anything in the database changed) only if, under the mixed workload, it raised throughput or
lowered p95 by at least 20%. It was measured with this workload on 2026-12-05 (full scale, the
cache on and then off, four times; the machine was busy with other work, so the throughput and
latency figures are noisy):

| run | cache on: requests/s | p95 ms | cache off: requests/s | p95 ms | pages served from a copy | requests to the cached pages |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{rows}

It never served a page from a copy: people changed something 3.4 to 3.9 times a second and
Celery finished 260 to 310 tasks a run, and every write retired every copy. The differences
between the runs are the machine's noise, not the cache's doing. So it went, with the data
generation it needed (a token moved on by every write on every connection, a wrapper around
every query, the cached MFA facts and school searches): signed-in pages are drawn on every visit
and made cheaper to draw instead. The shared copies of public pages for visitors without
cookies stay (`npq_portal/page_cache.py`).
"""


def _locust_version() -> str:
    from importlib.metadata import version

    return version("locust")
