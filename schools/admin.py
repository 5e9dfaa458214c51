"""Schools, lists and imports in the Django admin, read-only but for childcare providers."""

from django.contrib import admin

from npq_portal.admin import ReadOnlyAdmin

from .models import EligibilityList, GiasImport, LocalAuthority, PrivateChildcareProvider, School


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
