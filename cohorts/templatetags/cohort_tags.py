from django import template
from django.utils.safestring import mark_safe

from cohorts.academic_years import academic_year_label
from cohorts.models import Cohort
from npq_portal.addresses import RowAddress, row_address
from npq_portal.escaping import escape
from npq_portal.templatetags.dates import LocalDates
from npq_portal.words import choice_words

register = template.Library()


# {{ cohort.academic_year|add:1|academic_year_label }}: "2027/28" for the year after 2026/27.
register.filter("academic_year_label", academic_year_label)


@register.inclusion_tag("cohorts/includes/_open_cohorts.html")
def open_cohorts(programme):
    """The programme's cohorts open for applications, for its public page."""
    cohorts = (
        Cohort.objects.accepting_applications()
        .filter(programme=programme)
        .select_related("delivery_partner")
        .order_by("starts_on")
    )
    return {"cohorts": list(cohorts), "programme": programme}


def _session_item(
    session,
    addresses: dict[str, RowAddress],
    dates: LocalDates,
    *,
    can_mark: bool,
    can_change: bool,
) -> str:
    pk = str(session.pk)
    title = escape(session.title)
    struck = " text-decoration-line-through" if session.status == "cancelled" else ""
    if session.status == "draft":
        badge = '<span class="badge text-bg-warning">Draft</span>'
    elif session.status == "cancelled":
        badge = '<span class="badge text-bg-danger">Cancelled</span>'
    else:
        badge = ""
    where = escape(session.online_link or session.venue or "Place to be set")
    if session.facilitator:
        where += f" · {escape(str(session.facilitator))}"
    if session.capacity:
        where += f" · {session.capacity} places"
    register = ""
    if can_mark and session.status == "scheduled" and session.register_is_open:
        register = (
            f'<a class="btn btn-sm btn-primary" href="{addresses["register"](pk)}">'
            f'Register<span class="visually-hidden"> for {title}</span></a>'
        )
    edit = ""
    if can_change and session.status != "cancelled":
        edit = (
            '<a class="btn btn-sm btn-outline-primary" '
            f'href="{addresses["update"](pk)}">'
            f'Edit<span class="visually-hidden"> {title}</span></a>'
            '<a class="btn btn-sm btn-link text-danger" '
            f'href="{addresses["cancel"](pk)}">'
            f'Cancel<span class="visually-hidden"> {title}</span></a>'
        )
    ends = dates.local(session.ends_at)
    return (
        '\n            <li class="list-group-item d-flex flex-wrap justify-content-between '
        f'gap-2{struck}" id="session-{pk}">\n'
        "              <div>\n"
        f"                <strong>{escape(dates.when(session.starts_at))}–{ends:%H:%M}</strong> "
        f"{title}\n"
        '                <span class="badge text-bg-light border">'
        f"{escape(choice_words(session, 'kind'))}</span>\n"
        f"                {badge}\n"
        f'                <div class="small text-body-secondary">{where}</div>\n'
        "              </div>\n"
        '              <div class="d-flex gap-1 align-items-start">\n'
        f"                {register}\n"
        f"                {edit}\n"
        "              </div>\n"
        "            </li>\n"
        "          "
    )


@register.simple_tag(takes_context=True)
def session_items(context, sessions) -> str:
    """A cohort page's sessions of one month drawn in Python, each an <li> with the HTML the
    template had (a few tenths of a millisecond a session there): when, what, where, who, and
    the register and edit links the user may follow (the view selects each facilitator)."""
    user = context["request"].user
    addresses = {
        "register": row_address("participants:session-register"),
        "update": row_address("cohorts:session-update"),
        "cancel": row_address("cohorts:session-cancel"),
    }
    can_mark = user.has_perm("participants.add_attendance")
    can_change = user.has_perm("cohorts.change_session")
    dates = LocalDates()
    return mark_safe(
        "".join(
            _session_item(session, addresses, dates, can_mark=can_mark, can_change=can_change)
            for session in sessions
        )
    )


@register.simple_tag(takes_context=True)
def module_window_rows(context, windows) -> str:
    """A cohort page's module windows drawn in Python, each a <tr> with the HTML the template
    had: the module and its course, when it opens and its phases are due, and the link to
    change them for those who may (the view selects each module's course)."""
    change = ""
    if context["request"].user.has_perm("cohorts.change_modulewindow"):
        change = row_address("cohorts:modulewindow-update")
    dates = LocalDates()
    rows = []
    for window in windows:
        module = escape(str(window.module))
        link = ""
        if change:
            link = (
                f'<td><a href="{change(window.pk)}">Change'
                f'<span class="visually-hidden"> dates for {module}</span></a></td>'
            )
        due = window.application_due_on
        rows.append(
            f'\n            <tr><td>{module}<div class="small text-body-secondary">'
            f"{escape(str(window.module.course))}</div></td>"
            f"<td>{dates.day_month(window.opens_on)}</td>"
            f"<td>{dates.day_month(window.study_due_on)}</td>"
            f"<td>{dates.day_month_year(due)}</td>\n"
            f"              {link}</tr>\n"
            "          "
        )
    return mark_safe("".join(rows))
