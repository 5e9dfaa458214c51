from django import template

from cohorts.models import Cohort

register = template.Library()


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
