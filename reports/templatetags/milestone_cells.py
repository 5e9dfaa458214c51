"""`{% milestone_rows rows cohort today %}`: the milestone page's rows drawn in Python.

The page has 25 rows of up to nine cells; drawn by the template engine (a declaration cell as
an included template cost a context and a dozen nodes) each row cost a few tenths of a
millisecond in look-ups, filters and addresses reversed. Here each row is one string with the
HTML the template had. The words are the page's own: each state says what it means and by when.
"""

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from npq_portal.addresses import row_address
from npq_portal.escaping import escape
from npq_portal.templatetags.dates import LocalDates
from npq_portal.words import choice_words
from reports.milestones import DUE, LATER, MISSED, SUPPORTED

register = template.Library()


def _cell(cell, today, stopped_as: str, dates: LocalDates) -> str:
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
            note = f", after the milestone ({dates.day_month_year(cell.due_on)})"
        elif claimable:
            note = f"; claim by {dates.day_month_year(cell.due_on)}"
        else:
            note = ""
        return format_html(
            '{}<br><span class="small">evidence {}{}</span>',
            mark_safe(badge),
            dates.day_month_year(cell.evidenced_on),
            note,
        )
    if cell.state == DUE:
        return format_html(
            '<span class="badge text-bg-warning">Due</span><br>'
            '<span class="small">by {}, not yet supported</span>',
            dates.day_month_year(cell.due_on),
        )
    if cell.state == MISSED:
        return format_html(
            '<span class="badge text-bg-danger">Missed</span><br>'
            '<span class="small">milestone was {}</span>',
            dates.day_month_year(cell.due_on),
        )
    if cell.state == LATER:
        return format_html(
            '<span class="text-body-secondary">Later</span><br>'
            '<span class="small text-body-secondary">by {}</span>',
            dates.day_month_year(cell.due_on),
        )
    return format_html('<span class="text-body-secondary">Not due while {}</span>', stopped_as)


def _cells(row, today, dates: LocalDates, drawn: dict) -> str:
    """One <td> a declaration column of a MilestoneRow. A cohort's places share their
    milestones' days, so most cells of a page are alike: each is drawn once a page (`drawn`)."""
    stopped_as = choice_words(row.enrolment, "status").lower()
    html = []
    for cell in row.cells:
        key = (cell, stopped_as)
        td = drawn.get(key)
        if td is None:
            td = drawn[key] = f"<td>{_cell(cell, today, stopped_as, dates)}</td>"
        html.append(td)
    return "".join(html)


def _place(enrolment, stopped: bool, dates: LocalDates) -> str:
    """The place cell: its status, since when it stopped, where it was transferred to."""
    html = escape(choice_words(enrolment, "status"))
    if stopped and enrolment.stopped_at:
        html += (
            '<br><span class="small text-body-secondary">since '
            f"{dates.day_month_year(dates.local(enrolment.stopped_at))}</span>"
        )
    try:
        moved = enrolment.transferred_to
    except ObjectDoesNotExist:
        moved = None
    if moved:
        html += (
            '<br><span class="small text-body-secondary">transferred to '
            f"{escape(moved.cohort.name)}</span>"
        )
    return html


def _next(row, dates: LocalDates) -> str:
    """The next milestone cell: its date and what is due by it, or why there is none."""
    status = row.status
    if status.next_milestone_on:
        html = dates.day_month_year(status.next_milestone_on)
        for d in status.declarations:
            if d.due_on == status.next_milestone_on:
                state = (
                    "supported" if d.state == SUPPORTED else "<strong>not yet supported</strong>"
                )
                html += f'<br><span class="small">{escape(d.label)}: {state}</span>'
        return html
    if status.stopped:
        return (
            '<span class="text-body-secondary">None while '
            f"{escape(choice_words(row.enrolment, 'status').lower())}</span>"
        )
    return '<span class="text-body-secondary">All milestones passed</span>'


@register.simple_tag
def milestone_rows(rows, cohort, today):
    """One <tr> a MilestoneRow (reports/views.py), the cohort column left out on a cohort's
    own page (`cohort`); the view selects each place's person, cohort, programme, place it
    was transferred to and kept days with it."""
    progress = row_address("participants:enrolment-progress-staff")
    cohort_page = row_address("reports:cohort-milestones")
    dates = LocalDates()
    drawn: dict = {}  # each kind of declaration cell, drawn once (_cells)
    html = []
    for row in rows:
        enrolment = row.enrolment
        person = escape(str(enrolment.participant))
        if cohort:
            cohort_cell = ""
        else:
            of = enrolment.cohort
            cohort_cell = (
                f'<td><a href="{cohort_page(enrolment.cohort_id)}">'
                f"{escape(of.programme.short_name)} {escape(of.academic_year_label)}, "
                f"{escape(of.name)}</a></td>"
            )
        html.append(
            "\n    <tr>\n"
            f'      <th scope="row"><a href="{progress(enrolment.pk)}">'
            f"{person}</a></th>\n"
            f"      {cohort_cell}\n"
            f"      <td>{_place(enrolment, row.status.stopped, dates)}</td>\n"
            f"      {_cells(row, today, dates, drawn)}\n"
            f"      <td>{_next(row, dates)}</td>\n"
            "    </tr>\n  "
        )
    return mark_safe("".join(html))
