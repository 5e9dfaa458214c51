from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "funding"

urlpatterns = [
    path(
        "staff/funding/",
        RedirectView.as_view(pattern_name="funding:eligibility-lists"),
        name="funding",
    ),
    path(
        "staff/funding/lists/",
        views.EligibilityListIndexView.as_view(),
        name="eligibility-lists",
    ),
    path(
        "staff/funding/lists/current-from/",
        views.EligibilityListsCurrentFromView.as_view(),
        name="lists-current-from",
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
