from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("my-assessment/", views.MyAssessmentListView.as_view(), name="my-assessments"),
    path("my-assessment/<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment-detail"),
    path(
        "my-assessment/<int:pk>/write/",
        views.SubmissionWriteView.as_view(),
        name="submission-write",
    ),
    path(
        "my-assessment/<int:pk>/autosave/",
        views.SubmissionAutosaveView.as_view(),
        name="submission-autosave",
    ),
    path(
        "my-assessment/<int:pk>/upload/",
        views.SubmissionUploadView.as_view(),
        name="submission-upload",
    ),
    path(
        "my-assessment/<int:pk>/remove-file/",
        views.SubmissionRemoveFileView.as_view(),
        name="submission-remove-file",
    ),
    path(
        "my-assessment/<int:pk>/check/",
        views.SubmissionCheckView.as_view(),
        name="submission-check",
    ),
    path(
        "my-assessment/<int:pk>/submitted/",
        views.SubmissionDoneView.as_view(),
        name="submission-done",
    ),
    path(
        "my-assessment/<int:pk>/materials/<int:material_pk>/",
        views.MaterialDownloadView.as_view(),
        name="material-download",
    ),
    path("staff/assessment/", views.WindowListView.as_view(), name="window-list"),
    path("staff/assessment/add/", views.WindowCreateView.as_view(), name="window-create"),
    path("staff/assessment/<int:pk>/", views.WindowDetailView.as_view(), name="window-detail"),
    path("staff/assessment/<int:pk>/edit/", views.WindowUpdateView.as_view(), name="window-update"),
    path(
        "staff/assessment/<int:pk>/materials/add/",
        views.MaterialAddView.as_view(),
        name="material-add",
    ),
    path(
        "staff/assessment/<int:pk>/materials/<int:material_pk>/",
        views.StaffMaterialDownloadView.as_view(),
        name="staff-material-download",
    ),
    path(
        "staff/assessment/<int:pk>/places/<int:enrolment_pk>/exception/",
        views.EligibilityExceptionCreateView.as_view(),
        name="exception-grant",
    ),
    path(
        "staff/assessment/<int:pk>/places/<int:enrolment_pk>/extension/",
        views.DeadlineExtensionCreateView.as_view(),
        name="deadline-extend",
    ),
    path("marking/", views.MarkingListView.as_view(), name="marking-list"),
    path("marking/<int:pk>/", views.MarkingDetailView.as_view(), name="marking-detail"),
    path("marking/<int:pk>/file/", views.MarkingFileView.as_view(), name="marking-file"),
    path(
        "marking/<int:pk>/materials/<int:material_pk>/",
        views.MarkingMaterialView.as_view(),
        name="marking-material",
    ),
    path(
        "staff/assessment/<int:pk>/marking/",
        views.WindowMarkingView.as_view(),
        name="window-marking",
    ),
    path(
        "staff/assessment/<int:pk>/marking/allocate/",
        views.WindowAllocateView.as_view(),
        name="window-allocate",
    ),
    path(
        "staff/assessment/<int:pk>/submissions/<int:submission_pk>/",
        views.StaffSubmissionDetailView.as_view(),
        name="staff-submission",
    ),
    path(
        "staff/assessment/<int:pk>/submissions/<int:submission_pk>/file/",
        views.StaffSubmissionFileView.as_view(),
        name="staff-submission-file",
    ),
    path(
        "staff/assessment/<int:pk>/submissions/<int:submission_pk>/allocate/",
        views.MarkingMoveView.as_view(),
        name="marking-move",
    ),
    path(
        "staff/assessment/<int:pk>/submissions/<int:submission_pk>/resolve/",
        views.MarkingResolveView.as_view(),
        name="marking-resolve",
    ),
]
