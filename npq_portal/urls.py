from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

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
    path("emails/<int:pk>/", views.EmailDeliveryDetailView.as_view(), name="email-detail"),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("staff/", include((staff_patterns, "staff"))),
    path("", include("programmes.urls")),
    path("", include("schools.urls")),
    path("", include("funding.urls")),
    path("", include("cohorts.urls")),
    path("", include("mailing_list.urls")),
    path("", include("applications.urls")),
    path("", include("participants.urls")),
    path("", include("assessment.urls")),
    path("", include("reminders.urls")),
    path("", include("reports.urls")),
    path("", include("privacy.urls")),
    path("staff/dfe/", include("dfe.urls")),
    path("accounts/", include("allauth.urls")),
    # Admin pages of the models that left participants, at their old addresses.
    path("admin/participants/<slug:model>/", admin.site.admin_view(views.admin_moved_redirect)),
    path(
        "admin/participants/<slug:model>/<path:rest>",
        admin.site.admin_view(views.admin_moved_redirect),
    ),
    path("admin/", admin.site.urls),
]
