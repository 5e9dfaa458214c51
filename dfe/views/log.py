"""The sync log: every call the portal made to DfE, and the recent pulls."""

from datetime import datetime, time, timedelta

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Q
from django.utils import timezone
from django.views.generic import ListView

from dfe.forms import CallFilterForm
from dfe.models import Call, Sync
from npq_portal.paging import UncountedPaginator

RECENT_PULLS = 20


class CallListView(PermissionRequiredMixin, ListView):
    """Calls to DfE, newest first, filtered by connection, failures and day; the recent pulls.

    The log grows by every call ever made, so its pages are not counted: newer and older."""

    permission_required = "dfe.exchange_with_dfe"
    template_name = "dfe/call_list.html"
    context_object_name = "calls"
    paginate_by = 50
    paginator_class = UncountedPaginator

    def get(self, request, *args, **kwargs):
        self.filters = CallFilterForm(request.GET or None)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        calls = Call.objects.with_connection_name().order_by("-at", "-pk")
        if not self.filters.is_bound:
            return calls
        if not self.filters.is_valid():
            return calls.none()  # the form says what is wrong; a half-applied filter misleads
        data = self.filters.cleaned_data
        if data["connection"]:
            calls = calls.filter(connection=data["connection"])
        if data["failures"]:
            calls = calls.filter(Q(status__isnull=True) | Q(status__gte=400))
        if data["day"]:
            start = _start_of(data["day"])
            calls = calls.filter(at__gte=start, at__lt=start + timedelta(days=1))
        return calls

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        syncs = Sync.objects.with_connection_name().order_by("-started_at", "-pk")
        data = (
            self.filters.cleaned_data if self.filters.is_bound and self.filters.is_valid() else {}
        )
        if data.get("connection"):
            syncs = syncs.filter(connection=data["connection"])
        if data.get("failures"):
            syncs = syncs.filter(succeeded=False)
        if data.get("day"):
            start = _start_of(data["day"])
            syncs = syncs.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))
        context.update(
            filters=self.filters,
            filtered=any(data.values()) or bool(self.filters.is_bound and self.filters.errors),
            syncs=syncs[:RECENT_PULLS],
        )
        return context


def _start_of(day) -> datetime:
    """Midnight at the start of `day`, in the hub's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))
