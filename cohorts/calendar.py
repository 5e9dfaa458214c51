"""iCalendar (RFC 5545) feeds of sessions, written by hand: a few lines of a simple format.

Each session keeps one UID for life and raises its SEQUENCE when it changes, so Outlook and
Google update the event in place when a session moves, and mark it cancelled when it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from .models import Session

PRODUCT = "-//NPQ Portal//Sessions//EN"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
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


def calendar_ics(
    sessions: Iterable[Session], *, name: str, domain: str, now: datetime.datetime
) -> str:
    """A VCALENDAR of the sessions (select the cohort and course with them)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "X-WR-TIMEZONE:Europe/London",
    ]
    for session in sessions:
        location = session.online_link or session.venue
        description = [f"{session.cohort}", f"{session.get_kind_display()}"]
        if session.online_link:
            description.append(f"Join online: {session.online_link}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{session.uid}@{domain}",
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
        if location:
            lines.append(f"LOCATION:{_escape(location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
