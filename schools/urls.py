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
        "staff/schools/imports/<int:pk>/",
        views.GiasImportDetailView.as_view(),
        name="gias-import-detail",
    ),
]
