from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("privacy/", views.PrivacyNoticeView.as_view(), name="notice"),
    path("my-data/", views.MyDataView.as_view(), name="my-data"),
    path("staff/people/<int:pk>/export/", views.PersonExportView.as_view(), name="person-export"),
    path("staff/people/<int:pk>/erase/", views.PersonEraseView.as_view(), name="person-erase"),
]
