from django.urls import path

from . import views

app_name = "mailing_list"

urlpatterns = [
    path("mailing-list/", views.SubscribeView.as_view(), name="subscribe"),
    path(
        "mailing-list/check-your-email/",
        views.SubscriberCheckEmailView.as_view(),
        name="subscriber-check-email",
    ),
    path(
        "mailing-list/confirm/<str:token>/",
        views.SubscriberConfirmView.as_view(),
        name="subscriber-confirm",
    ),
    path(
        "mailing-list/manage/<str:token>/",
        views.SubscriberManageView.as_view(),
        name="subscriber-manage",
    ),
    path(
        "mailing-list/unsubscribe/<str:token>/",
        views.SubscriberUnsubscribeView.as_view(),
        name="subscriber-unsubscribe",
    ),
    path("staff/mailing-list/", views.SubscriberReportView.as_view(), name="subscriber-report"),
]
