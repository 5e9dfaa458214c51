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
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence

PLACEHOLDER = re.compile(r"%%|%s")
# On Django's connection: (the driver's connection, the statements prepared on it).
PREPARED_ON = "_npq_prepared"


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


@functools.cache
def _statement(sql: str) -> tuple[str, str]:
    """The statement's name, and its SQL with PostgreSQL's numbered parameters ($1, $2, …)."""
    numbers = iter(range(1, 1_000_000))
    text = PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)
    return f"npq_{hashlib.sha256(sql.encode()).hexdigest()[:20]}", text
