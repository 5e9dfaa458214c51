import os

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import (
    CreateView,
    DetailView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
)

from participants.models import Enrolment

from .forms import (
    AllocationForm,
    AssessmentWindowForm,
    DeadlineExtensionForm,
    EligibilityExceptionForm,
    MarkingForm,
    MarkingMoveForm,
    MaterialForm,
    ResolveForm,
    SubmissionTextForm,
    SubmissionUploadForm,
)
from .models import AssessmentWindow, CaseStudyMaterial, Marking, Outcome, Submission
from .rules import CONTENT_TYPES, count_words, file_kind_of
from .selectors import (
    MARKING_STATES,
    assessment_attempt_after,
    assessment_deadline,
    assessment_eligibility,
    assessment_enrolment,
    assessors_active,
    participation_threshold,
    when,
    window_cohorts,
    window_marking_counts,
    window_marking_rows,
    window_marking_submissions,
    window_participant_rows,
    window_places,
)
from .services import (
    deadline_extend,
    eligibility_exception_grant,
    marking_allocate,
    marking_record,
    marking_resolve,
    markings_allocate,
    material_add,
    submission_attach_file,
    submission_remove_file,
    submission_save_draft,
    submission_submit,
    window_save,
)

# ---- The participant's pages ----


class MyAssessmentListView(TemplateView):
    """The assessment windows of the person's places."""

    template_name = "assessment/assessment_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["windows"] = (
            AssessmentWindow.objects.for_participant(self.request.user)
            .select_related("programme", "cohort")
            .order_by("-opens_at", "pk")
        )
        context["now"] = timezone.now()
        return context


class ParticipantWindowMixin:
    """Finds the window through the person's own places: anyone else's is a 404, like missing."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        windows = AssessmentWindow.objects.for_participant(request.user).select_related(
            "programme", "cohort"
        )
        self.window = get_object_or_404(windows, pk=kwargs["pk"])
        self.enrolment = assessment_enrolment(user=request.user, window=self.window)
        if self.enrolment is None:
            raise Http404("No place of yours takes part in this window.")

    def state(self) -> dict:
        """What the pages need to know about this person in this window, worked out once."""
        if not hasattr(self, "_state"):
            now = timezone.now()
            eligibility = assessment_eligibility(enrolment=self.enrolment, window=self.window)
            deadline, extension = assessment_deadline(enrolment=self.enrolment, window=self.window)
            submission = (
                Submission.objects.filter(enrolment=self.enrolment, window=self.window)
                .select_related("outcome")
                .first()
            )
            outcome = getattr(submission, "outcome", None) if submission else None
            if outcome is not None and not outcome.released_at:
                outcome = None  # not theirs to see yet
            opened = self.window.has_opened(now)
            self._state = {
                "now": now,
                "window": self.window,
                "programme": self.window.programme,
                "enrolment": self.enrolment,
                "eligibility": eligibility,
                "threshold": participation_threshold(),
                "deadline": deadline,
                "extension": extension if extension and extension.until == deadline else None,
                "submission": submission,
                "outcome": outcome,
                # After a fail, whether they may try again: the result card says which.
                "next_attempt": (
                    assessment_attempt_after(enrolment=self.enrolment, window=self.window)
                    if outcome is not None and outcome.result == Outcome.Result.FAILED
                    else None
                ),
                "opened": opened,
                "deadline_passed": now > deadline,
                "can_write": opened and now <= deadline and eligibility.allowed,
                "word_limit": self.window.programme.assessment_word_limit,
            }
        return self._state

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.state())
        return context


class WritingMixin(ParticipantWindowMixin):
    """Pages for writing: only while the window is open for the person and they are eligible;
    after submitting, the confirmation instead."""

    def dispatch(self, request, *args, **kwargs):
        state = self.state()
        submission = state["submission"]
        if submission and submission.status == Submission.Status.SUBMITTED:
            if request.method == "POST":  # a double click, or the back button and Submit again
                messages.info(
                    request,
                    f"Your case study was already submitted at {when(submission.submitted_at)}; "
                    "it has not been changed.",
                )
            return redirect("assessment:submission-done", pk=self.window.pk)
        # A page opened in time may be sent after the close: let the service refuse it, so
        # the reason shows and the text stays in the box, rather than vanish in a redirect.
        writable = state["can_write"] and not (submission and submission.status != "draft")
        if not writable and request.method != "POST":
            return redirect("assessment:assessment-detail", pk=self.window.pk)
        return super().dispatch(request, *args, **kwargs)


class AssessmentDetailView(ParticipantWindowMixin, TemplateView):
    """Your assessment: dates, word limit, eligibility, materials and where your work is."""

    template_name = "assessment/assessment_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        state = self.state()
        context["materials"] = (
            list(self.window.materials.all())
            if state["opened"] and state["eligibility"].allowed
            else []
        )
        return context


class SubmissionWriteView(WritingMixin, FormView):
    """Write the case study: autosaved as you type, saved by the button too."""

    template_name = "assessment/submission_write.html"
    form_class = SubmissionTextForm

    def get_initial(self):
        submission = self.state()["submission"]
        return {"text": submission.text if submission else ""}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        text = form.data.get("text", "") if form.is_bound else form.initial.get("text", "")
        context["words"] = count_words(text)
        limit = self.state()["word_limit"]
        context["over_by"] = max(context["words"] - limit, 0) if limit else 0
        return context

    def form_valid(self, form):
        try:
            submission = submission_save_draft(
                enrolment=self.enrolment, window=self.window, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error(None, error)  # the text stays in the box; say why it was not saved
            return self.form_invalid(form)
        if self.request.POST.get("action") == "continue":
            return redirect("assessment:submission-check", pk=self.window.pk)
        saved = timezone.localtime(submission.last_saved_at) if submission.last_saved_at else None
        messages.success(self.request, f"Draft saved{f' at {saved:%H:%M}' if saved else ''}.")
        return redirect("assessment:submission-write", pk=self.window.pk)


class SubmissionAutosaveView(ParticipantWindowMixin, View):
    """The writing page's script saves the draft here as the person types."""

    def post(self, request, *args, **kwargs):
        try:
            submission = submission_save_draft(
                enrolment=self.enrolment, window=self.window, text=request.POST.get("text", "")
            )
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        saved = timezone.localtime(submission.last_saved_at)
        return JsonResponse({"saved_at": f"{saved:%H:%M}", "word_count": submission.word_count})


class SubmissionUploadView(WritingMixin, FormView):
    """Upload the case study as a PDF or Word file instead of (or as well as) typing it."""

    template_name = "assessment/submission_upload.html"
    form_class = SubmissionUploadForm

    def form_valid(self, form):
        try:
            submission_attach_file(
                enrolment=self.enrolment, window=self.window, upload=form.cleaned_data["upload"]
            )
        except ValidationError as error:
            form.add_error("upload", error)  # nothing was stored
            return self.form_invalid(form)
        messages.success(self.request, "File uploaded. Check it, then submit.")
        return redirect("assessment:submission-check", pk=self.window.pk)


class SubmissionRemoveFileView(WritingMixin, View):
    def post(self, request, *args, **kwargs):
        try:
            submission_remove_file(enrolment=self.enrolment, window=self.window)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "File removed.")
        return redirect("assessment:submission-check", pk=self.window.pk)


class SubmissionCheckView(WritingMixin, TemplateView):
    """Check your answers, then submit."""

    template_name = "assessment/submission_check.html"

    def dispatch(self, request, *args, **kwargs):
        submission = self.state()["submission"]
        if self.state()["can_write"] and submission is None:
            return redirect("assessment:submission-write", pk=self.window.pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        submission, limit = self.state()["submission"], self.state()["word_limit"]
        context["over_by"] = (
            submission.total_words - limit if limit and submission.total_words > limit else 0
        )
        context["empty"] = not submission.text.strip() and not submission.file
        return context

    def post(self, request, *args, **kwargs):
        try:
            submission_submit(enrolment=self.enrolment, window=self.window, by=request.user)
        except ValidationError as error:
            if getattr(error, "code", None) == "already_submitted":
                messages.info(request, " ".join(error.messages))
                return redirect("assessment:submission-done", pk=self.window.pk)
            messages.error(request, " ".join(error.messages))
            return redirect("assessment:submission-check", pk=self.window.pk)
        return redirect("assessment:submission-done", pk=self.window.pk)


class SubmissionDoneView(ParticipantWindowMixin, TemplateView):
    """Confirmation: when it was submitted and whether it was late."""

    template_name = "assessment/submission_done.html"

    def dispatch(self, request, *args, **kwargs):
        submission = self.state()["submission"]
        if submission is None or submission.status != Submission.Status.SUBMITTED:
            return redirect("assessment:assessment-detail", pk=self.window.pk)
        return super().dispatch(request, *args, **kwargs)


def _file_response(stored, filename: str) -> FileResponse:
    handle = stored.open("rb")
    # The type its content was checked to be on upload, not one guessed from the name the
    # uploader gave it: a PDF called notes.html must not go out as text/html.
    content_type = CONTENT_TYPES.get(file_kind_of(handle), "application/octet-stream")
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class MaterialDownloadView(ParticipantWindowMixin, View):
    """A case-study document, for an eligible participant once the window has opened."""

    def get(self, request, *args, **kwargs):
        material = get_object_or_404(self.window.materials, pk=kwargs["material_pk"])
        state = self.state()
        if not state["opened"] or not state["eligibility"].allowed:
            raise PermissionDenied("The materials are for eligible participants once it opens.")
        return _file_response(material.file, material.original_filename)


# ---- Hub staff's pages ----


class StaffWindowMixin:
    """Finds the window through for_user(): one out of the person's scope is a 404. Looked
    up in dispatch, after PermissionRequiredMixin's check, so a teacher gets a 403."""

    def dispatch(self, request, *args, **kwargs):
        windows = AssessmentWindow.objects.for_user(request.user).select_related(
            "programme", "cohort__programme"
        )
        self.object = self.window = get_object_or_404(windows, pk=kwargs["pk"])
        self.found(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def found(self, **kwargs) -> None:
        """Look up anything else the page needs, once the window is found."""

    def window_cohorts(self):
        return window_cohorts(window=self.window, user=self.request.user)


def _submissions_counted(status: str) -> Coalesce:
    """How many of a window's submissions have `status`, as an annotation."""
    counted = (
        Submission.objects.filter(window=OuterRef("pk"), status=status)
        .order_by()
        .values("window")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


class WindowListView(PermissionRequiredMixin, ListView):
    permission_required = "assessment.view_assessmentwindow"
    template_name = "assessment/assessmentwindow_list.html"
    paginate_by = 25

    def get_queryset(self):
        # Counted in subqueries: PostgreSQL then counts for the page's 25 windows only, where a
        # join and GROUP BY grouped every submission of every window.
        return (
            AssessmentWindow.objects.for_user(self.request.user)
            .select_related("programme", "cohort__programme")
            .annotate(
                submitted=_submissions_counted(Submission.Status.SUBMITTED),
                drafts=_submissions_counted(Submission.Status.DRAFT),
            )
            .order_by("-opens_at", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["now"] = timezone.now()
        return context


class WindowFormMixin:
    form_class = AssessmentWindowForm
    template_name = "assessment/assessmentwindow_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(user=self.request.user, window_days=settings.ASSESSMENT["window_days"])
        return kwargs

    def form_valid(self, form):
        try:
            window = window_save(window=form.save(commit=False), by=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{window} saved.")
        return redirect(window)


class WindowCreateView(PermissionRequiredMixin, WindowFormMixin, CreateView):
    permission_required = "assessment.add_assessmentwindow"


class WindowUpdateView(PermissionRequiredMixin, StaffWindowMixin, WindowFormMixin, UpdateView):
    """An UpdateView, so the template's `object` is the window and the page says Edit."""

    permission_required = "assessment.change_assessmentwindow"

    def get_object(self, queryset=None):
        return self.window


class WindowDetailView(PermissionRequiredMixin, StaffWindowMixin, DetailView):
    """A window's participants (one cohort at a time): participation, eligibility and work."""

    permission_required = "assessment.view_assessmentwindow"
    template_name = "assessment/assessmentwindow_detail.html"
    context_object_name = "window"

    def get_object(self, queryset=None):
        return self.window

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cohorts = list(self.window_cohorts())
        chosen = self.request.GET.get("cohort", "")
        cohort = next((c for c in cohorts if str(c.pk) == chosen), cohorts[0] if cohorts else None)
        rows, page = [], None
        if cohort is not None:
            enrolments = window_places(cohorts=[cohort])
            page = Paginator(enrolments, 25).get_page(self.request.GET.get("page"))
            rows = window_participant_rows(window=self.window, enrolments=page.object_list)
        context.update(
            cohorts=cohorts,
            cohort=cohort,
            rows=rows,
            page_obj=page,
            paginator=page.paginator if page else None,
            is_paginated=bool(page and page.has_other_pages()),
            materials=self.window.materials.all(),
            material_form=MaterialForm(),
            threshold=participation_threshold(),
            now=timezone.now(),
        )
        return context


class MaterialAddView(PermissionRequiredMixin, StaffWindowMixin, FormView):
    permission_required = "assessment.change_assessmentwindow"
    form_class = MaterialForm
    template_name = "assessment/casestudymaterial_form.html"

    def form_valid(self, form):
        try:
            material_add(
                window=self.window,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["upload"],
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error("upload", error)
            return self.form_invalid(form)
        messages.success(self.request, "Material added.")
        return redirect(self.window)


class StaffMaterialDownloadView(PermissionRequiredMixin, StaffWindowMixin, View):
    permission_required = "assessment.view_assessmentwindow"

    def get(self, request, *args, **kwargs):
        material = get_object_or_404(
            CaseStudyMaterial, window=self.window, pk=kwargs["material_pk"]
        )
        return _file_response(material.file, material.original_filename)


class PlaceDecisionMixin(StaffWindowMixin):
    """A decision about one participant in a window: their place must be in its cohorts."""

    def found(self, **kwargs) -> None:
        places = Enrolment.objects.filter(cohort__in=self.window_cohorts()).select_related(
            "participant", "cohort__programme"
        )
        self.enrolment = get_object_or_404(places, pk=kwargs["enrolment_pk"])

    def back_url(self) -> str:
        return f"{self.window.get_absolute_url()}?cohort={self.enrolment.cohort_id}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(window=self.window, enrolment=self.enrolment, back_url=self.back_url())
        return context


class EligibilityExceptionCreateView(PermissionRequiredMixin, PlaceDecisionMixin, FormView):
    permission_required = "assessment.add_eligibilityexception"
    form_class = EligibilityExceptionForm
    template_name = "assessment/eligibilityexception_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["eligibility"] = assessment_eligibility(
            enrolment=self.enrolment, window=self.window
        )
        return context

    def form_valid(self, form):
        try:
            eligibility_exception_grant(
                window=self.window,
                enrolment=self.enrolment,
                by=self.request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "already_granted":  # a double press
                messages.info(self.request, " ".join(error.messages))
                return redirect(self.back_url())
            form.add_error(None, error)  # nothing was changed; say why
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{self.enrolment.participant.get_full_name()} may now take the assessment.",
        )
        return redirect(self.back_url())


class DeadlineExtensionCreateView(PermissionRequiredMixin, PlaceDecisionMixin, FormView):
    permission_required = "assessment.add_deadlineextension"
    form_class = DeadlineExtensionForm
    template_name = "assessment/deadlineextension_form.html"

    def form_valid(self, form):
        try:
            extension = deadline_extend(
                window=self.window,
                enrolment=self.enrolment,
                by=self.request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{self.enrolment.participant.get_full_name()} may submit until "
            f"{when(extension.until)}.",
        )
        return redirect(self.back_url())


# ---- Assessors: their own allocations, anonymised ----


class MarkingListView(PermissionRequiredMixin, ListView):
    """The submissions allocated to this assessor: to mark, or marked."""

    permission_required = "assessment.mark_submission"
    template_name = "assessment/marking_list.html"
    paginate_by = 25

    def showing_done(self) -> bool:
        return self.request.GET.get("show") == "done"

    def get_queryset(self):
        mine = Marking.objects.for_assessor(self.request.user).select_related(
            "submission__window__programme", "submission__enrolment__participant"
        )
        if self.showing_done():
            return mine.marked().order_by("-marked_at", "-pk")
        return mine.filter(result="").order_by("allocated_at", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mine = Marking.objects.for_assessor(self.request.user)
        context.update(
            showing_done=self.showing_done(),
            counts=mine.aggregate(
                to_mark=Count("pk", filter=Q(result="")), done=Count("pk", filter=~Q(result=""))
            ),
        )
        return context


class AssessorMarkingMixin:
    """Finds the marking among the assessor's own: anyone else's is a 404, like missing.
    Looked up in dispatch, after PermissionRequiredMixin's check, so a teacher gets a 403."""

    def dispatch(self, request, *args, **kwargs):
        markings = Marking.objects.for_assessor(request.user).select_related(
            "submission__window__programme", "submission__enrolment__participant"
        )
        self.marking = get_object_or_404(markings, pk=kwargs["pk"])
        self.submission = self.marking.submission
        return super().dispatch(request, *args, **kwargs)


def _submission_download_name(submission: Submission, *, anonymous: bool) -> str:
    if not anonymous:
        return submission.original_filename
    extension = os.path.splitext(submission.original_filename)[1].lower()
    return f"{submission.candidate_number}{extension}"


class MarkingDetailView(PermissionRequiredMixin, AssessorMarkingMixin, FormView):
    """Read the work and mark it, against the programme's criteria, with feedback."""

    permission_required = "assessment.mark_submission"
    template_name = "assessment/submission_mark.html"
    form_class = MarkingForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["criteria"] = self.submission.window.programme.assessment_criteria_list
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            marking=self.marking,
            submission=self.submission,
            window=self.submission.window,
            programme=self.submission.window.programme,
            anonymous=self.submission.window.anonymous_marking,
            # What the work is marked against, beside it: the case study and the criteria.
            materials=self.submission.window.materials.all(),
            criteria=self.submission.window.programme.assessment_criteria_list,
        )
        return context

    def form_valid(self, form):
        try:
            marking_record(marking=self.marking, by=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            if getattr(error, "code", None) == "already_marked":
                messages.info(self.request, " ".join(error.messages))
                return redirect(self.marking)
            form.add_error(None, error)  # nothing was recorded; say why
            return self.form_invalid(form)
        left = Marking.objects.for_assessor(self.request.user).filter(result="").count()
        messages.success(
            self.request,
            f"Mark recorded. {left} submission{'s' if left != 1 else ''} left to mark.",
        )
        return redirect("assessment:marking-list")

    def post(self, request, *args, **kwargs):
        if self.marking.result:  # a double click, or the back button and Save again
            messages.info(request, f"You marked this at {when(self.marking.marked_at)}.")
            return redirect(self.marking)
        return super().post(request, *args, **kwargs)


class MarkingMaterialView(PermissionRequiredMixin, AssessorMarkingMixin, View):
    """A case-study document of the window the work was written in, for its assessor."""

    permission_required = "assessment.mark_submission"

    def get(self, request, *args, **kwargs):
        material = get_object_or_404(self.submission.window.materials, pk=kwargs["material_pk"])
        return _file_response(material.file, material.original_filename)


class MarkingFileView(PermissionRequiredMixin, AssessorMarkingMixin, View):
    permission_required = "assessment.mark_submission"

    def get(self, request, *args, **kwargs):
        if not self.submission.file:
            raise Http404("This submission has no file.")
        name = _submission_download_name(
            self.submission, anonymous=self.submission.window.anonymous_marking
        )
        return _file_response(self.submission.file, name)


# ---- Hub staff: allocation, moderation and resolution ----


class WindowMarkingView(PermissionRequiredMixin, StaffWindowMixin, TemplateView):
    """Every submitted piece of work in a window, where its marking has got to, and the
    allocation of what is not yet with an assessor."""

    permission_required = "assessment.allocate_marking"
    template_name = "assessment/window_marking.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        state = self.request.GET.get("state", "")
        if state not in MARKING_STATES:
            state = ""
        submissions = window_marking_submissions(window=self.window, state=state)
        page = Paginator(submissions, 25).get_page(self.request.GET.get("page"))
        context.update(
            window=self.window,
            state=state,
            states=MARKING_STATES,
            counts=window_marking_counts(window=self.window),
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            rows=window_marking_rows(submissions=page.object_list),
            allocation_form=AllocationForm(assessors=assessors_active()),
            sample_note="each assessor's first pass, then one in every "
            f"{settings.ASSESSMENT['moderation_sample_every']}",
        )
        return context


class WindowAllocateView(PermissionRequiredMixin, StaffWindowMixin, FormView):
    permission_required = "assessment.allocate_marking"
    form_class = AllocationForm
    template_name = "assessment/window_allocate.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["assessors"] = assessors_active()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["window"] = self.window
        return context

    def form_valid(self, form):
        try:
            done = markings_allocate(
                window=self.window,
                assessors=list(form.cleaned_data["assessors"]),
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        text = (
            f"Allocated {done.first_marks} first mark{'s' if done.first_marks != 1 else ''} "
            f"and {done.second_marks} moderation{'s' if done.second_marks != 1 else ''}."
        )
        if done.left_waiting:
            text += (
                f" {done.left_waiting} moderation{'s' if done.left_waiting != 1 else ''} still "
                "need an assessor other than the first marker: choose another assessor."
            )
        messages.success(self.request, text)
        return redirect("assessment:window-marking", pk=self.window.pk)


class StaffSubmissionMixin(StaffWindowMixin):
    def found(self, **kwargs) -> None:
        submissions = Submission.objects.filter(window=self.window).select_related(
            "enrolment__participant", "enrolment__cohort"
        )
        self.submission = get_object_or_404(
            submissions.exclude(status=Submission.Status.DRAFT), pk=kwargs["submission_pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        markings = {m.stage: m for m in self.submission.markings.select_related("assessor")}
        outcome = Outcome.objects.filter(submission=self.submission).first()
        first, second = markings.get("first"), markings.get("second")
        context.update(
            window=self.window,
            submission=self.submission,
            first=first,
            second=second,
            outcome=outcome,
            disagreement=bool(
                first
                and second
                and first.result
                and second.result
                and first.result != second.result
                and outcome is None
            ),
            move_form=MarkingMoveForm(assessors=assessors_active()),
        )
        context.setdefault("resolve_form", ResolveForm())
        return context


class StaffSubmissionDetailView(PermissionRequiredMixin, StaffSubmissionMixin, TemplateView):
    """One submission for hub staff: the work, both marks and the outcome."""

    permission_required = "assessment.view_marking"
    template_name = "assessment/submission_detail.html"


class StaffSubmissionFileView(PermissionRequiredMixin, StaffSubmissionMixin, View):
    permission_required = "assessment.view_submission"

    def get(self, request, *args, **kwargs):
        if not self.submission.file:
            raise Http404("This submission has no file.")
        return _file_response(self.submission.file, self.submission.original_filename)


class MarkingMoveView(PermissionRequiredMixin, StaffSubmissionMixin, View):
    permission_required = "assessment.allocate_marking"

    def post(self, request, *args, **kwargs):
        form = MarkingMoveForm(request.POST, assessors=assessors_active())
        if not form.is_valid():
            messages.error(request, "Choose which mark and an assessor.")
        else:
            try:
                marking = marking_allocate(
                    submission=self.submission, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, f"{marking.get_stage_display()} allocated to {marking.assessor}."
                )
        return redirect(
            "assessment:staff-submission", pk=self.window.pk, submission_pk=self.submission.pk
        )


class MarkingResolveView(PermissionRequiredMixin, StaffSubmissionMixin, FormView):
    permission_required = "assessment.resolve_marking"
    form_class = ResolveForm
    template_name = "assessment/submission_detail.html"

    def get(self, request, *args, **kwargs):
        return redirect(
            "assessment:staff-submission", pk=self.window.pk, submission_pk=self.submission.pk
        )

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(resolve_form=form))

    def form_valid(self, form):
        try:
            outcome = marking_resolve(
                submission=self.submission, by=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Outcome decided: {outcome.get_result_display()}.")
        return redirect(
            "assessment:staff-submission", pk=self.window.pk, submission_pk=self.submission.pk
        )
