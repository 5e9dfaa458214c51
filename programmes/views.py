from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import (
    CreateView,
    DetailView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
)

from npq_portal.mixins import PermissionFirstMixin
from npq_portal.page_cache import cache_for_visitors

from .forms import (
    CatalogueFilterForm,
    ClinicForm,
    CourseForm,
    ModuleForm,
    ProgrammeForm,
    ProgrammeRetireForm,
    ProgrammeUpdateForm,
    set_up_entries,
    set_up_formset,
)
from .models import Clinic, Course, Module, Prerequisite, Programme, ProgrammeGrant, RoleSlot
from .selectors import programme_work_group_words
from .services import (
    catalogue_item_delete,
    catalogue_item_move,
    catalogue_item_programme,
    catalogue_item_save,
    programme_grants_set,
    programme_prerequisites_set,
    programme_reinstate,
    programme_retire,
    programme_role_slots_set,
    programme_save,
)

EDIT_PERMISSION = "programmes.change_programme"


def _with_structure(programmes):
    """Courses in order, each with its modules and clinics: four queries however many."""
    return programmes.prefetch_related(
        Prefetch(
            "courses",
            queryset=Course.objects.prefetch_related("modules", "clinics"),
        )
    )


# ---- Public catalogue ----


# The public pages change only when staff edit the catalogue or a cohort opens: a visitor with
# no cookies may see them a minute old; anyone else gets theirs drawn for them.
PUBLIC_PAGE_SECONDS = 60


@method_decorator(login_not_required, name="dispatch")
@method_decorator(cache_for_visitors(PUBLIC_PAGE_SECONDS), name="dispatch")
class ProgrammeListView(ListView):
    """The public catalogue, grouped by family, with filters and a search."""

    template_name = "programmes/programme_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filters = CatalogueFilterForm(self.request.GET or None)
        self.filters.is_valid()
        # Each filter stands on its own: a bad value in one does not throw away the others.
        data = getattr(self.filters, "cleaned_data", {})
        programmes = Programme.objects.offered().search(data.get("q", ""))
        programmes = programmes.for_phase(data.get("phase", ""))
        if data.get("family"):
            programmes = programmes.filter(family=data["family"])
        return programmes.in_catalogue_order()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filters"] = self.filters
        context["filtered"] = any(self.request.GET.get(key) for key in ("q", "family", "phase"))
        return context


@method_decorator(login_not_required, name="dispatch")
@method_decorator(cache_for_visitors(PUBLIC_PAGE_SECONDS), name="dispatch")
class ProgrammeDetailView(DetailView):
    """A programme's public page: who it is for, structure, rationale, how to take part."""

    template_name = "programmes/programme_detail.html"

    def get_queryset(self):
        return _with_structure(Programme.objects.offered())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["work_group"] = programme_work_group_words(programme=self.object)
        return context


# ---- Staff editing ----


class StaffProgrammeListView(PermissionRequiredMixin, ListView):
    permission_required = EDIT_PERMISSION
    template_name = "programmes/staff_programme_list.html"
    paginate_by = 25

    def get_queryset(self):
        programmes = Programme.objects.select_related("edited_by").annotate(
            course_count=Count("courses")
        )
        status = self.request.GET.get("status", "")
        if status in Programme.Status.values:
            programmes = programmes.filter(status=status)
        if self.request.GET.get("review") == "1":
            programmes = programmes.filter(content_source=Programme.ContentSource.HUB)
        return programmes.in_catalogue_order()


class StaffProgrammeDetailView(PermissionRequiredMixin, DetailView):
    permission_required = EDIT_PERMISSION
    template_name = "programmes/staff_programme_detail.html"
    REVIEWABLE_TEXTS = (
        "summary",
        "aims",
        "participant_rules",
        "delivery_model",
        "curriculum_rationale",
        "assessment",
        "funding_summary",
    )

    def get_queryset(self):
        return _with_structure(Programme.objects.select_related("edited_by"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["programme_texts"] = [
            (Programme._meta.get_field(name).verbose_name.capitalize(), getattr(self.object, name))
            for name in self.REVIEWABLE_TEXTS
        ]
        context["work_group"] = programme_work_group_words(programme=self.object)
        return context


class ProgrammeCreateView(PermissionRequiredMixin, CreateView):
    permission_required = "programmes.add_programme"
    form_class = ProgrammeForm
    template_name = "programmes/programme_form.html"

    def form_valid(self, form):
        programme = programme_save(programme=form.save(commit=False), by=self.request.user)
        messages.success(self.request, f"{programme} added. Now add its courses.")
        return redirect("programmes:staff-programme-detail", slug=programme.slug)


class ProgrammeUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = EDIT_PERMISSION
    form_class = ProgrammeUpdateForm
    model = Programme
    template_name = "programmes/programme_form.html"

    def form_valid(self, form):
        if not form.has_changed():
            # An unchanged save must not mark it edited: the loader would stop updating it.
            messages.info(self.request, "Nothing was changed.")
            return redirect("programmes:staff-programme-detail", slug=self.object.slug)
        programme = programme_save(programme=form.save(commit=False), by=self.request.user)
        messages.success(self.request, f"{programme} saved.")
        return redirect("programmes:staff-programme-detail", slug=programme.slug)


class ProgrammeRetireView(PermissionFirstMixin, FormView):
    permission_required = EDIT_PERMISSION
    form_class = ProgrammeRetireForm
    template_name = "programmes/programme_retire.html"

    def find_objects(self, slug):
        self.object = get_object_or_404(Programme, slug=slug)

    def form_valid(self, form):
        try:
            programme_retire(programme=self.object, by=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)  # nothing was changed; say why
            return self.form_invalid(form)
        messages.success(self.request, f"{self.object} is retired and no longer in the catalogue.")
        return redirect("programmes:staff-programme-detail", slug=self.object.slug)


class ProgrammeReinstateView(PermissionRequiredMixin, View):
    permission_required = EDIT_PERMISSION

    def post(self, request, slug):
        programme = get_object_or_404(Programme, slug=slug)
        try:
            programme_reinstate(programme=programme, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{programme} is back in the catalogue.")
        return redirect("programmes:staff-programme-detail", slug=programme.slug)


class WorkGroupSetUpView(PermissionFirstMixin, TemplateView):
    """One part of a Work Group's set-up (its role slots, prerequisites or grants), every row
    on one page, with blank rows to add and a box to delete each."""

    permission_required = EDIT_PERMISSION
    template_name = "programmes/programme_set_up.html"
    model: type[RoleSlot | Prerequisite | ProgrammeGrant] | None = None

    PARTS = {
        RoleSlot: (
            "Role slots",
            "The roles a school names people for when it signs up its team. Lead "
            "participants take part in every session; supporting roles (the maths lead, the "
            "headteacher, wider staff) join some.",
            programme_role_slots_set,
            "Role slots saved.",
        ),
        Prerequisite: (
            "Prerequisites",
            "What a school's Work Group history must show for it to sign up: every condition "
            "must be met, except that one marked “or the condition before” is an alternative "
            "to the one before it.",
            programme_prerequisites_set,
            "Prerequisites saved.",
        ),
        ProgrammeGrant: (
            "Grants",
            "What the hub pays each school that takes part, by school year (2025 means "
            "2025/26). Accepting a school records its grant as owed.",
            programme_grants_set,
            "Grants saved.",
        ),
    }

    def find_objects(self, slug):
        self.programme = get_object_or_404(Programme, slug=slug)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        title, lede, _, _ = self.PARTS[self.model]
        context.update(programme=self.programme, title=title, lede=lede)
        formset = context.setdefault(
            "formset", set_up_formset(self.model, programme=self.programme)
        )
        context["rows"] = [
            (self._legend(form, number), form) for number, form in enumerate(formset.forms, start=1)
        ]
        return context

    def _legend(self, form, number: int) -> str:
        """What each row's fieldset is called: a slot's label, a condition's number, a
        grant's school year; "Add another" for a blank row."""
        row = form.instance
        if row.pk is None:
            return "Add another"
        if self.model is RoleSlot:
            return row.label
        if self.model is ProgrammeGrant:
            return f"{row.academic_year}/{(row.academic_year + 1) % 100:02d}"
        return f"Condition {number}"

    def post(self, request, *args, **kwargs):
        formset = set_up_formset(self.model, programme=self.programme, data=request.POST)
        errors = []
        if formset.is_valid():
            _, _, service, done = self.PARTS[self.model]
            try:
                service(programme=self.programme, entries=set_up_entries(formset), by=request.user)
            except ValidationError as error:
                errors = error.messages  # nothing was changed; say why
            else:
                messages.success(request, done)
                response = redirect("programmes:staff-programme-detail", slug=self.programme.slug)
                response["Location"] += "#work-group"
                return response
        return self.render_to_response(self.get_context_data(formset=formset, errors=errors))


class CatalogueItemMixin(PermissionFirstMixin):
    """Shared by the course, module and clinic pages: which model, its form, its parent."""

    permission_required = EDIT_PERMISSION
    template_name = "programmes/catalogue_item_form.html"
    model: type[Course | Module | Clinic] | None = None
    parent_model: type[Programme | Course] | None = None
    parent_field = ""

    FORMS = {Course: CourseForm, Module: ModuleForm, Clinic: ClinicForm}

    def get_form_class(self):
        return self.FORMS[self.model]

    def success_redirect(self, item):
        programme = catalogue_item_programme(item)
        url = redirect("programmes:staff-programme-detail", slug=programme.slug)
        url["Location"] += f"#{self.model._meta.model_name}-{item.pk}"
        return url

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["item_name"] = self.model._meta.verbose_name
        context["programme"] = self.programme
        return context


class CatalogueItemCreateView(CatalogueItemMixin, CreateView):
    def find_objects(self, **kwargs):
        self.parent = get_object_or_404(self.parent_model, **kwargs)  # slug, or pk
        self.programme = catalogue_item_programme(self.parent)

    def form_valid(self, form):
        item = form.save(commit=False)
        setattr(item, self.parent_field, self.parent)
        catalogue_item_save(item=item, by=self.request.user)
        messages.success(self.request, f"“{item}” added.")
        return self.success_redirect(item)


class CatalogueItemUpdateView(CatalogueItemMixin, UpdateView):
    def get_object(self, queryset=None):
        item = super().get_object(queryset)
        self.programme = catalogue_item_programme(item)
        return item

    def form_valid(self, form):
        if not form.has_changed():
            messages.info(self.request, "Nothing was changed.")
            return self.success_redirect(self.object)
        item = catalogue_item_save(item=form.save(commit=False), by=self.request.user)
        messages.success(self.request, f"“{item}” saved.")
        return self.success_redirect(item)


class CatalogueItemDeleteView(CatalogueItemMixin, DetailView):
    template_name = "programmes/catalogue_item_confirm_delete.html"

    def get_object(self, queryset=None):
        item = super().get_object(queryset)
        self.programme = catalogue_item_programme(item)
        return item

    def post(self, request, *args, **kwargs):
        item = self.get_object()
        try:
            catalogue_item_delete(item=item, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{item}” deleted.")
        return redirect("programmes:staff-programme-detail", slug=self.programme.slug)


class CatalogueItemMoveView(PermissionRequiredMixin, View):
    permission_required = EDIT_PERMISSION
    model: type[Course | Module | Clinic] | None = None

    def post(self, request, pk):
        item = get_object_or_404(self.model, pk=pk)
        try:
            catalogue_item_move(
                item=item, up=request.POST.get("direction") == "up", by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        programme = catalogue_item_programme(item)
        response = redirect("programmes:staff-programme-detail", slug=programme.slug)
        response["Location"] += f"#{self.model._meta.model_name}-{item.pk}"
        return response
