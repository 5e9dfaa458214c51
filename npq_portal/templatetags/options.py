"""`{% select_options choices selected empty %}`: a <select>'s options drawn in Python;
`{% field_options field %}` for a form's choice field (its own empty choice included).

A filter list of hundreds of cohorts costs a template loop about 25 µs an option (10 ms a
page). Here each list's options are escaped and drawn once a process (the same list comes back
page after page) and only the chosen one is marked on each page.
"""

import functools

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def select_options(choices, selected="", empty="Any"):
    """An empty choice labelled `empty`, then one <option> a (value, label) pair, the one whose
    value (as text) is `selected` marked so."""
    return mark_safe(f'<option value="">{escape(empty)}</option>{_marked(choices, selected)}')


@register.simple_tag
def select_option_groups(groups, selected="", empty="Any"):
    """As select_options, for choices in groups: (group label, [(value, label), …]) pairs, each
    an <optgroup>."""
    return mark_safe(
        f'<option value="">{escape(empty)}</option>'
        + "".join(
            f'<optgroup label="{escape(group)}">{_marked(choices, selected)}</optgroup>'
            for group, choices in groups
        )
    )


@register.simple_tag
def field_options(field):
    """A bound choice field's options (its empty choice among them, as the field has it),
    the one its value names marked."""
    value = field.value()
    return mark_safe(_marked(field.field.choices, "" if value is None else value))


def _marked(choices, selected) -> str:
    """The choices' options, drawn once a process for each list (its pairs, as they are, the
    key), with the chosen one marked: the options whose value is the one chosen."""
    html, values = _drawn(tuple(map(tuple, choices)))
    selected = str(selected)
    if selected not in values:
        return html
    value = escape(selected)
    return html.replace(f'<option value="{value}">', f'<option selected value="{value}">')


@functools.lru_cache(maxsize=64)
def _drawn(choices: tuple[tuple, ...]) -> tuple[str, frozenset[str]]:
    """The options of these (value, label) pairs, and their values, as text."""
    html = "".join(
        f'<option value="{escape(str(value))}">{escape(str(label))}</option>'
        for value, label in choices
    )
    return html, frozenset(str(value) for value, _ in choices)
