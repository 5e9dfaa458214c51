import datetime
import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import (
    CreateView,
    DetailView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
)

from npq_portal.models import User
from npq_portal.prepared import fixed_objects

from .academic_years import academic_year_label, academic_year_of
from .calendar import calendar_ics
from .forms import (
    CohortFilterForm,
    CohortForm,
    CohortStatusForm,
    DeliveryPartnerForm,
    ModuleWindowForm,
    SchoolHolidayForm,
    SessionCancelForm,
    SessionForm,
    TermDateCalendarForm,
)
from .models import (
    CalendarFeed,
    Cohort,
    CohortStatusChange,
    DeliveryPartner,
    ModuleWindow,
    SchoolHoliday,
    Session,
    TermDateCalendar,
)
from .selectors import cohort_seen_by, cohort_term_calendar
from .services import (
    LONDON,
    calendar_feed_get,
    calendar_feed_replace,
    cohort_duplicate,
    cohort_move,
    cohort_save,
    module_window_save,
    school_holiday_delete,
    school_holiday_save,
    session_cancel,
    session_save,
    term_calendar_save,
    timetable_generate,
    timetable_publish,
)

# Which status buttons a cohort page offers, in order, with the words on them.
STATUS_ACTIONS = [
    (Cohort.Status.OPEN, "Open for applications"),
    (Cohort.Status.CLOSED, "Close to applications"),
    (Cohort.Status.RUNNING, "Mark as running"),
    (Cohort.Status.COMPLETED, "Mark as completed"),
    (Cohort.Status.CANCELLED, "Cancel cohort"),
]


class CohortScopeMixin:
    """Finds the cohort as for_user() scopes them: another facilitator's cohort is a 404."""

    def get_cohort(self, pk) -> Cohort:
        cohort = cohort_seen_by(self.request.user, pk)
        if cohort is None:
            raise Http404("No such cohort, or not one of yours.")
        return cohort


class CohortListView(PermissionRequiredMixin, ListView):
    permission_required = "cohorts.view_cohort"
    template_name = "cohorts/cohort_list.html"
    paginate_by = 25

    def get_queryset(self):
        scoped = Cohort.objects.for_user(self.request.user)
        # Applications the school has approved and staff have still to decide on, counted in a
        # subquery: PostgreSQL then counts them for the page's 25 cohorts only, where a join
        # and GROUP BY grouped every application (half a second at 100,000).
        applications = Cohort._meta.get_field("applications").related_model
        awaiting = (
            applications.objects.filter(cohort=OuterRef("pk"), status="school_approved")
            .order_by()
            .values("cohort")
            .annotate(count=Count("pk"))
            .values("count")
        )
        cohorts = scoped.select_related("programme", "delivery_partner").annotate(
            applications_awaiting=Coalesce(Subquery(awaiting), 0)
        )
        self.filters = CohortFilterForm.for_cohorts(self.request.GET, cohorts=scoped)
        return self.filters.filter(cohorts)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filters"] = self.filters
        return context


def _cohort_sessions(cohort_id: int):
    return Session.objects.filter(cohort_id=cohort_id).select_related("facilitator")


def _cohort_windows(cohort_id: int):
    return ModuleWindow.objects.filter(cohort_id=cohort_id).select_related("module__course")


def _cohort_facilitators(cohort_id: int):
    return User.objects.filter(cohorts_run=cohort_id)


def _cohort_history(cohort_id: int):
    """The cohort's last ten changes of status, with who made them."""
    return CohortStatusChange.objects.filter(cohort_id=cohort_id).select_related("by")[:10]


class CohortDetailView(PermissionRequiredMixin, CohortScopeMixin, DetailView):
    permission_required = "cohorts.view_cohort"
    template_name = "cohorts/cohort_detail.html"
    context_object_name = "cohort"

    def get_object(self, queryset=None):
        return self.get_cohort(self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = self.object
        # Fixed queries (npq_portal.prepared), composed once a connection.
        sessions = fixed_objects(_cohort_sessions, cohort.pk)
        context["months"] = [
            (month, list(group))
            for month, group in itertools.groupby(
                sessions, key=lambda s: s.starts_at.astimezone(LONDON).strftime("%B %Y")
            )
        ]
        context["sessions"] = sessions
        context["drafts"] = sum(1 for s in sessions if s.status == Session.Status.DRAFT)
        context["windows"] = fixed_objects(_cohort_windows, cohort.pk)
        context["facilitators"] = fixed_objects(_cohort_facilitators, cohort.pk)
        context["history"] = fixed_objects(_cohort_history, cohort.pk)
        context["actions"] = [(to, label) for to, label in STATUS_ACTIONS if cohort.can_move_to(to)]
        context["can_change"] = self.request.user.has_perm("cohorts.change_cohort")
        context["term_calendar"] = cohort_term_calendar(cohort=cohort)
        feed = calendar_feed_get(cohort=cohort)
        context["feed_url"] = self.request.build_absolute_uri(feed.get_absolute_url())
        return context


class CohortCreateView(PermissionRequiredMixin, CreateView):
    permission_required = "cohorts.add_cohort"
    form_class = CohortForm
    template_name = "cohorts/cohort_form.html"

    def form_valid(self, form):
        cohort = cohort_save(
            cohort=form.save(commit=False),
            facilitators=form.cleaned_data["facilitators"],
            by=self.request.user,
        )
        messages.success(self.request, f"{cohort} added as a draft. Generate its timetable next.")
        return redirect(cohort)


class CohortUpdateView(PermissionRequiredMixin, CohortScopeMixin, UpdateView):
    permission_required = "cohorts.change_cohort"
    form_class = CohortForm
    template_name = "cohorts/cohort_form.html"

    def get_object(self, queryset=None):
        return self.get_cohort(self.kwargs["pk"])

    def form_valid(self, form):
        cohort = cohort_save(
            cohort=form.save(commit=False),
            facilitators=form.cleaned_data["facilitators"],
            by=self.request.user,
        )
        messages.success(self.request, f"{cohort} saved.")
        return redirect(cohort)


class CohortActionView(PermissionRequiredMixin, CohortScopeMixin, View):
    """A POST that calls one service on a cohort and says what happened."""

    def post(self, request, pk):
        cohort = self.get_cohort(pk)
        try:
            response = self.act(cohort)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))  # nothing was changed; say why
            return redirect(cohort)
        return response or redirect(cohort)


class CohortStatusView(CohortActionView):
    permission_required = "cohorts.change_cohort_status"

    def act(self, cohort):
        form = CohortStatusForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError("Choose what should happen to the cohort.")
        cohort = cohort_move(cohort=cohort, by=self.request.user, **form.cleaned_data)
        messages.success(self.request, f"{cohort} is now {cohort.get_status_display().lower()}.")


class CohortDuplicateView(CohortActionView):
    permission_required = "cohorts.add_cohort"

    def act(self, cohort):
        copy = cohort_duplicate(cohort=cohort, by=self.request.user)
        messages.success(
            self.request,
            f"Copied to {copy.academic_year_label} as a draft, with its timetable moved on a "
            "year. Check the dates, then publish.",
        )
        return redirect(copy)


class TimetableGenerateView(CohortActionView):
    permission_required = "cohorts.add_session"

    def act(self, cohort):
        sessions = timetable_generate(cohort=cohort, by=self.request.user)
        messages.success(
            self.request,
            f"{len(sessions)} draft sessions and the module windows are in place. Adjust them, "
            "then publish the timetable.",
        )


class TimetablePublishView(CohortActionView):
    permission_required = "cohorts.change_session"

    def act(self, cohort):
        count = timetable_publish(cohort=cohort, by=self.request.user)
        messages.success(self.request, f"{count} sessions published to calendars.")


class SessionCreateView(PermissionRequiredMixin, CohortScopeMixin, CreateView):
    permission_required = "cohorts.add_session"
    form_class = SessionForm
    template_name = "cohorts/session_form.html"

    @cached_property
    def cohort(self) -> Cohort:
        # Looked up when first needed, after the permission check: a teacher gets a 403.
        return self.get_cohort(self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cohort": self.cohort}

    def form_valid(self, form):
        session = form.save(commit=False)
        session.cohort = self.cohort
        try:
            session_save(
                session=session,
                by=self.request.user,
                confirm_day=form.cleaned_data.get("confirm_day", False),
            )
        except ValidationError as error:
            return session_form_refused(self, form, error)
        messages.success(self.request, f"“{session}” added as a draft.")
        return redirect(self.cohort)


def session_form_refused(view, form, error: ValidationError):
    """Nothing was changed: say why, and where the day is not a teaching day, ask to confirm."""
    form.add_error(None, error)
    if getattr(error, "code", None) == "non_teaching_day":
        form.ask_to_confirm_day()
    return view.form_invalid(form)


class SessionUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "cohorts.change_session"
    form_class = SessionForm
    template_name = "cohorts/session_form.html"

    def get_object(self, queryset=None):
        sessions = Session.objects.for_user(self.request.user).select_related("cohort__programme")
        session = get_object_or_404(sessions, pk=self.kwargs["pk"])
        self.cohort = session.cohort
        return session

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "cohort": self.object.cohort}

    def form_valid(self, form):
        try:
            session = session_save(
                session=form.save(commit=False),
                by=self.request.user,
                reason=form.cleaned_data.get("reason", ""),
                confirm_day=form.cleaned_data.get("confirm_day", False),
            )
        except ValidationError as error:
            return session_form_refused(self, form, error)
        messages.success(self.request, f"“{session}” saved.")
        return redirect(self.cohort)


class SessionCancelView(PermissionRequiredMixin, FormView):
    permission_required = "cohorts.change_session"
    form_class = SessionCancelForm
    template_name = "cohorts/session_cancel.html"

    @cached_property
    def object(self) -> Session:
        sessions = Session.objects.for_user(self.request.user).select_related("cohort__programme")
        return get_object_or_404(sessions, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.object  # noqa: B018  a missing session is a 404 before the form shows
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            session_cancel(session=self.object, by=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"“{self.object}” is cancelled.")
        return redirect(self.object.cohort)


class ModuleWindowUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "cohorts.change_modulewindow"
    form_class = ModuleWindowForm
    template_name = "cohorts/modulewindow_form.html"

    def get_object(self, queryset=None):
        cohorts = Cohort.objects.for_user(self.request.user)
        windows = ModuleWindow.objects.filter(cohort__in=cohorts).select_related(
            "cohort__programme", "module"
        )
        return get_object_or_404(windows, pk=self.kwargs["pk"])

    def form_valid(self, form):
        try:
            module_window_save(window=form.save(commit=False), by=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Dates for “{self.object.module}” saved.")
        return redirect(self.object.cohort)


class DeliveryPartnerListView(PermissionRequiredMixin, ListView):
    permission_required = "cohorts.view_deliverypartner"
    template_name = "cohorts/deliverypartner_list.html"
    model = DeliveryPartner
    paginate_by = 25


class DeliveryPartnerCreateView(PermissionRequiredMixin, CreateView):
    permission_required = "cohorts.add_deliverypartner"
    form_class = DeliveryPartnerForm
    template_name = "cohorts/deliverypartner_form.html"

    def get_success_url(self):
        return reverse("cohorts:partner-list")


class DeliveryPartnerUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "cohorts.change_deliverypartner"
    form_class = DeliveryPartnerForm
    template_name = "cohorts/deliverypartner_form.html"
    model = DeliveryPartner

    def get_success_url(self):
        return reverse("cohorts:partner-list")


# ---- Term dates ----


class TermDateCalendarListView(PermissionRequiredMixin, ListView):
    permission_required = "cohorts.view_termdatecalendar"
    template_name = "cohorts/termdatecalendar_list.html"
    paginate_by = 25

    def get_queryset(self):
        return TermDateCalendar.objects.annotate(
            holiday_count=Count("holidays", distinct=True),
            cohort_count=Count("cohorts", distinct=True),
        ).order_by("-is_default", "name")


class TermDateCalendarDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "cohorts.view_termdatecalendar"
    template_name = "cohorts/termdatecalendar_detail.html"
    model = TermDateCalendar
    context_object_name = "calendar"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        holidays = self.object.holidays.all()
        context["years"] = [
            (academic_year_label(year), list(rows))
            for year, rows in itertools.groupby(
                holidays, key=lambda h: academic_year_of(h.starts_on)
            )
        ]
        return context


class TermDateCalendarCreateView(PermissionRequiredMixin, CreateView):
    permission_required = "cohorts.add_termdatecalendar"
    form_class = TermDateCalendarForm
    template_name = "cohorts/termdatecalendar_form.html"

    def form_valid(self, form):
        try:
            calendar = term_calendar_save(calendar=form.save(commit=False), by=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"“{calendar}” added. Add its holidays next.")
        return redirect(calendar)


class TermDateCalendarUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "cohorts.change_termdatecalendar"
    form_class = TermDateCalendarForm
    template_name = "cohorts/termdatecalendar_form.html"
    model = TermDateCalendar

    def form_valid(self, form):
        try:
            calendar = term_calendar_save(calendar=form.save(commit=False), by=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"“{calendar}” saved.")
        return redirect(calendar)


class SchoolHolidayCreateView(PermissionRequiredMixin, CreateView):
    permission_required = "cohorts.add_schoolholiday"
    form_class = SchoolHolidayForm
    template_name = "cohorts/schoolholiday_form.html"

    @cached_property
    def calendar(self) -> TermDateCalendar:
        # Looked up when first needed, after the permission check: a teacher gets a 403.
        return get_object_or_404(TermDateCalendar, pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.calendar  # noqa: B018  a missing calendar is a 404 before the form shows
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        holiday = form.save(commit=False)
        holiday.calendar = self.calendar
        try:
            school_holiday_save(holiday=holiday, by=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{holiday.name} added.")
        return redirect(self.calendar)


class SchoolHolidayUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "cohorts.change_schoolholiday"
    form_class = SchoolHolidayForm
    template_name = "cohorts/schoolholiday_form.html"
    queryset = SchoolHoliday.objects.select_related("calendar")

    @property
    def calendar(self) -> TermDateCalendar:
        return self.object.calendar

    def form_valid(self, form):
        try:
            holiday = school_holiday_save(holiday=form.save(commit=False), by=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{holiday.name} saved.")
        return redirect(self.calendar)


class SchoolHolidayDeleteView(PermissionRequiredMixin, DetailView):
    """A page asking to confirm; its POST removes the holiday."""

    permission_required = "cohorts.delete_schoolholiday"
    template_name = "cohorts/schoolholiday_confirm_delete.html"
    queryset = SchoolHoliday.objects.select_related("calendar")
    context_object_name = "holiday"

    def post(self, request, *args, **kwargs):
        holiday = self.get_object()
        school_holiday_delete(holiday=holiday, by=request.user)
        messages.success(request, f"{holiday.name} removed.")
        return redirect(holiday.calendar)


# ---- Calendars ----


class MyCalendarView(TemplateView):
    """Where someone finds their calendar address, and replaces it if it got out."""

    template_name = "cohorts/my_calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        feed = calendar_feed_get(owner=self.request.user)
        context["feed_url"] = self.request.build_absolute_uri(feed.get_absolute_url())
        context["sessions"] = (
            Session.objects.in_calendar_of(self.request.user)
            .filter(starts_at__gte=timezone.now() - datetime.timedelta(days=1))
            .select_related("cohort__programme")[:20]
        )
        return context

    def post(self, request):
        feed = calendar_feed_get(owner=request.user)
        calendar_feed_replace(feed=feed)
        messages.success(request, "Your old calendar address no longer works; use the new one.")
        return redirect("cohorts:my-calendar")


class CohortCalendarView(PermissionRequiredMixin, CohortScopeMixin, View):
    """Replace the cohort's calendar address: every subscriber must subscribe again."""

    permission_required = "cohorts.change_cohort"

    def post(self, request, pk):
        cohort = self.get_cohort(pk)
        calendar_feed_replace(feed=calendar_feed_get(cohort=cohort))
        messages.success(request, "The cohort has a new calendar address; the old one is revoked.")
        return redirect(cohort)


@login_not_required
def calendar_feed(request, token):
    """An iCalendar feed at a secret address: calendar apps cannot sign in."""
    feed = (
        CalendarFeed.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("cohort__programme", "owner")
        .first()
    )
    if feed is None or (feed.owner_id and not feed.owner.is_active):
        raise Http404("No such calendar.")
    if feed.cohort_id:
        sessions = feed.cohort.sessions.exclude(status=Session.Status.DRAFT)
        name = str(feed.cohort)
    else:
        sessions = Session.objects.in_calendar_of(feed.owner).distinct()
        name = f"NPQ sessions for {feed.owner.get_short_name()}"
    body = calendar_ics(
        sessions.select_related("cohort__programme").order_by("starts_at", "pk"),
        name=name,
        now=timezone.now(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="npq-sessions.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
