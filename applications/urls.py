from django.urls import path

from . import views

app_name = "applications"

urlpatterns = [
    path("apply/<int:cohort_pk>/", views.ApplyView.as_view(), name="apply"),
    path("sign-up/<int:cohort_pk>/", views.TeamSignUpView.as_view(), name="sign-up"),
    path(
        "sign-ups/<int:pk>/question/<slug:step>/",
        views.TeamSignUpStepView.as_view(),
        name="sign-up-step",
    ),
    path("sign-ups/<int:pk>/check/", views.TeamSignUpCheckView.as_view(), name="sign-up-check"),
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
        "staff/applications/<int:pk>/decide/",
        views.ApplicationDecideView.as_view(),
        name="application-decide",
    ),
    path(
        "staff/applications/<int:pk>/prerequisites/",
        views.PrerequisitesOverrideView.as_view(),
        name="prerequisites-override",
    ),
    path(
        "staff/cohorts/<int:cohort_pk>/sign-ups/",
        views.WorkGroupSignUpsView.as_view(),
        name="work-group-sign-ups",
    ),
    path("approve/<str:token>/", views.SchoolApprovalView.as_view(), name="school-approval"),
    path(
        "my-school/applications/<int:pk>/decide/",
        views.SchoolLeaderApprovalView.as_view(),
        name="school-leader-approval",
    ),
]
