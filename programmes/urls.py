from django.urls import path

from . import views
from .models import Clinic, Course, Module, Prerequisite, Programme, ProgrammeGrant, RoleSlot

app_name = "programmes"


def _item_patterns(model, parent_model, parent_field: str, parent_path: str) -> list:
    """Create, edit, delete and move pages for a course, module or clinic."""
    name = model._meta.model_name
    options = {"model": model, "parent_model": parent_model, "parent_field": parent_field}
    return [
        path(
            f"{parent_path}/{name}s/new/",
            views.CatalogueItemCreateView.as_view(**options),
            name=f"{name}-create",
        ),
        path(
            f"staff/{name}s/<int:pk>/edit/",
            views.CatalogueItemUpdateView.as_view(**options),
            name=f"{name}-update",
        ),
        path(
            f"staff/{name}s/<int:pk>/delete/",
            views.CatalogueItemDeleteView.as_view(**options),
            name=f"{name}-delete",
        ),
        path(
            f"staff/{name}s/<int:pk>/move/",
            views.CatalogueItemMoveView.as_view(model=model),
            name=f"{name}-move",
        ),
    ]


urlpatterns = [
    path("programmes/", views.ProgrammeListView.as_view(), name="programme-list"),
    path("programmes/<slug:slug>/", views.ProgrammeDetailView.as_view(), name="programme-detail"),
    path(
        "staff/programmes/",
        views.StaffProgrammeListView.as_view(),
        name="staff-programme-list",
    ),
    path("staff/programmes/new/", views.ProgrammeCreateView.as_view(), name="programme-create"),
    path(
        "staff/programmes/<slug:slug>/",
        views.StaffProgrammeDetailView.as_view(),
        name="staff-programme-detail",
    ),
    path(
        "staff/programmes/<slug:slug>/edit/",
        views.ProgrammeUpdateView.as_view(),
        name="programme-update",
    ),
    path(
        "staff/programmes/<slug:slug>/retire/",
        views.ProgrammeRetireView.as_view(),
        name="programme-retire",
    ),
    path(
        "staff/programmes/<slug:slug>/reinstate/",
        views.ProgrammeReinstateView.as_view(),
        name="programme-reinstate",
    ),
    path(
        "staff/programmes/<slug:slug>/role-slots/",
        views.WorkGroupSetUpView.as_view(model=RoleSlot),
        name="role-slots",
    ),
    path(
        "staff/programmes/<slug:slug>/prerequisites/",
        views.WorkGroupSetUpView.as_view(model=Prerequisite),
        name="prerequisites",
    ),
    path(
        "staff/programmes/<slug:slug>/grants/",
        views.WorkGroupSetUpView.as_view(model=ProgrammeGrant),
        name="grants",
    ),
    *_item_patterns(Course, Programme, "programme", "staff/programmes/<slug:slug>"),
    *_item_patterns(Module, Course, "course", "staff/courses/<int:pk>"),
    *_item_patterns(Clinic, Course, "course", "staff/courses/<int:pk>"),
]
