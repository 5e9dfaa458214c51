"""Version counters that kept figures are labelled with: a figure kept at an older version
than the current one is worked out again.

A counter is not a row that writers update: the writers that move one on (a decision on an
application, say) go on to lock other rows, and a row every one of them updated would let two
of them deadlock. On PostgreSQL it is a sequence, moved on without a lock; on SQLite, which
writes one transaction at a time, a one-row table. A writer moves it on twice: at once, so that
its own transaction (a test's, say) sees the change, and again once it commits, since a reader
that read the version between the two and worked its figures out before the commit kept them
without the change. Readers read the version before working anything out, so a change
committed meanwhile leaves them a version already out of date. Were a process to stop between
a commit and the second move, a day in the kept figures' label bounds how long they could be
wrong: every reader labels what it keeps with the day too.

A counter is made by a migration (`version_counter_operation`) and named after its table. A
reader reads the version with what it kept (`version_and_kept`) and, when nothing was kept at
it, works its figures out and keeps them, labelled with that version (`kept_write`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db import IntegrityError, migrations, transaction
from django.db import connection as db_connection
from django.db.models import Model

from .prepared import prepared_execute


def version_move_on(name: str) -> None:
    """What the figures labelled with counter `name` are worked out from changed: move it on,
    now and again once the caller's transaction commits (see the module's docstring)."""
    _move_on(name)
    if db_connection.in_atomic_block:
        transaction.on_commit(lambda: _move_on(name), robust=True)


def version_sql(name: str) -> str:
    """A SELECT of counter `name`'s current value as `version`, always one row (1 before
    anything moved it on), for a reader to read it within a statement of its own."""
    if db_connection.vendor == "postgresql":
        # A new sequence's first nextval() gives its last_value again (1): is_called tells
        # the two apart, so that the first move on is one too.
        return f"SELECT last_value + is_called::integer AS version FROM {name}"
    return f"SELECT COALESCE((SELECT version FROM {name} WHERE id = 1), 1) AS version"


def version_and_kept(
    name: str, table: str, columns: Sequence[str], match: dict[str, object]
) -> tuple[int, tuple | None]:
    """Counter `name`'s value, and `columns` of the row of `table` kept at that version (its
    `version` column) that `match` names (column: value), None when there is none: one
    statement, prepared once a connection, so a page whose figures are kept asks once. The
    version is read before anything would be worked out afresh, as it must be."""
    conditions = "".join(f" AND k.{column} = %s" for column in match)
    sql = (
        f"SELECT v.version, {', '.join(f'k.{column}' for column in columns)} "
        f"FROM ({version_sql(name)}) v "
        f"LEFT JOIN {table} k ON k.version = v.version{conditions}"
    )
    with db_connection.cursor() as cursor:
        prepared_execute(cursor, sql, list(match.values()))
        version, *kept = cursor.fetchone()
    return version, None if kept[0] is None else tuple(kept)


def kept_digest(*parts) -> str:
    """What kept figures are kept for or labelled with, as a short key: a digest of `parts`
    (values whose repr says all they are: numbers, texts, days, tuples of them)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def kept_write(kept: Model, unique_fields: list[str], update_fields: list[str]) -> None:
    """Write the figures `kept` (an unsaved row) in place of the row kept before for the same
    `unique_fields`, in one statement. A row they belong to deleted meanwhile (a foreign key
    gone) leaves nothing kept: the next reader works them out again."""
    try:
        with transaction.atomic():
            type(kept).objects.bulk_create(
                [kept],
                update_conflicts=True,
                unique_fields=unique_fields,
                update_fields=update_fields,
            )
    except IntegrityError:
        pass


def kept_write_for_day(kept: Model, unique_fields: list[str], update_fields: list[str]) -> None:
    """kept_write for figures labelled with a day (`kept.day`, today's): the rows of that
    model kept on earlier days, of no more use, are deleted first."""
    type(kept).objects.filter(day__lt=kept.day).delete()
    kept_write(kept, unique_fields, update_fields)


def _move_on(name: str) -> None:
    with db_connection.cursor() as cursor:
        if db_connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s)", [name])
        else:
            cursor.execute(
                f"INSERT INTO {name} (id, version) VALUES (1, 2) "
                f"ON CONFLICT (id) DO UPDATE SET version = version + 1"
            )


def version_counter_operation(name: str) -> migrations.RunPython:
    """The migration operation that makes counter `name` (and, reversed, drops it)."""

    def make(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE SEQUENCE {name}")
        else:
            schema_editor.execute(
                f"CREATE TABLE {name} (id integer PRIMARY KEY, version integer NOT NULL)"
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP SEQUENCE {name}")
        else:
            schema_editor.execute(f"DROP TABLE {name}")

    return migrations.RunPython(make, drop)
