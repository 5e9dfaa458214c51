"""Reading DfE's GIAS establishment extract (edubasealldata<date>.csv): no database here.

The whole file is checked before anything is written: the first bad row stops the import with
a message naming the row (its line in the file, the header being line 1) and the problem.
"""

from __future__ import annotations

import csv
import datetime
import gc
import io
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import IO

ENCODING = "cp1252"  # GIAS publishes Windows-1252

REQUIRED_COLUMNS = (
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (code)",
    "OpenDate",
    "CloseDate",
    "PhaseOfEducation (name)",
    "NumberOfPupils",
    "UKPRN",
    "LastChangedDate",
    "Town",
    "Postcode",
)

STATUS_CODES = {1, 2, 3, 4}

# Every column of the extract, in the file's order (shared/GIAS.md).
ALL_COLUMNS = (
    "URN",
    "LA (code)",
    "LA (name)",
    "EstablishmentNumber",
    "EstablishmentName",
    "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)",
    "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)",
    "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)",
    "ReasonEstablishmentOpened (name)",
    "OpenDate",
    "ReasonEstablishmentClosed (code)",
    "ReasonEstablishmentClosed (name)",
    "CloseDate",
    "PhaseOfEducation (code)",
    "PhaseOfEducation (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Boarders (code)",
    "Boarders (name)",
    "NurseryProvision (name)",
    "OfficialSixthForm (code)",
    "OfficialSixthForm (name)",
    "Gender (code)",
    "Gender (name)",
    "ReligiousCharacter (code)",
    "ReligiousCharacter (name)",
    "ReligiousEthos (name)",
    "Diocese (code)",
    "Diocese (name)",
    "AdmissionsPolicy (code)",
    "AdmissionsPolicy (name)",
    "SchoolCapacity",
    "SpecialClasses (code)",
    "SpecialClasses (name)",
    "CensusDate",
    "NumberOfPupils",
    "NumberOfBoys",
    "NumberOfGirls",
    "PercentageFSM",
    "TrustSchoolFlag (code)",
    "TrustSchoolFlag (name)",
    "Trusts (code)",
    "Trusts (name)",
    "SchoolSponsorFlag (name)",
    "SchoolSponsors (name)",
    "FederationFlag (name)",
    "Federations (code)",
    "Federations (name)",
    "UKPRN",
    "FEHEIdentifier",
    "FurtherEducationType (name)",
    "OfstedLastInsp",
    "OfstedSpecialMeasures (code)",
    "OfstedSpecialMeasures (name)",
    "LastChangedDate",
    "Street",
    "Locality",
    "Address3",
    "Town",
    "County (name)",
    "Postcode",
    "SchoolWebsite",
    "TelephoneNum",
    "HeadTitle (name)",
    "HeadFirstName",
    "HeadLastName",
    "HeadPreferredJobTitle",
    "BSOInspectorateName (name)",
    "InspectorateReport",
    "DateOfLastInspectionVisit",
    "NextInspectionVisit",
    "TeenMoth (name)",
    "TeenMothPlaces",
    "CCF (name)",
    "SENPRU (name)",
    "EBD (name)",
    "PlacesPRU",
    "FTProv (name)",
    "EdByOther (name)",
    "Section41Approved (name)",
    "SEN1 (name)",
    "SEN2 (name)",
    "SEN3 (name)",
    "SEN4 (name)",
    "SEN5 (name)",
    "SEN6 (name)",
    "SEN7 (name)",
    "SEN8 (name)",
    "SEN9 (name)",
    "SEN10 (name)",
    "SEN11 (name)",
    "SEN12 (name)",
    "SEN13 (name)",
    "TypeOfResourcedProvision (name)",
    "ResourcedProvisionOnRoll",
    "ResourcedProvisionCapacity",
    "SenUnitOnRoll",
    "SenUnitCapacity",
    "GOR (code)",
    "GOR (name)",
    "DistrictAdministrative (code)",
    "DistrictAdministrative (name)",
    "AdministrativeWard (code)",
    "AdministrativeWard (name)",
    "ParliamentaryConstituency (code)",
    "ParliamentaryConstituency (name)",
    "UrbanRural (code)",
    "UrbanRural (name)",
    "GSSLACode (name)",
    "Easting",
    "Northing",
    "MSOA (name)",
    "LSOA (name)",
    "InspectorateName (name)",
    "SENStat",
    "SENNoStat",
    "BoardingEstablishment (name)",
    "PropsName",
    "PreviousLA (code)",
    "PreviousLA (name)",
    "PreviousEstablishmentNumber",
    "OfstedRating (name)",
    "RSCRegion (name)",
    "Country (name)",
    "UPRN",
    "SiteName",
    "QABName (code)",
    "QABName (name)",
    "EstablishmentAccredited (code)",
    "EstablishmentAccredited (name)",
    "QABReport",
    "CHNumber",
    "MSOA (code)",
    "LSOA (code)",
    "FSM",
)


class GiasFileError(ValueError):
    """The file cannot be imported; the message says where and why, in a sentence."""


@dataclass(frozen=True, slots=True)
class GiasRow:
    urn: int
    ukprn: str
    name: str
    la_code: str
    la_name: str
    establishment_type_code: int | None
    establishment_type_name: str
    status_code: int
    phase_name: str
    town: str
    postcode: str
    number_of_pupils: int | None
    open_date: datetime.date | None
    close_date: datetime.date | None
    last_changed_date: datetime.date | None


CLOSED = 2  # EstablishmentStatus (code)


@dataclass(frozen=True)
class GiasImportCounts:
    created: int
    updated: int
    unchanged: int
    closed: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __add__(self, other: GiasImportCounts) -> GiasImportCounts:
        return GiasImportCounts(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.closed + other.closed,
        )


def sort_establishments(
    urns: list[int],
    changed_dates: list[datetime.date | None],
    statuses: list[int],
    known: dict[int, tuple[datetime.date | None, int]],
) -> tuple[list[bool], list[bool], GiasImportCounts]:
    """Which establishments make a new school and which update one (a flag for each, in
    order), and the counts, given each stored school's LastChangedDate and status by URN.

    A school whose LastChangedDate matches what is stored is skipped: GIAS moves that date
    whenever it changes a record.
    """
    if known.keys().isdisjoint(urns):  # all new, as in the first import: no need to look
        return [True] * len(urns), [False] * len(urns), GiasImportCounts(len(urns), 0, 0, 0)
    new, update = [], []
    created = updated = unchanged = closed = 0
    for urn, changed, status in zip(urns, changed_dates, statuses, strict=True):
        before = known.get(urn)
        changes = False
        if before is None:
            created += 1
        elif before[0] and changed and changed <= before[0]:
            # GIAS moves the date on every change: same date, same record (an older file
            # must not overwrite newer data either). Without dates, update to be safe.
            unchanged += 1
        else:
            updated += 1
            changes = True
            if status == CLOSED and before[1] != CLOSED:
                closed += 1
        new.append(before is None)
        update.append(changes)
    return new, update, GiasImportCounts(created, updated, unchanged, closed)


# The database's limits: PostgreSQL integer and smallint columns.
LIMITS = {"TypeOfEstablishment (code)": 32767}
INTEGER_LIMIT = 2_147_483_647


def _whole_number(value: str, column: str) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise GiasFileError(f"{column} “{value[:40]}” is not a whole number")
    # More digits than any limit has is too large, and int() refuses a few thousand digits
    # with a ValueError that would not name the row.
    if len(value.lstrip("0")) > len(str(INTEGER_LIMIT)):
        shown = value if len(value) <= 40 else f"{value[:40]}…"
        raise GiasFileError(f"{column} {shown} is too large to be right")
    number = int(value)
    if number > LIMITS.get(column, INTEGER_LIMIT):
        raise GiasFileError(f"{column} {number} is too large to be right")
    return number


def _date(value: str, column: str) -> datetime.date | None:
    """GIAS writes dates as dd-mm-yyyy; an empty field means unknown."""
    if not value:
        return None
    try:
        day, month, year = value.split("-")
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise GiasFileError(f"{column} “{value}” is not a date like 31-08-2024") from None


def decode_gias(data: bytes) -> str:
    """The file's text as GIAS writes it (Windows-1252), or a GiasFileError saying why not."""
    check_gias_bytes(data)
    return data.decode(ENCODING)


# The five bytes Windows-1252 leaves undefined, found by asking the codec itself.
UNDEFINED_BYTES = bytes(
    byte for byte in range(256) if not bytes([byte]).decode(ENCODING, errors="ignore")
)


def check_gias_bytes(data: bytes) -> None:
    """Raise GiasFileError unless the bytes read as GIAS writes them (Windows-1252).

    A file someone opened and re-saved as UTF-8 would import with garbled names ("CafÃ©"),
    so it is refused rather than guessed at. Only the bytes are looked at, which is quicker
    than decoding the whole file.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        raise GiasFileError(_RESAVED)
    if data.isascii():
        return
    found = [at for at in map(data.find, UNDEFINED_BYTES) if at >= 0]
    if found:
        start = min(found)
        line = data.count(b"\n", 0, start) + 1
        raise GiasFileError(
            f"Row {line:,} cannot be read: byte 0x{data[start]:02X} is not Windows-1252, as GIAS "
            "writes. Nothing was imported."
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return  # genuine Windows-1252
    raise GiasFileError(_RESAVED)


_RESAVED = (
    "This file has been re-saved as UTF-8 (by a spreadsheet, perhaps), so names with accents "
    "would be garbled. Upload the file exactly as downloaded from GIAS. Nothing was imported."
)


def open_text(raw: IO[bytes] | bytes) -> io.StringIO:
    """Decode an uploaded or opened file as GIAS writes it."""
    data = raw if isinstance(raw, bytes) else raw.read()
    return io.StringIO(decode_gias(data), newline="")


def parse_gias(
    text: Iterable[str], *, progress: Callable[[int], None] | None = None
) -> list[GiasRow]:
    """Every row of the extract, checked. Raises GiasFileError at the first problem."""
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise GiasFileError("The file is empty.") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise GiasFileError(f"Line 1 cannot be read: {error}.") from None
    header = [name.strip().lstrip("\ufeff") for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise GiasFileError(
            "This is not a GIAS establishment extract: the header has no "
            + ", ".join(f"“{column}”" for column in missing)
            + " column."
        )
    at = {column: header.index(column) for column in REQUIRED_COLUMNS}
    width = len(header)
    rows: list[GiasRow] = []
    seen: set[int] = set()
    line = 1
    try:
        for line, record in enumerate(reader, start=2):
            if not record:
                continue
            try:
                if len(record) != width:
                    raise GiasFileError(f"it has {len(record)} fields where the header has {width}")
                rows.append(_row(record, at, seen))
            except GiasFileError as error:
                urn = record[at["URN"]].strip()[:20] if len(record) > at["URN"] else ""
                where = f"Row {line:,}" + (f" (URN {urn})" if urn else "")
                raise GiasFileError(f"{where}: {error}. Nothing was imported.") from None
            if progress and line % 5000 == 0:
                progress(line - 1)
    except (csv.Error, UnicodeDecodeError) as error:
        raise GiasFileError(
            f"Row {line:,} cannot be read: {error}. Nothing was imported."
        ) from None
    if not rows:
        raise GiasFileError("The file has a header but no establishments.")
    return rows


def _row(record: list[str], at: dict[str, int], seen: set[int]) -> GiasRow:
    def value(column: str) -> str:
        return record[at[column]].strip()

    urn = _whole_number(value("URN"), "URN")
    if urn is None:
        raise GiasFileError("URN is empty")
    if urn in seen:
        raise GiasFileError(f"URN {urn} appears twice in the file")
    seen.add(urn)
    name = value("EstablishmentName")
    if not name:
        raise GiasFileError("EstablishmentName is empty")
    status = _whole_number(value("EstablishmentStatus (code)"), "EstablishmentStatus (code)")
    if status not in STATUS_CODES:
        raise GiasFileError(
            f"EstablishmentStatus (code) “{value('EstablishmentStatus (code)')}” is not 1 to 4"
        )
    ukprn = value("UKPRN")
    if ukprn and not (ukprn.isascii() and ukprn.isdigit() and len(ukprn) == 8):
        raise GiasFileError(f"UKPRN “{ukprn}” is not an 8-digit number")
    return GiasRow(
        urn=urn,
        ukprn=ukprn,
        name=name[:255],
        la_code=value("LA (code)")[:3],
        la_name=value("LA (name)")[:100],
        establishment_type_code=_whole_number(
            value("TypeOfEstablishment (code)"), "TypeOfEstablishment (code)"
        ),
        establishment_type_name=value("TypeOfEstablishment (name)")[:100],
        status_code=status,
        phase_name=value("PhaseOfEducation (name)")[:40],
        town=value("Town")[:100],
        postcode=value("Postcode")[:10],
        number_of_pupils=_whole_number(value("NumberOfPupils"), "NumberOfPupils"),
        open_date=_date(value("OpenDate"), "OpenDate"),
        close_date=_date(value("CloseDate"), "CloseDate"),
        last_changed_date=_date(value("LastChangedDate"), "LastChangedDate"),
    )


# ---- The quick reader ----
#
# parse_gias builds a row object per establishment from csv's 139 fields, which takes seconds
# for the national file. read_gias_columns takes the same file column by column with bytes
# operations that run in C, applies the same checks (the very functions above, once per
# distinct value), and gives up, returning None, wherever it could differ from parse_gias:
# parse_gias then reads the file and names the problem. So a file reads the same either way.

# What str.strip() removes, as Windows-1252 bytes.
WHITE_SPACE_BYTES = bytes(
    byte for byte in range(256) if bytes([byte]).decode(ENCODING, errors="ignore").isspace()
)
# parse_gias reads these columns (GiasRow's fields) from these file columns, cut to this length.
QUICK_TEXT = {
    "ukprn": ("UKPRN", None),
    "name": ("EstablishmentName", 255),
    "la_code": ("LA (code)", 3),
    "la_name": ("LA (name)", 100),
    "establishment_type_name": ("TypeOfEstablishment (name)", 100),
    "phase_name": ("PhaseOfEducation (name)", 40),
    "town": ("Town", 100),
    "postcode": ("Postcode", 10),
}
QUICK_NUMBERS = {
    "establishment_type_code": "TypeOfEstablishment (code)",
    "number_of_pupils": "NumberOfPupils",
}
QUICK_DATES = {
    "open_date": "OpenDate",
    "close_date": "CloseDate",
    "last_changed_date": "LastChangedDate",
}


@dataclass(frozen=True)
class GiasColumns:
    """An extract's establishments column by column, in the file's order: what parse_gias's rows
    hold, with text left as Windows-1252 bytes (stripped and cut to length as GiasRow's)."""

    urn: list[int]
    ukprn: list[bytes]
    name: list[bytes]
    la_code: list[bytes]
    la_name: list[bytes]
    establishment_type_code: list[int | None]
    establishment_type_name: list[bytes]
    status_code: list[int]
    phase_name: list[bytes]
    town: list[bytes]
    postcode: list[bytes]
    number_of_pupils: list[int | None]
    open_date: list[datetime.date | None]
    close_date: list[datetime.date | None]
    last_changed_date: list[datetime.date | None]
    # Whether any text value might hold a tab or a backslash (the file does somewhere).
    tab_or_backslash: bool = True

    def __len__(self) -> int:
        return len(self.urn)

    def rows(self) -> list[GiasRow]:
        """The same establishments as parse_gias gives them."""
        # Each column decoded at once: bytes.decode is slow for Windows-1252 value by value.
        text = [
            b"\x00".join(getattr(self, field)).decode(ENCODING).split("\x00")
            for field in QUICK_TEXT
        ]
        named = dict(zip(QUICK_TEXT, text, strict=True))
        return [
            GiasRow(*values)
            for values in zip(
                self.urn,
                named["ukprn"],
                named["name"],
                named["la_code"],
                named["la_name"],
                self.establishment_type_code,
                named["establishment_type_name"],
                self.status_code,
                named["phase_name"],
                named["town"],
                named["postcode"],
                self.number_of_pupils,
                self.open_date,
                self.close_date,
                self.last_changed_date,
                strict=True,
            )
        ]


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector. Reading an extract makes millions of small
    tuples and lists, none of them in a cycle, and the collector would walk them over and
    over for nothing: a tenth of the time."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class NotQuick(Exception):
    """The quick reader leaves this file to parse_gias: it has a problem (parse_gias will say
    which), or something csv might read differently."""


@dataclass(frozen=True)
class GiasChunks:
    """An extract being read quickly, a few thousand establishments at a time: iterating gives
    GiasColumns, and raises NotQuick if the rest must be left to parse_gias."""

    rows: int  # how many establishments, if every row reads
    chunks: Iterator[GiasColumns]

    def __iter__(self) -> Iterator[GiasColumns]:
        return self.chunks


def read_gias_chunks(data: bytes, rows_per_chunk: int = 5000) -> GiasChunks | None:
    """The extract (bytes that check_gias_bytes accepted), read quickly, checked as parse_gias
    checks it, in chunks; None if it is plain already that parse_gias must read it (a line
    break or a header csv would read differently, a column missing)."""
    if b"\x00" in data:
        return None
    # csv ends a row at \r\n, \n or a lone \r; this reader splits lines at \r\n when the file
    # has no other line breaks, or at \n when it has no \r, so no value holds a line break.
    returns = data.count(b"\r")
    lines = data.split(b"\r\n" if returns else b"\n")
    if returns and not returns == len(lines) - 1 == data.count(b"\n"):
        return None
    if b'"' in lines[0]:
        return None
    header = [name.strip() for name in lines[0].decode(ENCODING).split(",")]
    if any(column not in header for column in REQUIRED_COLUMNS):
        return None
    body = lines[1:]
    if body and not body[-1]:
        body.pop()  # the line break that ends the last row
    if not body:
        return None
    # A comma inside a quoted field stands in as a byte the file does not hold, until the
    # line has been split at its other commas (see _unquote).
    comma = next((byte for byte in _STAND_INS if byte not in data), None)
    if comma is None:
        return None
    at = {column: header.index(column) for column in REQUIRED_COLUMNS}
    escapes = b"\t" in data or b"\\" in data
    seen: dict[str, dict] = {column: {} for column in REQUIRED_COLUMNS}  # values worked out
    chunks = (
        _read_chunk(body[start : start + rows_per_chunk], len(header), at, comma, escapes, seen)
        for start in range(0, len(body), rows_per_chunk)
    )
    return GiasChunks(rows=len(body), chunks=_distinct_urns(chunks))


# Control characters that are not white space (stripping would take them off a value's end).
_STAND_INS = [bytes([byte]) for byte in range(1, 32) if byte not in WHITE_SPACE_BYTES]


def read_gias_columns(data: bytes) -> GiasColumns | None:
    """Every establishment of the extract, read quickly and checked as parse_gias checks it;
    None if the file is left to parse_gias (see read_gias_chunks)."""
    reading = read_gias_chunks(data, rows_per_chunk=len(data))
    try:
        return next(iter(reading)) if reading else None
    except NotQuick:
        return None


def _distinct_urns(chunks: Iterator[GiasColumns]) -> Iterator[GiasColumns]:
    """The chunks, as long as no URN comes twice (a chunk checks its own)."""
    seen: set[int] = set()
    for chunk in chunks:
        if not seen.isdisjoint(chunk.urn):
            raise NotQuick
        seen.update(chunk.urn)
        yield chunk


def _read_chunk(
    lines: list[bytes],
    width: int,
    at: dict[str, int],
    comma: bytes,
    escapes: bool,
    seen: dict[str, dict],
) -> GiasColumns:
    """The establishments on these lines, checked, given the values worked out in earlier
    chunks (`seen`, by column, which this adds to). Raises NotQuick."""
    records = _records(lines, width, max(at.values()) + 1, comma)
    if records is None:
        raise NotQuick

    def column(name: str) -> list[bytes]:
        return list(map(operator.itemgetter(at[name]), records))

    urns = column("URN")
    # _whole_number's checks on the whole column at once: digits only (so neither empty nor
    # padded: parse_gias takes a padded one), not too big.
    if not all(map(bytes.isdigit, urns)):
        raise NotQuick
    urn = list(map(int, urns))
    if max(urn) > INTEGER_LIMIT or len(set(urn)) != len(urn):
        raise NotQuick
    text = {
        field: _text(column(name), length, comma, seen[name])
        for field, (name, length) in QUICK_TEXT.items()
    }
    ukprns = set(text["ukprn"]) - {b""}
    if (
        not all(text["name"])
        or ukprns
        and not (set(map(len, ukprns)) == {8} and b"".join(ukprns).isdigit())
    ):
        raise NotQuick
    try:
        status_column = "EstablishmentStatus (code)"
        status = _numbers(column(status_column), status_column, seen[status_column])
        numbers = {
            field: _numbers(column(name), name, seen[name]) for field, name in QUICK_NUMBERS.items()
        }
        dates = {
            field: _dates(column(name), name, seen[name]) for field, name in QUICK_DATES.items()
        }
    except GiasFileError:  # a bad value: parse_gias will say in which row
        raise NotQuick from None
    if set(status) - STATUS_CODES:
        raise NotQuick
    return GiasColumns(
        urn=urn, status_code=status, tab_or_backslash=escapes, **text, **numbers, **dates
    )


def _text(values: list[bytes], length: int | None, comma: bytes, seen: dict) -> list[bytes]:
    """Each value stripped as str.strip() strips it, with the commas inside quotes put back,
    and cut to `length`, worked out for the values not `seen` before (a dict of those worked
    out, which this adds to): a town or a local authority comes again and again."""
    new = list(set(values).difference(seen))
    stripped = [value.strip(WHITE_SPACE_BYTES) for value in new]
    if comma in b"".join(stripped):
        stripped = [value.replace(comma, b",") for value in stripped]
    if length and max(map(len, stripped), default=0) > length:
        stripped = [value[:length] for value in stripped]
    seen.update(zip(new, stripped, strict=True))
    return list(map(seen.__getitem__, values))


def _numbers(values: list[bytes], column: str, seen: dict) -> list[int | None]:
    """_whole_number of each value, stripped, worked out for the values not `seen` before (a
    dict of those worked out, which this adds to).

    Raises GiasFileError for a bad value."""
    new = list(set(values).difference(seen))
    if new:
        # Decoded all at once: bytes.decode is slow for Windows-1252 one value at a time.
        texts = b"\x00".join(new).decode(ENCODING).split("\x00")
        numbers = [_whole_number(text.strip(), column) for text in texts]
        seen.update(zip(new, numbers, strict=True))
    return list(map(seen.__getitem__, values))


def _dates(values: list[bytes], column: str, seen: dict) -> list[datetime.date | None]:
    """_date of each value, stripped, worked out for the values not `seen` before (a dict of
    those worked out, which this adds to), and all at once when they are written dd-mm-yyyy,
    as GIAS writes them.

    Raises GiasFileError for a bad value."""
    new = list(set(values).difference(seen))
    if not new:
        return list(map(seen.__getitem__, values))
    stripped = [value.strip(WHITE_SPACE_BYTES) for value in new]
    distinct = list(set(stripped) - {b""})
    joined = b"".join(distinct)
    plain = len(joined) == 10 * len(distinct)
    if distinct and plain and _DAY_MONTH_YEAR.fullmatch(b"\x00".join(distinct)):
        # Every value is ten bytes, dd-mm-yyyy: rearranged, byte by byte across all of them,
        # into yyyy-mm-dd and a separator, for date.fromisoformat.
        count = len(distinct)
        iso = bytearray(11 * count)
        for to, taken in enumerate([6, 7, 8, 9, 2, 3, 4, 5, 0, 1]):
            iso[to::11] = joined[taken::10]
        iso[10::11] = b"\x00" * count
        try:
            dates = list(map(datetime.date.fromisoformat, iso.decode().split("\x00")[:-1]))
        except ValueError:  # no such day: which one, parse_gias will say
            raise GiasFileError(f"{column} has a date that does not exist") from None
    else:
        texts = b"\x00".join(distinct).decode(ENCODING).split("\x00") if distinct else []
        dates = [_date(text, column) for text in texts]
    converted = dict(zip(distinct, dates, strict=True))
    converted[b""] = None
    seen.update(zip(new, map(converted.__getitem__, stripped), strict=True))
    return list(map(seen.__getitem__, values))


# Dates written dd-mm-yyyy, separated by NULs.
_DAY_MONTH_YEAR = re.compile(rb"[0-9]{2}-[0-9]{2}-[0-9]{4}(?:\x00[0-9]{2}-[0-9]{2}-[0-9]{4})*")


def _records(lines: list[bytes], width: int, wanted: int, comma: bytes) -> list[list] | None:
    """The first `wanted` fields of each row (and the rest of the line), in order, or None if
    a row does not have `width` fields or is written in a way left to csv (in parse_gias). A
    comma inside a quoted field comes back as `comma`, a byte that stands in for it.

    Each line is split at its commas, which is all csv does with a line without quotes.
    """
    quoted = _quoted(lines)
    if quoted:
        unquoted = _unquote([lines[position] for position in quoted], comma)
        if unquoted is None:
            return None
        lines = list(lines)
        for position, line in zip(quoted, unquoted, strict=True):
            lines[position] = line
    # A blank line (which csv skips) or a short one is left to parse_gias.
    if set(map(bytes.count, lines, repeat(b","))) != {width - 1}:
        return None
    return list(map(bytes.split, lines, repeat(b","), repeat(wanted)))


def _quoted(lines: list[bytes]) -> list[int]:
    """The positions of the lines holding a quote: looked for in all the lines joined, which
    is quicker than asking each line, as most have none."""
    pieces = b"\n".join(lines).split(b'"')
    # Each quote's line: the number of line breaks before it.
    lines_before = accumulate(map(bytes.count, pieces[:-1], repeat(b"\n")))
    return list(dict.fromkeys(lines_before))


def _unquote(lines: list[bytes], comma: bytes) -> list[bytes] | None:
    """The lines with each quoted field written as csv reads it, all lines at once, except that
    a comma inside a quoted field becomes `comma`, so that the line can be split at the others.
    None unless every quote is where the standard way of quoting puts it (around a field,
    doubled inside one) and each quoted field ends on its line: csv's readings of anything
    else are left to csv."""
    pieces = b"\n".join(lines).split(b'"')  # no line holds \n: read_gias_chunks split at them
    inside = pieces[1::2]
    # pieces[1], [3], … are inside quotes. None crosses a line break (which an odd number of
    # quotes on a line would make one do).
    if len(pieces) % 2 == 0 or b"\n".join(inside).count(b"\n") != len(inside) - 1:
        return None
    # Between a closing quote and the next opening one: nothing (a doubled quote, inside a
    # field), or the text from the end of one field to the start of the next.
    outside = pieces[0::2]
    if outside[0][-1:] not in FIELD_STARTS or outside[-1][:1] not in FIELD_ENDS:
        return None
    between = outside[1:-1]
    if not all(
        piece[:1] in FIELD_ENDS and piece[-1:] in FIELD_STARTS for piece in between if piece
    ):
        return None
    pieces[1::2] = [piece.replace(b",", comma) for piece in inside]
    pieces[2:-1:2] = [piece or b'"' for piece in between]
    return b"".join(pieces).split(b"\n")


FIELD_ENDS = (b"", b",", b"\n")  # what may follow a closing quote
FIELD_STARTS = (b"", b",", b"\n")  # what may come before an opening quote
