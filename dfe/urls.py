"""The DfE data exchange's staff pages, under /staff/dfe/."""

from django.urls import path

from .views import outgoing

app_name = "dfe"

urlpatterns = [
    # ---- Changes owed to DfE (decisions, place changes, outcomes) ----
    path("outgoing/", outgoing.OutgoingListView.as_view(), name="outgoing-list"),
    path(
        "outgoing/<int:pk>/send-again/",
        outgoing.OutgoingSendAgainView.as_view(),
        name="outgoing-send-again",
    ),
]
