from django.urls import path

from . import views

app_name = "cohorts"

urlpatterns = [
    path("staff/cohorts/", views.CohortListView.as_view(), name="cohort-list"),
    path("staff/cohorts/new/", views.CohortCreateView.as_view(), name="cohort-create"),
    path("staff/cohorts/<int:pk>/", views.CohortDetailView.as_view(), name="cohort-detail"),
    path("staff/cohorts/<int:pk>/edit/", views.CohortUpdateView.as_view(), name="cohort-update"),
    path("staff/cohorts/<int:pk>/status/", views.CohortStatusView.as_view(), name="cohort-status"),
    path(
        "staff/cohorts/<int:pk>/duplicate/",
        views.CohortDuplicateView.as_view(),
        name="cohort-duplicate",
    ),
    path(
        "staff/cohorts/<int:pk>/timetable/generate/",
        views.TimetableGenerateView.as_view(),
        name="timetable-generate",
    ),
    path(
        "staff/cohorts/<int:pk>/timetable/publish/",
        views.TimetablePublishView.as_view(),
        name="timetable-publish",
    ),
    path(
        "staff/cohorts/<int:pk>/calendar/",
        views.CohortCalendarView.as_view(),
        name="cohort-calendar",
    ),
    path(
        "staff/cohorts/<int:pk>/sessions/new/",
        views.SessionCreateView.as_view(),
        name="session-create",
    ),
    path("staff/sessions/<int:pk>/edit/", views.SessionUpdateView.as_view(), name="session-update"),
    path(
        "staff/sessions/<int:pk>/cancel/", views.SessionCancelView.as_view(), name="session-cancel"
    ),
    path(
        "staff/module-windows/<int:pk>/edit/",
        views.ModuleWindowUpdateView.as_view(),
        name="modulewindow-update",
    ),
    path("staff/partners/", views.DeliveryPartnerListView.as_view(), name="partner-list"),
    path("staff/partners/new/", views.DeliveryPartnerCreateView.as_view(), name="partner-create"),
    path(
        "staff/partners/<int:pk>/edit/",
        views.DeliveryPartnerUpdateView.as_view(),
        name="partner-update",
    ),
    path("staff/term-dates/", views.TermDateCalendarListView.as_view(), name="termcalendar-list"),
    path(
        "staff/term-dates/new/",
        views.TermDateCalendarCreateView.as_view(),
        name="termcalendar-create",
    ),
    path(
        "staff/term-dates/<int:pk>/",
        views.TermDateCalendarDetailView.as_view(),
        name="termcalendar-detail",
    ),
    path(
        "staff/term-dates/<int:pk>/edit/",
        views.TermDateCalendarUpdateView.as_view(),
        name="termcalendar-update",
    ),
    path(
        "staff/term-dates/<int:pk>/holidays/new/",
        views.SchoolHolidayCreateView.as_view(),
        name="schoolholiday-create",
    ),
    path(
        "staff/term-dates/holidays/<int:pk>/edit/",
        views.SchoolHolidayUpdateView.as_view(),
        name="schoolholiday-update",
    ),
    path(
        "staff/term-dates/holidays/<int:pk>/delete/",
        views.SchoolHolidayDeleteView.as_view(),
        name="schoolholiday-delete",
    ),
    path("calendar/", views.MyCalendarView.as_view(), name="my-calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
]
