from django.contrib import admin

from .models import (
    Application,
    EligibilityList,
    FundingDecision,
    GiasImport,
    LocalAuthority,
    PrivateChildcareProvider,
    School,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by imports and services only; the admin shows them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(School)
class SchoolAdmin(ReadOnlyAdmin):
    list_display = [
        "urn",
        "name",
        "establishment_type_name",
        "phase_name",
        "la_name",
        "status_code",
    ]
    list_filter = ["status_code", "phase_name"]
    search_fields = ["=urn", "name", "postcode", "=ukprn"]
    show_full_result_count = False  # 50,000 rows: skip the extra count


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(PrivateChildcareProvider)
class PrivateChildcareProviderAdmin(admin.ModelAdmin):
    list_display = ["provider_urn", "name", "postcode", "la_code"]
    search_fields = ["provider_urn", "name", "postcode"]


@admin.register(EligibilityList)
class EligibilityListAdmin(ReadOnlyAdmin):
    list_display = ["kind", "uploaded_at", "uploaded_by", "entry_count", "is_current"]
    list_filter = ["kind", "is_current"]


@admin.register(GiasImport)
class GiasImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "file_name", "status", "created_count", "updated_count"]


@admin.register(FundingDecision)
class FundingDecisionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subject", "rules", "status", "override_status"]
    list_filter = ["rules", "status"]
    search_fields = ["subject"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    """The admin's view of applications: decisions are made on the portal's own pages."""

    list_display = ["applicant", "cohort", "status", "submitted_at", "school"]
    list_filter = ["status", "cohort__academic_year", "cohort__programme"]
    search_fields = ["applicant__email", "applicant__last_name", "=trn"]
    list_select_related = ["applicant", "cohort__programme", "school"]
    date_hierarchy = "submitted_at"
    raw_id_fields = ["applicant", "cohort", "school", "funding_decision"]
