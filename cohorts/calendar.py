"""iCalendar (RFC 5545) feeds of sessions, written by hand: a few lines of a simple format.

Each session keeps one UID for life and raises its SEQUENCE when it changes, so Outlook and
Google update the event in place when a session moves, and mark it cancelled when it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from .models import Session

PRODUCT = "-//NPQ Portal//Sessions//EN"
# Part of every UID: fixed, so that moving the portal to another address duplicates nothing.
UID_DOMAIN = "npq-portal"

# Europe/London's rules since 1996, so the calendar always has a component (RFC 5545 3.6)
# and clients that want the zone spelt out have it.
LONDON_TIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def _escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c == "\n" or c >= " ")  # no other control characters
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    if len(line.encode("utf-8")) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_ics(sessions: Iterable[Session], *, name: str, now: datetime.datetime) -> str:
    """A VCALENDAR of the sessions (select the cohort and its programme with them)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "X-WR-TIMEZONE:Europe/London",
        *LONDON_TIMEZONE,
    ]
    for session in sessions:
        description = [str(session.cohort), session.get_kind_display()]
        if session.online_link:
            description.append(f"Join online: {session.online_link}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{session.uid}@{UID_DOMAIN}",
            f"SEQUENCE:{session.sequence}",
            f"DTSTAMP:{_utc(now)}",
            f"LAST-MODIFIED:{_utc(session.updated_at)}",
            f"DTSTART:{_utc(session.starts_at)}",
            f"DTEND:{_utc(session.ends_at)}",
            f"SUMMARY:{_escape(session.title)}",
            f"DESCRIPTION:{_escape(chr(10).join(description))}",
            "STATUS:"
            + ("CANCELLED" if session.status == Session.Status.CANCELLED else "CONFIRMED"),
        ]
        if session.venue:
            lines.append(f"LOCATION:{_escape(session.venue)}")
        elif session.online_link:
            lines.append("LOCATION:Online")
        if session.online_link:
            lines.append(f"URL:{session.online_link}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
