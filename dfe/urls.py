from django.urls import path

from .views import declarations

app_name = "dfe"

urlpatterns = [
    # ---- declarations and statements ----
    path(
        "declarations/",
        declarations.DeclarationListView.as_view(),
        name="declaration-list",
    ),
    path(
        "declarations/submit/",
        declarations.DeclarationSubmitView.as_view(),
        name="declaration-submit",
    ),
    path(
        "declarations/<int:pk>/void/",
        declarations.DeclarationVoidView.as_view(),
        name="declaration-void",
    ),
    path("statements/", declarations.StatementListView.as_view(), name="statement-list"),
]
