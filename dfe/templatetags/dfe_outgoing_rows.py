"""`{% outgoing_rows object_list show %}`: the rows of "Changes owed to DfE" drawn in Python.

Each of the page's 25 rows says whose change it is in one of four ways (a linked application,
DfE's application alone, a declaration with or without its place, nothing), with up to eight
cells and a form; drawn by the template engine a row cost about a fifth of a millisecond in
variable look-ups. Here each row is one string with the same HTML the template had: the form's
address is reversed once a page, and every form carries the page's CSRF token.
"""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import conditional_escape as esc
from django.utils.safestring import mark_safe

from npq_portal.addresses import row_address
from npq_portal.templatetags.dates import LocalDates
from npq_portal.words import choice_words

register = template.Library()


def _when(dates: LocalDates, moment) -> str:
    """The moment as `|date:"j M Y H:i"` draws it; "" for none."""
    return dates.day_month_year_time(moment, sep=" ") if moment else ""


def _person(user) -> str:
    return esc(user.get_full_name() or user.email)


def _whose(outgoing, application) -> str:
    if application:
        cohort = application.cohort
        return (
            f'<a href="{esc(application.get_absolute_url())}">{_person(application.applicant)}'
            f'</a><div class="small text-body-secondary">{esc(cohort.programme.short_name)} '
            f"{esc(cohort.academic_year_label)}</div>"
        )
    if outgoing.dfe_application:
        return esc(outgoing.dfe_application.full_name or "Not named by DfE")
    declaration = outgoing.declaration
    if not declaration:
        return "–"
    place = declaration.enrolment
    if not place:
        whose, where = esc(declaration.dfe_application.full_name or "Not named by DfE"), ""
    else:
        whose = _person(place.participant)
        if place.application:
            whose = f'<a href="{esc(place.application.get_absolute_url())}">{whose}</a>'
        cohort = place.cohort
        where = f", {esc(cohort.programme.short_name)} {esc(cohort.academic_year_label)}"
    return (
        f'{whose}<div class="small text-body-secondary">'
        f"{esc(outgoing.declaration_label)} declaration{where}</div>"
    )


def _row(outgoing, application, *, show: str, form: dict[str, str], dates: LocalDates) -> str:
    by = (
        f'<div class="small text-body-secondary">by {_person(outgoing.by)}</div>'
        if outgoing.by
        else ""
    )
    state = esc(choice_words(outgoing, "state"))
    if outgoing.last_error:
        state += f'<div class="small">{esc(outgoing.last_error)}</div>'
    if outgoing.note:
        state += f'<div class="small text-body-secondary">{esc(outgoing.note)}</div>'
    if outgoing.state == "waiting":
        next_try = getattr(outgoing, "next_try", None)
        when = _when(dates, next_try) if next_try else "Now"
    else:
        when = _when(dates, outgoing.sent_at) or "–"
    action = ""
    if show != "sent":
        if outgoing.state in ("waiting", "refused"):
            if application:
                whom = f" for {esc(application.applicant.get_full_name())}"
            elif outgoing.declaration and outgoing.declaration.enrolment:
                whom = f" for {esc(outgoing.declaration.enrolment.participant.get_full_name())}"
            else:
                whom = ""
            cell = (
                "\n        "
                f'<form method="post" action="{form["action"](outgoing.pk)}">'
                f'{form["csrf"]}<input type="hidden" name="next" value="{form["next"]}">\n'
                '          <button type="submit" class="btn btn-sm btn-outline-primary">Send again'
                f'<span class="visually-hidden">: {esc(choice_words(outgoing, "kind").lower())}'
                f"{whom}</span></button>\n"
                "        </form>"
            )
        else:
            cell = "–"
        action = f"<td>{cell}</td>"
    return (
        "\n    <tr>\n"
        f'      <th scope="row" class="fw-normal">{esc(choice_words(outgoing, "kind"))}</th>\n'
        f"      <td>{_whose(outgoing, application)}</td>\n"
        f"      <td>{esc(outgoing.connection.name)}</td>\n"
        f"      <td>{_when(dates, outgoing.created_at)}{by}</td>\n"
        f'      <td class="text-end">{outgoing.attempts}</td>\n'
        f"      <td>{state}</td>\n"
        f"      <td>{when}</td>\n"
        f"      {action}\n"
        "    </tr>\n  "
    )


@register.simple_tag(takes_context=True)
def outgoing_rows(context, outgoings, show: str) -> str:
    """One <tr> a change owed to DfE (the view selects and prefetches what the rows show)."""
    form = {
        "action": row_address("dfe:outgoing-send-again"),
        "csrf": CsrfTokenNode().render(context),  # what {% csrf_token %} draws
        "next": esc(context["request"].get_full_path()),
    }
    dates = LocalDates()
    rows = []
    for outgoing in outgoings:
        dfe = outgoing.dfe_application
        application = dfe.application if dfe else None
        rows.append(_row(outgoing, application, show=show, form=form, dates=dates))
    return mark_safe("".join(rows))
