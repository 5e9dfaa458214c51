"""Applying one question a page, the school approval link, the review queue and decisions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from cohorts.models import Cohort
from cohorts.selectors import cohort_seen_by
from funding.models import FundingOverride, FundingRedecision
from funding.rules import OUTCOME_CODES
from funding.services import funding_decision_override
from funding.suitability import suited_courses
from npq_portal.numbers import whole_number
from npq_portal.paging import CappedPaginator
from npq_portal.planning import joins_in_written_order
from npq_portal.prepared import fixed_objects
from npq_portal.ratelimit import SignedLinkMixin
from npq_portal.roles import Role, user_roles
from programmes.models import Programme
from schools.selectors import school_prerequisites_check

from .fees import PAYER_LABELS, application_fee_sentence
from .forms import (
    ApplicationDecisionForm,
    DelegateApprovalForm,
    FundingOverrideForm,
    PrerequisitesOverrideForm,
    SchoolDecisionForm,
    TeamSchoolDecisionForm,
)
from .links import application_from_approval_token
from .models import Application, ApplicationEvent, ApplicationQuerySet
from .places import places
from .selectors import (
    ReviewQueue,
    application_funding_preview,
    application_mastery_evidence,
    application_seen_by,
    review_filter_options,
    work_group_sign_ups,
)
from .services import (
    application_accept,
    application_delegate_approval,
    application_prerequisites_override,
    application_reject,
    application_save_answers,
    application_school_decide,
    application_start,
    application_submit,
    application_take_offer,
    application_waitlist,
    application_withdraw,
    applications_decide_in_bulk,
    team_sign_up_start,
    team_slot_fill,
)
from .steps import (
    STEP_BY_KEY,
    answer_filter_choices,
    answers_in_words,
    first_unanswered,
    steps_for,
)
from .team_steps import (
    SLOT_NO_ONE,
    slot_answer_key,
    slot_initial,
    team_first_unanswered,
    team_steps_for,
)


class SchoolApprovalMixin:
    """The school's decision on an application: approve, decline or pass it to a colleague.
    The emailed link and a school leader's own page show the same page and record the same."""

    template_name = "applications/school_approval.html"
    signed_in_leader = None  # who decides, when they do it signed in

    def decision_form(self, data=None):
        initial = {"name": self.signed_in_leader.get_full_name()} if self.signed_in_leader else {}
        if self.application.team:
            school = self.application.school
            return TeamSchoolDecisionForm(
                data, initial=initial, school_name=school.name if school else "the school"
            )
        return SchoolDecisionForm(data, initial=initial)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["application"] = self.application
        context["decision_form"] = kwargs.get("decision_form") or self.decision_form()
        context["delegate_form"] = kwargs.get("delegate_form") or DelegateApprovalForm(
            prefix="delegate"
        )
        if self.application.team:  # the team, by role, in two queries
            prefetch_related_objects([self.application], "team_members__slot")
        context["sessions"] = self.application.cohort.sessions.exclude(status="cancelled")
        context["fee_sentence"] = application_fee_sentence(self.application)
        context["answers"] = answers_in_words(
            self.application.answers, self.application.cohort.programme
        )
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
                        "applications/school_approval_done.html",
                        {"delegated_to": form.cleaned_data["email"], "application": application},
                    )
            return self.render_to_response(self.get_context_data(delegate_form=form))
        form = self.decision_form(request.POST)
        if form.is_valid():
            try:
                leader = self.signed_in_leader
                application = application_school_decide(
                    application=application,
                    approve=form.cleaned_data["decision"] == "approve",
                    name=form.cleaned_data["name"],
                    email=leader.email if leader else application.approver_email,
                    comment=form.cleaned_data["comment"],
                    by=leader,
                    commits_school=form.cleaned_data.get("commits_school", False),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return render(
                    request,
                    "applications/school_approval_done.html",
                    {"application": application},
                )
        return self.render_to_response(self.get_context_data(decision_form=form))


@method_decorator(login_not_required, name="dispatch")
class SchoolApprovalView(SchoolApprovalMixin, SignedLinkMixin, TemplateView):
    """The page the approval email links to; it stops working once the school has decided."""

    link_action = "school_approval"
    link_invalid_template = "applications/school_approval_invalid.html"

    def link_target(self, token):
        self.application = application_from_approval_token(token)
        return self.application


class SchoolLeaderApprovalView(SchoolApprovalMixin, TemplateView):
    """The same page for a school leader signed in, from My school: an application naming one
    of their schools, waiting for the school. Anyone else's is a 404; not a leader, a 403."""

    def dispatch(self, request, *args, **kwargs):
        if Role.SCHOOL_LEADER not in user_roles(request.user):
            raise PermissionDenied("This page is for school leaders.")
        waiting = Application.objects.from_schools_led_by(request.user).filter(
            status=Application.Status.AWAITING_SCHOOL
        )
        self.application = get_object_or_404(
            waiting.select_related("applicant", "cohort__programme", "school"), pk=kwargs["pk"]
        )
        self.signed_in_leader = request.user
        return super().dispatch(request, *args, **kwargs)


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


def _draft_for(request, pk, *, team: bool = False) -> Application:
    """The signed-in person's draft: a teacher's application, or a school's sign-up (`team`);
    the other kind's pages do not know it."""
    drafts = Application.objects.filter(
        applicant=request.user, status=Application.Status.DRAFT, team=team
    ).select_related("cohort__programme", "cohort__delivery_partner")
    return get_object_or_404(drafts, pk=pk)


class ApplyView(View):
    """Start (or carry on with) an application for a cohort."""

    def post(self, request, cohort_pk):

        cohort = get_object_or_404(Cohort.objects.select_related("programme"), pk=cohort_pk)
        try:
            application = application_start(applicant=request.user, cohort=cohort)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(cohort.programme)
        return redirect(_next_page(application))

    def get(self, request, cohort_pk):
        """The link from the programme page: a page with a button (a GET changes nothing)."""
        cohort = get_object_or_404(
            Cohort.objects.select_related("programme", "delivery_partner"), pk=cohort_pk
        )
        if cohort.programme.for_school_teams:  # a Work Group: schools sign up, not teachers
            return redirect("applications:sign-up", cohort_pk=cohort.pk)
        return render(request, "applications/apply_start.html", {"cohort": cohort})


def _next_page(application: Application) -> str:
    step = first_unanswered(application.answers, application.cohort.programme)
    if step is None:
        return reverse("applications:application-check", args=[application.pk])
    return reverse("applications:application-step", args=[application.pk, step.key])


class ApplicationStepView(FormView):
    """One question of the application form."""

    template_name = "applications/application_step.html"

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

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.step.key == "mastery":
            kwargs["evidence"] = _mastery_evidence_sentence(self.application)
        return kwargs

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
                    "applications:application-step",
                    args=[self.application.pk, self.steps[index - 1].key],
                )
                if index
                else self.application.cohort.programme.get_absolute_url()
            ),
        )
        if self.step.key == "payment":
            funding = application_funding_preview(self.application)
            context["funding"] = funding
            context["fee"] = self.application.cohort.effective_fee
            context["alternatives"] = (
                Programme.objects.offered()
                .filter(
                    course_identifier__in=suited_courses(
                        self.application.answers.get("role", ""), funding.funded_alternatives
                    )
                )
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
            return redirect("applications:application-cannot-continue", pk=application.pk)
        if self.request.GET.get("change"):
            return redirect("applications:application-check", pk=application.pk)
        return redirect(_next_page(application))


def _mastery_evidence_sentence(application: Application) -> str:
    """What the portal holds of the applicant's Teaching for Mastery years, in a sentence, for
    the mastery question to be answered from (blank: nothing)."""
    evidence = application_mastery_evidence(application)
    return evidence.sentence if evidence else ""


class ApplicationCannotContinueView(TemplateView):
    template_name = "applications/application_cannot_continue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["application"] = _draft_for(self.request, self.kwargs["pk"])
        return context


class ApplicationCheckView(TemplateView):
    """Check your answers, then send."""

    template_name = "applications/application_check.html"

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
        rows = [
            {
                "question": given.question,
                "answer": given.answer,
                "change_url": reverse(
                    "applications:application-step", args=[self.application.pk, given.step]
                )
                + "?change=1",
            }
            for given in answers_in_words(
                self.application.answers, self.application.cohort.programme
            )
        ]
        context.update(
            application=self.application,
            rows=rows,
            funding=application_funding_preview(self.application),
            fee=self.application.cohort.effective_fee,
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            application = application_submit(application=self.application, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("applications:application-check", pk=self.application.pk)
        messages.success(
            request,
            "Application sent. We have emailed you, and asked your headteacher to approve it.",
        )
        return redirect(application)


class TeamSignUpView(View):
    """Start (or carry on with) a school's sign-up of its team for a Work Group cohort."""

    def get(self, request, cohort_pk):
        """The "Sign up your school" link: a page saying what it takes, with a button."""
        cohort = get_object_or_404(
            Cohort.objects.select_related("programme", "delivery_partner"), pk=cohort_pk
        )
        if not cohort.programme.for_school_teams:
            return redirect("applications:apply", cohort_pk=cohort.pk)
        return render(
            request,
            "applications/sign_up_start.html",
            {"cohort": cohort, "slots": cohort.programme.role_slots.all()},
        )

    def post(self, request, cohort_pk):
        cohort = get_object_or_404(Cohort.objects.select_related("programme"), pk=cohort_pk)
        try:
            application = team_sign_up_start(applicant=request.user, cohort=cohort)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(cohort.programme)
        return redirect(_team_next_page(application))


def _team_next_page(application: Application, steps=None) -> str:
    steps = steps or team_steps_for(application.cohort.programme)
    step = team_first_unanswered(application.answers, steps)
    if step is None:
        return reverse("applications:sign-up-check", args=[application.pk])
    return reverse("applications:sign-up-step", args=[application.pk, step.key])


class TeamSignUpStepView(FormView):
    """One question of a school's Work Group sign-up; a role slot's page names its people."""

    template_name = "applications/sign_up_step.html"

    def dispatch(self, request, *args, **kwargs):
        if sent := _redirect_if_sent(request, kwargs["pk"]):
            return sent
        self.application = _draft_for(request, kwargs["pk"], team=True)
        self.steps = team_steps_for(self.application.cohort.programme)
        self.step = next((step for step in self.steps if step.key == kwargs["step"]), None)
        if self.step is None:
            raise Http404("No such question.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return self.step.form

    def get_initial(self):
        answers = self.application.answers
        slot = self.step.slot
        if slot is not None:
            initial = slot_initial(self.application.team_members.filter(slot=slot))
            initial["no_one"] = answers.get(slot_answer_key(slot)) == SLOT_NO_ONE
            return initial
        initial = dict(answers)
        if self.step.key == "school" and initial.get("school_name"):
            initial["school"] = initial["school_name"]
        if self.step.key == "headteacher" and answers.get("applicant_role") == "headteacher":
            # They said they are the head: their own name and address, to confirm.
            initial.setdefault("headteacher_name", self.request.user.get_full_name())
            initial.setdefault("headteacher_email", self.request.user.email)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        index = self.steps.index(self.step)
        context.update(
            application=self.application,
            step=self.step,
            number=index + 1,
            total=len(self.steps) + 1,  # and the check page
            applicant_is_head=self.application.answers.get("applicant_role") == "headteacher",
            back_url=(
                reverse(
                    "applications:sign-up-step",
                    args=[self.application.pk, self.steps[index - 1].key],
                )
                if index
                else reverse("applications:sign-up", args=[self.application.cohort_id])
            ),
        )
        return context

    def form_valid(self, form):
        if self.step.slot is not None:
            try:
                team_slot_fill(
                    application=self.application, slot=self.step.slot, people=form.people()
                )
            except ValidationError as error:
                form.add_error(None, error)  # nothing was changed; say why
                return self.form_invalid(form)
            application = self.application
            application.refresh_from_db(fields=["answers"])
        else:
            answers = (
                form.answers()
                if hasattr(form, "answers")
                else {name: value for name, value in form.cleaned_data.items()}
            )
            application = application_save_answers(application=self.application, answers=answers)
        if self.request.GET.get("change"):
            return redirect("applications:sign-up-check", pk=application.pk)
        return redirect(_team_next_page(application, self.steps))


class TeamSignUpCheckView(TemplateView):
    """Check the school's sign-up, its team and answers, then send it to the headteacher."""

    template_name = "applications/sign_up_check.html"

    def dispatch(self, request, *args, **kwargs):
        if sent := _redirect_if_sent(request, kwargs["pk"]):
            return sent
        self.application = _draft_for(request, kwargs["pk"], team=True)
        self.steps = team_steps_for(self.application.cohort.programme)
        if team_first_unanswered(self.application.answers, self.steps) is not None:
            return redirect(_team_next_page(self.application, self.steps))
        return super().dispatch(request, *args, **kwargs)

    def _change_url(self, step_key: str) -> str:
        return (
            reverse("applications:sign-up-step", args=[self.application.pk, step_key]) + "?change=1"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.application
        answers = {
            given.key: given
            for given in answers_in_words(application.answers, application.cohort.programme)
        }
        members = list(application.team_members.all())
        rows = []
        for step in self.steps:
            if step.slot is not None:
                named = [member for member in members if member.slot_id == step.slot.pk]
                rows.append(
                    {
                        "question": step.slot.label,
                        "people": named,
                        "answer": "" if named else "No one in this role",
                        "change_url": self._change_url(step.key),
                    }
                )
                continue
            for given in answers.values():
                if given.step == step.key:
                    rows.append(
                        {
                            "question": given.question,
                            "answer": given.answer,
                            "change_url": self._change_url(step.key),
                        }
                    )
        context.update(application=application, rows=rows)
        return context

    def post(self, request, *args, **kwargs):
        try:
            application = application_submit(application=self.application, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("applications:sign-up-check", pk=self.application.pk)
        messages.success(
            request,
            f"Sign-up sent. We have emailed you, and asked {application.headteacher_name} to "
            "approve it for the school.",
        )
        return redirect(application)


def _application_events(application_id: int):
    return ApplicationEvent.objects.filter(application_id=application_id).select_related("by")


def _funding_redecisions(decision_id: int):
    return FundingRedecision.objects.filter(decision_id=decision_id)


def _funding_overrides(decision_id: int):
    return FundingOverride.objects.filter(decision_id=decision_id).select_related("by")


class ApplicationDetailView(DetailView):
    """An application's status and history: the applicant's own, or any for hub staff."""

    template_name = "applications/application_detail.html"
    context_object_name = "application"

    def get_object(self, queryset=None):
        with joins_in_written_order():  # one application, and what it names, by key
            application = application_seen_by(self.request.user, self.kwargs["pk"])
        if application is None:
            raise Http404("No such application, or not one you may see.")
        return application

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.object
        context["events"] = fixed_objects(_application_events, application.pk)
        context["can_withdraw"] = (
            application.applicant_id == self.request.user.pk
            and application.can_move_to(Application.Status.WITHDRAWN)
        )
        context["can_decide"] = self.request.user.has_perm("applications.decide_application")
        context["fee"] = application.cohort.effective_fee
        context["answers"] = answers_in_words(application.answers, application.cohort.programme)
        context["payer"] = PAYER_LABELS.get(application.answers.get("payment"), "")
        # The places it made, their history and (for staff) what can change them.
        context.update(
            places().application_context(application=application, user=self.request.user)
        )
        context["offer_live"] = (
            application.status == Application.Status.WAITLISTED
            and application.offer_expires_at
            and application.offer_expires_at > timezone.now()
            and application.applicant_id == self.request.user.pk
        )
        if context["can_decide"]:
            context["override_form"] = FundingOverrideForm()
            decision_id = application.funding_decision_id
            if decision_id is not None:
                context["redecisions"] = (
                    fixed_objects(_funding_redecisions, decision_id)
                    if application.funding_redecided
                    else []
                )
                context["overrides"] = (
                    fixed_objects(_funding_overrides, decision_id)
                    if application.funding_overridden
                    else []
                )
        if application.team:
            context.update(self._work_group_context(application))
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

    def _work_group_context(self, application: Application) -> dict:
        """A school's sign-up, for staff: whether its history allows it, and the override."""
        context = {}
        if self.request.user.has_perm("applications.view_application") and application.school:
            cohort = application.cohort
            context["history_check"] = school_prerequisites_check(
                school=application.school,
                programme=cohort.programme,
                academic_year=cohort.academic_year,
            )
            if application.status not in Application.DECIDED:
                context["prerequisites_form"] = PrerequisitesOverrideForm()
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
    permission_required = "applications.decide_application"

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
        back = request.POST.get("next") or ""
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)  # the Work Group's sign-ups list, deciding down it
        return redirect(application)


# The columns the review queue's rows show (templates/applications/application_list.html).
REVIEW_QUEUE_COLUMNS = (
    "status",
    "submitted_at",
    "team",
    "applicant__first_name",
    "applicant__last_name",
    "applicant__email",
    "cohort__name",
    "cohort__academic_year",
    "cohort__programme__short_name",
    "school__name",
    "funding_decision__status",
    "funding_decision__override_status",
)


def _queue_rows_by_id(*ids: int):
    return (
        Application.objects.select_related(
            "applicant", "cohort__programme", "school", "funding_decision"
        )
        .only(*REVIEW_QUEUE_COLUMNS)
        .filter(pk__in=ids)
        .order_by()  # found by id: the page's order is the ids'
    )


def _queue_rows(ids: list[int]) -> dict[int, Application]:
    """The review queue's rows of these applications (found in the user's scope), by id.

    Read through a fixed query (npq_portal.prepared) with a place for each of a page's ids and
    one more (the ids left over are 0, which no application has): composed once a connection."""
    slots = ApplicationListView.paginate_by + 1
    padded = [*ids, *[0] * (slots - len(ids))]  # (a longer list, were there one, stays as it is)
    with joins_in_written_order():  # each table reached from the applications by key
        return {row.pk: row for row in fixed_objects(_queue_rows_by_id, *padded)}


class ApplicationListView(PermissionRequiredMixin, ListView):
    """The staff review queue, counted up to a thousand ("More than 1,000 applications")."""

    permission_required = "applications.view_application"
    template_name = "applications/application_list.html"
    paginate_by = 25
    paginator_class = CappedPaginator

    def get_queryset(self):
        # Counted and paged by id through fixed queries (ReviewQueue); the page's rows are
        # read by id (_queue_rows), with only what a row shows.
        return ReviewQueue(self.request.user, self.request.GET)

    def get_paginator(self, queryset, per_page, **kwargs):
        # The page's ids first, then its rows by id (npq_portal/paging.py says why).
        return self.paginator_class(queryset, per_page, rows=_queue_rows, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)

        context["statuses"] = [c for c in Application.Status.choices if c[0] != "draft"]
        context["funding_codes"] = OUTCOME_CODES
        context["answer_choices"] = answer_filter_choices()
        filters = {key: self.request.GET.get(key, "") for key in ApplicationQuerySet.FILTERS}
        context["options"] = review_filter_options(year=filters["year"], cohort=filters["cohort"])
        context["filters"] = filters
        return context


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
    permission_required = "applications.decide_application"

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


class ApplicationBulkDecideView(PermissionRequiredMixin, View):
    """Accept or reject the applications ticked in the review queue."""

    permission_required = "applications.decide_application"

    def post(self, request):
        action = request.POST.get("action")
        ids = [whole_number(pk) for pk in request.POST.getlist("application")]
        ids = [pk for pk in ids if pk is not None]
        back = request.POST.get("next") or reverse("applications:application-list")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("applications:application-list")
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

    permission_required = "applications.decide_application"

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


class PrerequisitesOverrideView(PermissionRequiredMixin, View):
    """Staff record why a school may take part although its Work Group history does not allow
    it; it can then be accepted."""

    permission_required = "applications.decide_application"

    def post(self, request, pk):
        application = get_object_or_404(Application.objects.for_user(request.user), pk=pk)
        form = PrerequisitesOverrideForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why the school may take part.")
            return redirect(application)
        try:
            application_prerequisites_override(
                application=application, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Recorded: the school can now be accepted.")
        return redirect(application)


class WorkGroupSignUpsView(PermissionRequiredMixin, TemplateView):
    """A Work Group's school sign-ups, in the order staff accept them down the list when there
    are more eligible schools than places."""

    permission_required = "applications.view_application"
    template_name = "applications/work_group_sign_ups.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohort = cohort_seen_by(self.request.user, self.kwargs["cohort_pk"])
        if cohort is None or cohort.programme.participation != "school_team":
            raise Http404("No such Work Group, or not one of yours.")
        sign_ups = work_group_sign_ups(cohort=cohort)
        context.update(
            cohort=cohort,
            sign_ups=sign_ups,
            places_left=max(cohort.capacity - cohort.places_taken, 0),
            oversubscribed=len(sign_ups.to_decide) > max(cohort.capacity - cohort.places_taken, 0),
            can_decide=self.request.user.has_perm("applications.decide_application"),
        )
        return context
