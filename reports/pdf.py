"""The termly summary as a PDF (reportlab), in a font that prints every name.

DejaVu Sans is embedded (reports/fonts/, with its licence) because the PDF base fonts cover
only Western European letters: names like Siobhán O’Neill print in either, Łukasz Dvořák only
in DejaVu.
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
NAVY = colors.HexColor("#12355b")


def _register_fonts() -> None:
    registered = pdfmetrics.getRegisteredFontNames()
    for name in (REGULAR, BOLD):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, FONTS / f"{name}.ttf"))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=11.5)
    return {
        "body": base,
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=16, leading=20),
        "lede": ParagraphStyle("lede", base, fontSize=10.5, leading=14, spaceAfter=4),
        "school": ParagraphStyle(
            "school", base, fontName=BOLD, fontSize=12, leading=15, textColor=NAVY, spaceBefore=8
        ),
        "head": ParagraphStyle("head", base, fontName=BOLD, textColor=colors.white),
        "small": ParagraphStyle("small", base, fontSize=8, leading=10, textColor=colors.grey),
        "number": ParagraphStyle("number", base, alignment=TA_RIGHT),
    }


def _day(day: datetime.date, month: str = "%B") -> str:
    """e.g. 1 September 2027 (strftime's %-d is not portable)."""
    return f"{day.day} {day.strftime(month)} {day.year}"


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def termly_summary_pdf(*, summary, generated_at: datetime.datetime) -> bytes:
    """The school leader's termly summary (reports.selectors.TermlySummary) as PDF bytes."""
    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    schools = ", ".join(school.name for school in summary.schools) or "Your school"
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Termly summary: {schools}, {summary.term.label}",
        author="NPQ Portal",
        lang="en-GB",
    )
    story = [
        _p(f"Termly summary: {summary.term.label}", styles["title"]),
        _p(
            f"{schools}. {_day(summary.term.starts_on)} to {_day(summary.term.ends_on)}: "
            "sessions attended of those held, modules completed and assessment results "
            "released in the term.",
            styles["lede"],
        ),
    ]
    if summary.rows:
        totals = summary.totals
        story.append(
            _p(
                f"{totals['participants']} participant{'s' if totals['participants'] != 1 else ''}; "
                f"{totals['sessions_attended']} of {totals['sessions_held']} session places "
                f"attended; {totals['modules_completed']} modules completed; "
                f"{totals['outcomes']} assessment results released.",
                styles["body"],
            )
        )
    else:
        story.append(
            _p("No one from your school had a place on a programme this term.", styles["body"])
        )
    by_school: dict = {}
    for row in summary.rows:
        by_school.setdefault(row.enrolment.application.school, []).append(row)
    widths = [55 * mm, 62 * mm, 25 * mm, 35 * mm, 45 * mm, 45 * mm]
    for school, rows in by_school.items():
        if len(summary.schools) > 1:
            story.append(_p(school.name, styles["school"]))
        header = [
            _p(text, styles["head"])
            for text in (
                "Participant",
                "Programme and cohort",
                "Place",
                "Sessions attended",
                "Modules completed",
                "Assessment results",
            )
        ]
        table = [header]
        for row in rows:
            enrolment = row.enrolment
            sessions = f"{row.sessions_attended} of {row.sessions_held}"
            if row.sessions_excused:
                sessions += f" ({row.sessions_excused} excused)"
            modules = f"{len(row.modules_completed)}"
            if row.modules_due:
                modules += f" ({row.modules_due} due this term)"
            if row.modules_completed:
                modules += ": " + "; ".join(w.module.title for w in row.modules_completed)
            results = "; ".join(
                f"{o.get_result_display()} ({_day(timezone.localdate(o.released_at), '%b')})"
                for o in row.outcomes
            )
            table.append(
                [
                    _p(
                        enrolment.participant.get_full_name() or enrolment.participant.email,
                        styles["body"],
                    ),
                    _p(
                        f"{enrolment.cohort.programme.short_name}: {enrolment.cohort.programme.name}, "
                        f"{enrolment.cohort.academic_year_label}, {enrolment.cohort.name}",
                        styles["body"],
                    ),
                    _p(enrolment.get_status_display(), styles["body"]),
                    _p(sessions, styles["body"]),
                    _p(modules, styles["body"]),
                    _p(results or "None released", styles["body"]),
                ]
            )
        grid = Table(table, colWidths=widths, repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), NAVY),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#b1b4b6")),
                    (
                        "ROWBACKGROUNDS",
                        (0, 1),
                        (-1, -1),
                        [colors.white, colors.HexColor("#f3f2f1")],
                    ),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        story += [Spacer(1, 3 * mm), grid]
    story += [
        Spacer(1, 5 * mm),
        _p(
            "A session counts once its register is taken; an excused absence counts neither way, "
            "and no one is counted for sessions before they joined or after they stopped. "
            "A module is completed when its study and application phases are both done. "
            "Terms: autumn 1 September to 31 December, spring 1 January to 31 March, summer "
            f"1 April to 31 August. Produced by the NPQ Portal on {_day(generated_at)} at "
            f"{generated_at:%H:%M}.",
            styles["small"],
        ),
    ]
    document.build(story)
    return buffer.getvalue()
