from django import template

from cohorts.academic_years import academic_year_label
from cohorts.models import Cohort

register = template.Library()

# {{ cohort.academic_year|add:1|academic_year_label }}: "2027/28" for the year after 2026/27.
register.filter("academic_year_label", academic_year_label)


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
