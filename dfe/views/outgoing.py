"""The changes the portal owes DfE: what waits, what DfE refused, what was sent; send again."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from npq_portal.paging import UncountedPaginator
from reports.milestones import LABELS

from ..models import Outgoing
from ..outgoing import outgoing_next_try, outgoing_send_again
from ..outgoing_list import COUNTED, SHOWS, OutgoingList, S, outgoing_counts


class OutgoingListView(PermissionRequiredMixin, ListView):
    """Changes owed to DfE: waiting (tries, the last error, the next try), refused in DfE's words
    or left to staff, and recently sent; a waiting or refused one can be sent again."""

    permission_required = "dfe.exchange_with_dfe"
    template_name = "dfe/outgoing_list.html"
    paginate_by = 25

    def get_queryset(self):
        self.show = self.request.GET.get("show", "")
        if self.show not in SHOWS:
            self.show = "waiting"
        self.counts = outgoing_counts()
        return OutgoingList(self.show, now=timezone.now(), count=self.counts.get(self.show))

    def get_paginator(self, queryset, per_page, **kwargs):
        if self.show in COUNTED:
            return super().get_paginator(queryset, per_page, **kwargs)
        return UncountedPaginator(queryset, per_page, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for outgoing in context["object_list"]:
            if outgoing.state == S.WAITING and outgoing.attempts:
                outgoing.next_try = outgoing_next_try(outgoing)
            if outgoing.declaration is not None:
                kind = outgoing.declaration.declaration_type
                outgoing.declaration_label = LABELS.get(kind, kind)
        context["tabs"] = [
            {
                "show": show,
                "label": label,
                "count": self.counts.get(show),
                "current": show == self.show,
            }
            for show, (label, _, _) in SHOWS.items()
        ]
        context["show"] = self.show
        context["show_label"] = SHOWS[self.show][0]
        return context


class OutgoingSendAgainView(PermissionRequiredMixin, View):
    """Send a waiting or refused change to DfE again now, then go back to the list."""

    permission_required = "dfe.exchange_with_dfe"
    http_method_names = ["post"]

    def post(self, request, pk):
        outgoing = get_object_or_404(Outgoing, pk=pk)
        back = request.POST.get("next") or reverse("dfe:outgoing-list")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("dfe:outgoing-list")
        try:
            outgoing = outgoing_send_again(outgoing=outgoing, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(back)
        outgoing.refresh_from_db()
        messages.success(
            request,
            f"{outgoing.get_kind_display()}: sent to DfE again; "
            f"now {outgoing.get_state_display().lower()}.",
        )
        return redirect(back)
