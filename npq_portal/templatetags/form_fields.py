"""Crispy's Bootstrap 5 fields drawn in Python: `{{ form|crispy }}` and `|as_crispy_field` as
the templates write them, with the same markup.

The pack's `bootstrap5/field.html` costs about 0.7 ms a field in template look-ups and includes,
and its `layout/radio_checkbox_select.html` includes a template for each choice's attributes
(about 0.25 ms a choice: 10 ms for a form with thirty choices). The project's copies of the two
(templates/bootstrap5/) call `bootstrap_field` and `choice_inputs` below. A layout they do not
draw (a form helper's classes or tags, a file field) goes to the pack's own field template.
npq_portal/tests/test_form_fields.py compares what they write with what the pack writes, for
every kind of field, bound and unbound: a new version of the pack that changes its markup
fails there.
"""

import functools
from pathlib import Path

import crispy_bootstrap5
from crispy_forms.templatetags.crispy_forms_filters import optgroups
from django import forms, template
from django.conf import settings
from django.template.loader import get_template
from django.templatetags.l10n import unlocalize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

register = template.Library()

ERRORS_TEMPLATE = "bootstrap5/layout/field_errors_block.html"


def _attributes(attrs: dict) -> str:
    """What the pack's layout/attrs.html writes: each attribute not False, a bare name for
    True, name="value" otherwise."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


@register.simple_tag(takes_context=True)
def choice_inputs(context, field, inline_class) -> str:
    """Each choice of `field`: its input and label in a Bootstrap form-check, grouped under
    its group's name; the field's errors after the last one unless the choices are inline."""
    groups = optgroups(field)
    invalid = " is-invalid" if field.errors else ""
    wrapper = "form-check form-check-inline" if inline_class else "form-check"
    name = conditional_escape(field.html_name)
    parts = []
    for group_number, (group, options, _index) in enumerate(groups, start=1):
        if group:
            parts.append(f"<strong>{conditional_escape(group)}</strong>")
        for number, option in enumerate(options, start=1):
            errors = ""
            last = number == len(options) and group_number == len(groups)
            if field.errors and last and not inline_class:
                errors = get_template(ERRORS_TEMPLATE).template.render(context)
            parts.append(
                f'\n      <div class="{wrapper}">'
                f'\n        <input type="{conditional_escape(option["type"])}" '
                f'class="form-check-input{invalid}"  name="{name}" '
                f'value="{conditional_escape(unlocalize(option["value"]))}" '
                f"{_attributes(option['attrs'])}>"
                f'\n        <label for="{conditional_escape(option["attrs"].get("id", ""))}" '
                'class="form-check-label">'
                f"\n            {conditional_escape(unlocalize(option['label']))}"
                f"\n        </label>{errors}"
                "\n     </div>"
            )
    return mark_safe("".join(parts))


# ---- A whole field (the pack's bootstrap5/field.html) ----

STOCK_FIELD = Path(crispy_bootstrap5.__file__).parent / "templates" / "bootstrap5" / "field.html"
# What the pack's field template is given that changes its markup from the plain layout drawn
# below (a form helper's settings, `|as_crispy_field`'s classes): with any of them set, the
# pack's own template draws the field.
LAYOUT_SETTINGS = (
    "tag",
    "label_class",
    "field_class",
    "wrapper_class",
    "help_text_inline",
    "error_text_inline",
    "flat_attrs",
    "inline_class",
)


@functools.cache
def _stock_field(engine) -> template.Template:
    """The pack's own field template, which the project's copy of it hides by name."""
    return engine.from_string(STOCK_FIELD.read_text(encoding="utf-8"))


def _plain_layout(context) -> bool:
    return (
        not any(context.get(name) for name in LAYOUT_SETTINGS)
        and "form-horizontal" not in (context.get("form_class") or "")
        and context.get("form_show_labels", False)
        and not isinstance(context["field"].field.widget, forms.FileInput)
    )


def _widget(field, classes: str) -> str:
    """The field's input with Bootstrap's classes added, as the pack's `{% crispy_field %}`
    adds them (to the widget's own and its class name's)."""
    widget = field.field.widget
    widgets = getattr(widget, "widgets", [getattr(widget, "widget", widget)])
    converters = getattr(settings, "CRISPY_CLASS_CONVERTERS", {})
    for each in widgets:
        class_name = each.__class__.__name__.lower()
        class_name = converters.get(class_name, class_name)
        css_class = each.attrs.get("class", "")
        if not css_class:
            css_class = class_name
        elif css_class.find(class_name) == -1:
            css_class += f" {class_name}"
        for name in classes.split():
            if name not in css_class.split():
                css_class += f" {name}"
        each.attrs["class"] = css_class
    return str(field)


def _help_and_errors(context, field) -> str:
    """The pack's layout/help_text_and_errors.html with neither inline: errors, then help."""
    html = ""
    if context.get("form_show_errors") and field.errors:
        field_id = conditional_escape(field.errors.field_id)
        auto_id = conditional_escape(field.auto_id)
        html += f'<div id="{field_id}_error" class="invalid-feedback">'
        html += "".join(
            f'<p id="error_{number}_{auto_id}"><strong>{conditional_escape(error)}</strong></p>'
            for number, error in enumerate(field.errors, start=1)
        )
        html += "</div>"
    if field.help_text:
        named = f'id="{conditional_escape(field.auto_id)}_helptext" ' if field.auto_id else ""
        html += f'<div {named}class="form-text">{field.help_text}</div>'
    return html


def _choices_block(context, field) -> str:
    """What the project's layout/radio_checkbox_select.html draws in a plain layout (no
    field class, attributes or inline choices), to the newline: the choices, then the help
    text as the pack's layout/help_text.html writes it."""
    help_text = ""
    if field.help_text:
        named = f'id="{conditional_escape(field.auto_id)}_helptext" ' if field.auto_id else ""
        help_text = f'\n    \n        <div {named}class="form-text">{field.help_text}</div>\n    \n'
    return f"\n<div >\n{choice_inputs(context, field, '')}\n</div>\n\n{help_text}\n\n"


def _required(field) -> tuple[str, str]:
    """The label's class for a required field, and its asterisk."""
    if field.field.required:
        return " requiredField", '<span class="asteriskField">*</span>'
    return "", ""


@register.simple_tag(takes_context=True)
def bootstrap_field(context) -> str:
    """What the pack's bootstrap5/field.html draws for `field` in a plain layout (labels shown,
    no helper's classes or tags), written in Python; any other layout goes to the pack's own
    template."""
    if not _plain_layout(context):
        return _stock_field(context.template.engine).render(context)
    field = context["field"]
    if field.is_hidden:
        return str(field)
    widget = field.field.widget
    checkbox = isinstance(widget, forms.CheckboxInput)
    choices = isinstance(widget, forms.RadioSelect)  # CheckboxSelectMultiple is one too
    invalid = " is-invalid" if field.errors else ""
    required_class, asterisk = _required(field)
    css_classes = field.css_classes()
    html = '<div class="mb-3">' if checkbox else ""
    wrapper = "form-check" if checkbox else "mb-3"
    html += f'<div id="div_{conditional_escape(field.auto_id)}" class="{wrapper}'
    html += f' {conditional_escape(css_classes)}">' if css_classes else '">'
    fieldset = field.use_fieldset and field.label
    if field.label and not checkbox:
        if field.use_fieldset:
            described = field.aria_describedby
            html += (
                f'<fieldset aria-describedby="{conditional_escape(described)}">'
                if described
                else "<fieldset>"
            )
        tag = "legend" if field.use_fieldset else "label"
        target = f'for="{conditional_escape(field.id_for_label)}" ' if field.id_for_label else ""
        size = " fs-6" if field.use_fieldset else ""
        html += (
            f'<{tag} {target}class="form-label{required_class}{size}">'
            f"{conditional_escape(field.label)}{asterisk}</{tag}>"
        )
    if choices:
        html += _choices_block(context, field)
    elif checkbox:
        html += _widget(field, f"form-check-input{invalid}")
        html += (
            f'<label for="{conditional_escape(field.id_for_label)}" '
            f'class="form-check-label{required_class}">'
            f"{conditional_escape(field.label)}{asterisk}</label>"
        )
        html += _help_and_errors(context, field)
    else:
        kind = "form-select" if isinstance(widget, forms.Select) else "form-control"
        html += _widget(field, f"{kind}{invalid}")
        html += _help_and_errors(context, field)
    if fieldset:
        html += "</fieldset>"
    html += "</div>"
    if checkbox:
        html += "</div>"
    return mark_safe(html)
