import logging
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Prefetch
from django.db.utils import InterfaceError, OperationalError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template import loader
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, FormView, ListView, TemplateView

from .forms import UserRolesForm
from .mixins import PermissionFirstMixin
from .models import EmailDelivery, PersonalDataRequest, RoleChange, User
from .paging import CappedPaginator, SortingCappedPaginator
from .roles import GROUP_ROLES, ROLE_SPECS, Role, user_roles, user_start_url_name
from .search import contains_q, search_order, search_q
from .selectors import hub_overview_figures
from .services import user_set_roles

logger = logging.getLogger(__name__)


@method_decorator(login_not_required, name="dispatch")
class HomeView(TemplateView):
    """Visitors see what the portal is; signed-in people go to their role's start page."""

    template_name = "home.html"

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(user_start_url_name(request.user))
        return super().get(request, *args, **kwargs)


class StaffHomeView(PermissionRequiredMixin, TemplateView):
    permission_required = ("npq_portal.access_staff_area", "npq_portal.view_user")
    template_name = "npq_portal/staff_home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(figures=hub_overview_figures(), **kwargs)


def _people_with_roles():
    from django.contrib.auth.models import Group

    return User.objects.prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("name"), to_attr="role_groups")
    )


class PersonListView(PermissionRequiredMixin, ListView):
    """Everyone with an account, by surname, counted up to a thousand ("More than 1,000
    people"): a search for two letters no longer counts a tenth of a hub's people."""

    permission_required = "npq_portal.view_user"
    template_name = "npq_portal/person_list.html"
    paginate_by = 25
    paginator_class = CappedPaginator

    def get_queryset(self):
        people = _people_with_roles()
        query = self.request.GET.get("q", "").strip()
        if query:
            people = people.filter(search_q(User, ("email", "first_name", "last_name"), query))
        role = self.request.GET.get("role", "")
        if role in {r.value for r in GROUP_ROLES}:
            people = people.filter(groups__name=ROLE_SPECS[Role(role)].group_name)
        return people.order_by(*search_order(("last_name", "first_name", "email"), query))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["roles"] = GROUP_ROLES
        context["query"] = self.request.GET.get("q", "")
        context["role_filter"] = self.request.GET.get("role", "")
        return context


class PersonDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "npq_portal.view_user"
    template_name = "npq_portal/person_detail.html"
    context_object_name = "person"

    def get_queryset(self):
        return _people_with_roles()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["roles"] = user_roles(self.object)
        context["role_changes"] = RoleChange.objects.filter(user=self.object).select_related("by")[
            :20
        ]
        context["emails"] = EmailDelivery.objects.filter(recipient=self.object.email)[:10]
        context["data_requests"] = PersonalDataRequest.objects.filter(
            person_id=self.object.pk
        ).select_related("by")[:20]
        return context


class PersonRolesView(PermissionFirstMixin, FormView):
    permission_required = "npq_portal.manage_roles"
    form_class = UserRolesForm
    template_name = "npq_portal/person_roles.html"

    def find_objects(self, pk):
        self.object = get_object_or_404(User, pk=pk)

    def get_initial(self):
        held = user_roles(self.object)
        return {"roles": [role.value for role in GROUP_ROLES if role in held]}

    def form_valid(self, form):
        try:
            user_set_roles(
                user=self.object,
                roles=form.cleaned_data["roles"],
                by=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)  # nothing was changed; say why
            return self.form_invalid(form)
        messages.success(self.request, f"Roles updated for {self.object}.")
        return redirect(self.object)


class EmailDeliveryListView(PermissionRequiredMixin, ListView):
    """Every email sent or tried, newest first, counted up to a thousand ("More than 1,000
    emails"): the log grows by every email ever sent."""

    permission_required = "npq_portal.view_emaildelivery"
    template_name = "npq_portal/emaildelivery_list.html"
    paginate_by = 25
    paginator_class = SortingCappedPaginator

    def get_queryset(self):
        deliveries = EmailDelivery.objects.defer("body")  # read on each email's own page
        status = self.request.GET.get("status", "")
        if status in EmailDelivery.Status.values:
            deliveries = deliveries.filter(status=status)
        recipient = self.request.GET.get("recipient", "").strip()
        if recipient:
            deliveries = deliveries.filter(contains_q("recipient", recipient))
        kind = self.request.GET.get("kind", "").strip()
        if kind:
            deliveries = deliveries.filter(kind=kind)
        return deliveries

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = EmailDelivery.Status.choices
        context["kinds"] = EmailDelivery.objects.kinds()
        context["filters"] = {key: self.request.GET.get(key, "") for key in ("status", "kind")}
        context["filters"]["recipient"] = self.request.GET.get("recipient", "")
        return context


class EmailDeliveryDetailView(PermissionRequiredMixin, DetailView):
    """One email as it was sent: its text, with the recipient's personal links removed."""

    permission_required = "npq_portal.view_emaildelivery"
    model = EmailDelivery
    template_name = "npq_portal/emaildelivery_detail.html"
    context_object_name = "delivery"


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001  any failure means "down"
        logger.warning("Health check: database unreachable (%s)", type(error).__name__)
        return "down"
    return "up"


def _broker_status() -> str:
    broker_url = settings.CELERY_BROKER_URL
    if not broker_url.startswith(("redis://", "rediss://")):
        return "not configured (tasks run in-process)"
    import redis

    try:
        client = redis.Redis.from_url(broker_url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except redis.RedisError as error:
        logger.warning("Health check: broker unreachable (%s)", type(error).__name__)
        return "down"
    return "up"


@login_not_required
def ping(request):
    """The smallest page through every middleware: the benchmark's ceiling on this machine."""
    return HttpResponse("pong", content_type="text/plain")


@login_not_required
@never_cache
def healthz(request):
    """Database and broker reachability for monitoring: 200 when both answer, else 503."""
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = "down" not in checks.values()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def server_error(request):
    """The 500 page, or a 503 one when the error is that the database cannot be reached.

    Drawn without a request context: the context processors would ask the database again.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE) and _database_status() == "down":
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.render_to_string("500.html"))


# The admin's addresses follow each model's app. These models left participants for apps of
# their own (issue 18); their old admin addresses answer with the new ones, so bookmarks work.
ADMIN_MOVED_MODELS = {
    "school": "schools",
    "localauthority": "schools",
    "privatechildcareprovider": "schools",
    "giasimport": "schools",
    "eligibilitylist": "schools",
    "fundingdecision": "funding",
    "application": "applications",
}


def admin_moved_redirect(request, model: str, rest: str = ""):
    """The admin page of a moved model at its new address (the admin checks who may see it)."""
    if model not in ADMIN_MOVED_MODELS:
        raise Http404("No such admin page.")
    query = f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else ""
    return HttpResponsePermanentRedirect(
        f"/admin/{ADMIN_MOVED_MODELS[model]}/{model}/{rest}{query}"
    )
