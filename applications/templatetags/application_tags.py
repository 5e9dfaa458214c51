from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django import template
from django.db.models import prefetch_related_objects

register = template.Library()

_drawn: dict[tuple, str] = {}  # crispy's HTML of each blank form, by form class


@register.simple_tag
def crispy_blank(form) -> str:
    """`{{ form|crispy }}` for a form with no data and no initial values: its HTML depends on
    nothing but its class, so crispy draws it once a process, not on every request (a few
    milliseconds of templates each time). A bound form is drawn each time, with its errors."""
    if form.is_bound or form.initial:
        return as_crispy_form(form)
    key = (type(form), form.prefix, form.auto_id)
    if key not in _drawn:
        _drawn[key] = as_crispy_form(form)
    return _drawn[key]


@register.simple_tag
def team_sign_ups_prefetch(applications) -> str:
    """Fetch the schools and teams of the school sign-ups among `applications` for a list that
    shows each one's team: a query each for them all, not a query a row. Renders nothing."""
    prefetch_related_objects(
        [application for application in applications if application.team],
        "school",
        "team_members__slot",
    )
    return ""
