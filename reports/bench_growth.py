"""The benchmark's growth step (issue 22): the key pages measured again, drawn afresh, with
ten school years of data instead of one, and how far each page's latency grew against what
its query count and the rows it shows explain.

The ten-year database is a copy of the benchmark's (CREATE DATABASE … TEMPLATE, so the same
people, pages and current year) with the nine years before added by bench_data_grow: ten
times the applications, places, register marks, Work Groups, people and DfE records.

The rule: a page may slow in proportion to the larger of its query count's and its rows'
growth (a page showing twice the rows may take twice as long), plus 25% for noise; one that
slows more, or no longer answers, is flagged. So a page showing the same rows in the same
number of queries must not slow by more than 25%. When the trivial view itself got slower
between the two runs (the machine was busier), every page is allowed that much more too.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import connection, connections

from cohorts.models import Cohort
from reports.bench_data import (
    SCALES,
    bench_data_grow,
    bench_data_sizes,
    bench_dfe_compared,
    bench_statistics,
)
from reports.bench_pages import PageResult, pages_measure
from reports.milestone_days import milestones_bring_up_to_date

# How much slower than its queries and rows explain a page may get: the noise allowed for.
ALLOWANCE = 1.25


def growth_explained(*, queries: tuple[int, int], rows: tuple[int, int]) -> float:
    """How many times slower a page may fairly get when its query count and the rows it
    shows went from the first to the second of each pair: the larger of the two growths (at
    least 1, never less: a page showing fewer rows need not get faster)."""
    return max(1.0, _growth(*queries), _growth(*rows))


def growth_too_fast(
    *,
    latency: tuple[float, float],
    queries: tuple[int, int],
    rows: tuple[int, int],
    machine: float = 1.0,
) -> bool:
    """Whether a page's mean latency grew by more than its query count and rows explain,
    with ALLOWANCE for noise, and `machine` (how many times slower the trivial view got
    between the runs; 1 or more) for a machine busier in the second run than the first."""
    before, after = latency
    allowed = growth_explained(queries=queries, rows=rows) * ALLOWANCE * max(machine, 1.0)
    return after > before * allowed


def _growth(before: float, after: float) -> float:
    return max(after, 1) / max(before, 1)


@dataclass(frozen=True)
class GrowthRow:
    """One page at both scales; `machine` is how many times slower the trivial view got."""

    before: PageResult
    after: PageResult
    machine: float = 1.0

    @property
    def judged(self) -> bool:
        """The portal's own pages are judged; the trivial view and the admin are yardsticks."""
        return self.before.page.kind == "page"

    @property
    def failed(self) -> bool:
        return bool(self.after.error)

    @property
    def latency_growth(self) -> float:
        before, after = self.before.afresh[1], self.after.afresh[1]
        return after / before if before else float("inf")

    @property
    def allowed(self) -> float:
        explained = growth_explained(queries=self._queries, rows=self._rows)
        return explained * ALLOWANCE * max(self.machine, 1.0)

    @property
    def flagged(self) -> bool:
        return self.judged and (
            self.failed
            or growth_too_fast(
                latency=(self.before.afresh[1], self.after.afresh[1]),
                queries=self._queries,
                rows=self._rows,
                machine=self.machine,
            )
        )

    @property
    def _queries(self) -> tuple[int, int]:
        return self.before.queries, self.after.queries

    @property
    def _rows(self) -> tuple[int, int]:
        return self.before.rows, self.after.rows


@dataclass(frozen=True)
class Growth:
    """The growth step's figures: both scales' data and each page at both."""

    scale: str  # the benchmark's (one year)
    grown_scale: str  # ten years
    sizes: dict[str, tuple[int, int]]  # what grew: (at one year, at ten)
    copy_seconds: float
    grow_seconds: float
    seconds: int  # wrk's run a page
    connections: int  # wrk's connections
    rows: list[GrowthRow]


def growth_rows(before: list[PageResult], after: list[PageResult]) -> list[GrowthRow]:
    """Each page measured at both scales, in the first run's order, judged against how much
    slower the trivial view (the ceiling) got between the runs."""
    grown = {result.page: result for result in after}
    pairs = [(result, grown[result.page]) for result in before if result.page in grown]
    machine = 1.0
    for first, second in pairs:
        if first.page.kind == "ceiling" and not second.error and first.latency_ms:
            machine = second.latency_ms / first.latency_ms
    return [GrowthRow(first, second, machine) for first, second in pairs]


def growth_measure(
    *, scale: str, pages: list[PageResult], seconds: int, connections: int, log
) -> dict:
    """Copy the benchmark's database, add nine school years to the copy, and measure the same
    pages on it drawn afresh as `pages` were; {"growth": Growth}."""
    grown_scale = f"{scale}10"
    if grown_scale not in SCALES:
        raise ValueError(f"No ten-year scale for {scale}.")
    source = connection.settings_dict["NAME"]
    target = f"{source}_growth"
    before = bench_data_sizes()
    started = time.perf_counter()
    _database_copy(source=source, target=target)
    copy_seconds = time.perf_counter() - started
    log(f"growth: {source} copied to {target} in {copy_seconds:.1f} s")
    with _database(target):
        started = time.perf_counter()
        bench_data_grow(scale=grown_scale)
        # As the periodic tasks would after the years were written (COPY sends no signals).
        milestones_bring_up_to_date(cohorts=Cohort.objects.all())
        bench_dfe_compared()
        bench_statistics()
        grow_seconds = time.perf_counter() - started
        after = bench_data_sizes()
        log(
            f"growth: nine school years added in {grow_seconds:.1f} s "
            f"({after['applications']:,} applications)"
        )
        results = pages_measure(
            [result.page for result in pages],
            database_url=_url_for(target),
            seconds=seconds,
            connections=connections,
            log=lambda line: log(f"growth ({grown_scale}): {line}"),
            drawn_only=True,
            strict=False,
        )
    return {
        "growth": Growth(
            scale=scale,
            grown_scale=grown_scale,
            sizes={name: (before[name], after[name]) for name in before},
            copy_seconds=copy_seconds,
            grow_seconds=grow_seconds,
            seconds=seconds,
            connections=connections,
            rows=growth_rows(pages, results),
        )
    }


def _database_copy(*, source: str, target: str) -> None:
    """`target` made afresh as a copy of `source` (which nobody may be connected to)."""
    import psycopg2
    from psycopg2 import errors, sql

    connections.close_all()
    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    admin = psycopg2.connect(**params)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target)))
            for attempt in range(30):
                try:
                    cursor.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                            sql.Identifier(target), sql.Identifier(source)
                        )
                    )
                    return
                except errors.ObjectInUse:
                    # gunicorn's workers may take a moment to let their connections go.
                    if attempt == 29:
                        raise
                    time.sleep(1)
    finally:
        admin.close()


@contextmanager
def _database(name: str):
    """This process's default database is `name` inside the block."""
    settings_dict = connection.settings_dict
    saved = settings_dict["NAME"]
    connections.close_all()
    settings_dict["NAME"] = name
    try:
        yield
    finally:
        connections.close_all()
        settings_dict["NAME"] = saved


def _url_for(name: str) -> str:
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


# ---- The report ----


def growth_section(f: dict) -> str:
    """docs/performance.md's section on growth."""
    growth: Growth = f["growth"]
    sizes = "\n".join(
        f"| {name} | {before:,} | {after:,} | {after / before if before else 0:.1f}× |"
        for name, (before, after) in growth.sizes.items()
    )
    rows = "\n".join(_row(row) for row in growth.rows)
    flagged = [row.before.page.name for row in growth.rows if row.flagged]
    machine = growth.rows[0].machine if growth.rows else 1.0
    verdict = (
        "No page grew faster than its queries and rows explain."
        if not flagged
        else f"Flagged ({len(flagged)}): " + ", ".join(flagged) + "."
    )
    return f"""## Growth: one school year against ten ({growth.scale} → {growth.grown_scale})

The key pages again, drawn afresh as above (`wrk -t2 -c{growth.connections} \
-d{growth.seconds}s`, `Cache-Control: no-cache` for signed-in pages), on a copy of the
benchmark's database (made in {growth.copy_seconds:.1f} s) to which `bench_data_grow` added the
nine school years before the current one in {growth.grow_seconds:.1f} s: cohorts completed,
places completed or withdrawn, every sign-up decided, DfE's records of each year since 2021
(and their places' milestone days worked out, as the periodic task would). The current year, its people and the pages' addresses are the same at both scales
(`reports/bench_growth.py`).

| what | one year | ten years | grew |
| --- | ---: | ---: | ---: |
{sizes}

The rule: a page may slow by as much as the larger of its query count's growth and its rows'
growth (the table rows it shows, `<tr>`, headers included), times {ALLOWANCE} for noise, and
times the trivial view's own growth when that is more than 1 (the machine was busier during
the second run: here {machine:.2f}×); one that slows more, or no longer answers within 30 s, is
flagged. A page showing the same rows in the same queries may not slow by more than
{ALLOWANCE - 1:.0%} on a quiet machine. The trivial view and the admin are yardsticks, not
judged. A page so slow that no request finished during the run shows 0 requests/s and, as
its latency, one request's time alone.

| page | requests/s, 1 year | 10 years | mean latency ms, 1 year | 10 years | latency grew | may grow | queries | rows | flagged |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
{rows}

{verdict}
"""


def _row(row: GrowthRow) -> str:
    before_rps, before_ms = row.before.afresh
    queries = f"{row.before.queries} → {row.after.queries}"
    rows = f"{row.before.rows} → {row.after.rows}"
    name = f"{row.before.page.name} (`{row.before.page.path}`)"
    if row.failed:
        return (
            f"| {name} | {before_rps:,.1f} | – | {before_ms:,.1f} | – | – | "
            f"{row.allowed:.2f}× | {row.before.queries} → – | {row.before.rows} → – | "
            f"**yes**: {row.after.error} |"
        )
    after_rps, after_ms = row.after.afresh
    return (
        f"| {name} | {before_rps:,.1f} | {after_rps:,.1f} | {before_ms:,.1f} | {after_ms:,.1f} | "
        f"{row.latency_growth:.2f}× | {row.allowed:.2f}× | {queries} | {rows} | "
        f"{('**yes**' if row.flagged else 'no') if row.judged else '–'} |"
    )
