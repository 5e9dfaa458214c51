"""Funding decisions in the Django admin, read-only: only the services write them."""

from django.contrib import admin

from npq_portal.admin import ReadOnlyAdmin

from .models import FundingDecision


@admin.register(FundingDecision)
class FundingDecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subject", "rules", "status", "override_status"]
    list_filter = ["rules", "status"]
    search_fields = ["subject"]
