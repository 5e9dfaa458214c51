"""Applications in the Django admin, read-only: only the services change them."""

from django.contrib import admin

from npq_portal.admin import ReadOnlyAdmin

from .models import Application


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    """The admin's view of applications: decisions are made on the portal's own pages."""

    list_display = ["applicant", "cohort", "status", "submitted_at", "school"]
    list_filter = ["status", "cohort__academic_year", "cohort__programme"]
    search_fields = ["applicant__email", "applicant__last_name", "=trn"]
    list_select_related = ["applicant", "cohort__programme", "school"]
    # No COUNT(*) of the whole table on every page: the filtered count is enough.
    show_full_result_count = False
    date_hierarchy = "submitted_at"
    raw_id_fields = ["applicant", "cohort", "school", "funding_decision"]
