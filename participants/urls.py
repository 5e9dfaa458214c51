from django.urls import path

from . import views

app_name = "participants"

urlpatterns = [
    # The teacher's and the school leader's start pages.
    path("my-npqs/", views.TeacherHomeView.as_view(), name="teacher-home"),
    path("my-school/", views.MySchoolView.as_view(), name="school-leader-home"),
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
    # Charges for places that are not funded (issue 19).
    path("staff/charges/", views.ChargeListView.as_view(), name="charge-list"),
    path("staff/charges/<int:pk>/update/", views.ChargeUpdateView.as_view(), name="charge-update"),
]

urlpatterns += [
    # Work Groups (issue 20): the Work Group Lead's page, a school's place and its changes.
    path("staff/cohorts/<int:pk>/work-group/", views.WorkGroupView.as_view(), name="work-group"),
    path(
        "work-group-places/<int:pk>/",
        views.SchoolPlaceDetailView.as_view(),
        name="school-place-detail",
    ),
    path(
        "work-group-places/<int:pk>/action-plan/",
        views.SchoolPlacePlanView.as_view(),
        name="school-place-plan",
    ),
    path(
        "work-group-places/<int:pk>/action-plan/file/",
        views.SchoolPlacePlanFileView.as_view(),
        name="school-place-plan-file",
    ),
    path(
        "work-group-places/<int:pk>/evaluation/<slug:heading>/",
        views.SchoolPlaceEvaluationView.as_view(),
        name="school-place-evaluation",
    ),
    path(
        "staff/work-group-places/<int:pk>/complete/",
        views.SchoolPlaceChangeView.as_view(change="complete"),
        name="school-place-complete",
    ),
    path(
        "staff/work-group-places/<int:pk>/withdraw/",
        views.SchoolPlaceChangeView.as_view(change="withdraw"),
        name="school-place-withdraw",
    ),
    path(
        "staff/enrolments/<int:pk>/replace/",
        views.TeamMemberReplaceView.as_view(),
        name="team-member-replace",
    ),
]
