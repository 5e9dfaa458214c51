"""Queries PostgreSQL plans with their joins in the order written (issue 22).

PostgreSQL tries every order of a query's joins, up to eight tables (`join_collapse_limit`),
and picks the cheapest. For a query that lists rows of one table with what they name (Django's
`select_related`: a page of DfE applications with their portal application, its cohort, its
programme, its applicant …), the order written is the one it picks, since each row is
reached from the listed table's row by its key; but searching the others cost 2-4 ms a query
on the benchmark's data, longer than running it.

`joins_in_written_order()` sends `SET LOCAL join_collapse_limit = 1` in front of each
statement run inside it. PostgreSQL runs a string of statements sent at once in one implicit
transaction, so the setting lasts for that statement only. Inside a transaction (a service's,
a test's) it would last until the transaction ends and reach statements it was not meant for,
so there, and on SQLite, the statements are sent as they are.

Use it only around a query whose listed table comes first and whose other tables are reached
from it by key, and compare its plan first: a query that must start from a joined table (a
school's people, found through their school) can run a hundred times slower in this order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, connections

WRITTEN_ORDER = "SET LOCAL join_collapse_limit = 1; "


@contextlib.contextmanager
def joins_in_written_order(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within the block, each query on `using` is planned with its joins in the order
    written (on PostgreSQL, outside a transaction; elsewhere nothing changes)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return

    def written_order(execute, sql, params, many, context):
        # A server-side cursor (iterator()) wraps its statement in a DECLARE: left as it is.
        if many or getattr(context["cursor"].cursor, "name", None):
            return execute(sql, params, many, context)
        return execute(WRITTEN_ORDER + sql, params, many, context)

    with connection.execute_wrapper(written_order):
        yield
