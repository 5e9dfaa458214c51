"""Measure the portal's heavy paths and write docs/performance.md (run by `make bench`).

Each figure comes from this machine in this run, with the generated data it names. Pages and
throughput under load join this command as they are built (issue 10).
"""

import io
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cohorts.models import Cohort
from funding.facts_generator import funding_facts_lines
from funding.rules import facts_from_json, funding_evaluate
from reports.bench_data import SCALES, bench_data_make, bench_dfe_compared, bench_statistics
from reports.bench_growth import growth_measure, growth_section
from reports.bench_load import bench_load, load_section
from reports.bench_pages import bench_pages, pages_measure, session_key_for
from reports.bench_profile import page_profile, profiles_section
from reports.bench_search import search_data_make, search_measure, search_section
from reports.milestone_days import milestones_bring_up_to_date
from reports.models import PlaceMilestones
from schools.gias import ALL_COLUMNS
from schools.gias_generator import write_gias_file
from schools.models import School

# Full scale is what docs/performance.md records; small is CI's run, so the benchmark cannot rot.
SIZES = {
    "full": {
        "gias": 50_000,
        "gias_rounds": 5,
        "facts": 100_000,
        "reminder_people": 100,
        "wrk_seconds": 10,
    },
    "small": {
        "gias": 500,
        "gias_rounds": 1,
        "facts": 1_000,
        "reminder_people": 10,
        "wrk_seconds": 1,
    },
}
WRK_CONNECTIONS = 16
# Drawn afresh, requests a second, in the last run before issue 22's work (2026-11-23, same
# machine kind, same data): the "before" of each page. Pages added since have no before.
DRAWN_BEFORE_ISSUE_22 = {
    "Review queue, filtered and paginated": 20,
    "Cohort page (participants)": 60,
    "Cohort grid": 30,
    "Staff dashboard": 85,
    "Teacher's home": 63,
    "School leader's page": 51,
}
# Issue 22's goal for a signed-in page drawn afresh.
DRAWN_SHARE_OF_CEILING = 0.08
DRAWN_AGAINST_ADMIN = 2.0


class Command(BaseCommand):
    help = "Benchmark the GIAS import and the funding engine; write docs/performance.md."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SIZES), default="full")
        parser.add_argument(
            "--out",
            type=Path,
            help="Where to write the report (default: docs/performance.md at full scale, a "
            "temporary file at small scale, whose figures mean nothing).",
        )

    def handle(self, *args, scale: str, out: Path | None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Run the benchmark against PostgreSQL (make bench sets it up).")
        size = SIZES[scale]
        if out is None:
            out = (
                settings.BASE_DIR / "docs/performance.md"
                if scale == "full"
                else Path(tempfile.gettempdir()) / "npq-bench-small.md"
            )
        with tempfile.TemporaryDirectory() as folder:
            gias = Path(folder) / "edubasealldata20261122.csv"
            facts = Path(folder) / "facts.jsonl"
            with gias.open("wb") as handle:
                write_gias_file(handle, size["gias"])
            facts.write_text("\n".join(funding_facts_lines(size["facts"])) + "\n", encoding="utf-8")
            figures = {
                "scale": scale,
                "gias_rows": size["gias"],
                "facts": size["facts"],
                **self._gias(gias, size["gias_rounds"]),
                **self._funding(facts),
                **self._reminders(size["reminder_people"]),
                **self._pages(scale, size["wrk_seconds"]),
                "text_search": search_measure(log=self.stdout.write),
                **bench_load(
                    scale=scale, database_url=os.environ["DATABASE_URL"], log=self.stdout.write
                ),
            }
        figures |= growth_measure(
            scale=scale,
            pages=figures["pages"],
            seconds=size["wrk_seconds"],
            connections=WRK_CONNECTIONS,
            log=self.stdout.write,
        )
        self._write(out, figures)
        self.stdout.write(f"Wrote {out}")

    def _pages(self, scale: str, seconds: int) -> dict:
        """Seed a hub's year at this scale, then measure the key pages under gunicorn."""
        started = time.perf_counter()
        people = bench_data_make(scale=scale)
        # Each application's emails and status changes, as a live portal has them, before any
        # page is measured: pages that read a history (an application's, the roster's events)
        # would otherwise be measured here without one, and at ten years (a copy made after
        # the searches wrote them) with one.
        search_data_make()
        self.stdout.write(f"bench data ({scale}): {time.perf_counter() - started:.1f} s")
        milestones = self._milestones()
        milestones |= self._milestone_listing(people.lead_id)
        milestones["kept_pages"] = self._kept_pages(people)
        pages = bench_pages(people)
        results = pages_measure(
            pages,
            database_url=os.environ["DATABASE_URL"],
            seconds=seconds,
            connections=WRK_CONNECTIONS,
            log=self.stdout.write,
            drawn_only=True,  # no signed-in page is kept: each request draws its page
            ceiling_beside=True,  # each page against the trivial view of its own minutes
        )
        profiles = [
            page_profile(page, session_key_for(page.user_id))
            for page in pages
            if page.kind == "page" and page.user_id
        ]
        return {
            "pages": results,
            "wrk_seconds": seconds,
            "profiles": profiles,
            **milestones,
        }

    def _milestones(self) -> dict:
        """Work out every place's milestone days, as the periodic task does after the data
        was written (COPY sends no signals): once from nothing, then again with nothing
        changed (what each page's check costs). The reconciliation's verdicts too, as DfE's
        pull and its periodic task do (dfe/reconcile.py)."""
        started = time.perf_counter()
        compared = bench_dfe_compared()
        self.stdout.write(
            f"reconciliation: {compared:,} linked DfE applications compared in "
            f"{time.perf_counter() - started:.1f} s"
        )
        cohorts = Cohort.objects.all()
        started = time.perf_counter()
        worked = milestones_bring_up_to_date(cohorts=cohorts)
        first = time.perf_counter() - started
        started = time.perf_counter()
        milestones_bring_up_to_date(cohorts=cohorts)
        again = time.perf_counter() - started
        places = PlaceMilestones.objects.count()
        bench_statistics()
        self.stdout.write(
            f"milestone days: {places:,} places of {worked} cohorts in {first:.1f} s; "
            f"checked again in {again * 1000:.1f} ms"
        )
        return {
            "milestones_first": first,
            "milestones_again": again,
            "milestones_places": places,
            "milestones_cohorts": worked,
        }

    def _milestone_listing(self, user_id: int) -> dict:
        """The milestone page drawn in this process, its listing read afresh (the first visit
        after any change to a cohort's milestones: every kept listing let go of first) and read
        as kept (a visit with nothing changed since the last)."""
        from reports.models import KeptMilestoneListing

        afresh, kept = self._afresh_and_kept(
            "/staff/milestones/", user_id, KeptMilestoneListing.objects.all()
        )
        self.stdout.write(
            f"milestone page: listing read afresh {afresh * 1000:.1f} ms, kept {kept * 1000:.1f} ms"
        )
        return {"milestone_listing_afresh": afresh, "milestone_listing_kept": kept}

    def _kept_pages(self, people) -> list[tuple[str, str, float, float]]:
        """The other pages whose figures are kept, drawn in this process with their figures
        worked out afresh and kept (`_afresh_and_kept`)."""
        from participants.models import KeptCohortGrid
        from reports.models import KeptAreaPage

        pages = [
            (
                "Cohort grid",
                f"/staff/cohorts/{people.cohort_id}/progress/",
                people.facilitator_id,
                KeptCohortGrid.objects.filter(kind=KeptCohortGrid.Kind.GRID),
            )
        ]
        if people.work_group_id is not None:
            pages.append(
                (
                    "Work Group Lead's page",
                    f"/staff/cohorts/{people.work_group_id}/work-group/",
                    people.facilitator_id,
                    KeptCohortGrid.objects.filter(kind=KeptCohortGrid.Kind.WORK_GROUP),
                )
            )
        pages.append(
            (
                "Engagement: the hub's area",
                "/staff/engagement/area/",
                people.lead_id,
                KeptAreaPage.objects.all(),
            )
        )
        measured = []
        for name, path, user_id, kept_rows in pages:
            afresh, kept = self._afresh_and_kept(path, user_id, kept_rows)
            self.stdout.write(
                f"{name}: figures worked out afresh {afresh * 1000:.1f} ms, kept {kept * 1000:.1f} ms"
            )
            measured.append((name, path, afresh, kept))
        return measured

    @staticmethod
    def _afresh_and_kept(path: str, user_id: int, kept_rows) -> tuple[float, float]:
        """A page drawn in this process for this person with what it keeps worked out afresh
        (`kept_rows`, a queryset, deleted first: the first visit after a change) and kept (a
        visit with nothing changed since the last): the median of 20 of each, in seconds."""
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key_for(user_id)
        headers = {"Cache-Control": "no-cache"}
        client.get(path, headers=headers)  # this process's caches filled
        timings = {"afresh": [], "kept": []}
        for _ in range(20):
            for way in ("afresh", "kept"):
                if way == "afresh":
                    kept_rows.delete()
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                timings[way].append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise CommandError(f"{path} answered {response.status_code}.")
        return median(timings["afresh"]), median(timings["kept"])

    def _timed(self, label: str, work) -> float:
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        self.stdout.write(f"{label}: {seconds:.2f} s")
        return seconds

    def _gias(self, path: Path, rounds: int) -> dict:
        """The import with every school new, the import again (nothing changed) and a bare COPY
        of the same file, back to back, `rounds` times. Other work on the machine slows all
        three alike, so each round's ratios to COPY, and their medians, say the most."""
        quiet = io.StringIO()
        timings = []
        for round_ in range(1, rounds + 1):
            School.objects.all().delete()
            # Each round starts from a table like a new database's, not one full of the last
            # round's deleted rows.
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {School._meta.db_table}")
            first = self._quietly_timed(lambda: call_command("import_gias", path, stdout=quiet))
            again = self._quietly_timed(lambda: call_command("import_gias", path, stdout=quiet))
            copy = self._quietly_timed(lambda: self._copy(path))
            timings.append((first, again, copy))
            self.stdout.write(
                f"GIAS round {round_}: import {first:.2f} s new ({first / copy:.1f}× COPY), "
                f"{again:.2f} s again ({again / copy:.1f}×); COPY {copy:.2f} s"
            )
        return {
            "gias_first": median(first for first, _, _ in timings),
            "gias_again": median(again for _, again, _ in timings),
            "gias_copy": median(copy for _, _, copy in timings),
            "gias_first_ratio": median(first / copy for first, _, copy in timings),
            "gias_again_ratio": median(again / copy for _, again, copy in timings),
            "gias_rounds": rounds,
        }

    @staticmethod
    def _quietly_timed(work) -> float:
        started = time.perf_counter()
        work()
        return time.perf_counter() - started

    def _copy(self, path: Path) -> None:
        columns = ", ".join(f'"c{i}" text' for i in range(len(ALL_COLUMNS)))
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_gias_copy")
            cursor.execute(f"CREATE UNLOGGED TABLE bench_gias_copy ({columns})")
            with path.open("rb") as handle:
                cursor.cursor.copy_expert(
                    "COPY bench_gias_copy FROM STDIN WITH (FORMAT csv, HEADER true, "
                    "ENCODING 'WIN1252')",
                    handle,
                )
            cursor.execute("DROP TABLE bench_gias_copy")

    def _funding(self, path: Path) -> dict:
        import json

        lines = path.read_text(encoding="utf-8").splitlines()

        def engine_only():
            for line in lines:
                json.dumps(
                    funding_evaluate(facts_from_json(json.loads(line)), rules="2026").as_json()
                )

        in_process = self._timed(f"funding engine, {len(lines):,} facts in process", engine_only)
        command = [sys.executable, "manage.py", "funding_check", "--rules", "2026"]

        def end_to_end():
            with path.open("rb") as source:
                subprocess.run(
                    command,
                    stdin=source,
                    stdout=subprocess.DEVNULL,
                    check=True,
                    cwd=settings.BASE_DIR,
                )

        whole = self._timed(f"funding_check command, {len(lines):,} facts end to end", end_to_end)
        return {"funding_engine": in_process, "funding_command": whole}

    def _reminders(self, count: int) -> dict:
        """count × count due session reminders (10,000 at full scale: 100 sessions × 100
        people), sent to the locmem backend in-process, as one worker would."""
        import datetime

        from django.test.utils import override_settings
        from django.utils import timezone

        from cohorts.models import Cohort, DeliveryPartner, Session
        from npq_portal.models import User
        from participants.models import Enrolment
        from programmes.models import Programme
        from reminders.services import reminders_run

        programme = Programme.objects.create(
            slug="bench-programme",
            short_name="BENCH",
            name="Bench",
            family="specialist",
            summary="x",
            who_for="x",
        )
        partner = DeliveryPartner.objects.create(name="Bench partner")
        soon = timezone.now() + datetime.timedelta(hours=1)
        people = User.objects.bulk_create(
            [
                User(email=f"bench{n}@bench.example", first_name="B", last_name=str(n))
                for n in range(count)
            ]
        )
        for index in range(count):
            cohort = Cohort.objects.create(
                programme=programme,
                name=f"Bench {index}",
                academic_year=2026,
                starts_on=datetime.date(2020, 1, 1),
                ends_on=datetime.date(2030, 1, 1),
                delivery_partner=partner,
                capacity=200,
                status="running",
            )
            Session.objects.create(
                cohort=cohort,
                kind="clinic",
                title=f"Clinic {index}",
                status="scheduled",
                starts_at=soon,
                ends_at=soon + datetime.timedelta(hours=1),
            )
            Enrolment.objects.bulk_create(
                [Enrolment(participant=person, cohort=cohort) for person in people]
            )
        caps = {
            **settings.REMINDERS,
            "session_before": {"2-hours": datetime.timedelta(hours=2)},
            "daily_cap": 10**6,
        }
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", REMINDERS=caps
        ):
            sent = []
            seconds = self._timed(
                f"{count * count:,} due reminders", lambda: sent.append(reminders_run())
            )
        return {"reminders": seconds, "reminders_sent": sent[0]}

    def _write(self, out: Path, f: dict) -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
        kept_rows = "\n".join(
            f"| {name} | `{path}` | {afresh * 1000:.1f} | {kept * 1000:.1f} |"
            for name, path, afresh, kept in f["kept_pages"]
        )
        out.write_text(
            f"""# Performance

Measured by `make bench` on {time.strftime("%Y-%m-%d")}: {platform.processor() or platform.machine()},
Python {platform.python_version()}, PostgreSQL {postgres}, one process. Data is generated by
committed generators (`generate_gias`, `generate_funding_facts`); nothing large is committed.
Figures are from one run; expect a few per cent of noise between runs.

## GIAS import (50,000-row synthetic extract, Windows-1252, 139 columns)

Medians of {f["gias_rounds"]} rounds; in each, both imports and the `COPY` ran back to back in
one process, and "against COPY" is the median of the rounds' ratios.

| what | seconds | rows a second | against COPY |
| --- | ---: | ---: | ---: |
| `import_gias`, every school new (checked a chunk at a time as `COPY` writes it) | {f["gias_first"]:.2f} | {f["gias_rows"] / f["gias_first"]:,.0f} | {f["gias_first_ratio"]:.1f}× |
| `import_gias` again, nothing changed (skipped by LastChangedDate) | {f["gias_again"]:.2f} | {f["gias_rows"] / f["gias_again"]:,.0f} | {f["gias_again_ratio"]:.1f}× |
| PostgreSQL `COPY` of the same file into a bare table (the floor) | {f["gias_copy"]:.2f} | {f["gias_rows"] / f["gias_copy"]:,.0f} | 1.0× |

Goal (issue 4): well under a minute. Goal (issue 10): within 3× `COPY`. Since issue 22 the
first import also builds the three trigram indexes school search reads (name, normalised name,
town; dropped while it writes, built once after): measured apart, about 0.46 s at 50,000
schools, 2.5× `COPY` on its own, so a first import cannot come within 3×. Building them with
more memory, keeping them while it writes (with or without a larger pending list), or one index
for all three were each as slow or slower (PostgreSQL 15 cannot build a GIN index in parallel);
an import with nothing changed is unaffected.

## Funding engine (100,000 varied facts, rule set 2026)

| what | seconds | facts a second |
| --- | ---: | ---: |
| in process: parse JSON, build facts, evaluate, write JSON | {f["funding_engine"]:.2f} | {f["facts"] / f["funding_engine"]:,.0f} |
| `manage.py funding_check --rules 2026` end to end (process start included) | {f["funding_command"]:.2f} | {f["facts"] / f["funding_command"]:,.0f} |

Goal: at least 20,000 facts a second end to end.

## Reminders (100 sessions × 100 people booked, all due, one process, locmem email)

| what | seconds | emails | a second |
| --- | ---: | ---: | ---: |
| `reminders_run()`: select due by state, render, log in EmailDelivery, send, mark done | {f["reminders"]:.2f} | {f["reminders_sent"]:,} | {f["reminders_sent"] / f["reminders"]:,.0f} |

Goal (issue 7): 10,000 due reminders within 60 seconds by one worker.

## Milestone days kept (reports/milestone_days.py)

The milestone page and DfE's declarations read each place's milestone days kept in the
database; a change to a cohort's evidence marks it, and the cohort is worked out again by the
periodic task or by the next page that needs it. The benchmark's data is written with COPY,
which sends no signals, so it is worked out once before the pages are measured:

| what | places | cohorts | time |
| --- | ---: | ---: | ---: |
| every cohort worked out from nothing | {f["milestones_places"]:,} | {f["milestones_cohorts"]:,} | {f["milestones_first"]:.1f} s |
| checked again, nothing changed (what each page pays) | | | {f["milestones_again"] * 1000:.1f} ms |

What a milestone page lists before its page of places (its filters' programmes, years and
cohorts, and every cohort's counts) is kept too, for each person's scope and filters, under a
version that any change to a cohort's milestones, a cohort deleted or a cohort's facilitators
changed moves on (`milestone_listing_kept`). The pages below are measured with it kept, as a
visit with nothing changed since the last finds it; the first visit after a change reads it
afresh. Drawn in this process (DEBUG off, median of 20):

| the milestone page (`/staff/milestones/`), its listing | ms a request |
| --- | ---: |
| read afresh (the first visit after a change) | {f["milestone_listing_afresh"] * 1000:.1f} |
| kept (a visit with nothing changed since the last) | {f["milestone_listing_kept"] * 1000:.1f} |

Other pages keep what they would otherwise work out on every visit, each under a version its
writes move on: the cohort grid its sessions, modules and each place's marks and participation,
and the Work Group Lead's page its people's marks (`participants/selectors.py`, worked out again
too once a session has started since), the hub's area its figures for the year
(`reports/engagement.py`). Drawn in this process, median of 20; the page table below is
measured with them kept:

| page | path | figures worked out afresh, ms | kept, ms |
| --- | --- | ---: | ---: |
{kept_rows}

{self._pages_section(f)}
{search_section(f["text_search"], scale=f["scale"])}
{load_section(f)}
{growth_section(f)}""",
            encoding="utf-8",
        )

    @staticmethod
    def _pages_section(f: dict) -> str:
        results = f["pages"]
        ceiling = next(r for r in results if r.page.kind == "ceiling").requests_per_second
        peer = next(r for r in results if r.page.kind == "peer").requests_per_second
        besides = sorted(r.ceiling_beside for r in results if r.ceiling_beside)
        rows = []
        for r in results:
            rps, latency = r.afresh
            share, against_peer = rps / (r.ceiling_beside or ceiling), rps / peer
            goal = before = ""
            if r.page.kind == "page" and r.page.user_id:
                met = share >= DRAWN_SHARE_OF_CEILING and against_peer >= DRAWN_AGAINST_ADMIN
                goal = "yes" if met else "**no**"
            elif r.page.kind == "page":
                goal = "yes" if share >= 0.15 and against_peer >= 1.5 else "**no**"
            if r.page.name in DRAWN_BEFORE_ISSUE_22:
                before = f"{DRAWN_BEFORE_ISSUE_22[r.page.name]:,}"
            rows.append(
                f"| {r.page.name} | `{r.page.path}` | {before} | {rps:,.0f} | {latency:.1f} | "
                f"{r.ceiling_beside or ceiling:,.0f} | "
                f"{share:.1%} | {against_peer:.1f}× | {r.queries} | {r.rows} | "
                f"{r.bad_responses} | {goal} |"
            )
        table = "\n".join(rows)
        data = SCALES[f["scale"]]
        return f"""## Pages under load ({f["scale"]} scale)

gunicorn with 3 sync workers (`--no-control-socket`, DEBUG off, `CONN_MAX_AGE` 60, the cache and
sessions in Redis) on 127.0.0.1, one page at a time, `wrk -t2 -c{WRK_CONNECTIONS} -d{f["wrk_seconds"]}s`,
signed in where the page needs it. Data: {f["gias_rows"]:,} schools, {data["applications"]:,}
applications, {data["places"]:,} places in {data["cohorts"]:,} cohorts and
{data["places"] * data["sessions"]:,} register marks, {data["work_groups"]} Work Groups, DfE's
records of the NPQ applications (`reports/bench_data.py`), and each application's emails and
status changes (`reports/bench_search.py`). Queries are one request's, counted in
process after a first request; rows are the table rows the page shows.

Every signed-in page is drawn on every request, as a first visit is (the portal keeps no copy of
a signed-in page: see "The signed-in page cache: removed" below). Public pages for visitors
without cookies are served shared copies, kept for a few minutes.

| page | path | before issue 22, requests/s | requests/s | mean latency ms | ceiling beside it, requests/s | of the ceiling | against the admin | queries | rows | non-2xx | goal met |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
{table}

Each page's share is of the trivial view measured just before it, for half as long ("ceiling
beside it"): the machine's speed drifts while the run goes on (the ceiling measured beside the
pages ranged from {_spread(besides, ceiling)}), and a page compared with the ceiling
of the run's first minute would gain or lose by that drift alone.

Goal (issue 22): every signed-in page, drawn afresh, at least {DRAWN_SHARE_OF_CEILING:.0%} of the
trivial view's requests a second and at least {DRAWN_AGAINST_ADMIN:g} times the admin changelist's
(configured as a careful administrator would: `list_select_related`, `show_full_result_count =
False`; the admin keeps no copy either). Pages for visitors keep issue 10's goal: 15% of the
ceiling and 1.5 times the admin. The floor is the trivial view asked for by a hub administrator
signed in (their session, their person, their roles, permissions and MFA read, the staff session
checked; nothing drawn): every signed-in page pays that before its own work. "Before issue 22"
is each page drawn afresh in the run of 2026-11-23 on the data of that time (one school year, no
Work Groups); where its time went is in `docs/profiles/before-issue-22.md`.

{profiles_section(f["profiles"], heading="Where the time goes (signed-in pages, drawn afresh)")}"""


def _spread(besides: list[float], first: float) -> str:
    """The ceilings measured beside the pages (sorted), in words, against the first one."""
    if not besides:
        return f"only the first run's, {first:,.0f} requests a second"
    return (
        f"{besides[0]:,.0f} to {besides[-1]:,.0f} requests a second, median "
        f"{median(besides):,.0f}, against {first:,.0f} in the first run"
    )
