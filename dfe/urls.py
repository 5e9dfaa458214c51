from django.urls import path

from .views import connection, declarations, log

app_name = "dfe"

urlpatterns = [
    # ---- The connection, its delivery partners and the sync log (issue 21) ----
    path("", connection.ConnectionListView.as_view(), name="home"),
    path("connections/add/", connection.ConnectionCreateView.as_view(), name="connection-create"),
    path("connections/<int:pk>/", connection.ConnectionUpdateView.as_view(), name="connection"),
    path(
        "connections/<int:pk>/test/",
        connection.ConnectionTestView.as_view(),
        name="connection-test",
    ),
    path(
        "connections/<int:pk>/delivery-partners/",
        connection.DeliveryPartnersView.as_view(),
        name="delivery-partners",
    ),
    path("log/", log.CallListView.as_view(), name="call-list"),
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
