"""Reading DfE's GIAS establishment extract (edubasealldata<date>.csv): no database here.

The whole file is checked before anything is written: the first bad row stops the import with
a message naming the row (its line in the file, the header being line 1) and the problem.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


# The database's limits: PostgreSQL integer and smallint columns.
LIMITS = {"TypeOfEstablishment (code)": 32767}
INTEGER_LIMIT = 2_147_483_647


def _whole_number(value: str, column: str) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise GiasFileError(f"{column} “{value}” is not a whole number")
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
    """The file's text as GIAS writes it (Windows-1252), or a GiasFileError saying why not.

    A file someone opened and re-saved as UTF-8 would import with garbled names ("CafÃ©"),
    so it is refused rather than guessed at.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        raise GiasFileError(_RESAVED)
    try:
        text = data.decode(ENCODING)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise GiasFileError(
            f"Row {line:,} cannot be read: byte 0x{byte:02X} is not Windows-1252, as GIAS "
            "writes. Nothing was imported."
        ) from None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return text  # genuine Windows-1252
        raise GiasFileError(_RESAVED)
    return text


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
                urn = record[at["URN"]].strip() if len(record) > at["URN"] else ""
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
