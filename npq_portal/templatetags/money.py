"""{{ cohort.effective_fee|pounds }}: "£1,250"."""

from django import template

from npq_portal.money import pounds

register = template.Library()
register.filter("pounds", pounds)
