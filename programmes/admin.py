from django.contrib import admin

from .models import Clinic, Course, Module, Programme
from .services import catalogue_item_delete, catalogue_item_save, programme_save


class ServiceFormsetMixin:
    """Inline rows go through the same services as the portal's own staff pages."""

    def save_formset(self, request, form, formset, change):
        for item in formset.save(commit=False):
            catalogue_item_save(item=item, by=request.user)
        for item in formset.deleted_objects:
            catalogue_item_delete(item=item, by=request.user)


class CourseInline(admin.TabularInline):
    model = Course
    fields = ["kind", "number", "title", "delivery"]
    extra = 0
    show_change_link = True


class ModuleInline(admin.TabularInline):
    model = Module
    fields = ["title", "format"]
    extra = 0


class ClinicInline(admin.TabularInline):
    model = Clinic
    fields = ["title"]
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(ServiceFormsetMixin, admin.ModelAdmin):
    list_display = ["name", "short_name", "family", "status", "content_source", "edited_at"]
    list_filter = ["family", "status", "content_source"]
    search_fields = ["name", "short_name", "course_identifier", "slug"]
    readonly_fields = ["status", "retired_at", "retired_reason", "edited_at", "edited_by"]
    inlines = [CourseInline]

    def save_model(self, request, obj, form, change):
        programme_save(programme=obj, by=request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # retire it instead: deleting would take its history with it


@admin.register(Course)
class CourseAdmin(ServiceFormsetMixin, admin.ModelAdmin):
    list_display = ["title", "programme", "kind", "position"]
    list_filter = ["kind", "programme"]
    list_select_related = ["programme"]
    inlines = [ModuleInline, ClinicInline]

    def get_readonly_fields(self, request, obj=None):
        return ["programme", "position"] if obj else ["position"]

    def save_model(self, request, obj, form, change):
        catalogue_item_save(item=obj, by=request.user)

    def delete_model(self, request, obj):
        catalogue_item_delete(item=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for course in queryset.select_related("programme"):
            catalogue_item_delete(item=course, by=request.user)
