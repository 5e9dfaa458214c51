"""A Work Group's tables drawn in Python: its schools, attendance by school and session, and
who has missed what. A Work Group of twenty schools has about sixty people and six hundred
cells; as template loops, each person's line cost a dozen look-ups and filters, about 30 ms in
all. Each line here is one string, with the HTML the template's loops drew."""

from django import template
from django.utils.safestring import mark_safe

from npq_portal.addresses import RowAddress, row_address
from npq_portal.escaping import escape
from npq_portal.templatetags.dates import LocalDates
from npq_portal.words import choice_words

from .progress_grid import word_cells

register = template.Library()


def _place_address() -> RowAddress:
    return row_address("participants:school-place-detail")


def _name(enrolment) -> str:
    """The person's full name, or their email address if they have none."""
    person = enrolment.participant
    return escape(person.get_full_name() or person.email)


@register.simple_tag
def work_group_school_rows(schools) -> str:
    """A <tr> a school (SchoolRow) in the Work Group's table of schools: its place's page, URN,
    local authority, team, place, action plan, evaluation and completion."""
    address, dates = _place_address(), LocalDates()
    return mark_safe("".join(_school_row(school, address, dates) for school in schools))


def _school_row(school, address: RowAddress, dates: LocalDates) -> str:
    place = school.place
    team = "".join(
        f"<li>{escape(_label(member.enrolment, 'Team member'))}: {_name(member.enrolment)} "
        f'<span class="text-body-secondary">({escape(member.enrolment.participant.email)}, '
        f"{escape(choice_words(member.enrolment, 'status').lower())})</span></li>"
        for member in school.members
    )
    ended = place.completed_on or place.withdrawn_on
    on = (
        f'<div class="small text-body-secondary">{dates.day_month_year(ended)}</div>'
        if ended
        else ""
    )
    if place.status == "completed":
        completion = "Completed"
    elif school.completion.met:
        completion = "Rule met"
    else:
        reasons = " ".join(escape(reason) for reason in school.completion.reasons)
        completion = f'<span class="small">{reasons}</span>'
    return (
        "\n      <tr>\n"
        f'        <th scope="row"><a href="{address(place.pk)}">'
        f"{escape(place.school.name)}</a></th>\n"
        f"        <td>{place.school.urn}</td>\n"
        f"        <td>{escape(place.school.la_name) or '–'}</td>\n"
        f'        <td><ul class="list-unstyled mb-0 small">{team}</ul></td>\n'
        f"        <td>{escape(choice_words(place, 'status'))}{on}</td>\n"
        f"        <td>{'In' if place.has_action_plan() else 'Not yet'}</td>\n"
        f"        <td>{'In' if place.has_evaluation() else 'Not yet'}</td>\n"
        f"        <td>{completion}</td>\n"
        "      </tr>\n    "
    )


def _label(enrolment, otherwise: str) -> str:
    slot = enrolment.role_slot
    return (slot.label if slot is not None else "") or otherwise


@register.simple_tag
def work_group_session_heads(sessions) -> str:
    """A column heading a session: its date, its title and full date on hover and its title
    for screen readers."""
    dates = LocalDates()
    return mark_safe(
        "".join(
            f'<th scope="col"><abbr title="{title}, {dates.day_full_month_year(starts_at)}">'
            f"{dates.day_month(starts_at)}</abbr>"
            f'<span class="visually-hidden"> {title}</span></th>'
            for title, starts_at in (
                (escape(session.title), dates.local(session.starts_at)) for session in sessions
            )
        )
    )


@register.simple_tag
def work_group_grid_bodies(grid, schools, link_schools=False) -> str:
    """A <tbody> a school (SchoolRow) of the attendance grid: a heading row (the school, its
    URN, its place's status if not active), then a row a person with their marks in words."""
    address = _place_address()
    width = len(grid.sessions) + 3
    return mark_safe(
        "".join(_grid_body(school, width, address if link_schools else None) for school in schools)
    )


def _grid_body(school, width: int, address: RowAddress | None) -> str:
    place = school.place
    name = escape(place.school.name)
    if address:
        name = f'<a href="{address(place.pk)}">{name}</a>'
    status = (
        f' <span class="badge text-bg-secondary">{escape(choice_words(place, "status"))}</span>'
        if place.status != "active"
        else ""
    )
    members = "".join(_grid_row(member) for member in school.members) or (
        f'\n    <tr><td colspan="{width}">No one named.</td></tr>\n    '
    )
    return (
        "\n  <tbody>\n"
        '    <tr class="table-light">\n'
        f'      <th scope="rowgroup" colspan="{width}">{name} <span class="small '
        f'text-body-secondary">URN {place.school.urn}</span>{status}</th>\n'
        f"    </tr>\n    {members}\n"
        "  </tbody>\n  "
    )


def _grid_row(member) -> str:
    enrolment = member.enrolment
    status = (
        f' <span class="badge text-bg-secondary">{escape(choice_words(enrolment, "status"))}</span>'
        if enrolment.status != "active"
        else ""
    )
    return (
        "\n    <tr>\n"
        f'      <th scope="row" class="fw-normal">{_name(enrolment)}{status}</th>\n'
        f"      <td>{escape(_label(enrolment, '–'))}</td>\n"
        f"      <td>{member.attended}</td>\n"
        f"      {word_cells(member.marks)}\n"
        "    </tr>\n    "
    )


@register.simple_tag
def work_group_missed(missed) -> str:
    """An <li> a person with a session missed ((SchoolRow, MemberRow) pairs): who, their
    school and role, and the sessions."""
    dates = LocalDates()
    return mark_safe("".join(_missed_item(school, member, dates) for school, member in missed))


def _missed_item(school, member, dates: LocalDates) -> str:
    enrolment = member.enrolment
    slot = enrolment.role_slot
    role = f", {escape(slot.label)}" if slot is not None else ""
    sessions = ", ".join(
        f"{escape(session.title)} ({dates.day_month(dates.local(session.starts_at))})"
        for session in member.missed
    )
    return (
        f'\n    <li class="list-group-item"><strong>{_name(enrolment)}</strong> '
        f'<span class="small text-body-secondary">{escape(school.place.school.name)}{role}'
        "</span>\n"
        f'      <div class="small">Missed {len(member.missed)}: {sessions}</div></li>\n  '
    )
