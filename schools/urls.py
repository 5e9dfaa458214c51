from django.urls import path

from . import views

app_name = "schools"

urlpatterns = [
    path(
        "staff/schools/<int:urn>/leaders/",
        views.SchoolLeaderListView.as_view(),
        name="school-leaders",
    ),
    path("schools/search/", views.school_search, name="school-search"),
    path("staff/schools/", views.SchoolListView.as_view(), name="school-list"),
    path("staff/schools/hub-area/", views.HubAreaView.as_view(), name="hub-area"),
    path("staff/schools/import/", views.GiasImportCreateView.as_view(), name="gias-import"),
    path(
        "staff/schools/<int:urn>/work-groups/",
        views.SchoolHistoryView.as_view(),
        name="school-history",
    ),
    path(
        "staff/schools/work-group-history/",
        views.ProgrammeHistoryImportListView.as_view(),
        name="history-import-list",
    ),
    path(
        "staff/schools/work-group-history/import/",
        views.ProgrammeHistoryImportCreateView.as_view(),
        name="history-import",
    ),
    path(
        "staff/schools/work-group-history/<int:pk>/",
        views.ProgrammeHistoryImportDetailView.as_view(),
        name="history-import-detail",
    ),
    path(
        "staff/schools/work-group-history/<int:pk>/not-imported.csv",
        views.ProgrammeHistoryImportRejectsView.as_view(),
        name="history-import-rejects",
    ),
    path(
        "staff/schools/imports/<int:pk>/",
        views.GiasImportDetailView.as_view(),
        name="gias-import-detail",
    ),
]
