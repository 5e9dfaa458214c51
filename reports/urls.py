from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("staff/dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("staff/cohorts/<int:pk>/report/", views.CohortReportView.as_view(), name="cohort-report"),
]
