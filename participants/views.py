"""The participant's and school leader's pages, place changes, registers and progress."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from applications.models import Application
from cohorts.models import Cohort, Session
from npq_portal.mixins import PermissionFirstMixin
from npq_portal.page_cache import cache_for_session
from npq_portal.roles import Role, user_roles
from programmes.models import Module, Programme
from schools.models import School, SchoolLeadership

from .forms import (
    ChargeActionForm,
    EnrolmentChangeForm,
    EnrolmentTransferForm,
    RegisterForm,
    RegisterImportForm,
)
from .models import Attendance, AttendanceChange, Charge, ChargeEvent, ChargeQuerySet, Enrolment
from .selectors import (
    cohort_progress_grid,
    enrolment_progress,
    enrolments_participation,
    programme_outline,
    progress_rows_shown,
)
from .services import (
    charge_mark_invoiced,
    charge_mark_paid,
    charge_waive,
    enrolment_change,
    enrolment_transfer,
    module_phase_set,
    register_enrolments,
    register_import,
    register_take,
)


@method_decorator(cache_for_session, name="dispatch")
class TeacherHomeView(TemplateView):
    """A teacher's start page: their applications, places, next sessions and funding."""

    template_name = "participants/teacher_home.html"

    def get_context_data(self, **kwargs):

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


class EnrolmentChangeView(PermissionRequiredMixin, View):
    permission_required = "applications.decide_application"

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
        return redirect(enrolment.application or "applications:application-list")


class EnrolmentTransferView(PermissionRequiredMixin, View):
    permission_required = "applications.decide_application"

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
        return redirect(enrolment.application or "applications:application-list")


@method_decorator(cache_for_session, name="dispatch")
class MySchoolView(TemplateView):
    """A school leader's page: every applicant and participant from their schools."""

    template_name = "participants/school_leader_home.html"

    def get(self, request, *args, **kwargs):

        is_leader = Role.SCHOOL_LEADER in user_roles(request.user)
        if not is_leader and not SchoolLeadership.objects.filter(user=request.user).exists():
            raise PermissionDenied("This page is for school leaders.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schools"] = School.objects.filter(leaderships__user=self.request.user)

        applications = (
            Application.objects.from_schools_led_by(self.request.user)
            .sent()
            .select_related("applicant", "cohort__programme", "school")
            .prefetch_related("enrolments__cohort")
            .in_school_order()
        )
        context["applications"] = applications
        context["waiting"] = [
            a for a in applications if a.status == Application.Status.AWAITING_SCHOOL
        ]
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


def sessions_for_registers(user):
    """Sessions whose register a person may take: those of the cohorts they may see, and any
    session they lead."""
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


# ---- Charges: places that are not funded, their payers and payment ----


class ChargeListView(PermissionRequiredMixin, ListView):
    """Every charge for a place that is not funded, filtered, with what can be done next."""

    permission_required = "participants.manage_charges"
    template_name = "participants/charge_list.html"
    paginate_by = 25

    def get_queryset(self):
        return (
            Charge.objects.matching(self.request.GET)
            .for_listing()
            .prefetch_related(Prefetch("events", queryset=ChargeEvent.objects.select_related("by")))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        with_charges = Charge.objects.filter(enrolment__cohort=OuterRef("pk"))
        cohorts = Cohort.objects.filter(Exists(with_charges)).select_related("programme")
        context["cohorts"] = cohorts
        context["programmes"] = (
            Programme.objects.filter(Exists(cohorts.filter(programme=OuterRef("pk"))))
            .order_by("name")
            .values_list("slug", "name")
        )
        context["statuses"] = Charge.Status.choices
        context["payers"] = Charge.Payer.choices
        context["filters"] = {key: self.request.GET.get(key, "") for key in ChargeQuerySet.FILTERS}
        totals = (
            Charge.objects.matching(self.request.GET)
            .values("status")
            .annotate(count=Count("pk"), amount=Sum("amount"))
        )
        by_status = {row["status"]: row for row in totals}
        context["totals"] = [
            (label, by_status[value]["count"], by_status[value]["amount"])
            for value, label in Charge.Status.choices
            if value in by_status
        ]
        return context


class ChargeUpdateView(PermissionRequiredMixin, View):
    """Mark a charge invoiced or paid, or waive it, then go back to the list as it was."""

    permission_required = "participants.manage_charges"
    actions = {
        "invoiced": (charge_mark_invoiced, "{} marked invoiced."),
        "paid": (charge_mark_paid, "{} marked paid."),
        "waived": (charge_waive, "{} waived."),
    }

    def post(self, request, pk):
        charge = get_object_or_404(Charge, pk=pk)
        back = request.POST.get("next") or reverse("participants:charge-list")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("participants:charge-list")
        form = ChargeActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose to mark it invoiced or paid, or to waive it.")
            return redirect(back)
        service, done = self.actions[form.cleaned_data["action"]]
        extra = {"reason": form.cleaned_data["reason"]} if service is charge_waive else {}
        try:
            service(charge=charge, by=request.user, **extra)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))  # nothing was changed; say why
        else:
            messages.success(request, done.format(charge.invoice_reference))
        return redirect(back)
