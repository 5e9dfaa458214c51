from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from participants import views as participant_views

from . import views
from .ratelimit import too_many_requests

# allauth answers its own rate limits (sign-in, sign-up) with this view too.
handler429 = too_many_requests

# The admin signs people in through allauth's pages, so staff there pass MFA like anywhere else.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "NPQ Portal administration"
admin.site.site_title = "NPQ Portal admin"

# A database outage answers 503 ("try again in a minute"), any other error 500.
handler500 = "npq_portal.views.server_error"

staff_patterns = [
    path("", views.StaffHomeView.as_view(), name="home"),
    path("people/", views.PersonListView.as_view(), name="person-list"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
    path("people/<int:pk>/roles/", views.PersonRolesView.as_view(), name="person-roles"),
    path("emails/", views.EmailDeliveryListView.as_view(), name="email-list"),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    # The teacher's start page shows their applications and places (the participants app).
    path("my-npqs/", participant_views.TeacherHomeView.as_view(), name="teacher-home"),
    path("my-school/", participant_views.MySchoolView.as_view(), name="school-leader-home"),
    path("staff/", include((staff_patterns, "staff"))),
    path("", include("programmes.urls")),
    path("", include("cohorts.urls")),
    path("", include("participants.urls")),
    path("", include("assessment.urls")),
    path("", include("reports.urls")),
    path("", include("privacy.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
