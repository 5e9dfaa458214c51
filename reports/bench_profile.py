"""Where a page's time goes when it is drawn afresh: measured in process on the benchmark's data.

For each signed-in page: the wall time of a request (the mean of a batch), and, from one
profiled batch, how that time splits between SQL (the driver's execute), drawing the template,
the view's own Python and everything around the view (middleware, session, user, MFA); the
project functions costing the most; and the plan of the slowest query (EXPLAIN ANALYZE).
"""

from __future__ import annotations

import cProfile
import pstats
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

FRESH = {"Cache-Control": "no-cache"}
PLAN_LINES = 30  # of a slowest query's plan shown in docs/performance.md
# Functions whose cumulative time marks a part of the request.
TEMPLATE_RENDER = ("django/template/backends/django.py", "render")
GET_RESPONSE = ("django/core/handlers/base.py", "_get_response")
WHOLE_REQUEST = ("django/core/handlers/base.py", "get_response")


@dataclass
class PageProfile:
    name: str
    path: str
    ms: float  # wall time of one request, unprofiled
    queries: int
    sql_ms: float  # the driver's execute, profiled share of ms
    template_ms: float  # drawing the template, SQL run from it excluded
    view_ms: float  # the view's own Python, SQL and template excluded
    around_ms: float  # middleware, session, user, MFA, URL resolving
    top: list[tuple[str, float]] = field(default_factory=list)  # project functions, ms
    slowest_sql: str = ""
    slowest_plan: str = ""


def page_profile(page, cookie_key: str, *, batch: int = 20) -> PageProfile:
    """Profile one page for the session `cookie_key` (empty for a visitor)."""
    client = Client(HTTP_HOST="127.0.0.1")
    if cookie_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie_key
    started = time.perf_counter()
    response = client.get(page.path, headers=FRESH)
    if response.status_code != 200:
        raise RuntimeError(f"{page.path} answered {response.status_code} in process")
    # A page taking seconds is profiled over fewer requests: about two seconds' worth.
    batch = max(1, min(batch, int(2.0 / max(time.perf_counter() - started, 1e-3))))
    started = time.perf_counter()
    for _ in range(batch):
        client.get(page.path, headers=FRESH)
    wall = (time.perf_counter() - started) / batch * 1000

    with CaptureQueriesContext(connection) as captured:
        client.get(page.path, headers=FRESH)
    queries = captured.captured_queries
    slowest = max(queries, key=lambda q: float(q["time"]), default=None)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(batch):
        client.get(page.path, headers=FRESH)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    whole = _cumulative(stats, WHOLE_REQUEST) or 1e-9
    sql = _sql_time(stats)
    template_all = _cumulative(stats, TEMPLATE_RENDER)
    response_all = _cumulative(stats, GET_RESPONSE)
    sql_in_template = _sql_under(profiler, TEMPLATE_RENDER)
    scale = wall / (whole / batch * 1000)  # the profiler's overhead, spread evenly

    def share(seconds: float) -> float:
        return seconds / batch * 1000 * scale

    template = template_all - sql_in_template
    view = response_all - template_all - (sql - sql_in_template)
    return PageProfile(
        name=page.name,
        path=page.path,
        ms=wall,
        queries=len(queries),
        sql_ms=share(sql),
        template_ms=share(template),
        view_ms=share(max(view, 0.0)),
        around_ms=share(max(whole - response_all, 0.0)),
        top=[(name, share(seconds)) for name, seconds in _top_project(stats, 5)],
        slowest_sql=slowest["sql"] if slowest else "",
        slowest_plan=_explain(slowest["sql"]) if slowest else "",
    )


def _matches(key, wanted) -> bool:
    filename, _, function = key
    return filename.endswith(wanted[0]) and function == wanted[1]


def _cumulative(stats, wanted) -> float:
    return sum(row[3] for key, row in stats.items() if _matches(key, wanted))


def _sql_time(stats) -> float:
    return sum(
        row[3]
        for (filename, _, function), row in stats.items()
        if function == "<method 'execute' of 'psycopg2.extensions.cursor' objects>"
        or (filename == "~" and "execute" in function and "cursor" in function)
    )


def _sql_under(profiler: cProfile.Profile, wanted) -> float:
    """SQL time spent below calls of `wanted` (queries a template's loops set off)."""
    stats = pstats.Stats(profiler)
    stats.calc_callees()
    callees = stats.all_callees
    roots = [key for key in stats.stats if _matches(key, wanted)]
    seen, total, stack = set(), 0.0, list(roots)
    while stack:
        key = stack.pop()
        for callee, row in callees.get(key, {}).items():
            if callee in seen:
                continue
            seen.add(callee)
            if "execute' of 'psycopg2" in callee[2]:
                total += row[3]
            else:
                stack.append(callee)
    return total


def _top_project(stats, count: int) -> list[tuple[str, float]]:
    """The project's own functions with the most cumulative time (not Django's or tests')."""
    base = str(settings.BASE_DIR)
    rows = []
    for (filename, line, function), row in stats.items():
        if not filename.startswith(base) or "/.venv/" in filename or "/tests/" in filename:
            continue
        if filename.endswith(("bench_profile.py", "middleware.py")) and function == "__call__":
            continue
        rows.append((f"{filename[len(base) + 1 :]}:{line} {function}", row[3]))
    rows.sort(key=lambda item: -item[1])
    return rows[:count]


def _explain(sql: str) -> str:
    if not sql.lstrip().upper().startswith("SELECT") or connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING ON) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    if len(lines) > PLAN_LINES:  # the top of the plan, where the time is, and its totals
        lines = [*lines[: PLAN_LINES - 3], "…", *lines[-2:]]
    return "\n".join(lines)


def profiles_section(profiles: list[PageProfile], *, heading: str) -> str:
    """The markdown table of where each page's time goes, and each slowest query's plan."""
    rows = "\n".join(
        f"| {p.name} | {p.ms:.1f} | {p.queries} | {p.sql_ms:.1f} | {p.template_ms:.1f} | "
        f"{p.view_ms:.1f} | {p.around_ms:.1f} | "
        + "<br>".join(f"`{name}` {ms:.1f}" for name, ms in p.top[:3])
        + " |"
        for p in profiles
    )
    plans = "\n\n".join(
        f"<details><summary>{p.name}: slowest query</summary>\n\n```\n{p.slowest_sql[:600]}\n\n"
        f"{p.slowest_plan}\n```\n</details>"
        for p in profiles
        if p.slowest_plan
    )
    return f"""## {heading}

In process (Django's test client, DEBUG off, every request asking for a new drawing), on the
same data; the session is read from the database here, from Redis under gunicorn. "ms" is the mean wall time of a request; the split comes from
cProfile's share of a profiled batch, scaled back to the unprofiled time. SQL is the
driver's own time; template is drawing, less the SQL its loops set off; view is the view's
Python; around is the middleware, session, user and MFA look-ups and URL resolving.

| page | ms | queries | SQL ms | template ms | view ms | around ms | costliest project code (cumulative ms) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |
{rows}

{plans}
"""
