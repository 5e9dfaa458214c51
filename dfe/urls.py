from django.urls import path

from .views import reconcile

app_name = "dfe"

urlpatterns = [
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
        "applications/<int:pk>/remind-to-register/",
        reconcile.ApplicationRemindView.as_view(),
        name="application-remind",
    ),
]
