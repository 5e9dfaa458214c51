"""Dashboards, reports and exports."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import TemplateView

from cohorts.models import Cohort, DeliveryPartner
from programmes.models import Programme

from .cohort_report import cohort_report
from .dashboard import DashboardFilters, dashboard_figures


class DashboardView(PermissionRequiredMixin, TemplateView):
    """The staff dashboard: applications, funding, places, approvals, participation and
    outcomes, filtered by academic year, programme and partner."""

    permission_required = ("participants.view_application", "cohorts.view_all_cohorts")
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filters = DashboardFilters.from_query(self.request.GET)
        context.update(
            filters=filters,
            figures=dashboard_figures(filters=filters),
            years=[
                (year, f"{year}/{(year + 1) % 100:02d}")
                for year in Cohort.objects.order_by("-academic_year")
                .values_list("academic_year", flat=True)
                .distinct()
            ],
            programmes=Programme.objects.filter(cohorts__isnull=False).distinct().order_by("name"),
            partners=DeliveryPartner.objects.order_by("name"),
        )
        return context


class CohortReportView(PermissionRequiredMixin, TemplateView):
    """A cohort's printable report: everyone's attendance, module progress and assessment."""

    permission_required = "participants.view_attendance"
    template_name = "reports/cohort_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = get_object_or_404(
            Cohort.objects.for_user(self.request.user).select_related(
                "programme", "delivery_partner"
            ),
            pk=self.kwargs["pk"],
        )
        context.update(cohort=cohort, report=cohort_report(cohort=cohort), now=timezone.now())
        return context
