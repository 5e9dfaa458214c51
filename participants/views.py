"""The participant's and school leader's pages, place changes, registers and progress."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from applications.models import Application
from cohorts.models import Cohort, Session, sees_every_cohort
from cohorts.selectors import cohort_seen_by
from npq_portal.mixins import PermissionFirstMixin
from npq_portal.numbers import whole_number
from npq_portal.prepared import fixed_objects, fixed_rows
from npq_portal.roles import Role, user_roles
from npq_portal.uploads import file_kind
from programmes.models import Module, Programme
from schools.models import School, SchoolLeadership

from .forms import (
    ActionPlanForm,
    ChargeActionForm,
    EnrolmentChangeForm,
    EnrolmentTransferForm,
    EvaluationForm,
    RegisterForm,
    RegisterImportForm,
    SchoolPlaceDecisionForm,
    TeamMemberReplaceForm,
)
from .models import (
    Attendance,
    AttendanceChange,
    Charge,
    ChargeEvent,
    ChargeQuerySet,
    Enrolment,
    SchoolPlace,
)
from .selectors import (
    cohort_progress_grid_kept,
    enrolment_progress,
    enrolments_participation,
    programme_outline,
    progress_rows_shown,
    school_place_editable_by,
    school_place_events,
    school_place_seen_by,
    work_group_grid,
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
    school_place_complete,
    school_place_save_evaluation,
    school_place_save_plan,
    school_place_withdraw,
    team_member_replace,
)


def _own_applications(applicant_id: int):
    """A teacher's applications but those withdrawn, newest first, with their cohort's
    programme and funding decision."""
    return (
        Application.objects.filter(applicant_id=applicant_id)
        .exclude(status=Application.Status.WITHDRAWN)
        .select_related("cohort__programme", "funding_decision")
    )


def _own_enrolments(participant_id: int):
    """A person's places, newest first, with their cohort's programme, their school's place
    in a Work Group with its school, and their role slot."""
    return Enrolment.objects.filter(participant_id=participant_id).select_related(
        "cohort__programme", "school_place__school", "role_slot"
    )


# Not marked planned_generically: while the status was a parameter, its generic plan could not
# use the index of scheduled sessions and read all 42,000 sessions of ten school years (3.4 ms).
# Now that a fixed query's own values are written into its statement, PostgreSQL settles on a
# generic plan by itself, one that uses that index (1.3 ms at ten school years, as fast as a
# plan for the values).
def _next_sessions(user_id: int, now):
    """The next five sessions in a person's calendar from `now`, with their programme."""
    return Session.objects.in_calendar_of(user_id).upcoming(now)[:5]


class TeacherHomeView(TemplateView):
    """A teacher's start page: their applications, places, next sessions and funding."""

    template_name = "participants/teacher_home.html"

    def get_context_data(self, **kwargs):

        context = super().get_context_data(**kwargs)
        user = self.request.user
        # Fixed queries (npq_portal.prepared), composed once a connection.
        context["applications"] = fixed_objects(_own_applications, user.pk)
        enrolments = fixed_objects(_own_enrolments, user.pk)
        figures = enrolments_participation(enrolments=enrolments)
        for enrolment in enrolments:
            enrolment.participation = figures[enrolment.pk]
        context["enrolments"] = enrolments
        context["next_sessions"] = fixed_objects(_next_sessions, user.pk, timezone.now())
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


def _schools_led_by(user_id: int):
    return School.objects.filter(leaderships__user_id=user_id)


def _applications_from_schools_led_by(user_id: int):
    """Applications sent from the schools a person leads, with the applicant and programme,
    by school and surname."""
    return (
        Application.objects.from_schools_led_by(user_id)
        .sent()
        .select_related("applicant", "cohort__programme")
        .in_school_order()
    )


def _school_places_led_by(user_id: int):
    """The Work Group places of the schools a person leads, newest school year first."""
    return (
        SchoolPlace.objects.filter(school__leaderships__user_id=user_id)
        .select_related("cohort__programme", "school")
        .order_by("-cohort__academic_year", "school__name", "cohort__programme__name", "pk")
    )


def _places_from_schools_led_by(user_id: int):
    """The places the applications from a person's schools made, each with its cohort."""
    sent = Application.objects.from_schools_led_by(user_id).sent()
    return Enrolment.objects.filter(application__in=sent.values("pk")).select_related("cohort")


def _sessions_of_places_from_schools_led_by(user_id: int, now):
    """The sessions still to come of the cohorts where those places are active."""
    active = _places_from_schools_led_by(user_id).filter(status=Enrolment.Status.ACTIVE)
    return Session.objects.filter(cohort__in=active.values("cohort_id")).upcoming(now)


def _teams_of_school_places_led_by(user_id: int):
    """The people of the Work Group places of a person's schools, each place's by role."""
    return (
        Enrolment.objects.filter(school_place__school__leaderships__user_id=user_id)
        .select_related("participant", "role_slot")
        .order_by("school_place_id", "role_slot__position", "participant__last_name", "pk")
    )


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
        user_id = self.request.user.pk
        # Fixed queries (npq_portal.prepared), composed once a connection: the schools, their
        # applications and the places these made, the sessions to come and the teams.
        context["schools"] = fixed_objects(_schools_led_by, user_id)
        applications = fixed_objects(_applications_from_schools_led_by, user_id)
        made = defaultdict(list)
        for enrolment in fixed_objects(_places_from_schools_led_by, user_id):
            made[enrolment.application_id].append(enrolment)
        for application in applications:
            application.places_made = made[application.pk]
        context["applications"] = applications
        context["waiting"] = [
            a for a in applications if a.status == Application.Status.AWAITING_SCHOOL
        ]
        places = [e for application in applications for e in application.places_made]
        figures = enrolments_participation(enrolments=places)
        for enrolment in places:
            enrolment.participation = figures[enrolment.pk]
        # Every session still to come in one query: each place's next two, and the ten soonest.
        upcoming = fixed_objects(_sessions_of_places_from_schools_led_by, user_id, timezone.now())
        by_cohort: dict[int, list] = {}
        for session in upcoming:
            by_cohort.setdefault(session.cohort_id, []).append(session)
        for enrolment in places:
            active = enrolment.status == Enrolment.Status.ACTIVE
            enrolment.next_sessions = by_cohort.get(enrolment.cohort_id, [])[:2] if active else []
        context["next_sessions"] = upcoming[:10]
        school_places = fixed_objects(_school_places_led_by, user_id)
        teams = defaultdict(list)
        for member in fixed_objects(_teams_of_school_places_led_by, user_id):
            teams[member.school_place_id].append(member)
        for place in school_places:
            place.team = teams[place.pk]
        context["school_places"] = school_places
        return context


# Sessions whose register a person may take: those of the cohorts they may see (every one for
# hub staff: cohorts.models.sees_every_cohort), and any session they lead.


def _register_session(pk: int):
    return Session.objects.filter(pk=pk).select_related("cohort__programme")


def _register_session_led_by(pk: int, user_id: int):
    """The session if the person runs its cohort or leads it."""
    return _register_session(pk).filter(
        Q(cohort__in=Cohort.objects.run_by(user_id)) | Q(facilitator=user_id)
    )


def _register_marks(session_id: int):
    return Attendance.objects.filter(session_id=session_id).values_list("enrolment_id", "mark")


def _register_changes(session_id: int):
    """The register's last twenty corrections, with whose mark and who made them."""
    return (
        AttendanceChange.objects.filter(attendance__session=session_id)
        .select_related("attendance__enrolment__participant", "by")
        .order_by("-at", "-pk")[:20]
    )


def _register_enrolments(session_id: int, cohort_id: int):
    return register_enrolments(Session(pk=session_id, cohort_id=cohort_id))


class RegisterSessionMixin(PermissionFirstMixin):
    """Finds the session for a register page: permission first, then scope, so a teacher is
    refused and another facilitator's session is a 404."""

    permission_required = "participants.add_attendance"

    def find_objects(self, pk):
        # By a fixed query for each scope (npq_portal.prepared), composed once a connection.
        user = self.request.user
        if sees_every_cohort(user):
            found = fixed_objects(_register_session, int(pk))
        else:
            found = fixed_objects(_register_session_led_by, int(pk), user.pk)
        if not found:
            raise Http404("No such session, or not one you may take the register of.")
        self.session = found[0]
        self.found()

    def found(self) -> None:
        """Look up anything else the page needs, once the session is found."""


class SessionRegisterView(RegisterSessionMixin, FormView):
    """Take a session's register: everyone starts as present; change the exceptions, save."""

    form_class = RegisterForm
    template_name = "participants/session_register.html"

    def found(self) -> None:
        session = self.session
        self.enrolments = fixed_objects(_register_enrolments, session.pk, session.cohort_id)
        self.recorded = dict(fixed_rows(_register_marks, session.pk))

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
        return super().get_context_data(
            session=self.session,
            taken=bool(self.recorded),
            counts=counts,
            changes=fixed_objects(_register_changes, self.session.pk),
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


class CohortProgressView(PermissionRequiredMixin, TemplateView):
    """The cohort grid: each participant's registers and module phases, their participation
    and whether they are at risk."""

    permission_required = "participants.view_attendance"
    template_name = "participants/cohort_progress.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        from django.core.paginator import Paginator

        cohort = cohort_seen_by(self.request.user, self.kwargs["pk"])
        if cohort is None:
            raise Http404("No such cohort, or not one of yours.")
        grid = cohort_progress_grid_kept(cohort=cohort)
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


def _own_enrolment(participant_id: int, pk: int):
    """One person's place by its id, with its cohort's programme and the person."""
    return Enrolment.objects.filter(participant_id=participant_id, pk=pk).select_related(
        "cohort__programme", "participant"
    )


class EnrolmentProgressView(TemplateView):
    """One participant's progress: their module phases (which they tick), their registers and
    their participation. Participants see their own; staff the cohorts they may see."""

    template_name = "participants/enrolment_progress.html"
    staff = False

    def get_enrolment(self):
        """The participant's own place (a fixed query, composed once a connection); for
        staff, a place in a cohort they may see."""
        if not self.staff:
            found = fixed_objects(_own_enrolment, self.request.user.pk, self.kwargs["pk"])
            if not found:
                raise Http404("No such place of yours.")
            return found[0]
        if not self.request.user.has_perm("participants.add_modulephasedone"):
            raise PermissionDenied
        return get_object_or_404(
            Enrolment.objects.filter(
                cohort__in=Cohort.objects.for_user(self.request.user)
            ).select_related("cohort__programme", "participant"),
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
        module_id = whole_number(request.POST.get("module", ""))
        if module_id is None:
            raise Http404("No such module.")
        module = get_object_or_404(Module, pk=module_id)
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


# ---- Work Groups: the Work Group Lead's page, a school's place, its plan and evaluation ----


class WorkGroupView(PermissionRequiredMixin, TemplateView):
    """A Work Group's schools, each school's team, attendance by school and session, and who
    has missed what: for its Work Group Lead and hub staff."""

    permission_required = "participants.view_attendance"
    template_name = "participants/work_group.html"

    def get_context_data(self, **kwargs):
        cohort = cohort_seen_by(self.request.user, self.kwargs["pk"])
        if cohort is None or cohort.programme.participation != Programme.Participation.SCHOOL_TEAM:
            raise Http404("No such Work Group, or not one of yours.")
        return super().get_context_data(
            cohort=cohort, grid=work_group_grid(cohort=cohort), **kwargs
        )


def _school_places(user):
    return SchoolPlace.objects.for_user(user).select_related("cohort__programme", "school")


# The evaluation return's pages, one heading each: (address, the service's keyword, the
# heading, what to write under it).
EVALUATION_PAGES = (
    (
        "pupil-outcomes",
        "pupil_outcomes",
        "Pupil outcomes",
        "What changed for pupils: what they know and can do, their confidence, how they talk "
        "about maths.",
    ),
    (
        "practice",
        "practice",
        "Development of practice",
        "How teaching changed in the classrooms of those taking part.",
    ),
    (
        "professional-learning",
        "professional_learning",
        "Professional learning",
        "What those taking part learned, and how they shared it with colleagues.",
    ),
    (
        "whole-school",
        "whole_school",
        "Whole-school policy",
        "What changed in the school's policies, curriculum, calculation policy or timetable.",
    ),
)


class SchoolPlaceDetailView(TemplateView):
    """A school's place in a Work Group: its team, attendance, completion against the
    programme's rule, action plan, evaluation return and history. The team, the school's
    leaders, the Work Group Lead and hub staff see it; the team and staff write the plan and
    evaluation; hub staff complete or withdraw the place and replace someone in the team."""

    template_name = "participants/school_place_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        place = school_place_seen_by(user, self.kwargs["pk"])
        if place is None:
            raise Http404("No such school place, or not one you may see.")
        grid = work_group_grid(cohort=place.cohort, places=[place])
        evaluation = [
            (slug, heading, getattr(place, f"evaluation_{keyword}"))
            for slug, keyword, heading, _ in EVALUATION_PAGES
        ]
        return super().get_context_data(
            place=place,
            grid=grid,
            row=grid.schools[0],
            evaluation=evaluation,
            events=fixed_objects(school_place_events, place.pk),
            can_edit=(
                place.status != SchoolPlace.Status.WITHDRAWN
                and school_place_editable_by(user, place)
            ),
            can_decide=user.has_perm("applications.decide_application"),
            **kwargs,
        )


class SchoolPlaceEditMixin:
    """Finds a school's place its team or staff may write to: anyone else gets a 404."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.place = get_object_or_404(
            _school_places(request.user).editable_by(request.user), pk=kwargs["pk"]
        )


class SchoolPlacePlanView(SchoolPlaceEditMixin, FormView):
    """Write or upload the school's action plan."""

    form_class = ActionPlanForm
    template_name = "participants/school_place_plan.html"

    def get_initial(self):
        return {"text": self.place.action_plan}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "has_file": bool(self.place.action_plan_file)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(place=self.place, **kwargs)

    def form_valid(self, form):
        try:
            school_place_save_plan(
                place=self.place,
                by=self.request.user,
                text=form.cleaned_data["text"],
                upload=form.cleaned_data["upload"],
                remove_file=form.cleaned_data.get("remove_file", False),
            )
        except ValidationError as error:
            form.add_error("upload" if form.cleaned_data["upload"] else None, error)
            return self.form_invalid(form)
        messages.success(self.request, "Action plan saved.")
        return redirect(self.place)


class SchoolPlacePlanFileView(View):
    """The school's uploaded action plan, for whoever may see the school's place."""

    def get(self, request, pk):
        from django.http import FileResponse

        place = get_object_or_404(_school_places(request.user), pk=pk)
        if not place.action_plan_file:
            raise Http404("No action plan file.")
        handle = place.action_plan_file.open("rb")
        data = handle.read()
        handle.seek(0)
        # The type its content was checked to be on upload, never one guessed from its name.
        content_type = {
            "pdf": "application/pdf",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }.get(file_kind(data), "text/plain; charset=utf-8")
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=place.action_plan_filename or "action-plan",
            content_type=content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class SchoolPlaceEvaluationView(SchoolPlaceEditMixin, FormView):
    """One heading of the school's evaluation return a page, then the next."""

    form_class = EvaluationForm
    template_name = "participants/school_place_evaluation.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        slugs = [page[0] for page in EVALUATION_PAGES]
        if kwargs["heading"] not in slugs:
            raise Http404("No such heading.")
        self.index = slugs.index(kwargs["heading"])
        _, self.keyword, self.heading, self.hint = EVALUATION_PAGES[self.index]

    def get_initial(self):
        return {"text": getattr(self.place, f"evaluation_{self.keyword}")}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "label": self.heading, "help_text": self.hint}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            place=self.place,
            step=self.index + 1,
            steps=len(EVALUATION_PAGES),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            school_place_save_evaluation(
                place=self.place, by=self.request.user, **{self.keyword: form.cleaned_data["text"]}
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        if self.index + 1 < len(EVALUATION_PAGES):
            return redirect(
                "participants:school-place-evaluation",
                pk=self.place.pk,
                heading=EVALUATION_PAGES[self.index + 1][0],
            )
        messages.success(self.request, "Evaluation saved.")
        return redirect(self.place)


class SchoolPlaceChangeView(PermissionRequiredMixin, View):
    """Complete or withdraw a school's place (hub staff), then back to the school's page."""

    permission_required = "applications.decide_application"
    change = ""  # "complete" or "withdraw"

    def post(self, request, pk):
        place = get_object_or_404(_school_places(request.user), pk=pk)
        form = SchoolPlaceDecisionForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        service, done = {
            "complete": (school_place_complete, "The school's place is completed."),
            "withdraw": (school_place_withdraw, "The school is withdrawn from the Work Group."),
        }[self.change]
        try:
            service(place=place, by=request.user, reason=reason)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))  # nothing was changed; say why
        else:
            messages.success(request, done)
        return redirect(place)


class TeamMemberReplaceView(PermissionFirstMixin, FormView):
    """Replace someone in a school's Work Group team with another person in the same role."""

    permission_required = "applications.decide_application"
    form_class = TeamMemberReplaceForm
    template_name = "participants/team_member_replace.html"

    def find_objects(self, pk):
        self.enrolment = get_object_or_404(
            Enrolment.objects.for_user(self.request.user)
            .filter(school_place__isnull=False)
            .select_related(
                "participant", "role_slot", "school_place__school", "cohort__programme"
            ),
            pk=pk,
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(enrolment=self.enrolment, **kwargs)

    def form_valid(self, form):
        try:
            new = team_member_replace(
                enrolment=self.enrolment, by=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{new.participant.get_full_name() or new.participant.email} now has the place; "
            "they are emailed it.",
        )
        return redirect(self.enrolment.school_place)
