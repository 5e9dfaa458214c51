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
- A search of a large table across joined tables ("the applicant's name or the school's") is,
  written plainly, one OR over the join, which no single table's index can serve: the database
  joins every row first. So a `TextSearch` first finds, through each joined table's own
  indexes, the rows there that match (the people, the schools), once for the request, and
  asks for the rows whose key is one of them: `applicant_id = ANY('{…}') OR school_id =
  ANY('{…}')`, one parameter however many keys. Knowing the keys, PostgreSQL chooses well both
  ways: for a few, it reads them through the keys' B-tree indexes; for many, it reads the list
  in its order and checks each row against a hash of them, so a page of common matches turns
  up soonest. A table reached through another (an application's history through the
  application's applicant) is found a table at a time, each with the keys found before it.
  (Replacing the union of each table's matches this module once wrote: its rows were all found
  and merged before a count or a page could stop, and PostgreSQL, not knowing how many there
  were, read the large table whole to join them.)
- A joined table in which the text matches more than `IDS_HELD` rows (an address's domain, a
  word in most schools' names) is matched over the join instead, as text without a trigram
  is: so common a match is found soonest by checking rows as the list is read. Text without a
  trigram keeps the OR over the join too: each table is read once either way. So does a small
  table (most of the audit log's histories), read whole anyway, except where the search has
  found the joined table's keys already (the people, for the audit log's application history).
- A list ordered by a column it is searched on (people, by surname) would be read in that
  order through its B-tree until a page of matches turned up, which for a surname late in the
  alphabet is most of the table: `search_order` gives the same order in a form no B-tree
  serves, so the matches are found through their trigram indexes and then sorted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Lookup, Q, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan

# pg_trgm takes trigrams from runs of letters and digits; three in a row always give one.
_TRIGRAM = re.compile(r"[^\W_]{3}")

# The most keys of a joined table's matching rows a search asks for by key (see the module's
# docstring). Ten thousand keys cost PostgreSQL about 4 ms to plan; a word matching more rows
# than that in a table (a tenth of a full-scale hub's people) is common there.
IDS_HELD = 10_000


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
    as OR-ing `<field>__icontains` over them (see TextSearch.q, which asks the database for
    the matching rows of each joined table when it is called)."""
    return TextSearch(text).q(model, fields)


class TextSearch:
    """What was typed in one staff search, with the keys of the rows it matches in each joined
    table, found once and reused by every condition joining that table (the audit log's
    histories nearly all name people). Made afresh for each request: the keys are what the
    tables held when they were found."""

    def __init__(self, text: str, *, using: str = DEFAULT_DB_ALIAS):
        self.text = text
        self.using = using
        self._keys: dict[tuple, _Keys | None] = {}

    def q(self, model: type[models.Model], fields: Iterable[str], *, large: bool = False) -> Q:
        """Rows of `model` in which any of `fields` contains the text, ignoring case: the same
        rows as OR-ing `<field>__icontains` over them. A field may follow foreign keys
        ("applicant__email").

        For a `large` table (the review queue's applications, the audit log's application
        history), read through indexes rather than whole: for text with a trigram, the keys of
        the joined tables' matching rows are found first (a query for each table, see `keys`)
        and the condition asks for them by key. For any other table, a joined table's keys are
        used where this search has found them already; otherwise its rows are checked as the
        table is read, over the join."""
        return self._condition(model, list(fields), by_key=large)

    def keys(self, model: type[models.Model], fields: Iterable[str]) -> _Keys | None:
        """The primary keys of `model`'s rows in which any of `fields` contains the text (one
        query, the first time they are asked for), or None when there are more than IDS_HELD
        (the text is common there)."""
        key = (model, frozenset(fields))
        if key not in self._keys:
            matching = self._condition(model, list(fields), by_key=True)
            rows = model._base_manager.db_manager(self.using).order_by().filter(matching)
            found = _Keys(rows.values_list("pk", flat=True)[: IDS_HELD + 1])
            self._keys[key] = found if len(found) <= IDS_HELD else None
        return self._keys[key]

    def _condition(self, model: type[models.Model], fields: list[str], *, by_key: bool) -> Q:
        if not has_trigram(self.text):
            return _any_contains(fields, self.text)
        parts = []
        for relation, names in _by_first_hop(fields).items():
            if not relation:  # the table's own fields, through their trigram indexes
                parts.append(_any_contains(names, self.text))
                continue
            related = _related_model(model, relation)
            if by_key:
                found = self.keys(related, names)
            else:  # found already for another condition, or checked over the join
                found = self._keys.get((related, frozenset(names)))
            if found is None:  # not looked for, or common there: checked row by row
                parts.append(_any_contains([f"{relation}__{name}" for name in names], self.text))
            elif found:
                parts.append(self._one_of(relation, found))
        if not parts:
            return Q(pk__in=[])  # nothing matches: Django asks the database nothing
        q = parts[0]
        for part in parts[1:]:
            q |= part
        return q

    def _one_of(self, relation: str, keys: _Keys) -> Q:
        if connections[self.using].vendor == "postgresql":
            return Q(_AnyOf(F(relation), keys))
        return Q(**{f"{relation}__in": keys})


class _Keys(list):
    """Primary keys found by a search, with their text as a PostgreSQL array ("{1,2,3}"), made
    once however many conditions send them."""

    @functools.cached_property
    def array(self) -> str | list:
        if all(type(key) is int for key in self):
            return "{" + ",".join(map(str, self)) + "}"
        return list(self)  # the driver sends other keys as an ARRAY[…]


class _AnyOf(Lookup):
    """`column = ANY('{1,2,3}'::bigint[])`: a foreign key that is one of a list of keys, sent
    as one array (PostgreSQL), which the planner reads as it plans. Whole-number keys are sent
    as the array's text, which PostgreSQL reads four times faster than an ARRAY[1, 2, 3] of
    ten thousand."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        array_type = self.lhs.output_field.db_type(connection)
        return f"{lhs} = ANY(%s::{array_type}[])", (*params, self.rhs.array)


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


def _by_first_hop(fields: Iterable[str]) -> dict[str, list[str]]:
    """`fields` grouped by the first foreign key they follow ("" for the model's own), with
    the rest of their path: {"application": ["applicant__email", "cohort__name"], …}."""
    hops: dict[str, list[str]] = {}
    for path in fields:
        relation, _, rest = path.partition("__")
        if rest:
            hops.setdefault(relation, []).append(rest)
        else:
            hops.setdefault("", []).append(relation)
    return hops


def _related_model(model: type[models.Model], relation: str) -> type[models.Model]:
    """The model a foreign key held on this side (`relation`) points to."""
    field = model._meta.get_field(relation)
    if not (field.many_to_one or field.one_to_one) or not field.concrete:
        raise ValueError(f"{model.__name__}.{relation} is not a foreign key this side holds.")
    return field.related_model
