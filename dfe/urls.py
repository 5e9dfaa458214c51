"""The DfE data exchange's staff pages, under /staff/dfe/."""

from django.urls import path

from .views import connection, declarations, log, outgoing, reconcile

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
    # ---- Changes owed to DfE (decisions, place changes, outcomes) ----
    path("outgoing/", outgoing.OutgoingListView.as_view(), name="outgoing-list"),
    path(
        "outgoing/<int:pk>/send-again/",
        outgoing.OutgoingSendAgainView.as_view(),
        name="outgoing-send-again",
    ),
    # ---- Reconciliation (dfe/views/reconcile.py) ----
    path("reconciliation/", reconcile.ReconciliationView.as_view(), name="reconciliation"),
    path("reconciliation/sync/", reconcile.SyncNowView.as_view(), name="sync-now"),
    path(
        "dfe-applications/<int:pk>/invite/",
        reconcile.DfeApplicationInviteView.as_view(),
        name="dfe-application-invite",
    ),
    path(
        "dfe-applications/<int:pk>/link/",
        reconcile.DfeApplicationLinkView.as_view(),
        name="dfe-application-link",
    ),
    path(
        "dfe-applications/<int:pk>/unlink/",
        reconcile.DfeApplicationUnlinkView.as_view(),
        name="dfe-application-unlink",
    ),
    path(
        "dfe-applications/<int:pk>/acknowledge/",
        reconcile.DisagreementAcknowledgeView.as_view(),
        name="disagreement-acknowledge",
    ),
    path(
        "dfe-applications/<int:pk>/create-application/",
        reconcile.DfeApplicationCreateView.as_view(),
        name="dfe-application-create",
    ),
    path(
        "dfe-applications/<int:pk>/send-decision/",
        reconcile.DfeApplicationDecisionSendView.as_view(),
        name="dfe-application-decision-send",
    ),
    path(
        "applications/<int:pk>/remind-to-register/",
        reconcile.ApplicationRemindView.as_view(),
        name="application-remind",
    ),
]
