"""The portal's form renderer: Django's own, with its plainest widgets drawn in Python.

A form's every input, select and text area is a template of Django's (`input.html`, with an
`{% include %}` of its attributes, and one more for each option of a select): about 0.1 ms a
field, and a millisecond or more on a page of filters or settings. This renderer writes the
same HTML for those templates, character for character, from the same context the widget
gives its template; any other widget, and any of these templates an app overrides, is drawn by
the template as before.
"""

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.functional import cached_property
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
# Widget templates that are only {% include "django/forms/widgets/input.html" %}.
INPUTS = (
    "checkbox color date datetime email hidden number password search tel text time url"
).split()
DJANGOS_TEMPLATES = Path(django.forms.__file__).parent / "templates"
# What a widget template's {{ … }} renders with: autoescaped, localised as settings say.
_TEMPLATE_CONTEXT = Context(autoescape=True)


class PortalFormRenderer(DjangoTemplates):
    """Django's default form renderer (settings.FORM_RENDERER), drawing inputs, selects and
    text areas in Python."""

    def render(self, template_name, context, request=None):
        draw = self._drawers.get(template_name)
        if draw is not None:
            drawn = draw(context["widget"])
            if drawn is not None:
                return mark_safe(drawn)
        return super().render(template_name, context, request)

    @cached_property
    def _drawers(self) -> dict:
        """The templates drawn here, each only while it (and what it includes) is Django's."""
        if not self._djangos("attrs.html"):
            return {}
        drawers = {}
        if self._djangos("input.html"):
            drawers |= {
                f"{WIDGETS}{name}.html": _input for name in INPUTS if self._djangos(f"{name}.html")
            }
        if self._djangos("select.html") and self._djangos("select_option.html"):
            drawers[f"{WIDGETS}select.html"] = _select
        if self._djangos("textarea.html"):
            drawers[f"{WIDGETS}textarea.html"] = _textarea
        return drawers

    def _djangos(self, name: str) -> bool:
        origin = Path(self.get_template(f"{WIDGETS}{name}").template.origin.name)
        return origin.is_relative_to(DJANGOS_TEMPLATES)


def _shown(value) -> str:
    """{{ value }} in a widget template."""
    return render_value_in_context(value, _TEMPLATE_CONTEXT)


def _formatted(value) -> str:
    """{{ value|stringformat:'s' }}: the value as text, escaped unless it was safe."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return _shown(mark_safe(text) if isinstance(value, SafeData) else text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_shown(name)}" if value is True else f' {_shown(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _textarea(widget) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_shown(value) if value else ''}</textarea>"
    )


def _select(widget) -> str | None:
    html = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            html.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option["template_name"] != f"{WIDGETS}select_option.html":
                return None  # an option of its own: the template draws the whole select
            html.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_shown(option['label'])}</option>\n"  # the option template's last line
            )
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>")
    return "".join(html)
