"""The cohort grid drawn in Python: a grid of 25 people × 20 columns is 500 cells, about 20 ms
as template loops. A cell can say only a few things (a mark, or whether each of a module's two
phases is done), so each is drawn once, escaped, and reused; each row, and the row of column
headings, is one string with the HTML the template's loops drew."""

import functools

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from npq_portal.addresses import RowAddress, row_address
from npq_portal.escaping import escape
from npq_portal.templatetags.dates import LocalDates
from npq_portal.words import choice_words

register = template.Library()


# A register mark: the symbol shown (hidden from screen readers, who hear the word).
MARK_SYMBOLS = {"present": "✓", "late": "L", "absent": "✗"}
EXCUSED_SYMBOL = "E"


@functools.cache
def mark_cell(mark: str) -> str:
    if not mark:
        return '<td class="cell-none"></td>'
    return format_html(
        '<td class="cell-{}"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></td>',
        mark,
        MARK_SYMBOLS.get(mark, EXCUSED_SYMBOL),
        mark,
    )


@functools.cache
def phase_cell(study: bool, application: bool) -> str:
    def shown(letter: str, done: bool) -> str:
        return f"{letter}✓" if done else f'<span class="text-body-secondary">{letter}</span>'

    return (
        f'<td><span aria-hidden="true">{shown("S", study)} {shown("A", application)}</span>'
        f'<span class="visually-hidden">study {"done" if study else "not done"}, '
        f"application {'done' if application else 'not done'}</span></td>"
    )


@register.simple_tag
def progress_cells(row):
    """A grid row's register cells, then its module cells."""
    return mark_safe(
        "".join(mark_cell(mark) for mark in row.marks)
        + "".join(phase_cell(bool(s), bool(a)) for s, a in row.phases)
    )


@register.simple_tag
def word_cells(words) -> str:
    """A <td> a word (a Work Group grid's marks, already in words), escaped: a row of sessions
    drawn at once rather than a template loop a cell."""
    return mark_safe("".join(_word_cell(word) for word in words))


@functools.lru_cache(maxsize=64)
def _word_cell(word: str) -> str:
    """A cell says one of a few words (a mark's, "Not marked", or none): each escaped once."""
    return f"<td>{escape(word)}</td>"


@register.simple_tag
def progress_grid_heads(grid) -> str:
    """The grid's column headings: a session's date (its title and full date on hover), then
    a module's number (its title on hover and for screen readers)."""
    dates = LocalDates()
    sessions = "".join(
        f'<th scope="col"><abbr title="{escape(session.title)}, '
        f'{dates.day_full_month_year(starts_at)}">{dates.day_month(starts_at)}</abbr></th>'
        for session, starts_at in ((s, dates.local(s.starts_at)) for s in grid.sessions)
    )
    modules = "".join(
        f'<th scope="col"><abbr title="{title}">M{number}</abbr> '
        f'<span class="visually-hidden">{title}</span></th>'
        for number, title in (
            (number, escape(window.module.title))
            for number, window in enumerate(grid.windows, start=1)
        )
    )
    return mark_safe(f"{sessions}\n      {modules}")


@register.simple_tag
def progress_grid_rows(rows) -> str:
    """A <tr> a ProgressRow: the person (a link to their progress, with an at-risk badge and
    their place's status if not active), participation so far and overall, the cells, and the
    assessment (an enrolment may carry `assessment_status`, fuller than its released result)."""
    address = row_address("participants:enrolment-progress-staff")
    return mark_safe("".join(_progress_row(row, address) for row in rows))


def _progress_row(row, address: RowAddress) -> str:
    enrolment = row.enrolment
    badges = ' <span class="badge text-bg-danger">At risk</span>' if row.at_risk else ""
    if enrolment.status != "active":
        status = escape(choice_words(enrolment, "status"))
        badges += f' <span class="badge text-bg-secondary">{status}</span>'
    so_far = row.participation.so_far_percent
    overall = row.participation.overall_percent
    assessment = getattr(enrolment, "assessment_status", "") or choice_words(
        enrolment, "assessment_result"
    )
    link = address(enrolment.pk)
    return (
        "\n    <tr>\n"
        f'      <th scope="row"><a href="{link}">{escape(str(enrolment.participant))}</a>'
        f"{badges}</th>\n"
        f"      <td>{'–' if so_far is None else f'{so_far}%'}</td>\n"
        f"      <td>{'–' if overall is None else overall}%</td>\n"
        f"      {progress_cells(row)}\n"
        f"      <td>{escape(assessment)}</td>\n"
        "    </tr>\n  "
    )
