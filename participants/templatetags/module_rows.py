"""`{% module_rows progress.modules view.staff %}`: a participant's modules drawn in Python.

A programme has about twenty modules, each a line with its dates and two forms (study done,
application done); as a template loop each line cost three date filters, two CSRF tokens and a
dozen look-ups. Here each line is one string, with the HTML the loop drew."""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import mark_safe

from npq_portal.escaping import escape
from npq_portal.templatetags.dates import LocalDates

register = template.Library()


@register.simple_tag(takes_context=True)
def module_rows(context, modules, staff=False) -> str:
    """An <li> a module (ModuleProgress): its title, course and dates, then a button for each
    phase once it is open (staff always), or the day it opens."""
    csrf = CsrfTokenNode().render(context)
    dates = LocalDates()
    return mark_safe("".join(_module_row(item, staff, csrf, dates) for item in modules))


def _phase_form(module_id, phase: str, done: bool, csrf: str, words: tuple, title: str) -> str:
    shown = f"✓ {words[0]}" if done else f"Mark {words[1]}"
    return (
        f'<form method="post">{csrf}<input type="hidden" name="module" value="{module_id}">'
        f'<input type="hidden" name="phase" value="{phase}">'
        f'<input type="hidden" name="done" value="{"0" if done else "1"}">'
        f'<button type="submit" class="btn btn-sm {"btn-success" if done else "btn-outline-primary"}" '
        f'aria-pressed="{"true" if done else "false"}">{shown}'
        f'<span class="visually-hidden"> for {title}</span></button></form>'
    )


def _module_row(item, staff, csrf: str, dates: LocalDates) -> str:
    window = item.window
    title = escape(window.module.title)
    if item.is_open or staff:
        actions = (
            "\n          "
            + _phase_form(
                window.module_id,
                "study",
                item.study_done,
                csrf,
                ("Study done", "study done"),
                title,
            )
            + "\n          "
            + _phase_form(
                window.module_id,
                "application",
                item.application_done,
                csrf,
                ("Application done", "application done"),
                title,
            )
            + "\n        "
        )
    else:
        opens = dates.day_full_month(window.opens_on)
        actions = (
            f'\n          <span class="badge text-bg-light border">Opens {opens}</span>\n        '
        )
    return (
        '\n    <li class="list-group-item">\n'
        '      <div class="d-flex flex-wrap justify-content-between gap-2">\n'
        f'        <div><strong>{title}</strong><div class="small text-body-secondary">'
        f"{escape(window.module.course.title)} · opens {dates.day_month(window.opens_on)}, "
        f"study by {dates.day_month(window.study_due_on)}, "
        f"application by {dates.day_month_year(window.application_due_on)}</div></div>\n"
        '        <div class="d-flex flex-wrap gap-2">\n'
        f"        {actions}\n"
        "        </div>\n"
        "      </div>\n"
        "    </li>\n  "
    )
