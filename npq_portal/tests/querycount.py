"""A page's query count must not grow with the rows it lists (issue 10).

    def test_the_review_queue(client):
        sign_in(client, StaffUserFactory())
        cohort = CohortFactory()

        def add_applications(count):
            bulk(ApplicationFactory, count, cohort=cohort, applicant=factory.Iterator(...))

        assert_queries_do_not_grow(client, "/staff/applications/", add_applications)

`add_rows(count)` adds `count` more of whatever the page lists; the helper calls it to reach
10 rows, counts the queries of one request, calls it again to reach 1,000 and counts again.
`bulk` (npq_portal/tests/factories.py) builds rows with a factory and saves them in one
INSERT: 1,000 rows through factories one by one would take most of a minute.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

logger = logging.getLogger(__name__)

SMALL, LARGE = 10, 1000


def session_reads() -> int:
    """The database queries a signed-in request makes to read its session: one, or none where
    sessions are read from the cache (with Redis, as in production and CI's PostgreSQL run).
    A test counting a whole request adds this, so it holds on either."""
    from django.conf import settings

    return 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


def statement_of(sql: str) -> str:
    """The SQL a captured query ran: a prepared statement's own text for an EXECUTE of one
    (npq_portal.prepared, on PostgreSQL), the query as it is otherwise."""
    found = re.search(r"EXECUTE (npq_[0-9a-f]+)", sql)
    if found is None:
        return sql
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE name = %s", [found.group(1)]
        )
        return cursor.fetchone()[0]


def assert_queries_do_not_grow(
    client,
    url: str,
    add_rows: Callable[[int], object],
    *,
    page: str = "",
    sizes: tuple[int, int] = (SMALL, LARGE),
    status: int = 200,
    before_each: Callable[[], object] | None = None,
) -> tuple[int, int]:
    """Fail, naming the page, both counts and the statements that repeat, when a request for
    `url` makes a different number of queries with `sizes[1]` rows than with `sizes[0]`.
    `before_each`, when given, runs just before each measured request, so that both find what
    the page keeps alike (read afresh, or kept). Returns both counts."""
    page = page or url
    small, large = sizes
    add_rows(small)
    _request(client, url, page=page, status=status)  # per-process caches fill on the first
    if before_each is not None:
        before_each()
    small_queries, small_text = _measure(client, url, page=page, status=status)
    add_rows(large - small)
    if before_each is not None:
        before_each()
    large_queries, large_text = _measure(client, url, page=page, status=status)

    if small_text == large_text:
        pytest.fail(
            f"{page}: the page is the same with {small} and {large} rows, so the rows added are "
            "not the ones it lists and this test proves nothing.",
            pytrace=False,
        )
    if len(large_queries) != len(small_queries):
        pytest.fail(
            f"{page}: {len(small_queries)} queries with {small} rows but {len(large_queries)} "
            f"with {large}; its query count must not grow with its rows.\n"
            + _repeated(small_queries, large_queries),
            pytrace=False,
        )
    logger.info("%s: %d queries at %d and at %d rows", page, len(large_queries), small, large)
    return len(small_queries), len(large_queries)


def _request(client, url: str, *, page: str, status: int):
    # The cache is emptied first, so a page that keeps its figures there works them out.
    cache.clear()
    response = client.get(url)
    if response.status_code != status:
        pytest.fail(f"{page} answered {response.status_code}, not {status}", pytrace=False)
    return response


def _measure(client, url: str, *, page: str, status: int) -> tuple[list[str], str]:
    """The SQL of one request for the page, and what it showed."""
    with CaptureQueriesContext(connection) as captured:
        response = _request(client, url, page=page, status=status)
    return [query["sql"] for query in captured.captured_queries], _text(response)


def _text(response) -> str:
    """The body without what differs between two identical requests (CSRF tokens)."""
    body = b"".join(response) if response.streaming else response.content
    return re.sub(r'(csrfmiddlewaretoken" value=")[^"]*', r"\1", body.decode(errors="replace"))


def _shape(sql: str) -> str:
    """A statement with its values taken out, so the same query for another row matches."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    return re.sub(r"\(\?(, \?)*\)", "(?…)", sql)


def _repeated(small: list[str], large: list[str]) -> str:
    """The statements made more often with more rows, most repeated first, with an example."""
    before, after = Counter(map(_shape, small)), Counter(map(_shape, large))
    example = {}
    for sql in large:
        example.setdefault(_shape(sql), sql)
    grew = sorted(
        ((after[shape] - before[shape], shape) for shape in after if after[shape] > before[shape]),
        reverse=True,
    )
    if not grew:
        return "No one statement repeats more; the queries differ in kind:\n" + "\n".join(
            f"  {shape}" for shape in sorted(set(after) ^ set(before))
        )
    lines = ["Made more often with more rows:"]
    for extra, shape in grew[:5]:
        lines.append(f"  {before[shape]} → {after[shape]} times (+{extra}): {example[shape]}")
    return "\n".join(lines)
