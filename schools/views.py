"""The school pages: the search behind every school question, the staff list, imports, leaders."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from npq_portal.mixins import PermissionFirstMixin
from npq_portal.numbers import whole_number

from .forms import GiasUploadForm, HubAreaForm, ProgrammeHistoryUploadForm, SchoolLeaderForm
from .models import (
    GiasImport,
    LocalAuthority,
    ProgrammeHistoryImport,
    School,
    SchoolLeadership,
    SchoolProgrammeYear,
)
from .prerequisites import school_year_words
from .search_cache import school_search_kept
from .services import (
    gias_import_live_progress,
    gias_import_start,
    hub_area_set,
    programme_history_import,
    school_leader_confirm,
    school_leader_remove,
)

SEARCH_RESULTS = 10


@login_not_required
def school_search(request):
    """Schools matching a name, URN, UKPRN or postcode, for forms' autocomplete (GIAS is public)."""
    query = request.GET.get("q", "").strip()[:100]
    if len(query) < 2:
        return JsonResponse({"results": []})
    with_closed = request.GET.get("closed") == "1"
    results = school_search_kept(
        query,
        with_closed=with_closed,
        answer=lambda: _school_search_results(query, with_closed=with_closed),
    )
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
    permission_required = "schools.view_school"
    template_name = "schools/school_list.html"
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
    permission_required = "schools.add_giasimport"
    form_class = GiasUploadForm
    template_name = "schools/giasimport_form.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = GiasImport.objects.select_related("uploaded_by")[:10]
        return context

    def form_valid(self, form):
        record = gias_import_start(upload=form.cleaned_data["file"], by=self.request.user)
        return redirect(record)


class GiasImportDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "schools.add_giasimport"
    template_name = "schools/giasimport_detail.html"
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


class SchoolLeaderListView(PermissionFirstMixin, FormView):
    """Who leads a school in the portal, and confirming another."""

    permission_required = "schools.add_schoolleadership"
    form_class = SchoolLeaderForm
    template_name = "schools/school_leaders.html"

    def find_objects(self, urn):
        self.school = get_object_or_404(School, urn=urn)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["school"] = self.school
        context["leaders"] = self.school.leaderships.select_related("user", "confirmed_by")
        # Who has approved its staff's applications (through the applications app's relation).
        context["approvers"] = (
            self.school.applications.exclude(school_decided_by_email="")
            .values_list("school_decided_by", "school_decided_by_email")
            .distinct()
        )
        return context

    def post(self, request, *args, **kwargs):
        if "remove" in request.POST:
            chosen = request.POST["remove"]
            leadership = get_object_or_404(
                SchoolLeadership.objects.select_related("user", "school"),
                pk=whole_number(chosen) or 0,
                school=self.school,
            )
            school_leader_remove(leadership=leadership, by=request.user)
            messages.success(request, f"{leadership.user} no longer sees {self.school.name}.")
            return redirect("schools:school-leaders", urn=self.school.urn)
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
        return redirect("schools:school-leaders", urn=self.school.urn)


class HubAreaView(PermissionRequiredMixin, FormView):
    """The hub's area: staff choose the local authorities it serves."""

    permission_required = "schools.change_localauthority"
    form_class = HubAreaForm
    template_name = "schools/hub_area_form.html"

    def get_initial(self):
        return {"local_authorities": LocalAuthority.objects.filter(in_hub_area=True)}

    def form_valid(self, form):
        try:
            area = hub_area_set(
                codes=[la.code for la in form.cleaned_data["local_authorities"]],
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)  # nothing was changed; say why
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"The hub's area is now {len(area)} local authorit{'y' if len(area) == 1 else 'ies'}.",
        )
        return redirect("schools:hub-area")


# ---- Schools' earlier Work Group years ----


class ProgrammeHistoryImportListView(PermissionRequiredMixin, ListView):
    """Every import of schools' earlier Work Group years, newest first."""

    permission_required = "schools.view_programmehistoryimport"
    template_name = "schools/programmehistoryimport_list.html"
    paginate_by = 25

    def get_queryset(self):
        return ProgrammeHistoryImport.objects.select_related("uploaded_by")


class ProgrammeHistoryImportCreateView(PermissionRequiredMixin, FormView):
    permission_required = "schools.add_programmehistoryimport"
    form_class = ProgrammeHistoryUploadForm
    template_name = "schools/programmehistoryimport_form.html"

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            record = programme_history_import(
                source=upload, file_name=upload.name, by=self.request.user
            )
        except ValidationError as error:
            form.add_error("file", error)  # nothing was changed; say why
            return self.form_invalid(form)
        messages.success(self.request, f"{record.file_name} imported.")
        return redirect("schools:history-import-detail", pk=record.pk)


class ProgrammeHistoryImportDetailView(PermissionRequiredMixin, DetailView):
    """What an import did: its counts, and the rows it did not import, with why."""

    permission_required = "schools.view_programmehistoryimport"
    template_name = "schools/programmehistoryimport_detail.html"

    def get_queryset(self):
        return ProgrammeHistoryImport.objects.select_related("uploaded_by")


# A cell starting with one of these runs as a formula when a spreadsheet opens the file.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell_safe(value) -> str:
    value = str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class ProgrammeHistoryImportRejectsView(PermissionFirstMixin, View):
    """The rows an import did not import, as a CSV to correct and upload again (with a
    column saying why each was left out)."""

    permission_required = "schools.view_programmehistoryimport"

    def find_objects(self, pk):
        self.object = get_object_or_404(ProgrammeHistoryImport, pk=pk)

    def get(self, request, *args, **kwargs):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["URN", "Programme", "School year", "Completed", "Row", "Why not imported"])
        for row in self.object.report:
            values = [row.get(key, "") for key in ("urn", "programme", "school_year", "completed")]
            writer.writerow([*map(_cell_safe, values), row.get("row", ""), row.get("reason", "")])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"work-group-history-{self.object.pk}-not-imported.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class SchoolHistoryView(PermissionFirstMixin, ListView):
    """A school's Work Group years, from its places in the portal and the years staff imported."""

    permission_required = "schools.view_schoolprogrammeyear"
    template_name = "schools/school_history.html"

    def find_objects(self, urn):
        self.school = get_object_or_404(School, urn=urn)

    def get_queryset(self):
        return (
            SchoolProgrammeYear.objects.filter(school=self.school)
            .select_related("programme", "history_import")
            .order_by("-academic_year", "programme__name", "source")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["school"] = self.school
        for year in context["object_list"]:
            year.school_year = school_year_words(year.academic_year)
        return context
