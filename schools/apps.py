"""Where people work: GIAS schools, other institutions, DfE's eligibility lists, school leaders."""

from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = "Schools"
