from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("staff/dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("staff/cohorts/<int:pk>/report/", views.CohortReportView.as_view(), name="cohort-report"),
    # DfE milestones and the school leader's termly summary (issue 9).
    path("staff/milestones/", views.MilestoneListView.as_view(), name="milestone-list"),
    path(
        "staff/cohorts/<int:pk>/milestones/",
        views.MilestoneListView.as_view(),
        name="cohort-milestones",
    ),
    path("my-school/summary/", views.SchoolTermlySummaryView.as_view(), name="school-summary"),
    path(
        "my-school/summary.pdf",
        views.SchoolTermlySummaryPdfView.as_view(),
        name="school-summary-pdf",
    ),
    # Who changed what, when and why (issue 11).
    path("staff/audit-log/", views.AuditLogView.as_view(), name="audit-log"),
    # Work Group engagement (issue 20).
    path(
        "staff/engagement/roster/", views.EngagementRosterView.as_view(), name="engagement-roster"
    ),
    path("staff/engagement/area/", views.HubAreaEngagementView.as_view(), name="engagement-area"),
    path("staff/engagement/grants/", views.GrantClaimListView.as_view(), name="grant-claim-list"),
    path(
        "staff/engagement/grants/<int:pk>/update/",
        views.GrantClaimUpdateView.as_view(),
        name="grant-claim-update",
    ),
    # Exports (issue 9).
    path("exports/", views.ExportListView.as_view(), name="export-list"),
    # Before export-create, whose <slug:kind> would also match a number.
    path("exports/<int:pk>/", views.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<int:pk>/progress/", views.ExportProgressView.as_view(), name="export-progress"),
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="export-download"),
    path(
        "exports/<slug:kind>/<slug:file_format>/",
        views.ExportCreateView.as_view(),
        name="export-create",
    ),
]
