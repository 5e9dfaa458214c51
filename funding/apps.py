"""Who DfE funds: the rules engine, recorded decisions and staff overrides."""

from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Funding"
