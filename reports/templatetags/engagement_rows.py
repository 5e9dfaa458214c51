"""`{% engagement_rows rows choice.programme %}`: the engagement roster's rows drawn in Python.

The roster shows 50 rows of nine cells; drawn by the template engine they cost more than
working out every school's standing. Here each row is one string, with the same HTML the
template had.
"""

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


def _day(value) -> str:
    """A day as the template's `date:"j M Y"|default:"–"` drew it."""
    return date_format(value, "j M Y") if value else "–"


def _row(row, programme_shown: bool) -> str:
    school = row.school
    cohort = row.cohort
    programme = f"<td>{escape(cohort.programme.short_name)}</td>" if programme_shown else ""
    signed_up = date_format(row.signed_up_on, "j M Y")
    return (
        f"\n      <tr><td>{school.urn}</td>"
        f'<th scope="row" class="fw-normal">{escape(school.name)}</th>'
        f"<td>{escape(school.la_name)}</td>{programme}<td>{escape(cohort.name)}</td>"
        f"<td>{signed_up}</td><td>{escape(row.status_label)}</td>"
        f"<td>{_day(row.completed_on)}</td><td>{_day(row.withdrawn_on)}</td></tr>\n    "
    )


@register.simple_tag
def engagement_rows(rows, programme) -> str:
    """One <tr> a roster row (RosterRow); with no programme chosen (every Work Group's
    roster) each row names its programme."""
    return mark_safe("".join(_row(row, programme is None) for row in rows))
