"""`{% register_marks field %}`: one register row's mark buttons drawn in Python, and
`{% register_rows form.rows %}` every row with them.

A register has a row a person and four marks a row; drawn by looping over the field's radio
options in the template, each option cost Django's widget machinery (a context, attributes,
a label) about 40 µs: 8 ms for a register of fifty. The HTML is the template's, unchanged:
the ids are those Django gives a RadioSelect's options (`<field id>_<index>`).
"""

import functools

from django import template
from django.utils.safestring import mark_safe

from npq_portal.escaping import escape
from npq_portal.words import choice_words

register = template.Library()


@register.simple_tag
def register_marks(field):
    """The <input type="radio"> and <label> of each mark of a register row's bound field,
    the one its value names checked."""
    value = field.value()
    value = "" if value is None else str(value)
    name, base = escape(field.html_name), escape(field.auto_id)
    return mark_safe(
        "\n".join(
            f'<input type="radio" class="btn-check" name="{name}" id="{base}_{index}" '
            f'value="{choice}"{" checked" if raw == value else ""}>\n'
            f'<label class="btn mark-{choice}" for="{base}_{index}">{label}</label>'
            for index, (raw, choice, label) in enumerate(_escaped(tuple(field.field.choices)))
        )
    )


@functools.lru_cache(maxsize=16)
def _escaped(choices: tuple) -> tuple[tuple[str, str, str], ...]:
    """Each choice as (value, value escaped, label escaped): the same few on every row."""
    return tuple((str(value), escape(value), escape(label)) for value, label in choices)


@register.simple_tag
def register_rows(rows) -> str:
    """An <li> a person on the register (RegisterForm.rows: the place, its bound field, the
    mark recorded): their name, their place's status if not active, the field's errors, and
    the mark buttons. The HTML the template's loop drew, without its cost a row."""
    return mark_safe("".join(_register_row(enrolment, field) for enrolment, field, _ in rows))


def _register_row(enrolment, field) -> str:
    errors = field.errors if field.form.is_bound else ()
    described = error = ""
    if errors:
        error_id = f"{escape(field.auto_id)}-error"
        described = f' aria-describedby="{error_id}"'
        said = " ".join(escape(message) for message in errors)
        error = f'<div class="invalid-feedback d-block" id="{error_id}">{said}</div>'
    status = (
        f' <span class="badge text-bg-secondary">{escape(choice_words(enrolment, "status"))}</span>'
        if enrolment.status != "active"
        else ""
    )
    return (
        '\n    <li class="list-group-item register-row">\n'
        f"      <fieldset{described}>\n"
        f'        <legend class="register-name">{escape(field.label)}{status}</legend>\n'
        f"        {error}\n"
        '        <div class="btn-group register-marks" role="group">\n'
        f"        {register_marks(field)}\n"
        "        </div>\n"
        "      </fieldset>\n"
        "    </li>\n  "
    )
