"""The cohort grid's cells, drawn in Python: a grid of 25 people × 20 columns is 500 cells,
about 20 ms as template loops. A cell can say only a few things (a mark, or whether each of a
module's two phases is done), so each is drawn once, escaped, and reused."""

import functools

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

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
    return mark_safe("".join(f"<td>{escape(word)}</td>" for word in words))
