"""The mailing list's pages: sign-up, the emailed links, and the staff report."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, TemplateView

from npq_portal.ratelimit import SignedLinkMixin, rate_limit_refusal
from programmes.models import Programme

from .forms import SubscribeForm, SubscriberInterestsForm
from .links import subscriber_from_token, subscriber_token
from .models import Subscriber
from .services import (
    subscriber_confirm,
    subscriber_resubscribe,
    subscriber_sign_up,
    subscriber_unsubscribe,
    subscriber_update_interests,
)


@method_decorator(login_not_required, name="dispatch")
class SubscribeView(FormView):
    form_class = SubscribeForm
    template_name = "mailing_list/subscribe.html"

    def post(self, request, *args, **kwargs):
        # Counted before the form is checked: invalid posts are a script's too.
        refused = rate_limit_refusal(request, action="subscribe", key=request.POST.get("email", ""))
        return refused or super().post(request, *args, **kwargs)

    def get_initial(self):

        chosen = Programme.objects.offered().filter(slug=self.request.GET.get("programme", ""))
        return {"programmes": list(chosen)}

    def form_valid(self, form):
        data = form.cleaned_data
        subscriber_sign_up(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            school=data["school"],
            programmes=list(data["programmes"]),
        )
        # Said the same way whether or not the address was known: no one learns who is listed.
        self.request.session["subscriber_email"] = data["email"]
        return redirect("mailing_list:subscriber-check-email")


@method_decorator(login_not_required, name="dispatch")
class SubscriberCheckEmailView(TemplateView):
    template_name = "mailing_list/subscriber_check_email.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            email=self.request.session.get("subscriber_email"), **kwargs
        )


class SubscriberTokenMixin(SignedLinkMixin):
    """Finds the subscriber from the signed link; a bad or expired link gets a clear page."""

    purpose = "manage"
    link_invalid_template = "mailing_list/subscriber_link_invalid.html"

    def link_target(self, token):
        self.subscriber = subscriber_from_token(token, self.purpose)
        return self.subscriber

    def link_invalid_context(self):
        return {"purpose": self.purpose}


@method_decorator(login_not_required, name="dispatch")
class SubscriberConfirmView(SubscriberTokenMixin, TemplateView):
    """A button, not the link itself, confirms: mail scanners follow links."""

    purpose = "confirm"
    template_name = "mailing_list/subscriber_confirm.html"

    def post(self, request, *args, **kwargs):
        subscriber = subscriber_confirm(subscriber=self.subscriber)
        return redirect(
            "mailing_list:subscriber-manage", token=subscriber_token(subscriber, "manage")
        )


@method_decorator(login_not_required, name="dispatch")
class SubscriberManageView(SubscriberTokenMixin, FormView):
    form_class = SubscriberInterestsForm
    template_name = "mailing_list/subscriber_manage.html"

    def get_initial(self):
        return {"programmes": list(self.subscriber.programmes.all())}

    def post(self, request, *args, **kwargs):
        if "resubscribe" in request.POST:
            subscriber_resubscribe(subscriber=self.subscriber)
            messages.success(request, "You are back on the mailing list.")
            return redirect(request.path)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        subscriber_update_interests(
            subscriber=self.subscriber, programmes=list(form.cleaned_data["programmes"])
        )
        messages.success(self.request, "Your choices are saved.")
        return redirect(self.request.path)


@method_decorator(login_not_required, name="dispatch")
@method_decorator(csrf_exempt, name="dispatch")  # the signed link is the proof; RFC 8058 POSTs
class SubscriberUnsubscribeView(SubscriberTokenMixin, TemplateView):
    """One button (or a mail app's one-click Unsubscribe) takes someone off the list. A plain
    visit only asks: link scanners follow links."""

    template_name = "mailing_list/subscriber_unsubscribe.html"

    def post(self, request, *args, **kwargs):
        subscriber_unsubscribe(subscriber=self.subscriber)
        return render(
            request,
            "mailing_list/subscriber_unsubscribed.html",
            {"view": self, "token": kwargs["token"]},
        )


class SubscriberReportView(PermissionRequiredMixin, TemplateView):
    """Confirmed subscribers by programme, with their exports."""

    permission_required = "mailing_list.view_subscriber"
    template_name = "mailing_list/subscriber_report.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            # The old export link: the exports (reports app) make the file now.
            url = reverse(
                "reports:export-create", kwargs={"kind": "subscribers", "file_format": "csv"}
            )
            programme = request.GET.get("programme", "")
            return redirect(f"{url}?{urlencode({'programme': programme})}" if programme else url)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):

        context = super().get_context_data(**kwargs)
        confirmed = Q(
            subscribers__confirmed_at__isnull=False, subscribers__unsubscribed_at__isnull=True
        )
        context["programmes"] = (
            Programme.objects.in_catalogue_order()
            .annotate(subscriber_count=Count("subscribers", filter=confirmed))
            .filter(subscriber_count__gt=0)
        )
        context["total"] = Subscriber.objects.confirmed().count()
        context["unconfirmed"] = Subscriber.objects.filter(confirmed_at__isnull=True).count()
        return context
