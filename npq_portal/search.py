"""Staff text searches written so PostgreSQL's trigram indexes serve them (issue 22).

Each search finds rows in which a field contains what was typed, ignoring case: Django's
`icontains`, which PostgreSQL runs as `UPPER(field::text) LIKE UPPER('%text%')`. The trigram
(pg_trgm) GIN indexes the migrations make (npq_portal.trigram) are on exactly those
`UPPER(field::text)` expressions, so the planner can use them. What stands in the way is
handled here:

- Text without three letters or digits in a row has no trigram to look up. PostgreSQL still
  picks the index for it and reads all of it, several times slower than reading the table, so
  such text is matched with STRPOS instead: the same rows (both sides go through UPPER, and a
  LIKE pattern Django has escaped matches exactly where the text appears), never the index.
- A search across joined tables ("the applicant's name or the school's") is one OR over the
  join, which no single table's index can serve: the database joins every row first. Written
  as the union of each table's matches (`pk IN (rows whose applicant is among the matching
  people UNION ALL rows whose school is among the matching schools)`), each part uses its own
  table's index and the whole stays the same set of rows. Text without a trigram keeps the
  OR over the join: each table is read once either way, and the union would read some twice.
- A list ordered by a column it is searched on (people, by surname) would be read in that
  order through its B-tree until a page of matches turned up, which for a surname late in the
  alphabet is most of the table: `search_order` gives the same order in a form no B-tree
  serves, so the matches are found through their trigram indexes and then sorted.

A union's parts are compiled to SQL once, when the condition is made (each table's matches
for a text once, and kept): held as querysets, Django would copy and re-alias every part each
time the condition was combined with others or compiled, which for the audit log's sixteen
histories, twice a page, took longer than the database took to run them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

# pg_trgm takes trigrams from runs of letters and digits; three in a row always give one.
_TRIGRAM = re.compile(r"[^\W_]{3}")


def has_trigram(text: str) -> bool:
    """Whether a trigram index can narrow a search for `text` (three letters or digits in a
    row); shorter text is matched by reading the table."""
    return bool(_TRIGRAM.search(text))


def contains_q(field: str, text: str, *, ignore_case: bool = True) -> Q:
    """Rows whose `field` contains `text`: `field__icontains` (or `field__contains` with
    `ignore_case` False), through the field's trigram index when the text has a trigram (see
    the module's docstring). (On SQLite, `contains` ignores the case of ASCII letters, as its
    LIKE does, for text with a trigram, and heeds it for text without.)"""
    if has_trigram(text):
        return Q(**{f"{field}__{'icontains' if ignore_case else 'contains'}": text})
    if ignore_case:
        return Q(GreaterThan(StrIndex(Upper(field), Upper(Value(text))), 0))
    return Q(GreaterThan(StrIndex(field, Value(text)), 0))


def search_q(model: type[models.Model], fields: Iterable[str], text: str) -> Q:
    """Rows of `model` in which any of `fields` contains `text`, ignoring case: the same rows
    as OR-ing `<field>__icontains` over them. A field may follow foreign keys
    ("applicant__email"); then, for text with a trigram, the condition is the union of each
    table's matches, so every table's index is used (see the module's docstring)."""
    tables = _by_table(model, fields)
    if set(tables) == {""} or not has_trigram(text):
        return _any_contains(fields, text)
    rows = model._base_manager.order_by()
    using = rows.db
    parts = []
    for relation, names in tables.items():
        if not relation:
            parts.append(rows.filter(_any_contains(names, text)).values("pk"))
            continue
        matching = _matching_sql(_related_model(model, relation), tuple(names), text, using)
        parts.append(rows.filter(**{f"{relation}__in": RawSQL(*matching)}).values("pk"))
    # UNION ALL: an IN does not mind a row found twice, and need not sort them out.
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return Q(pk__in=RawSQL(*union.query.get_compiler(using=using).as_sql()))


@functools.lru_cache(maxsize=256)
def _matching_sql(
    model: type[models.Model], fields: tuple[str, ...], text: str, using: str
) -> tuple[str, tuple]:
    """The SQL and parameters selecting the primary keys of `model`'s rows in which one of
    `fields` (its own) contains `text`: the same for the same text, so kept."""
    rows = model._base_manager.db_manager(using).order_by().filter(_any_contains(fields, text))
    sql, params = rows.values("pk").query.get_compiler(using=using).as_sql()
    return sql, tuple(params)


def search_order(fields: Sequence[str], text: str) -> list[str | OrderBy]:
    """`fields` in order_by()'s terms, for a list searched for `text`: when the text has a
    trigram, the same order but not one a B-tree index gives, so the database finds the
    matches through their trigram indexes and sorts them rather than walking the index in
    search of them. (The first field must be NOT NULL: its nulls are put where PostgreSQL's
    indexes do not put them, first going up and last going down, which then changes nothing.)
    Otherwise `fields` as they are: the table is read whole to count the matches anyway, and
    walking the index finds a page of common ones soonest."""
    if not has_trigram(text):
        return list(fields)
    first, *rest = fields
    if first.startswith("-"):
        return [F(first[1:]).desc(nulls_last=True), *map(_ordered, rest)]
    return [F(first).asc(nulls_first=True), *map(_ordered, rest)]


def _ordered(field: str) -> OrderBy:
    return F(field[1:]).desc() if field.startswith("-") else F(field).asc()


def _any_contains(fields: Iterable[str], text: str) -> Q:
    q = Q()
    for field in fields:
        q |= contains_q(field, text)
    return q


def _by_table(model: type[models.Model], fields: Iterable[str]) -> dict[str, list[str]]:
    """`fields` grouped by the foreign keys followed to their table ("" for `model`'s own):
    {"application__applicant": ["email", "first_name"], …}."""
    tables: dict[str, list[str]] = {}
    for path in fields:
        relation, _, name = path.rpartition("__")
        tables.setdefault(relation, []).append(name)
    return tables


def _related_model(model: type[models.Model], relation: str) -> type[models.Model]:
    """The model at the end of `relation`, a chain of foreign keys held on this side."""
    for name in relation.split("__"):
        field = model._meta.get_field(name)
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            raise ValueError(f"{model.__name__}.{name} is not a foreign key this side holds.")
        model = field.related_model
    return model
