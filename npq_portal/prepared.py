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

`fixed_rows` and `fixed_objects` do the same for a query written with the ORM whose SQL never
changes but for the ids it is given: Django composes a query's SQL afresh each time it is run,
about 0.3 ms for a small one, so it is composed once on each of Django's connections (one a
thread), with stand-ins for the ids (or texts, or moments), and run prepared with the values of
the moment, a page of its rows by a LIMIT and OFFSET that are parameters too; its rows are
turned into Python values, or model instances, as the ORM turns them. What that takes is found
once with the SQL too (the fields' converters, where each model's columns are), and an
instance is made without Model.__init__, in about a quarter of its time. The person every
signed-in request loads (`User.objects.get(pk=…)`, npq_portal.models.UserManager) is read so.

PostgreSQL plans a prepared statement's first five runs for their values, then keeps one
generic plan if it costs about what those did; if not, it plans every run for its values
again. A few fixed queries whose planning costs more than running them never settle so (a Work
Group's sign-ups: 0.2 ms of planning for 0.1 ms of running, every time), though their generic
plan runs as fast: `planned_generically` marks such a query, and it is then always run with the
generic plan (`plan_cache_mode`, set for that statement alone). Mark only a query whose generic
plan was measured as fast as its values' plans, at ten years' data too: for some it is many
times slower (the hub's area), or reads a whole table as it grows. A generic plan knows nothing
of its parameters' values, so it cannot use an index whose condition compares a column with
one: only the arguments are parameters, and a fixed query's own values (a status it filters
on, a flag) are written into its statement on PostgreSQL, as they are into every query Django's
driver sends (the teacher's next sessions then use the index of scheduled sessions).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
from collections.abc import Callable, Sequence

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.query import get_related_populators
from django.db.models.signals import post_init, pre_init

PLACEHOLDER = re.compile(r"%%|%s")
# On Django's connection: (the driver's connection, the statements prepared on it).
PREPARED_ON = "_npq_prepared"
# On Django's connection: each fixed query's compiler, SQL and parameters (each an argument's
# place or a value of its own), by the function that makes it and its arguments' kinds.
COMPILED_ON = "_npq_compiled"
# Set for one statement: outside a transaction, the statements sent together are one.
GENERIC_PLAN = "SET LOCAL plan_cache_mode = force_generic_plan; "
GENERIC_MARK = "npq_generic_plan"


def planned_generically(query: Callable[..., QuerySet]) -> Callable[..., QuerySet]:
    """Mark a fixed query's function: its statement is run with its generic plan, never
    planned again for the values of the moment (see the module's docstring)."""
    setattr(query, GENERIC_MARK, True)
    return query


def prepared_execute(cursor, sql: str, params: Sequence = (), *, generic: bool = False) -> None:
    """Run `sql` (`%s` for each parameter, `%%` for a percent sign) with `params` on this
    Django cursor, prepared once a connection on PostgreSQL; with `generic`, by its generic
    plan (outside a transaction: inside one, the setting would outlast the statement)."""
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
    prefix = GENERIC_PLAN if generic and not database.in_atomic_block else ""
    if params:
        placeholders = ", ".join(["%s"] * len(params))
        cursor.execute(f"{prefix}EXECUTE {name}({placeholders})", list(params))
    else:
        cursor.execute(f"{prefix}EXECUTE {name}")


Argument = int | str | datetime.datetime | datetime.date


def fixed_rows(
    query: Callable[..., QuerySet],
    *args: Argument,
    using: str = DEFAULT_DB_ALIAS,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple]:
    """The rows of the `values_list()` queryset `query(*args)` makes, as the queryset gives
    them, through SQL composed once a connection and prepared (see the module's docstring).

    `query` is a function of the module (it keys the SQL kept); its SQL must not depend on
    when it is made, and each of `args`, whole numbers, texts, days or moments with a time
    zone, must reach the SQL as a parameter of its own (an id compared, a status, a day). Given a
    `limit`, only those rows from `offset` (the queryset itself is not sliced: LIMIT and
    OFFSET are parameters too, so every page runs the one statement)."""
    compiler, rows = _fixed_run(query, args, using, _page(limit, offset))
    return [tuple(row) for row in rows]


def fixed_objects(
    query: Callable[..., QuerySet],
    *args: Argument,
    using: str = DEFAULT_DB_ALIAS,
    limit: int | None = None,
    offset: int = 0,
) -> list[Model]:
    """The model instances the queryset `query(*args)` makes, with what it selects related and
    its annotations, as fixed_rows reads rows (no prefetching)."""
    compiler, rows = _fixed_run(query, args, using, _page(limit, offset))
    model, start, end, names, plain, related = _instances_plan(compiler, using)
    annotations = compiler.annotation_col_map.items()
    found = []
    for row in rows:
        instance = _instance(model, using, names, row[start:end], plain)
        for populator in related:
            _populate(populator, row, instance)
        for name, position in annotations:
            setattr(instance, name, row[position])
        found.append(instance)
    return found


@functools.cache
def fixed_query_of(make: Callable[..., QuerySet], shape: tuple) -> Callable[..., QuerySet]:
    """The fixed query `make(shape, *args)`, as a function of its arguments alone: one function
    a shape (a list's filters in use, say), since the function keys the SQL kept. `shape`
    decides what the query filters on; the arguments are the values it compares."""

    def query(*args):
        return make(shape, *args)

    query.__name__ = query.__qualname__ = make.__name__
    if getattr(make, GENERIC_MARK, False):  # `make` marked planned_generically: each shape's too
        planned_generically(query)
    return query


def fixed_count(
    query: Callable[..., QuerySet], *args: Argument, up_to: int, using: str = DEFAULT_DB_ALIAS
) -> int:
    """How many rows the queryset `query(*args)` holds, counting no further than `up_to` (a
    parameter): `SELECT COUNT(*)` of its SQL, its order left out, as fixed_rows reads rows."""
    if type(up_to) is not int or up_to < 0:
        raise ValueError("A fixed count counts up to a whole number, 0 or more.")
    _, rows = _fixed_run(query, args, using, (up_to, 0), counted=True)
    return rows[0][0]


def instances_from_rows(model: type[Model], rows, *, using: str = DEFAULT_DB_ALIAS) -> list[Model]:
    """Instances of `model` from rows of all its concrete fields' columns, in the model's
    order, as `model.from_db` makes them (made plainly where it may: `_instance`). For a
    hand-written query of fields whose values need no converting on its database."""
    names = [field.attname for field in model._meta.concrete_fields]
    plain = _plain_row(model, names)
    return [_instance(model, using, names, row, plain) for row in rows]


def _instances_plan(compiler, using: str) -> tuple:
    """Where each model's columns are in a fixed query's rows, worked out once with its SQL:
    the model, its columns' span and names, whether its instances may be made plainly
    (_plain_row), and the populators of what it selects related (each marked likewise)."""
    plan = getattr(compiler, "_npq_instances", None)
    if plan is None:
        select, klass_info = compiler.select, compiler.klass_info
        model, fields = klass_info["model"], klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        related = get_related_populators(klass_info, select, using)
        _mark_plain(related)
        plain = _plain_row(model, names)
        plan = compiler._npq_instances = (model, start, end, names, plain, related)
    return plan


def _mark_plain(populators) -> None:
    for populator in populators:
        populator.npq_plain = _plain_row(populator.model_cls, populator.init_list)
        _mark_plain(populator.related_populators)


def _plain_row(model: type[Model], names) -> bool:
    """Whether an instance of `model` may be made from a row of these columns without
    Model.__init__: each a field's column (those left out are deferred, read when asked for,
    as the ORM leaves them), and no __init__ of the model's own to run."""
    return model.__init__ is Model.__init__ and set(names) <= {
        field.attname for field in model._meta.concrete_fields
    }


def _instance(model: type[Model], using: str, names: list[str], values, plain: bool) -> Model:
    """model.from_db(using, names, values), made in a quarter of the time when the row is a
    `plain` one (_plain_row) and nothing listens for models being made (pre_init, post_init):
    each value set in the instance's __dict__, as Model.__init__ leaves it for a new instance
    (a foreign key's id too: its descriptor only clears a related object cached, and a new
    instance has none; a field not selected is left out, deferred, as __init__ leaves it)."""
    if not plain or pre_init.receivers or post_init.receivers:
        return model.from_db(using, names, values)
    instance = model.__new__(model)
    state = instance._state = ModelState()
    state.adding, state.db = False, using
    instance.__dict__.update(zip(names, values, strict=True))
    return instance


def _populate(populator, row, from_instance) -> None:
    """A select_related populator's populate() (django.db.models.query.RelatedPopulator),
    making its instances through _instance, less its back reference.

    Across a one-to-one relation Django caches each side on the other (a place's kept days
    on the place, and the place on its kept days): two objects referring to each other, a
    cycle that reference counting cannot free, so every row's objects (and all they reach)
    waited for the cycle collector, whose runs came a few pages apart (0.25-0.45 ms a request
    on the DfE and milestone pages that left them). Only the way the query went is cached
    here: the place knows its kept days; the kept days, asked for their place, read it."""
    if populator.reorder_for_init:
        values = populator.reorder_for_init(row)
    else:
        values = row[populator.cols_start : populator.cols_end]
    if values[populator.pk_idx] is None:
        instance = None
    else:
        instance = _instance(
            populator.model_cls, populator.db, populator.init_list, values, populator.npq_plain
        )
        for nested in populator.related_populators:
            _populate(nested, row, instance)
    populator.local_setter(from_instance, instance)


# Stand-ins for a fixed query's arguments while its SQL is composed, found again among the
# parameters. It is composed twice, with two sets of them (`variant` 0 and 1), and each
# parameter must be a stand-in in both, for the same argument, or the same constant in both:
# a constant equal to a stand-in, or an argument the query changes on its way (a text made a
# pattern), cannot be mistaken for the other. Whole numbers small enough for any integer column
# (Django finds nothing for a number outside a column's range, and says so while composing),
# texts no one types, and days and moments a century or more before the portal.
_STAND_INS = (32_700, 32_500)
_TEXT_STAND_IN = "\x00npq-stand-in-{}-{}\x00"
_MOMENT_STAND_IN = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
_DAY_STAND_IN = datetime.date(1800, 1, 1)


def _page(limit: int | None, offset: int) -> tuple[int, int] | None:
    if limit is None:
        return None
    if type(limit) is not int or type(offset) is not int or limit < 0 or offset < 0:
        raise ValueError("A fixed query's limit and offset are whole numbers, 0 or more.")
    return limit, offset


def _fixed_run(
    query, args: tuple, using: str, page: tuple[int, int] | None = None, *, counted: bool = False
):
    """The query's kept compiler, and its rows for `args` as the ORM turns them into Python
    values: columns added for ordering dropped, the fields' converters applied (found once, with
    the SQL: for a wide select, finding them cost more than applying them)."""
    if getattr(query, "__name__", "<lambda>") == "<lambda>":
        raise ValueError("A fixed query is made by a named function: it keys the SQL kept.")
    kinds = tuple(_kind(arg) for arg in args)
    database = connections[using]
    compiled = database.__dict__.setdefault(COMPILED_ON, {})
    key = (query, kinds, page is not None, counted)
    if key not in compiled:
        compiled[key] = _compile(query, kinds, using, paged=page is not None, counted=counted)
    compiler, sql, slots, converters, ranges = compiled[key]
    if any(not low <= args[n] <= high for n, (low, high) in ranges.items()):
        # A number no row's column can hold: nothing found, as Django finds nothing (and the
        # database, sent it, would refuse it).
        return compiler, [(0,)] if counted else []
    args = [_adapted(database, arg, kind) for arg, kind in zip(args, kinds, strict=True)]
    if counted:
        args.append(page[0])
    elif page is not None:
        args += page
    params = [args[slot] if slot is not None else value for slot, value in slots]
    with database.cursor() as cursor:
        prepared_execute(cursor, sql, params, generic=getattr(query, GENERIC_MARK, False))
        rows = cursor.fetchall()
    if counted:
        return compiler, rows
    if compiler.has_extra_select:
        rows = [row[: compiler.col_count] for row in rows]
    if converters:
        rows = compiler.apply_converters(rows, converters)
    return compiler, rows


def _kind(arg) -> type:
    """int, str, datetime or date: what a fixed query's argument may be (a moment with its
    time zone, or a day)."""
    if type(arg) in (int, str, datetime.date):
        return type(arg)
    if isinstance(arg, datetime.datetime) and arg.tzinfo is not None:
        return datetime.datetime
    raise TypeError(
        "A fixed query's arguments are whole numbers, texts, days or moments with a time zone."
    )


def _adapted(database, arg, kind: type):
    """An argument as the ORM sends its kind to this database (moments and days are text on
    SQLite)."""
    if kind is datetime.datetime:
        return database.ops.adapt_datetimefield_value(arg)
    if kind is datetime.date:
        return database.ops.adapt_datefield_value(arg)
    return arg


def _stand_in(n: int, kind: type, variant: int):
    if kind is int:
        return _STAND_INS[variant] - n
    if kind is str:
        return _TEXT_STAND_IN.format(variant, n)
    if kind is datetime.date:
        return _DAY_STAND_IN + datetime.timedelta(days=1000 * variant + n)
    return _MOMENT_STAND_IN + datetime.timedelta(days=variant, microseconds=n)


def _compile(
    query, kinds: tuple[type, ...], using: str, *, paged: bool = False, counted: bool = False
):
    paged = paged or counted
    compiler, sql, params, places = _composed(query, kinds, using, 0, paged, counted)
    _, again, params_again, places_again = _composed(query, kinds, using, 1, paged, counted)
    slots = []
    for value, value_again in zip(params, params_again, strict=True):
        place = places.get((type(value), value))
        if place is not None and places_again.get((type(value_again), value_again)) == place:
            slots.append((place, None))
        elif place is None and value_again == value and (type(value), value) not in places_again:
            slots.append((None, value))
        else:
            slots = None
            break
    count = len(kinds)
    if (
        sql != again
        or slots is None
        or sorted({slot for slot, _ in slots if slot is not None}) != list(range(count))
    ):
        raise ValueError(
            f"{query.__name__}: each argument must reach the SQL as a parameter of its own."
        )
    sql, slots = constants_written(sql, slots, using)
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(fields):
        raise ValueError(f"{query.__name__}: a fixed query selects no composite key.")
    converters = compiler.get_converters(fields)
    if counted:  # how many, up to a parameter more
        sql = f"SELECT COUNT(*) FROM ({sql} LIMIT %s) counted"
        slots.append((count, None))
        converters = {}
    elif paged:  # the page's rows, by two parameters more: the same statement for every page
        sql += " LIMIT %s OFFSET %s"
        slots += [(count, None), (count + 1, None)]
    return compiler, sql, slots, converters, _ranges(query, kinds, using)


def constants_written(sql: str, slots: list, using: str) -> tuple[str, list]:
    """On PostgreSQL, the query's own values (a status it filters on, a flag) written into its
    SQL as Django's driver writes every value, leaving only the arguments as parameters: a
    prepared statement's generic plan then knows them, as a plan made for the values of the
    moment does, and can use an index whose condition names one (the index of scheduled
    sessions). Elsewhere nothing is prepared: the SQL is left as it is.

    `slots` has one (argument's position, None) or (None, value) a `%s` of `sql`, in order; what
    is returned has one a `%s` left (the arguments', and elsewhere the values' too)."""
    database = connections[using]
    if database.vendor != "postgresql" or all(slot is not None for slot, _ in slots):
        return sql, slots
    constants = iter(slots)
    kept = []

    def written(match: re.Match) -> str:
        if match.group() == "%%":
            return "%%"
        slot, value = next(constants)
        if slot is not None:
            kept.append((slot, None))
            return "%s"
        return database.ops.compose_sql("%s", [value]).replace("%", "%%")

    return PLACEHOLDER.sub(written, sql), kept


# The whole numbers an integer column may hold, widest first: a number outside its column's
# range is one no row holds, and Django, composing a query with it, finds nothing.
_INTEGER_RANGES = ((-(2**63), 2**63 - 1), (-(2**31), 2**31 - 1), (-(2**15), 2**15 - 1))


def _ranges(query, kinds: tuple[type, ...], using: str) -> dict[int, tuple[int, int]]:
    """For each whole-number argument, the range of the column it is compared with, found once
    by composing the query with it at each range's ends: outside it, the query finds nothing,
    as Django's would."""
    ranges = {}
    for n, kind in enumerate(kinds):
        if kind is not int:
            continue

        def accepted(value, n=n) -> bool:
            args = [_stand_in(m, k, 0) for m, k in enumerate(kinds)]
            args[n] = value
            try:
                query(*args).query.get_compiler(using).as_sql()
            except EmptyResultSet:
                return False
            return True

        low, high = next(
            (bounds for bounds in _INTEGER_RANGES if accepted(bounds[1])), _INTEGER_RANGES[-1]
        )
        ranges[n] = (low if accepted(low) else 0, high)  # 0 up: a column of positive numbers
    return ranges


def _composed(query, kinds: tuple[type, ...], using: str, variant: int, paged: bool, counted: bool):
    """The query composed with one set of stand-ins (its order left out, to be `counted`):
    its compiler, SQL and parameters, and where each stand-in is, as it reaches the
    parameters (a moment as the database takes it, SQLite's as text), keyed with its type so
    that no other value equal to it is taken."""
    stand_ins = [_stand_in(n, kind, variant) for n, kind in enumerate(kinds)]
    queryset = query(*stand_ins)
    if counted:
        queryset = queryset.order_by()
    if queryset._prefetch_related_lookups:
        raise ValueError("A fixed query prefetches nothing: prefetch from its results.")
    if paged and queryset.query.is_sliced:
        raise ValueError(f"{query.__name__}: a paged fixed query is not sliced itself.")
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    database = connections[using]
    places = {}
    for n, (stand_in, kind) in enumerate(zip(stand_ins, kinds, strict=True)):
        stand_in = _adapted(database, stand_in, kind)
        places[(type(stand_in), stand_in)] = n
    return compiler, sql, params, places


@functools.cache
def _statement(sql: str) -> tuple[str, str]:
    """The statement's name, and its SQL with PostgreSQL's numbered parameters ($1, $2, …)."""
    numbers = iter(range(1, 1_000_000))
    text = PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)
    return f"npq_{hashlib.sha256(sql.encode()).hexdigest()[:20]}", text
