"""A realistic synthetic GIAS extract, for tests and the benchmark (never committed as a file).

Same 139 columns, Windows-1252, dd-mm-yyyy dates, names with commas, quotes, accents and curly
apostrophes, empty pupil counts, closed schools and academy conversions, as the real file has.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from typing import IO

from .gias import ALL_COLUMNS, ENCODING

# (code, name, group, weight): roughly the national mix.
ESTABLISHMENT_TYPES = [
    (1, "Community school", "Local authority maintained schools", 18),
    (2, "Voluntary aided school", "Local authority maintained schools", 7),
    (3, "Voluntary controlled school", "Local authority maintained schools", 5),
    (5, "Foundation school", "Local authority maintained schools", 2),
    (7, "Community special school", "Special schools", 2),
    (11, "Other independent school", "Independent schools", 6),
    (15, "Local authority nursery school", "Local authority maintained schools", 1),
    (18, "Further education", "Colleges", 1),
    (28, "Academy sponsor led", "Academies", 8),
    (34, "Academy converter", "Academies", 22),
    (35, "Free schools", "Free Schools", 2),
    (10, "Other independent special school", "Independent schools", 2),
    (33, "Academy special sponsor led", "Academies", 1),
    (29, "Higher education institutions", "Universities", 1),
    (56, "Welsh establishment", "Welsh schools", 1),
]
PHASES = [
    ("Primary", 55),
    ("Secondary", 15),
    ("Not applicable", 12),
    ("Nursery", 3),
    ("16 plus", 3),
    ("All-through", 2),
    ("Middle deemed primary", 1),
    ("Middle deemed secondary", 1),
]
STATUSES = [(1, "Open", 78), (2, "Closed", 19), (3, "Open, but proposed to close", 1)]
STATUSES += [(4, "Proposed to open", 2)]
LOCAL_AUTHORITIES = [
    ("201", "City of London"),
    ("302", "Barnet"),
    ("330", "Birmingham"),
    ("344", "Wirral"),
    ("352", "Manchester"),
    ("383", "Leeds"),
    ("855", "Leicestershire"),
    ("875", "Cheshire West and Chester"),
    ("895", "Cheshire East"),
    ("908", "Cornwall"),
]
SAINTS = ["St Mary’s", "St John’s", "St Peter’s", "Holy Trinity", "Our Lady’s", "St Thérèse’s"]
PLACES = ["Oakfield", "Hazelwood", "Brook Lane", "Castlegate", "Bridgend", "Mill Hill", "Ashby"]
PLACES += ["Northwich", "Hoole", "Upton", "Neston", "Crewe", "Nantwich", "Frodsham"]
KINDS = ["Primary School", "Academy", "Infant School", "Junior School", "High School"]
KINDS += ["C of E Primary School", "Catholic Primary School", "Nursery School", "College"]
POSTCODE_AREAS = ["CH", "CW", "WA", "M", "L", "B", "LS", "LE", "EC", "N", "TR"]


def _weighted(items: list[tuple]) -> list:
    return [item for item in items for _ in range(item[-1])]


def _date(rng: random.Random, first_year: int, last_year: int) -> str:
    return f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(first_year, last_year)}"


def _name(rng: random.Random, index: int) -> str:
    place = rng.choice(PLACES)
    style = index % 7
    if style == 0:
        return f"{rng.choice(SAINTS)} {rng.choice(KINDS)}, {place}"
    if style == 1:
        return f'The "{place}" Learning Partnership'
    if style == 2:
        return f"{place} Café Nursery & Pre-School"
    return f"{place} {rng.choice(KINDS)}"


def gias_rows(count: int, *, seed: int = 2026, first_urn: int = 100000) -> Iterator[list[str]]:
    """`count` establishments as rows of the 139 GIAS columns, the same for the same seed."""
    rng = random.Random(seed)
    types, phases, statuses = (
        _weighted(ESTABLISHMENT_TYPES),
        _weighted(PHASES),
        _weighted(STATUSES),
    )
    column = {name: position for position, name in enumerate(ALL_COLUMNS)}
    for index in range(count):
        row = [""] * len(ALL_COLUMNS)
        code, type_name, group, _ = rng.choice(types)
        phase, _ = rng.choice(phases)
        status_code, status_name, _ = rng.choice(statuses)
        la_code, la_name = rng.choice(LOCAL_AUTHORITIES)
        pupils = "" if status_code == 2 or rng.random() < 0.15 else str(rng.randint(0, 1900))
        area = rng.choice(POSTCODE_AREAS)
        values = {
            "URN": str(first_urn + index),
            "LA (code)": la_code,
            "LA (name)": la_name,
            "EstablishmentNumber": str(rng.randint(1000, 7999)),
            "EstablishmentName": _name(rng, index),
            "TypeOfEstablishment (code)": str(code),
            "TypeOfEstablishment (name)": type_name,
            "EstablishmentTypeGroup (name)": group,
            "EstablishmentStatus (code)": str(status_code),
            "EstablishmentStatus (name)": status_name,
            "OpenDate": _date(rng, 1950, 2024) if rng.random() < 0.6 else "",
            "CloseDate": _date(rng, 2000, 2025) if status_code == 2 else "",
            "PhaseOfEducation (name)": phase,
            "StatutoryLowAge": str(rng.choice([2, 3, 4, 11, 16])),
            "StatutoryHighAge": str(rng.choice([7, 11, 16, 18, 19])),
            "NumberOfPupils": pupils,
            "UKPRN": str(rng.randint(10000000, 10099999)) if rng.random() < 0.7 else "",
            "LastChangedDate": _date(rng, 2019, 2025),
            "Street": f"{rng.randint(1, 200)} {rng.choice(PLACES)} Road",
            "Town": rng.choice(PLACES),
            "Postcode": f"{area}{rng.randint(1, 65)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}"
            f"{rng.choice('LNPQRSTUWXYZ')}",
            "SchoolWebsite": f"www.school{index}.example",
            "HeadFirstName": rng.choice(["Amira", "Liam", "Siobhán", "Zoë", "Femi"]),
            "HeadLastName": rng.choice(["O’Brien", "Haddad", "Smith", "Nowak", "Okafor"]),
            "Country (name)": "United Kingdom",
        }
        for name, value in values.items():
            row[column[name]] = value
        yield row


def write_gias_file(out: IO[bytes], count: int, *, seed: int = 2026, bad_row: int = 0) -> None:
    """Write a synthetic extract; `bad_row` (a file line, 2 or more) gets a bad pupil count."""
    text = _Writer(out)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(ALL_COLUMNS)
    pupils = ALL_COLUMNS.index("NumberOfPupils")
    for line, row in enumerate(gias_rows(count, seed=seed), start=2):
        if line == bad_row:
            row[pupils] = "about 200"
        writer.writerow(row)


class _Writer:
    """Encode each line as GIAS does, without holding the whole file in memory."""

    def __init__(self, out: IO[bytes]):
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text.encode(ENCODING))
