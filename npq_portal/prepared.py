"""Hand-written queries that many pages run, prepared once a PostgreSQL connection.

PostgreSQL plans a statement every time it is sent, and some of the portal's fixed queries took
longer to plan than to run: the access query every signed-in page makes (its four-way UNION,
0.3 ms of planning for 0.1 ms of running), the hub's area, the DfE banner's. A prepared
statement is planned when it is prepared (PostgreSQL may settle on one generic plan after five
runs) and lasts as long as its connection; a transaction rolled back does not undo it.

Each statement is named after a digest of its SQL, and the names prepared are kept on Django's
connection beside the driver's connection they were prepared on: when Django opens a new one
(a connection kept too long, a broken one), they are prepared again on it. Elsewhere (SQLite)
the SQL is run as it is.

`fixed_rows` does the same for a query written with the ORM whose SQL never changes (nothing
from the request in it): Django composes a query's SQL afresh each time it is run, about
0.3 ms for a small one, so it is composed once on each of Django's connections (one a thread)
and run prepared; its rows are turned into Python values as the ORM turns them.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

PLACEHOLDER = re.compile(r"%%|%s")
# On Django's connection: (the driver's connection, the statements prepared on it).
PREPARED_ON = "_npq_prepared"
# On Django's connection: each fixed query's compiler and SQL, by the function that makes it.
COMPILED_ON = "_npq_compiled"


def prepared_execute(cursor, sql: str, params: Sequence = ()) -> None:
    """Run `sql` (`%s` for each parameter, `%%` for a percent sign) with `params` on this
    Django cursor, prepared once a connection on PostgreSQL."""
    database = cursor.db
    if database.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    name, text = _statement(sql)
    raw = database.connection
    state = getattr(database, PREPARED_ON, None)
    if state is None or state[0] is not raw:
        state = (raw, set())
        setattr(database, PREPARED_ON, state)
    if name not in state[1]:
        cursor.execute(f"PREPARE {name} AS {text}")
        state[1].add(name)
    if params:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", list(params))
    else:
        cursor.execute(f"EXECUTE {name}")


def fixed_rows(query: Callable[[], QuerySet], *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """The rows of the `values_list()` queryset that `query` (a function of the module, called
    once a connection) makes, as the queryset gives them, through SQL composed once and
    prepared (see the module's docstring). Its SQL must not depend on when it is made."""
    if getattr(query, "__name__", "<lambda>") == "<lambda>":
        raise ValueError("A fixed query is made by a named function: it keys the SQL kept.")
    database = connections[using]
    compiled = database.__dict__.setdefault(COMPILED_ON, {})
    if query not in compiled:
        compiler = query().query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        compiled[query] = (compiler, sql, tuple(params))
    compiler, sql, params = compiled[query]
    with database.cursor() as cursor:
        prepared_execute(cursor, sql, params)
        rows = cursor.fetchall()
    if compiler.has_extra_select:  # columns added for ordering, dropped as the ORM drops them
        rows = [row[: compiler.col_count] for row in rows]
    return list(compiler.results_iter(results=[rows], tuple_expected=True))


@functools.cache
def _statement(sql: str) -> tuple[str, str]:
    """The statement's name, and its SQL with PostgreSQL's numbered parameters ($1, $2, …)."""
    numbers = iter(range(1, 1_000_000))
    text = PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)
    return f"npq_{hashlib.sha256(sql.encode()).hexdigest()[:20]}", text
