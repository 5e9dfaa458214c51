import hashlib
from urllib.parse import urlencode

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, FormView, ListView, TemplateView

from npq_portal.freshness import fresh_get, fresh_set
from npq_portal.mixins import PermissionFirstMixin
from npq_portal.page_cache import cache_for_session
from npq_portal.ratelimit import SignedLinkMixin, rate_limit_refusal

from .application_steps import STEP_BY_KEY, first_unanswered, steps_for
from .forms import (
    ApplicationDecisionForm,
    ChildcareProviderUploadForm,
    DelegateApprovalForm,
    EligibilityListUploadForm,
    EnrolmentChangeForm,
    EnrolmentTransferForm,
    FundingOverrideForm,
    FundingWhatChangesForm,
    GiasUploadForm,
    RegisterForm,
    RegisterImportForm,
    SchoolDecisionForm,
    SchoolLeaderForm,
    SubscribeForm,
    SubscriberInterestsForm,
)
from .links import (
    application_from_approval_token,
    email_from_stop_token,
    subscriber_from_token,
    subscriber_token,
)
from .models import (
    Application,
    ApplicationQuerySet,
    Attendance,
    AttendanceChange,
    EligibilityList,
    Enrolment,
    EnrolmentEvent,
    GiasImport,
    PrivateChildcareProvider,
    School,
    SchoolLeadership,
    Subscriber,
)
from .selectors import (
    application_funding_preview,
    cohort_progress_grid,
    enrolment_progress,
    enrolments_participation,
    funding_what_changes,
    programme_outline,
    progress_rows_shown,
)
from .services import (
    application_accept,
    application_delegate_approval,
    application_reject,
    application_save_answers,
    application_school_decide,
    application_start,
    application_submit,
    application_take_offer,
    application_waitlist,
    application_withdraw,
    applications_decide_in_bulk,
    childcare_providers_upload,
    eligibility_list_upload,
    enrolment_change,
    enrolment_transfer,
    funding_decision_override,
    gias_import_live_progress,
    gias_import_start,
    module_phase_set,
    register_enrolments,
    register_import,
    register_take,
    reminders_opt_out,
    school_leader_confirm,
    school_leader_remove,
    subscriber_confirm,
    subscriber_resubscribe,
    subscriber_sign_up,
    subscriber_unsubscribe,
    subscriber_update_interests,
)

SEARCH_RESULTS = 10
SEARCH_CACHE_SECONDS = 3600


@login_not_required
def school_search(request):
    """Schools matching a name, URN, UKPRN or postcode, for forms' autocomplete (GIAS is public)."""
    query = request.GET.get("q", "").strip()[:100]
    if len(query) < 2:
        return JsonResponse({"results": []})
    with_closed = request.GET.get("closed") == "1"
    # People type the same beginnings: each search's answer is kept until the schools change.
    key = "school-search:" + hashlib.sha256(f"{with_closed}|{query.lower()}".encode()).hexdigest()
    results = fresh_get(request, key)
    if results is None:
        results = _school_search_results(query, with_closed=with_closed)
        fresh_set(request, key, results, SEARCH_CACHE_SECONDS)
    return JsonResponse({"results": results})


def _school_search_results(query: str, *, with_closed: bool) -> list[dict]:
    schools = School.objects.search(query)
    if not with_closed:
        schools = schools.open()
    return [
        {
            "urn": school.urn,
            "name": school.name,
            "town": school.town,
            "postcode": school.postcode,
            "local_authority": school.la_name,
            "type": school.establishment_type_name,
            "phase": school.phase_name,
            "open": school.status_code != School.Status.CLOSED,
        }
        for school in schools.order_by("name", "urn")[:SEARCH_RESULTS]
    ]


class SchoolListView(PermissionRequiredMixin, ListView):
    permission_required = "participants.view_school"
    template_name = "participants/school_list.html"
    paginate_by = 25

    def get_queryset(self):
        query = self.request.GET.get("q", "").strip()[:100]
        schools = School.objects.search(query) if query else School.objects.all()
        return schools.order_by("name", "urn")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query"] = self.request.GET.get("q", "")
        context["school_count"] = School.objects.count() if not context["query"] else None
        context["last_import"] = GiasImport.objects.filter(status=GiasImport.Status.DONE).first()
        return context


class GiasImportCreateView(PermissionRequiredMixin, FormView):
    permission_required = "participants.add_giasimport"
    form_class = GiasUploadForm
    template_name = "participants/giasimport_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = GiasImport.objects.select_related("uploaded_by")[:10]
        return context

    def form_valid(self, form):
        record = gias_import_start(upload=form.cleaned_data["file"], by=self.request.user)
        return redirect(record)


class GiasImportDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "participants.add_giasimport"
    template_name = "participants/giasimport_detail.html"
    model = GiasImport

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        written, to_write = gias_import_live_progress(self.object)
        context["written"], context["to_write"] = written, to_write
        context["percent"] = (
            self.object.percent_done
            if self.object.finished or not to_write
            else round(100 * written / to_write)
        )
        return context


class EligibilityListIndexView(PermissionRequiredMixin, FormView):
    """Every eligibility list: its current version, its history, and an upload form."""

    permission_required = ("participants.view_eligibilitylist", "participants.add_eligibilitylist")
    form_class = EligibilityListUploadForm
    template_name = "participants/eligibilitylist_index.html"

    def get_initial(self):
        return {"kind": self.request.GET.get("kind", "")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        versions = list(EligibilityList.objects.select_related("uploaded_by"))
        context["lists"] = [
            {
                "kind": kind,
                "label": label,
                "identifier": EligibilityList.IDENTIFIER[kind],
                "current": next((v for v in versions if v.kind == kind and v.is_current), None),
                "history": [v for v in versions if v.kind == kind and not v.is_current][:5],
            }
            for kind, label in EligibilityList.Kind.choices
        ]
        context["provider_form"] = kwargs.get("provider_form") or ChildcareProviderUploadForm(
            prefix="provider"
        )
        context["provider_count"] = PrivateChildcareProvider.objects.count()
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            version = eligibility_list_upload(
                kind=form.cleaned_data["kind"],
                source=upload,
                file_name=upload.name,
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)  # nothing was changed; say why
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{version.get_kind_display()}: {version.entry_count:,} institutions, now current.",
        )
        return redirect("participants:eligibility-lists")


class FundingWhatChangesView(PermissionRequiredMixin, TemplateView):
    """Which recorded funding decisions a rule set or the newest lists would change."""

    permission_required = "participants.view_fundingdecision"
    template_name = "participants/funding_what_changes.html"

    def get_context_data(self, **kwargs):
        from .funding import RULE_SETS

        context = super().get_context_data(**kwargs)
        form = FundingWhatChangesForm(self.request.GET or None, rule_sets=sorted(RULE_SETS))
        context["form"] = form
        if form.is_valid():
            context["report"] = funding_what_changes(
                rules=form.cleaned_data["rules"],
                with_current_lists=form.cleaned_data["with_current_lists"],
            )
            context["moves"] = sorted(context["report"].moves.items(), key=lambda item: -item[1])
            context["changed_total"] = sum(context["report"].moves.values())
        return context


class ChildcareProviderUploadView(EligibilityListIndexView):
    """Ofsted-registered private nurseries and childminders, for the early-years rules."""

    permission_required = "participants.add_privatechildcareprovider"

    def post(self, request, *args, **kwargs):
        form = ChildcareProviderUploadForm(request.POST, request.FILES, prefix="provider")
        if form.is_valid():
            try:
                added, updated = childcare_providers_upload(source=form.cleaned_data["file"])
            except ValidationError as error:
                form.add_error("file", error)  # nothing was changed; say why
            else:
                messages.success(
                    request, f"Childcare providers: {added:,} added, {updated:,} updated."
                )
                return redirect("participants:eligibility-lists")
        return self.render_to_response(self.get_context_data(provider_form=form))


# ---- Mailing list (no account needed) ----


@method_decorator(login_not_required, name="dispatch")
class SubscribeView(FormView):
    form_class = SubscribeForm
    template_name = "participants/subscribe.html"

    def post(self, request, *args, **kwargs):
        # Counted before the form is checked: invalid posts are a script's too.
        refused = rate_limit_refusal(request, action="subscribe", key=request.POST.get("email", ""))
        return refused or super().post(request, *args, **kwargs)

    def get_initial(self):
        from programmes.models import Programme

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
        return redirect("participants:subscriber-check-email")


@method_decorator(login_not_required, name="dispatch")
class SubscriberCheckEmailView(TemplateView):
    template_name = "participants/subscriber_check_email.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            email=self.request.session.get("subscriber_email"), **kwargs
        )


class SubscriberTokenMixin(SignedLinkMixin):
    """Finds the subscriber from the signed link; a bad or expired link gets a clear page."""

    purpose = "manage"
    link_invalid_template = "participants/subscriber_link_invalid.html"

    def link_target(self, token):
        self.subscriber = subscriber_from_token(token, self.purpose)
        return self.subscriber

    def link_invalid_context(self):
        return {"purpose": self.purpose}


@method_decorator(login_not_required, name="dispatch")
class SubscriberConfirmView(SubscriberTokenMixin, TemplateView):
    """A button, not the link itself, confirms: mail scanners follow links."""

    purpose = "confirm"
    template_name = "participants/subscriber_confirm.html"

    def post(self, request, *args, **kwargs):
        subscriber = subscriber_confirm(subscriber=self.subscriber)
        return redirect(
            "participants:subscriber-manage", token=subscriber_token(subscriber, "manage")
        )


@method_decorator(login_not_required, name="dispatch")
class SubscriberManageView(SubscriberTokenMixin, FormView):
    form_class = SubscriberInterestsForm
    template_name = "participants/subscriber_manage.html"

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

    template_name = "participants/subscriber_unsubscribe.html"

    def post(self, request, *args, **kwargs):
        subscriber_unsubscribe(subscriber=self.subscriber)
        return render(
            request,
            "participants/subscriber_unsubscribed.html",
            {"view": self, "token": kwargs["token"]},
        )


class SubscriberReportView(PermissionRequiredMixin, TemplateView):
    """Confirmed subscribers by programme, with their exports."""

    permission_required = "participants.view_subscriber"
    template_name = "participants/subscriber_report.html"

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
        from programmes.models import Programme

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


# ---- School approval (no account needed) ----


@method_decorator(login_not_required, name="dispatch")
class SchoolApprovalView(SignedLinkMixin, TemplateView):
    """The page the approval email links to: approve, decline or pass it to a colleague."""

    template_name = "participants/school_approval.html"
    link_action = "school_approval"
    link_invalid_template = "participants/school_approval_invalid.html"

    def link_target(self, token):
        self.application = application_from_approval_token(token)
        return self.application

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["application"] = self.application
        context["decision_form"] = kwargs.get("decision_form") or SchoolDecisionForm()
        context["delegate_form"] = kwargs.get("delegate_form") or DelegateApprovalForm(
            prefix="delegate"
        )
        context["sessions"] = self.application.cohort.sessions.exclude(status="cancelled")
        return context

    def post(self, request, *args, **kwargs):
        application = self.application
        if "delegate" in request.POST:
            form = DelegateApprovalForm(request.POST, prefix="delegate")
            if form.is_valid():
                try:
                    application_delegate_approval(
                        application=application,
                        email=form.cleaned_data["email"],
                        by_name=form.cleaned_data["name"],
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    return render(
                        request,
                        "participants/school_approval_done.html",
                        {"delegated_to": form.cleaned_data["email"], "application": application},
                    )
            return self.render_to_response(self.get_context_data(delegate_form=form))
        form = SchoolDecisionForm(request.POST)
        if form.is_valid():
            try:
                application = application_school_decide(
                    application=application,
                    approve=form.cleaned_data["decision"] == "approve",
                    name=form.cleaned_data["name"],
                    email=application.approver_email,
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return render(
                    request,
                    "participants/school_approval_done.html",
                    {"application": application},
                )
        return self.render_to_response(self.get_context_data(decision_form=form))


# ---- Applying (teachers) ----


def _redirect_if_sent(request, pk):
    """The form's pages work on a draft; once it is sent (the Back button, say), they go to
    the application's page with a word of why, rather than to "not found"."""
    sent = (
        Application.objects.filter(applicant=request.user, pk=pk)
        .exclude(status=Application.Status.DRAFT)
        .first()
    )
    if sent is None:
        return None
    messages.info(request, "This application has been sent, so it can no longer change.")
    return redirect(sent)


def _draft_for(request, pk) -> Application:
    drafts = Application.objects.filter(
        applicant=request.user, status=Application.Status.DRAFT
    ).select_related("cohort__programme", "cohort__delivery_partner")
    return get_object_or_404(drafts, pk=pk)


class ApplyView(View):
    """Start (or carry on with) an application for a cohort."""

    def post(self, request, cohort_pk):
        from cohorts.models import Cohort

        cohort = get_object_or_404(Cohort.objects.select_related("programme"), pk=cohort_pk)
        try:
            application = application_start(applicant=request.user, cohort=cohort)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(cohort.programme)
        return redirect(_next_page(application))

    def get(self, request, cohort_pk):
        """The link from the programme page: a page with a button (a GET changes nothing)."""
        from cohorts.models import Cohort

        cohort = get_object_or_404(
            Cohort.objects.select_related("programme", "delivery_partner"), pk=cohort_pk
        )
        return render(request, "participants/apply_start.html", {"cohort": cohort})


def _next_page(application: Application) -> str:
    step = first_unanswered(application.answers, application.cohort.programme)
    if step is None:
        return reverse("participants:application-check", args=[application.pk])
    return reverse("participants:application-step", args=[application.pk, step.key])


class ApplicationStepView(FormView):
    """One question of the application form."""

    template_name = "participants/application_step.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.step = STEP_BY_KEY.get(kwargs["step"])

    def dispatch(self, request, *args, **kwargs):
        if sent := _redirect_if_sent(request, kwargs["pk"]):
            return sent
        self.application = _draft_for(request, kwargs["pk"])
        programme = self.application.cohort.programme
        self.steps = steps_for(self.application.answers, programme)
        if self.step is None or self.step not in self.steps:
            raise Http404("No such question.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return self.step.form

    def get_initial(self):
        initial = dict(self.application.answers)
        if self.step.key == "school" and initial.get("school_name"):
            initial["school"] = initial["school_name"]
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        index = self.steps.index(self.step)
        context.update(
            application=self.application,
            step=self.step,
            number=index + 1,
            total=len(self.steps) + 1,  # and the check-your-answers page
            back_url=(
                reverse(
                    "participants:application-step",
                    args=[self.application.pk, self.steps[index - 1].key],
                )
                if index
                else self.application.cohort.programme.get_absolute_url()
            ),
        )
        if self.step.key == "payment":
            from programmes.models import Programme

            funding = application_funding_preview(self.application)
            context["funding"] = funding
            context["alternatives"] = (
                Programme.objects.offered()
                .filter(course_identifier__in=funding.funded_alternatives)
                .order_by("name")
                if funding
                else []
            )
        return context

    def form_valid(self, form):
        application = application_save_answers(
            application=self.application, answers=self.step.answers_from(form)
        )
        if application.answers.get("mastery") == "cannot_show":
            return redirect("participants:application-cannot-continue", pk=application.pk)
        if self.request.GET.get("change"):
            return redirect("participants:application-check", pk=application.pk)
        return redirect(_next_page(application))


class ApplicationCannotContinueView(TemplateView):
    template_name = "participants/application_cannot_continue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["application"] = _draft_for(self.request, self.kwargs["pk"])
        return context


class ApplicationCheckView(TemplateView):
    """Check your answers, then send."""

    template_name = "participants/application_check.html"

    def dispatch(self, request, *args, **kwargs):
        if sent := _redirect_if_sent(request, kwargs["pk"]):
            return sent
        self.application = _draft_for(request, kwargs["pk"])
        missing = first_unanswered(self.application.answers, self.application.cohort.programme)
        if missing is not None:
            return redirect(_next_page(self.application))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        answers = self.application.answers
        rows = []
        for step in steps_for(answers, self.application.cohort.programme):
            form = step.form()
            for name, field in form.fields.items():
                key = "school_name" if name == "school" else name
                value = answers.get(key, "")
                if not value and not field.required:
                    continue  # an optional question left blank
                choices = dict(getattr(field, "choices", []) or [])
                rows.append(
                    {
                        "question": field.label,
                        "answer": choices.get(value, value) or "Not given",
                        "change_url": reverse(
                            "participants:application-step", args=[self.application.pk, step.key]
                        )
                        + "?change=1",
                    }
                )
        context.update(
            application=self.application,
            rows=rows,
            funding=application_funding_preview(self.application),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            application = application_submit(application=self.application, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("participants:application-check", pk=self.application.pk)
        messages.success(
            request,
            "Application sent. We have emailed you, and asked your headteacher to approve it.",
        )
        return redirect(application)


class ApplicationDetailView(DetailView):
    """An application's status and history: the applicant's own, or any for hub staff."""

    template_name = "participants/application_detail.html"
    context_object_name = "application"

    def get_queryset(self):
        return Application.objects.for_user(self.request.user).select_related(
            "cohort__programme",
            "cohort__delivery_partner",
            "applicant",
            "school",
            "funding_decision",
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.object
        context["events"] = application.events.select_related("by")
        context["can_withdraw"] = (
            application.applicant_id == self.request.user.pk
            and application.can_move_to(Application.Status.WITHDRAWN)
        )
        context["can_decide"] = self.request.user.has_perm("participants.decide_application")
        context["enrolments"] = application.enrolments.select_related(
            "cohort__programme"
        ).prefetch_related(Prefetch("events", queryset=EnrolmentEvent.objects.select_related("by")))
        context["withdrawal_reasons"] = EnrolmentEvent.WithdrawalReason.choices
        context["offer_live"] = (
            application.status == Application.Status.WAITLISTED
            and application.offer_expires_at
            and application.offer_expires_at > timezone.now()
            and application.applicant_id == self.request.user.pk
        )
        if context["can_decide"]:
            current = [e for e in context["enrolments"] if e.status in {"active", "deferred"}]
            context["transfer_form"] = (
                EnrolmentTransferForm(enrolment=current[0]) if current else None
            )
            context["override_form"] = FundingOverrideForm()
        context["actions"] = [
            (action, label)
            for action, label, status in [
                ("accept", "Accept: offer a place", Application.Status.ACCEPTED),
                ("waitlist", "Put on the waiting list", Application.Status.WAITLISTED),
                ("reject", "Reject", Application.Status.REJECTED),
            ]
            if application.can_move_to(status)
        ]
        return context


class ApplicationWithdrawView(View):
    def post(self, request, pk):
        application = get_object_or_404(Application.objects.filter(applicant=request.user), pk=pk)
        try:
            application_withdraw(
                application=application, by=request.user, reason=request.POST.get("reason", "")
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Your application is withdrawn.")
        return redirect(application)


class ApplicationDecideView(PermissionRequiredMixin, View):
    permission_required = "participants.decide_application"

    def post(self, request, pk):
        application = get_object_or_404(Application.objects.for_user(request.user), pk=pk)
        form = ApplicationDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose accept, waitlist or reject.")
            return redirect(application)
        action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
        decide = {
            "accept": application_accept,
            "waitlist": application_waitlist,
            "reject": application_reject,
        }[action]
        try:
            decide(application=application, by=request.user, reason=reason)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))  # nothing was changed; say why
        else:
            messages.success(
                request, f"Application {action}ed." if action != "waitlist" else "Waitlisted."
            )
        return redirect(application)


@method_decorator(cache_for_session, name="dispatch")
class ApplicationListView(PermissionRequiredMixin, ListView):
    """The staff review queue."""

    permission_required = "participants.view_application"
    template_name = "participants/application_list.html"
    paginate_by = 25

    def get_queryset(self):
        applications = (
            Application.objects.for_user(self.request.user)
            .sent()
            .matching(self.request.GET)
            .select_related("applicant", "cohort__programme", "school", "funding_decision")
        )
        return applications.in_review_order()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from cohorts.academic_years import academic_year_label
        from cohorts.models import Cohort, DeliveryPartner
        from programmes.models import Programme

        from .funding import OUTCOME_CODES

        context["statuses"] = [c for c in Application.Status.choices if c[0] != "draft"]
        context["funding_codes"] = OUTCOME_CODES
        # EXISTS, not a join and DISTINCT: at 100,000 applications the join costs 100 ms.
        with_applications = Application.objects.filter(cohort=OuterRef("pk"))
        cohorts = Cohort.objects.filter(Exists(with_applications))
        context["programmes"] = Programme.objects.filter(
            Exists(cohorts.filter(programme=OuterRef("pk")))
        ).order_by("name")
        context["cohorts"] = cohorts.select_related("programme")
        context["years"] = [
            (year, academic_year_label(year))
            for year in cohorts.order_by("-academic_year")
            .values_list("academic_year", flat=True)
            .distinct()
        ]
        context["partners"] = DeliveryPartner.objects.order_by("name")
        context["filters"] = {
            key: self.request.GET.get(key, "") for key in ApplicationQuerySet.FILTERS
        }
        return context


@method_decorator(cache_for_session, name="dispatch")
class TeacherHomeView(TemplateView):
    """A teacher's start page: their applications, places, next sessions and funding."""

    template_name = "npq_portal/teacher_home.html"

    def get_context_data(self, **kwargs):
        from cohorts.models import Session

        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["applications"] = (
            Application.objects.filter(applicant=user)
            .exclude(status=Application.Status.WITHDRAWN)
            .select_related("cohort__programme", "funding_decision")
        )
        enrolments = list(
            Enrolment.objects.filter(participant=user).select_related("cohort__programme")
        )
        figures = enrolments_participation(enrolments=enrolments)
        for enrolment in enrolments:
            enrolment.participation = figures[enrolment.pk]
        context["enrolments"] = enrolments
        context["next_sessions"] = Session.objects.in_calendar_of(user).upcoming()[:5]
        return context


# ---- Places, offers, overrides, school leaders ----


class EnrolmentChangeView(PermissionRequiredMixin, View):
    permission_required = "participants.decide_application"

    def post(self, request, pk):
        enrolment = get_object_or_404(Enrolment.objects.select_related("application"), pk=pk)
        form = EnrolmentChangeForm(request.POST)
        if form.is_valid():
            try:
                enrolment_change(enrolment=enrolment, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, "The place is updated.")
        return redirect(enrolment.application or "participants:application-list")


class EnrolmentTransferView(PermissionRequiredMixin, View):
    permission_required = "participants.decide_application"

    def post(self, request, pk):
        enrolment = get_object_or_404(
            Enrolment.objects.select_related("application", "cohort"), pk=pk
        )
        form = EnrolmentTransferForm(request.POST, enrolment=enrolment)
        if form.is_valid():
            try:
                enrolment_transfer(
                    enrolment=enrolment,
                    to_cohort=form.cleaned_data["cohort"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"Moved to {form.cleaned_data['cohort']}.")
        else:
            messages.error(request, "Choose the cohort and say why.")
        return redirect(enrolment.application or "participants:application-list")


class ApplicationTakeOfferView(View):
    def post(self, request, pk):
        application = get_object_or_404(Application.objects.filter(applicant=request.user), pk=pk)
        try:
            application_take_offer(application=application, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The place is yours.")
        return redirect(application)


class FundingOverrideView(PermissionRequiredMixin, View):
    permission_required = "participants.decide_application"

    def post(self, request, pk):
        application = get_object_or_404(
            Application.objects.select_related("funding_decision"), pk=pk
        )
        form = FundingOverrideForm(request.POST)
        if application.funding_decision is None or not form.is_valid():
            messages.error(request, "Choose the override and give a reason.")
            return redirect(application)
        try:
            funding_decision_override(
                decision=application.funding_decision, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Funding overridden; the calculated outcome is kept.")
        return redirect(application)


class SchoolLeaderListView(PermissionFirstMixin, FormView):
    """Who leads a school in the portal, and confirming another."""

    permission_required = "participants.add_schoolleadership"
    form_class = SchoolLeaderForm
    template_name = "participants/school_leaders.html"

    def find_objects(self, urn):
        self.school = get_object_or_404(School, urn=urn)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["school"] = self.school
        context["leaders"] = self.school.leaderships.select_related("user", "confirmed_by")
        context["approvers"] = (
            Application.objects.filter(school=self.school)
            .exclude(school_decided_by_email="")
            .values_list("school_decided_by", "school_decided_by_email")
            .distinct()
        )
        return context

    def post(self, request, *args, **kwargs):
        if "remove" in request.POST:
            chosen = request.POST["remove"]
            leadership = get_object_or_404(
                SchoolLeadership.objects.select_related("user", "school"),
                pk=int(chosen) if chosen.isdigit() else 0,
                school=self.school,
            )
            school_leader_remove(leadership=leadership, by=request.user)
            messages.success(request, f"{leadership.user} no longer sees {self.school.name}.")
            return redirect("participants:school-leaders", urn=self.school.urn)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        from allauth.account.models import EmailAddress

        address = (
            EmailAddress.objects.filter(email__iexact=form.cleaned_data["email"], verified=True)
            .select_related("user")
            .first()
        )
        if address is None:
            form.add_error("email", "No verified account has this address: ask them to sign up.")
            return self.form_invalid(form)
        school_leader_confirm(user=address.user, school=self.school, by=self.request.user)
        messages.success(self.request, f"{address.user} can now see {self.school.name}'s people.")
        return redirect("participants:school-leaders", urn=self.school.urn)


@method_decorator(cache_for_session, name="dispatch")
class MySchoolView(TemplateView):
    """A school leader's page: every applicant and participant from their schools."""

    template_name = "npq_portal/school_leader_home.html"

    def get(self, request, *args, **kwargs):
        from npq_portal.roles import Role, user_roles

        is_leader = Role.SCHOOL_LEADER in user_roles(request.user)
        if not is_leader and not SchoolLeadership.objects.filter(user=request.user).exists():
            raise PermissionDenied("This page is for school leaders.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schools"] = School.objects.filter(leaderships__user=self.request.user)
        from cohorts.models import Session

        applications = (
            Application.objects.from_schools_led_by(self.request.user)
            .sent()
            .select_related("applicant", "cohort__programme", "school")
            .prefetch_related("enrolments__cohort")
            .in_school_order()
        )
        context["applications"] = applications
        places = [e for application in applications for e in application.enrolments.all()]
        figures = enrolments_participation(enrolments=places)
        for enrolment in places:
            enrolment.participation = figures[enrolment.pk]
        cohorts = {e.cohort_id for e in places if e.status == Enrolment.Status.ACTIVE}
        # Every session still to come in one query: each place's next two, and the ten soonest.
        upcoming = list(Session.objects.filter(cohort__in=cohorts).upcoming())
        by_cohort: dict[int, list] = {}
        for session in upcoming:
            by_cohort.setdefault(session.cohort_id, []).append(session)
        for enrolment in places:
            active = enrolment.status == Enrolment.Status.ACTIVE
            enrolment.next_sessions = by_cohort.get(enrolment.cohort_id, [])[:2] if active else []
        context["next_sessions"] = upcoming[:10]
        return context


class ApplicationBulkDecideView(PermissionRequiredMixin, View):
    """Accept or reject the applications ticked in the review queue."""

    permission_required = "participants.decide_application"

    def post(self, request):
        action = request.POST.get("action")
        ids = [int(pk) for pk in request.POST.getlist("application") if pk.isdigit()]
        back = request.POST.get("next") or reverse("participants:application-list")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("participants:application-list")
        if action not in {"accept", "reject"} or not ids:
            messages.error(request, "Tick the applications, then choose accept or reject.")
            return redirect(back)
        applications = Application.objects.filter(pk__in=ids).order_by("submitted_at", "pk")
        decided, refused = applications_decide_in_bulk(
            applications=applications,
            action=action,
            by=request.user,
            reason=request.POST.get("reason", ""),
        )
        if decided:
            verb = "accepted" if action == "accept" else "rejected"
            messages.success(
                request, f"{len(decided)} application{'s' if len(decided) != 1 else ''} {verb}."
            )
        for application, why in refused:
            messages.error(request, f"{application.applicant}: {why}")
        return redirect(back)


class ApplicationApproverView(PermissionRequiredMixin, View):
    """Staff send the approval link again, to the same person or another (after the chase)."""

    permission_required = "participants.decide_application"

    def post(self, request, pk):
        application = get_object_or_404(Application.objects.for_user(request.user), pk=pk)
        form = DelegateApprovalForm(
            {"email": request.POST.get("email", ""), "name": request.user.get_full_name() or "Hub"}
        )
        if not form.is_valid():
            messages.error(request, "Give the approver's email address.")
            return redirect(application)
        try:
            application_delegate_approval(
                application=application,
                email=form.cleaned_data["email"],
                by_name=f"{request.user} (hub)",
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"A new approval link is on its way to {form.cleaned_data['email']}."
            )
        return redirect(application)


# ---- Reminders ----


@method_decorator(login_not_required, name="dispatch")
class RemindersStopView(SignedLinkMixin, TemplateView):
    """From the link in a reminder: turn optional reminders off (a button; scanners follow
    links). Urgent email, such as a moved session, still goes."""

    template_name = "participants/reminders_stop.html"
    link_invalid_template = "participants/reminders_link_invalid.html"

    def link_target(self, token):
        self.email = email_from_stop_token(token)
        return self.email

    def post(self, request, *args, **kwargs):
        reminders_opt_out(email=self.email)
        return self.render_to_response(self.get_context_data(done=True))


class RemindersUpcomingView(PermissionRequiredMixin, TemplateView):
    """Who will be emailed what in the next 7 days."""

    permission_required = "npq_portal.view_emaildelivery"
    template_name = "participants/reminders_upcoming.html"

    def get_context_data(self, **kwargs):
        from django.conf import settings

        from .reminders import reminders_due_soon

        return super().get_context_data(
            upcoming=reminders_due_soon(days=7), cap=settings.REMINDERS["daily_cap"], **kwargs
        )


# The preview's sandboxed srcdoc frame inherits this page's policy, and emails style
# themselves with style attributes (mail apps drop stylesheets): allow those attributes here
# only. Scripts stay refused, and the sandbox runs none anyway.
@method_decorator(csp_update({"style-src-attr": [UNSAFE_INLINE]}), name="dispatch")
class EmailPreviewView(PermissionRequiredMixin, TemplateView):
    """Every email with sample data: its subject, plain text and HTML, as people get it."""

    permission_required = "npq_portal.view_emaildelivery"
    template_name = "participants/email_preview.html"

    def get_context_data(self, **kwargs):
        from npq_portal.emails import email_render

        from .email_samples import email_kinds, email_sample_context

        context = super().get_context_data(**kwargs)
        kinds = email_kinds()
        kind = self.request.GET.get("kind") or kinds[0]
        if kind not in kinds:
            raise Http404("No such email.")
        message = email_render(kind=kind, context=email_sample_context(kind))
        context.update(
            kinds=kinds,
            kind=kind,
            subject=message.subject,
            text=message.body,
            html=message.alternatives[0][0],
        )
        return context


# ---- Registers and progress ----


def sessions_for_registers(user):
    """Sessions whose register a person may take: those of the cohorts they may see, and any
    session they lead."""
    from cohorts.models import Cohort, Session

    return Session.objects.filter(
        Q(cohort__in=Cohort.objects.for_user(user)) | Q(facilitator=user)
    ).select_related("cohort__programme")


class RegisterSessionMixin(PermissionFirstMixin):
    """Finds the session for a register page: permission first, then scope, so a teacher is
    refused and another facilitator's session is a 404."""

    permission_required = "participants.add_attendance"

    def find_objects(self, pk):
        self.session = get_object_or_404(sessions_for_registers(self.request.user), pk=pk)
        self.found()

    def found(self) -> None:
        """Look up anything else the page needs, once the session is found."""


class SessionRegisterView(RegisterSessionMixin, FormView):
    """Take a session's register: everyone starts as present; change the exceptions, save."""

    form_class = RegisterForm
    template_name = "participants/session_register.html"

    def found(self) -> None:
        self.enrolments = list(register_enrolments(self.session))
        self.recorded = dict(
            Attendance.objects.filter(session=self.session).values_list("enrolment_id", "mark")
        )

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "enrolments": self.enrolments,
            "recorded": self.recorded,
        }

    def get_context_data(self, **kwargs):
        counts = {mark: 0 for mark in Attendance.Mark.values}
        for mark in self.recorded.values():
            counts[mark] += 1
        changes = (
            AttendanceChange.objects.filter(attendance__session=self.session)
            .select_related("attendance__enrolment__participant", "by")
            .order_by("-at", "-pk")[:20]
        )
        return super().get_context_data(
            session=self.session,
            taken=bool(self.recorded),
            counts=counts,
            changes=changes,
            can_take=self.session.register_is_open,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            result = register_take(
                session=self.session,
                marks=form.marks(),
                by=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        saved = f"Register saved: {result.recorded} marked"
        if result.corrected:
            saved += f", {result.corrected} corrected"
        messages.success(self.request, saved + ".")
        return redirect("participants:session-register", pk=self.session.pk)


class RegisterImportView(RegisterSessionMixin, FormView):
    """Mark an online session's register from its meeting's attendance report."""

    form_class = RegisterImportForm
    template_name = "participants/register_import.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(session=self.session, **kwargs)

    def form_valid(self, form):
        try:
            result = register_import(
                session=self.session,
                source=form.cleaned_data["file"],
                by=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        summary = f"Register imported: {result.present} present, {result.absent} absent."
        if result.not_on_register:
            shown = ", ".join(result.not_on_register[:10])
            more = len(result.not_on_register) - 10
            summary += f" Not on this register, so left out: {shown}"
            summary += f" and {more} more." if more > 0 else "."
        messages.success(self.request, summary)
        return redirect("participants:session-register", pk=self.session.pk)


@method_decorator(cache_for_session, name="dispatch")
class CohortProgressView(PermissionRequiredMixin, TemplateView):
    """The cohort grid: each participant's registers and module phases, their participation
    and whether they are at risk."""

    permission_required = "participants.view_attendance"
    template_name = "participants/cohort_progress.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        from django.core.paginator import Paginator

        from cohorts.models import Cohort

        cohort = get_object_or_404(
            Cohort.objects.for_user(self.request.user).select_related("programme"),
            pk=self.kwargs["pk"],
        )
        grid = cohort_progress_grid(cohort=cohort)
        show = self.request.GET.get("show", "")
        rows = progress_rows_shown(grid.rows, show=show)
        at_risk_only = show == "at-risk"
        page = Paginator(rows, self.paginate_by).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            cohort=cohort,
            grid=grid,
            page_obj=page,
            at_risk_only=at_risk_only,
            **kwargs,
        )


class EnrolmentProgressView(TemplateView):
    """One participant's progress: their module phases (which they tick), their registers and
    their participation. Participants see their own; staff the cohorts they may see."""

    template_name = "participants/enrolment_progress.html"
    staff = False

    def enrolments(self):
        if not self.staff:
            return Enrolment.objects.filter(participant=self.request.user)
        from cohorts.models import Cohort

        if not self.request.user.has_perm("participants.add_modulephasedone"):
            raise PermissionDenied
        return Enrolment.objects.filter(cohort__in=Cohort.objects.for_user(self.request.user))

    def get_enrolment(self):
        return get_object_or_404(
            self.enrolments().select_related("cohort__programme", "participant"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        enrolment = self.get_enrolment()
        progress = enrolment_progress(enrolment=enrolment)
        return super().get_context_data(
            enrolment=enrolment,
            progress=progress,
            outline=programme_outline(enrolment=enrolment, progress=progress),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        from programmes.models import Module

        enrolment = self.get_enrolment()
        module_id = request.POST.get("module", "")
        if not module_id.isdigit():
            raise Http404("No such module.")
        module = get_object_or_404(Module, pk=int(module_id))
        try:
            module_phase_set(
                enrolment=enrolment,
                module=module,
                phase=request.POST.get("phase", ""),
                done=request.POST.get("done") == "1",
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Progress saved.")
        return redirect(request.path)
