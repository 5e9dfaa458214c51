from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("reminders/stop/<str:token>/", views.RemindersStopView.as_view(), name="reminders-stop"),
    path("staff/reminders/", views.RemindersUpcomingView.as_view(), name="reminders-upcoming"),
    path("staff/email-previews/", views.EmailPreviewView.as_view(), name="email-preview"),
]
