"""Writing the GIAS extract's schools on PostgreSQL with COPY, as gias.read_gias_chunks reads it.

The same rules as services.schools_import_rows (gias.sort_establishments decides which schools
are new and which changed, and counts them), but the schools travel as one COPY stream, made
column by column a chunk at a time while PostgreSQL takes in the previous chunk, instead of a
model instance and an INSERT parameter list per school. Everything happens in the caller's
transaction: if the quick reader gives up on a chunk (LeftToPython), it all rolls back.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import logging
import operator
from collections.abc import Callable
from itertools import compress

from django.db import connection

from .gias import ENCODING, GiasChunks, GiasColumns, GiasImportCounts, NotQuick, sort_establishments
from .models import School, normalise_name, normalise_postcode

logger = logging.getLogger(__name__)

# The School columns the import writes besides the URN (which finds the school), in the order
# the COPY stream gives them after it; services.schools_import_rows writes the same ones.
SCHOOL_FIELDS = [
    "ukprn",
    "name",
    "name_normalised",
    "la_code",
    "la_name",
    "establishment_type_code",
    "establishment_type_name",
    "status_code",
    "phase_name",
    "town",
    "postcode",
    "postcode_normalised",
    "number_of_pupils",
    "open_date",
    "close_date",
    "last_changed_date",
]
FIELDS = ["urn", *SCHOOL_FIELDS]
CHANGED = "gias_changed"  # a temporary table for the schools to update
NULL = b"\\N"

CHARACTERS = {byte: bytes([byte]).decode(ENCODING, errors="ignore") for byte in range(256)}


def _byte_table(normalise: Callable[[str], str]) -> tuple[bytes, bytes, bytes]:
    """bytes.translate() arguments doing `normalise` to each Windows-1252 character: the table,
    the bytes it deletes, and the bytes it cannot do (their result is longer, or not in
    Windows-1252)."""
    table, deleted, awkward = bytearray(range(256)), bytearray(), bytearray()
    for byte, character in CHARACTERS.items():
        if not character or byte == 0:
            continue
        result = normalise(character)
        if result == "":
            deleted.append(byte)
            continue
        try:
            encoded = result.encode(ENCODING)
        except UnicodeEncodeError:
            encoded = b""
        if len(encoded) == 1:
            table[byte] = encoded[0]
        else:
            awkward.append(byte)
    return bytes(table), bytes(deleted), bytes(awkward)


# normalise_name works a character at a time: lower-case it, drop apostrophes, anything else
# that is not a letter or digit becomes a space; runs of spaces are then closed up.
NAME_TABLE, NAME_DELETED, NAME_AWKWARD = _byte_table(lambda c: normalise_name(f"a{c}a")[1:-1])
# normalise_postcode takes out white space and upper-cases ("ß" would become "SS").
POSTCODE_TABLE, POSTCODE_DELETED, POSTCODE_AWKWARD = _byte_table(normalise_postcode)


def _normalised_names(names: list[bytes]) -> list[bytes]:
    """normalise_name of every name, worked on all the names joined into one string."""
    joined = b"\x00".join(names).translate(NAME_TABLE, NAME_DELETED)
    # Every character that is not a letter or digit is a space now: close up the runs of
    # spaces, then take out those next to the NUL between two names, and at either end.
    while b"  " in joined:
        joined = joined.replace(b"  ", b" ")
    joined = joined.replace(b" \x00", b"\x00").replace(b"\x00 ", b"\x00").strip(b" ")
    normalised = joined.split(b"\x00")
    for position in _holding(names, NAME_AWKWARD):
        normalised[position] = normalise_name(names[position].decode(ENCODING)).encode(ENCODING)
    return normalised


def _normalised_postcodes(postcodes: list[bytes]) -> list[bytes]:
    return b"\x00".join(postcodes).translate(POSTCODE_TABLE, POSTCODE_DELETED).split(b"\x00")


def _holding(values: list[bytes], characters: bytes) -> list[int]:
    """The positions of the values holding any of the characters (bytes)."""
    joined = b"\x00".join(values)
    if not any(byte in joined for byte in characters):
        return []
    return [
        position
        for position, value in enumerate(values)
        if any(byte in value for byte in characters)
    ]


def _escaped(values: list[bytes]) -> list[bytes]:
    """Text values as COPY's text format needs them: backslash and tab escaped (read_gias_columns
    leaves no line break in a value)."""
    return [value.replace(b"\\", b"\\\\").replace(b"\t", b"\\t") for value in values]


def _written(values: list[int | datetime.date | None], written: dict) -> list[bytes]:
    """Numbers and dates as COPY reads them, NULL for None, from `written` (those written
    before, which this adds to)."""
    new = set(values).difference(written)
    written.update(zip(new, map(str.encode, map(str, new)), strict=True))
    return list(map(written.__getitem__, values))


def copy_columns(
    columns: GiasColumns, chosen: list[bool], written: dict | None = None
) -> list[list[bytes]] | None:
    """Each of FIELDS for the chosen establishments, as COPY's text format writes it; None if a
    postcode would not normalise into Windows-1252 ("µ" upper-cases to a Greek letter).

    `written` holds the numbers and dates written out before, by value: the same ones come
    again and again, chunk after chunk.
    """
    written = {None: NULL} if written is None else written
    if not all(chosen):
        columns = dataclasses.replace(
            columns,
            **{
                field.name: list(compress(getattr(columns, field.name), chosen))
                for field in dataclasses.fields(columns)
                if field.type.startswith("list")
            },
        )
    if _holding(columns.postcode, POSTCODE_AWKWARD):
        return None
    text = [
        columns.ukprn,
        columns.name,
        _normalised_names(columns.name),
        columns.la_code,
        columns.la_name,
        columns.establishment_type_name,
        columns.phase_name,
        columns.town,
        columns.postcode,
        _normalised_postcodes(columns.postcode),
    ]
    if columns.tab_or_backslash:
        text = list(map(_escaped, text))
    ukprn, name, name_normalised, la_code, la_name, type_name, phase, town, postcode = text[:9]
    return [
        list(map(b"%d".__mod__, columns.urn)),
        ukprn,
        name,
        name_normalised,
        la_code,
        la_name,
        _written(columns.establishment_type_code, written),
        type_name,
        _written(columns.status_code, written),
        phase,
        town,
        postcode,
        text[9],
        _written(columns.number_of_pupils, written),
        _written(columns.open_date, written),
        _written(columns.close_date, written),
        _written(columns.last_changed_date, written),
    ]


class LeftToPython(Exception):
    """The quick reader leaves the file to parse_gias (or fails on it), or COPY cannot carry one
    of its values: the transaction must roll back (nothing it wrote stands)."""


class _Stream(io.RawIOBase):
    """COPY's input: the new schools, read, checked and written out a chunk at a time as COPY
    asks for more. It keeps the changed schools' lines for an UPDATE, and the counts."""

    def __init__(
        self,
        reading: GiasChunks,
        known: dict[int, tuple[datetime.date | None, int]],
        progress: Callable[[int], None] | None,
    ):
        self.chunks = iter(reading)
        self.known = known
        self.progress = progress
        self.read_rows = 0
        self.counts = GiasImportCounts(0, 0, 0, 0)
        self.changed: list[bytes] = []
        self.authorities: dict[bytes, bytes] = {}
        self.written: dict = {None: NULL}  # see copy_columns
        self.left_to_python = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while True:
            try:
                columns = next(self.chunks, None)
                if columns is None:
                    return b""
                new = self._take(columns)
            except Exception as error:
                # Any failure while reading, not only NotQuick: a shape the quick reader did not
                # foresee still imports through parse_gias, or gets its plain error.
                if not isinstance(error, NotQuick | LeftToPython):
                    logger.exception("The quick GIAS reader failed; parse_gias reads the file")
                self.left_to_python = True
                raise
            if new:
                return b"\n".join(new) + b"\n"

    def _take(self, columns: GiasColumns) -> list[bytes]:
        """The COPY lines of the chunk's new schools; the changed ones' go to self.changed."""
        new, update, counts = sort_establishments(
            columns.urn, columns.last_changed_date, columns.status_code, self.known
        )
        self.counts += counts
        self.authorities.update(zip(columns.la_code, columns.la_name, strict=True))
        self.read_rows += len(columns)
        if self.progress:
            self.progress(self.read_rows)
        chosen = list(map(operator.or_, new, update))
        if not any(chosen):
            return []
        text = copy_columns(columns, chosen, self.written)
        if text is None:
            raise LeftToPython
        lines = list(map(b"\t".join, zip(*text, strict=True)))
        created = list(compress(new, chosen))
        self.changed.extend(compress(lines, map(operator.not_, created)))
        return list(compress(lines, created))


def known_schools() -> dict[int, tuple[datetime.date | None, int]]:
    """Each stored school's URN: its LastChangedDate and status."""
    out = io.BytesIO()
    with connection.cursor() as cursor:
        # COPY's one stream is quicker to read than a row at a time, for every school.
        cursor.cursor.copy_expert(
            f"COPY (SELECT urn, last_changed_date, status_code FROM {School._meta.db_table}) "
            "TO STDOUT",
            out,
        )
    rows = out.getvalue().split(b"\n")[:-1]
    if not rows:
        return {}
    fields = list(map(operator.methodcaller("split", b"\t"), rows))
    urns, changed, statuses = (list(map(operator.itemgetter(at), fields)) for at in range(3))
    dates = {text: datetime.date.fromisoformat(text.decode()) for text in set(changed) - {NULL}}
    dates[NULL] = None
    return dict(
        zip(
            map(int, urns),
            zip(map(dates.__getitem__, changed), map(int, statuses), strict=True),
            strict=True,
        )
    )


def copy_schools(
    reading: GiasChunks, *, progress: Callable[[int], None] | None = None
) -> tuple[GiasImportCounts, dict[bytes, bytes]]:
    """Create new schools and update changed ones as the extract is read: the counts, and the
    local authorities it names (code: the last name given). Run it inside a transaction.

    Raises LeftToPython if the quick reader gives up or fails, or COPY cannot carry a value:
    the transaction must then roll back.
    """
    school = School._meta.db_table
    fields = ", ".join(FIELDS)
    with connection.cursor() as cursor:
        # Other writers wait, so what the import reads of the schools stays true as it writes.
        cursor.execute(f"LOCK TABLE {school} IN SHARE ROW EXCLUSIVE MODE")
        known = known_schools()
        # Building an index afresh is much quicker than adding more entries to it than it
        # holds already, PostgreSQL's advice for loading data: so when the file must bring
        # more new schools than are stored (the first import), the indexes that no key needs
        # go, and come back after. Until then the schools cannot be read (a second or two).
        # The trigram indexes (0005) are most of that: making them takes 0.45 s at 50,000
        # schools, with any maintenance_work_mem from 64 MB up. Kept instead, their new entries
        # cost the server half as much again (0.89 s of its time against 0.62 s), more than
        # reading the file alongside hides, so a first import is no quicker (measured, PG 15).
        rebuild = _secondary_indexes(cursor) if reading.rows > 2 * len(known) else []
        for drop, _ in rebuild:
            cursor.execute(drop)
        stream = _Stream(reading, known, progress)
        try:
            cursor.cursor.copy_expert(
                f"COPY {school} ({fields}) FROM STDIN WITH (ENCODING 'WIN1252')", stream
            )
        except Exception:  # psycopg2 ends COPY with its own error when the stream raises
            if stream.left_to_python:
                raise LeftToPython from None
            raise
        for _, make in rebuild:
            cursor.execute(make)
        if stream.changed:
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{CHANGED}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {CHANGED} AS SELECT {fields} FROM {school} WITH NO DATA"
            )
            cursor.cursor.copy_expert(
                f"COPY {CHANGED} ({fields}) FROM STDIN WITH (ENCODING 'WIN1252')",
                io.BytesIO(b"\n".join(stream.changed) + b"\n"),
            )
            updates = ", ".join(f"{field} = changed.{field}" for field in SCHOOL_FIELDS)
            cursor.execute(
                f"UPDATE {school} AS school SET {updates} FROM {CHANGED} AS changed "
                "WHERE school.urn = changed.urn"
            )
            cursor.execute(f"DROP TABLE {CHANGED}")
    return stream.counts, stream.authorities


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    """How to drop and make again each index on schools that neither the primary key nor a
    foreign key needs (URN's uniqueness is one): (the statement that drops it, the statement
    that makes it again)."""
    cursor.execute(
        """
        SELECT index_class.relname, pg_get_indexdef(index_class.oid), owner.conname,
            pg_get_constraintdef(owner.oid)
        FROM pg_index AS entry
            JOIN pg_class AS index_class ON index_class.oid = entry.indexrelid
            LEFT JOIN pg_constraint AS owner
                ON owner.conindid = entry.indexrelid AND owner.conrelid = entry.indrelid
        WHERE entry.indrelid = %s::regclass AND NOT entry.indisprimary
            AND NOT EXISTS (
                SELECT FROM pg_constraint AS foreign_key
                WHERE foreign_key.contype = 'f' AND foreign_key.conindid = entry.indexrelid
            )
        """,
        [School._meta.db_table],
    )
    table = connection.ops.quote_name(School._meta.db_table)
    statements = []
    for index, index_definition, constraint, constraint_definition in cursor.fetchall():
        if constraint is None:
            statements.append((f"DROP INDEX {connection.ops.quote_name(index)}", index_definition))
        else:
            constraint = connection.ops.quote_name(constraint)
            statements.append(
                (
                    f"ALTER TABLE {table} DROP CONSTRAINT {constraint}",
                    f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {constraint_definition}",
                )
            )
    return statements
