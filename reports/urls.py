from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
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
