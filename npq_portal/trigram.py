"""The trigram (pg_trgm) indexes that serve the staff text searches (issue 22), as migration
operations that act on PostgreSQL and do nothing on any other database (SQLite, in tests and
on a developer's machine, has no pg_trgm; its searches read the table, as they always have).

Landed migrations import this module: change it only in ways that keep them right.

Each index is a GIN index on exactly the expression the search's SQL compares, or the planner
will not use it: Django runs `field__icontains` as `UPPER("field"::text) LIKE UPPER(…)`, so
the index is on `UPPER("field"::text)` (see `upper`); `field__contains` compares the column
itself. npq_portal.search writes the searches so that these indexes serve them.
"""

from __future__ import annotations

from django.db import migrations


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL, and on any other database does nothing either way."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def trigram_extension() -> PostgreSQLOnly:
    """Create pg_trgm where it is missing. pg_trgm is a trusted extension (PostgreSQL 13 on),
    so the database's owner may create it without being a superuser. Migrating back leaves it:
    it costs nothing unused, and something else may have come to rely on it."""
    return PostgreSQLOnly(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop
    )


def upper(column: str) -> str:
    """The expression Django's `icontains` compares for `column`."""
    return f'UPPER("{column}"::text)'


def analyze(table: str) -> PostgreSQLOnly:
    """Gather `table`'s statistics, which for an index on an expression include the
    expression's: without them the planner guesses how many rows a search matches, and can
    take the index for text that matches most of them (a guess of 34 rows for 240,000 made a
    search of the email log three times slower than reading the table). Until the table's
    next ANALYZE, which autovacuum leaves to tables that change enough, there are none."""
    return PostgreSQLOnly(f'ANALYZE "{table}"', reverse_sql=migrations.RunSQL.noop)


def trigram_index(*, name: str, table: str, expression: str) -> PostgreSQLOnly:
    """A GIN trigram index `name` on `expression` (a column, or `upper(column)`) of `table`;
    migrating back drops it."""
    return PostgreSQLOnly(
        f'CREATE INDEX "{name}" ON "{table}" USING gin (({expression}) gin_trgm_ops)',
        reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
    )
