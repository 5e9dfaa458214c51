"""The changes the portal owes DfE: what waits, what DfE refused, what was sent; send again."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from npq_portal.paging import UncountedPaginator
from npq_portal.planning import joins_in_written_order
from reports.milestones import LABELS

from ..models import Declaration, Outgoing
from ..outgoing import outgoing_next_try, outgoing_send_again

RECENT = timedelta(days=30)
S = Outgoing.State

# The page's tabs: what each shows, and in which order. Waiting and refused changes are few
# (staff act on them) and counted; what was sent grows with every change ever made, so its tab
# is neither counted nor its list paged by a count.
SHOWS = {
    "waiting": ("Waiting to be sent", Q(state=S.WAITING), ("created_at", "pk")),
    "attention": (
        "Refused or left to you",
        Q(state__in=[S.REFUSED, S.FOR_STAFF]),
        ("-updated_at", "-pk"),
    ),
    "sent": (
        "Sent in the last 30 days",
        Q(state__in=[S.SENT, S.NOT_NEEDED]),
        ("-updated_at", "-pk"),
    ),
}


def _shown(show: str, now) -> Q:
    condition = SHOWS[show][1]
    return condition & Q(updated_at__gte=now - RECENT) if show == "sent" else condition


COUNTED = ("waiting", "attention")

PERSON = ("first_name", "last_name", "email")
APPLICATION = "dfe_application__application"
# What a row reads of each change and what it is about.
ROW_FIELDS = (
    *("kind", "state", "attempts", "last_error", "note", "sent_at", "created_at", "updated_at"),
    *("declaration", "connection__name", *(f"by__{name}" for name in PERSON)),
    "dfe_application__full_name",
    *(f"{APPLICATION}__applicant__{name}" for name in PERSON),
    f"{APPLICATION}__cohort__academic_year",
    f"{APPLICATION}__cohort__programme__short_name",
)
DECLARATION_FIELDS = (
    "declaration_type",
    "dfe_application__full_name",
    *(f"enrolment__participant__{name}" for name in PERSON),
    "enrolment__application__id",
    "enrolment__cohort__academic_year",
    "enrolment__cohort__programme__short_name",
)


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
        self.now = timezone.now()
        _, _, order = SHOWS[self.show]
        return (
            Outgoing.objects.filter(_shown(self.show, self.now))
            .select_related(
                "connection",
                "by",
                "dfe_application__application__applicant",
                "dfe_application__application__cohort__programme",
            )
            # Only what the rows show (dfe/templatetags/dfe_outgoing_rows.py): the body sent,
            # the people's and applications' other columns would be read and never drawn.
            .only(*ROW_FIELDS)
            # A declaration's row says whose declaration it is, and which: read in a second
            # query, as one join of fifteen tables took PostgreSQL longer to plan than to run.
            .prefetch_related(
                Prefetch(
                    "declaration",
                    Declaration.objects.select_related(
                        "enrolment__participant",
                        "enrolment__application",
                        "enrolment__cohort__programme",
                        "dfe_application",
                    ).only(*DECLARATION_FIELDS),
                )
            )
            .order_by(*order)
        )

    def get_paginator(self, queryset, per_page, **kwargs):
        if self.show in COUNTED:
            return super().get_paginator(queryset, per_page, **kwargs)
        return UncountedPaginator(queryset, per_page, **kwargs)

    def get_context_data(self, **kwargs):
        # Only the counted tabs' rows are read (an index on state), not every change ever sent.
        counts = Outgoing.objects.filter(SHOWS["waiting"][1] | SHOWS["attention"][1]).aggregate(
            **{show: Count("pk", filter=SHOWS[show][1]) for show in COUNTED}
        )
        # The page's rows, and their declarations, are read from the changes by key: planned
        # with their joins in that order (3 ms of planning on the benchmark's data, otherwise).
        with joins_in_written_order():
            context = super().get_context_data(**kwargs)
            rows = list(context["object_list"])
        for outgoing in rows:
            if outgoing.state == S.WAITING and outgoing.attempts:
                outgoing.next_try = outgoing_next_try(outgoing)
            if outgoing.declaration is not None:
                kind = outgoing.declaration.declaration_type
                outgoing.declaration_label = LABELS.get(kind, kind)
        context["tabs"] = [
            {"show": show, "label": label, "count": counts.get(show), "current": show == self.show}
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
