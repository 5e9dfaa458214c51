"""The sync log: every call the portal made to DfE, and the recent pulls."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import ListView

from dfe.forms import CallFilterForm
from dfe.log import CallLog, log_filters_read, recent_pulls
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
        if not self.filters.is_bound:
            self.values = {}
        else:  # a half-applied filter misleads: none at all, and the form says what is wrong
            self.values = log_filters_read(
                self.filters.cleaned_data if self.filters.is_valid() else None
            )
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # Not a queryset: read a page at a time by fixed queries (dfe/log.py).
        return CallLog(self.values)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filters=self.filters,
            filtered=bool(self.values) or bool(self.filters.is_bound and self.filters.errors),
            # With filters it cannot use, the pulls are all listed, as they always were.
            syncs=recent_pulls(self.values or {}, RECENT_PULLS),
        )
        return context
