from django import template
from django.db.models import prefetch_related_objects

register = template.Library()


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
