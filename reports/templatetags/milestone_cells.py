"""`{% declaration_cells row today %}`: a milestone row's declaration cells drawn in Python.

The page has four a row and 25 rows; as an included template each cell cost a context and a
dozen nodes. The words are the page's own: each state says what it means and by when.
"""

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from reports.milestones import DUE, LATER, MISSED, SUPPORTED

register = template.Library()


def _day(value) -> str:
    return date_format(value, "j M Y")


def _cell(cell, today, stopped_as: str) -> str:
    if cell is None:
        return (
            '<span class="text-body-secondary" aria-hidden="true">–</span>'
            '<span class="visually-hidden">None for this programme</span>'
        )
    if cell.state == SUPPORTED:
        claimable = cell.due_on >= today
        badge = (
            '<span class="badge text-bg-success">Claimable</span>'
            if claimable
            else '<span class="badge text-bg-light border">Supported</span>'
        )
        if cell.late:
            note = f", after the milestone ({_day(cell.due_on)})"
        elif claimable:
            note = f"; claim by {_day(cell.due_on)}"
        else:
            note = ""
        return format_html(
            '{}<br><span class="small">evidence {}{}</span>',
            mark_safe(badge),
            _day(cell.evidenced_on),
            note,
        )
    if cell.state == DUE:
        return format_html(
            '<span class="badge text-bg-warning">Due</span><br>'
            '<span class="small">by {}, not yet supported</span>',
            _day(cell.due_on),
        )
    if cell.state == MISSED:
        return format_html(
            '<span class="badge text-bg-danger">Missed</span><br>'
            '<span class="small">milestone was {}</span>',
            _day(cell.due_on),
        )
    if cell.state == LATER:
        return format_html(
            '<span class="text-body-secondary">Later</span><br>'
            '<span class="small text-body-secondary">by {}</span>',
            _day(cell.due_on),
        )
    return format_html('<span class="text-body-secondary">Not due while {}</span>', stopped_as)


@register.simple_tag
def declaration_cells(row, today):
    """One <td> a declaration column of a MilestoneRow (reports/views.py)."""
    stopped_as = row.enrolment.get_status_display().lower()
    return mark_safe("".join(f"<td>{_cell(cell, today, stopped_as)}</td>" for cell in row.cells))
