from django.contrib import admin

from .models import (
    Cohort,
    CohortStatusChange,
    DeliveryPartner,
    ModuleWindow,
    SchoolHoliday,
    Session,
    TermDateCalendar,
)
from .services import cohort_save, session_save, term_calendar_save


@admin.register(DeliveryPartner)
class DeliveryPartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "contact_name", "contact_email", "region"]
    search_fields = ["name", "contact_name"]


class StatusChangeInline(admin.TabularInline):
    model = CohortStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "reason", "changed_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["__str__", "academic_year", "status", "capacity", "places_taken"]
    list_filter = ["status", "academic_year", "programme", "delivery_partner"]
    list_select_related = ["programme", "delivery_partner"]
    # Status moves go through the portal's cohort page, which records who and why.
    readonly_fields = ["status", "cancelled_reason", "places_taken", "copied_from"]
    filter_horizontal = ["facilitators"]
    inlines = [StatusChangeInline]

    def save_model(self, request, obj, form, change):
        cohort_save(cohort=obj, by=request.user)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "kind", "starts_at", "status"]
    list_filter = ["kind", "status"]
    list_select_related = ["cohort__programme"]
    readonly_fields = ["uid", "sequence", "status"]

    def save_model(self, request, obj, form, change):
        # The admin cannot ask "save anyway?": a day staff set here is taken as meant.
        session_save(session=obj, by=request.user, reason="Changed in the admin", confirm_day=True)


@admin.register(ModuleWindow)
class ModuleWindowAdmin(admin.ModelAdmin):
    list_display = ["module", "cohort", "opens_on", "study_due_on", "application_due_on"]
    list_select_related = ["module", "cohort__programme"]


class SchoolHolidayInline(admin.TabularInline):
    model = SchoolHoliday
    extra = 0


@admin.register(TermDateCalendar)
class TermDateCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "local_authority", "is_default"]
    search_fields = ["name", "local_authority"]
    inlines = [SchoolHolidayInline]

    def save_model(self, request, obj, form, change):
        term_calendar_save(calendar=obj, by=request.user)
