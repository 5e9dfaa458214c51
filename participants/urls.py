from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "participants"

urlpatterns = [
    path("reminders/stop/<str:token>/", views.RemindersStopView.as_view(), name="reminders-stop"),
    path(
        "staff/sessions/<int:pk>/register/",
        views.SessionRegisterView.as_view(),
        name="session-register",
    ),
    path(
        "staff/sessions/<int:pk>/register/import/",
        views.RegisterImportView.as_view(),
        name="register-import",
    ),
    path(
        "staff/cohorts/<int:pk>/progress/",
        views.CohortProgressView.as_view(),
        name="cohort-progress",
    ),
    path(
        "staff/enrolments/<int:pk>/progress/",
        views.EnrolmentProgressView.as_view(staff=True),
        name="enrolment-progress-staff",
    ),
    path("my-progress/<int:pk>/", views.EnrolmentProgressView.as_view(), name="my-progress"),
    path("staff/reminders/", views.RemindersUpcomingView.as_view(), name="reminders-upcoming"),
    path("staff/email-previews/", views.EmailPreviewView.as_view(), name="email-preview"),
    path("apply/<int:cohort_pk>/", views.ApplyView.as_view(), name="apply"),
    path(
        "applications/<int:pk>/check/",
        views.ApplicationCheckView.as_view(),
        name="application-check",
    ),
    path(
        "applications/<int:pk>/cannot-continue/",
        views.ApplicationCannotContinueView.as_view(),
        name="application-cannot-continue",
    ),
    path(
        "applications/<int:pk>/withdraw/",
        views.ApplicationWithdrawView.as_view(),
        name="application-withdraw",
    ),
    path(
        "applications/<int:pk>/question/<slug:step>/",
        views.ApplicationStepView.as_view(),
        name="application-step",
    ),
    path(
        "applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application-detail"
    ),
    path("staff/applications/", views.ApplicationListView.as_view(), name="application-list"),
    path(
        "staff/applications/decide/",
        views.ApplicationBulkDecideView.as_view(),
        name="application-bulk-decide",
    ),
    path(
        "applications/<int:pk>/take-place/",
        views.ApplicationTakeOfferView.as_view(),
        name="application-take-offer",
    ),
    path(
        "staff/applications/<int:pk>/approver/",
        views.ApplicationApproverView.as_view(),
        name="application-approver",
    ),
    path(
        "staff/applications/<int:pk>/funding/",
        views.FundingOverrideView.as_view(),
        name="funding-override",
    ),
    path(
        "staff/enrolments/<int:pk>/change/",
        views.EnrolmentChangeView.as_view(),
        name="enrolment-change",
    ),
    path(
        "staff/enrolments/<int:pk>/transfer/",
        views.EnrolmentTransferView.as_view(),
        name="enrolment-transfer",
    ),
    path(
        "staff/schools/<int:urn>/leaders/",
        views.SchoolLeaderListView.as_view(),
        name="school-leaders",
    ),
    path(
        "staff/applications/<int:pk>/decide/",
        views.ApplicationDecideView.as_view(),
        name="application-decide",
    ),
    path("approve/<str:token>/", views.SchoolApprovalView.as_view(), name="school-approval"),
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
    path("schools/search/", views.school_search, name="school-search"),
    path("staff/schools/", views.SchoolListView.as_view(), name="school-list"),
    path("staff/schools/import/", views.GiasImportCreateView.as_view(), name="gias-import"),
    path(
        "staff/schools/imports/<int:pk>/",
        views.GiasImportDetailView.as_view(),
        name="gias-import-detail",
    ),
    path(
        "staff/funding/",
        RedirectView.as_view(pattern_name="participants:eligibility-lists"),
        name="funding",
    ),
    path(
        "staff/funding/lists/",
        views.EligibilityListIndexView.as_view(),
        name="eligibility-lists",
    ),
    path(
        "staff/funding/childcare-providers/",
        views.ChildcareProviderUploadView.as_view(),
        name="childcare-provider-upload",
    ),
    path(
        "staff/funding/what-changes/",
        views.FundingWhatChangesView.as_view(),
        name="funding-what-changes",
    ),
]
