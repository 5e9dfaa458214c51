"""The locustfile of the benchmark's mixed workload (reports/bench_load.py runs it).

Reads what each kind of person does from the plan named by BENCH_LOAD_PLAN, and writes every
request it made (name, start, milliseconds, error) to BENCH_LOAD_OUT when the run stops.
Importing locust patches the process with gevent: nothing else imports this module.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import deque
from pathlib import Path

from locust import HttpUser, between, events, task

from reports.bench_load import answer_problem, checked_radios, cookie_header, cookies_update
from reports.bench_load import csrf_token as page_csrf_token

PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text(encoding="utf-8"))
SESSION_COOKIE = PLAN["session_cookie"]
MARKS = ["present", "late", "absent", "excused"]
ACCEPT_BUTTON = 'name="action" value="accept"'  # the application page's decision form

records: list[list] = []
times = {"started": time.time(), "stopped": None}


@events.request.add_listener
def _record(name, start_time, response_time, exception, **kwargs):
    records.append([name, start_time, response_time, str(exception) if exception else None])


@events.user_error.add_listener
def _record_a_fault(user_instance, exception, tb, **kwargs):
    """A fault in this file's own steps counts as an error too: it must not pass unseen."""
    records.append(["(the workload's own code)", time.time(), 0.0, repr(exception)])


@events.test_stop.add_listener
def _write(**kwargs):
    times["stopped"] = time.time()
    with open(os.environ["BENCH_LOAD_OUT"], "w", encoding="utf-8") as out:
        json.dump({**times, "records": records}, out)


class Person(HttpUser):
    """Someone signed in: their own session, cookies kept as a browser keeps them."""

    abstract = True
    wait_time = between(*PLAN["wait"])
    kind = ""

    def on_start(self):
        # Cookies are kept here, not in the client: the server's are Secure (it runs as in
        # production), so a client's jar would never send them back over plain HTTP.
        self.client.cookies.set_policy(_KeepNothing())
        self.identity = IDENTITIES[self.kind].popleft()
        self.jar = {SESSION_COOKIE: self.identity["session"]}

    def take_turns(self):
        """Hand this person back and become the next one waiting (teachers, school leaders)."""
        IDENTITIES[self.kind].append(self.identity)
        self.identity = IDENTITIES[self.kind].popleft()
        self.jar = {SESSION_COOKIE: self.identity["session"]}

    def visit(self, name, path, *, data=None, expect_location=None, expect_text=None):
        """GET (or with `data`, POST) a page, and check its answer; the page's text."""
        with self.client.request(
            "POST" if data is not None else "GET",
            path,
            name=name,
            data=data,
            headers={"Cookie": cookie_header(self.jar)},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.raw is not None:  # None when the connection failed
                cookies_update(self.jar, response.raw.headers.getlist("Set-Cookie"))
            problem = answer_problem(
                status=response.status_code,
                location=response.headers.get("Location"),
                body=response.text,
                expect_status=302 if data is not None else 200,
                expect_location=expect_location,
                expect_text=expect_text,
            )
            if problem:
                response.failure(problem)
            else:
                response.success()
            return response.text if not problem else None

    def pause(self):
        time.sleep(random.uniform(*PLAN["wait"]))


class _KeepNothing:
    """A cookie policy under which the HTTP client's own jar keeps and sends nothing."""

    netscape = True
    rfc2965 = hide_cookie2 = False

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False

    def domain_return_ok(self, domain, request):
        return False

    def path_return_ok(self, path, request):
        return False


class ProgrammeLead(Person):
    """Works the review queue: filters it, opens an application its school approved, accepts."""

    kind = "leads"
    fixed_count = PLAN["users"]["lead"]

    @task
    def decide_one(self):
        if random.random() < 0.3:
            self.visit("Staff dashboard", "/staff/dashboard/")
            self.pause()
        self.visit("Review queue", f"/staff/applications/?status=school_approved&page={_page()}")
        self.pause()
        waiting = self.identity["applications"]
        if not waiting:  # none left of their own: look through the queue instead
            self.visit(
                "Review queue", f"/staff/applications/?status=awaiting_school&page={_page()}"
            )
            return
        pk = waiting[0]["pk"]
        if random.random() < 0.2:  # looking someone up by name
            self.visit("Review queue", f"/staff/applications/?q={waiting[0]['surname']}")
        else:  # or down one cohort's approved applications
            self.visit(
                "Review queue",
                f"/staff/applications/?cohort={waiting[0]['cohort']}&status=school_approved",
            )
        self.pause()
        page = self.visit("Application page", f"/applications/{pk}/", expect_text=ACCEPT_BUTTON)
        if not page:
            return
        self.pause()
        waiting.pop(0)
        back = f"/applications/{pk}/"
        if self.visit(
            "Accept an application (POST)",
            f"/staff/applications/{pk}/decide/",
            data={"csrfmiddlewaretoken": page_csrf_token(page), "action": "accept", "reason": ""},
            expect_location=back,
        ):
            self.visit("Application page", back, expect_text="Application accepted.")


class Facilitator(Person):
    """Runs a cohort: its page, its grid, and a session's register, saved with corrections."""

    kind = "facilitators"
    fixed_count = PLAN["users"]["facilitator"]

    @task
    def take_a_register(self):
        cohort = self.identity["cohort"]
        self.visit("Cohort page", f"/staff/cohorts/{cohort}/")
        self.pause()
        self.visit("Cohort grid", f"/staff/cohorts/{cohort}/progress/")
        self.pause()
        register = f"/staff/sessions/{random.choice(self.identity['sessions'])}/register/"
        page = self.visit("Register", register, expect_text="Save register")
        if not page:
            return
        self.pause()
        marks = checked_radios(page)
        for name in random.sample(sorted(marks), k=min(2, len(marks))):
            marks[name] = random.choice([m for m in MARKS if m != marks[name]])
        data = {
            "csrfmiddlewaretoken": page_csrf_token(page),
            "reason": "Corrected from the sign-in sheet.",
            **marks,
        }
        if self.visit("Save a register (POST)", register, data=data, expect_location=register):
            self.visit("Register", register, expect_text="Register saved")


class Teacher(Person):
    """Opens their home and progress, sends the application they drafted, then makes way for
    the next teacher."""

    kind = "teachers"
    fixed_count = PLAN["users"]["teacher"]

    @task
    def look_in(self):
        self.visit("Teacher's home", "/my-npqs/")
        self.pause()
        self.visit("Progress page", f"/my-progress/{self.identity['enrolment']}/")
        self.pause()
        self.visit("Teacher's home", "/my-npqs/")
        draft = self.identity["draft"]
        if draft:
            self.pause()
            page = self.visit(
                "Check answers", f"/applications/{draft}/check/", expect_text="Accept and send"
            )
            if page:
                self.pause()
                self.identity["draft"] = None
                sent = f"/applications/{draft}/"
                if self.visit(
                    "Send an application (POST)",
                    f"/applications/{draft}/check/",
                    data={"csrfmiddlewaretoken": page_csrf_token(page)},
                    expect_location=sent,
                ):
                    self.visit("Application page", sent, expect_text="Application sent.")
        self.take_turns()


class SchoolLeader(Person):
    """Opens My school and one of the school's applications, then makes way for the next."""

    kind = "leaders"
    fixed_count = PLAN["users"]["leader"]

    @task
    def look_in(self):
        self.visit("My school", "/my-school/")
        self.pause()
        if self.identity["applications"]:
            pk = random.choice(self.identity["applications"])
            self.visit("Application page", f"/applications/{pk}/")
            self.pause()
        self.visit("My school", "/my-school/")
        self.take_turns()


def _page() -> int:
    return random.choice([1, 1, 1, 2, 3])


IDENTITIES = {kind: deque(PLAN[kind]) for kind in ("leads", "facilitators", "teachers", "leaders")}
