"""Dashboards, reports and exports."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import DetailView, ListView

from .datasets import DATASETS, export_contents, filters_described
from .models import Export
from .services import export_settings, export_start
from .writers import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_chunks, xlsx_bytes

# ---- Exports ----


class ExportCreateView(View):
    """Download a list as CSV or Excel with the list's filters: at once when it is small,
    otherwise prepared in the background (a GET asks first; the POST starts it)."""

    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        self.dataset = DATASETS.get(kwargs["kind"])
        if self.dataset is None or kwargs["file_format"] not in Export.Format.values:
            raise Http404("No such export.")
        if not request.user.has_perm(self.dataset.permission):
            raise PermissionDenied(f"You may not export {self.dataset.title.lower()}.")
        self.file_format = kwargs["file_format"]
        self.filters = self.dataset.filters_from(
            request.POST if request.method == "POST" else request.GET
        )
        try:
            self.contents = export_contents(
                user=request.user, kind=self.dataset.kind, filters=self.filters
            )
        except ObjectDoesNotExist as missing:  # out of the person's scope: as if not there
            raise Http404("Not found.") from missing
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.small():
            return self.download()
        return render(
            request,
            "reports/export_confirm.html",
            {
                "dataset": self.dataset,
                "file_format": Export.Format(self.file_format),
                "filters": self.filters,
                "filter_list": filters_described(self.filters),
                "total": self.contents.total,
                "inline_max_rows": export_settings()["inline_max_rows"],
            },
        )

    def post(self, request, *args, **kwargs):
        if self.small():
            return self.download()
        export = export_start(
            user=request.user,
            kind=self.dataset.kind,
            file_format=self.file_format,
            filters=self.filters,
            rows_total=self.contents.total,
        )
        return redirect(export)

    def small(self) -> bool:
        return self.contents.total <= export_settings()["inline_max_rows"]

    def download(self):
        name = self.dataset.file_name(filters=self.filters, file_format=self.file_format)
        if self.file_format == Export.Format.XLSX:
            response = HttpResponse(
                xlsx_bytes(
                    headers=self.contents.headers,
                    rows=self.contents.values(),
                    title=self.dataset.title,
                ),
                content_type=XLSX_CONTENT_TYPE,
            )
        else:
            response = StreamingHttpResponse(
                csv_chunks(headers=self.contents.headers, rows=self.contents.values()),
                content_type=CSV_CONTENT_TYPE,
            )
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response


class ExportListView(ListView):
    """The exports a person asked for in the last week, newest first."""

    template_name = "reports/export_list.html"
    paginate_by = 25

    def get_queryset(self):
        return Export.objects.for_user(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(keep_days=export_settings()["keep_days"], **kwargs)


class ExportDetailView(DetailView):
    """An export's progress, then its download link; it refreshes itself until it is done
    (static/js/export-progress.js, or a meta refresh without JavaScript)."""

    template_name = "reports/export_detail.html"
    context_object_name = "export"

    def get_queryset(self):
        return Export.objects.for_user(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dataset = DATASETS[self.object.kind]
        context["dataset"] = dataset
        context["filter_list"] = filters_described(self.object.filters)
        context["keep_days"] = export_settings()["keep_days"]
        return context


class ExportProgressView(View):
    """How far an export has got, as JSON, for its page to poll."""

    def get(self, request, pk):
        export = get_object_or_404(Export.objects.for_user(request.user), pk=pk)
        return JsonResponse(
            {
                "status": export.status,
                "status_label": export.get_status_display(),
                "rows_done": export.rows_done,
                "rows_total": export.rows_total,
                "percent": export.percent_done,
                "finished": export.finished,
            }
        )


class ExportDownloadView(View):
    """An export's file, for the person who asked for it and nobody else."""

    def get(self, request, pk):
        export = get_object_or_404(
            Export.objects.for_user(request.user), pk=pk, status=Export.Status.DONE
        )
        content_type = (
            XLSX_CONTENT_TYPE if export.file_format == Export.Format.XLSX else CSV_CONTENT_TYPE
        )
        try:
            handle = export.file.open("rb")
        except FileNotFoundError as missing:
            raise Http404("The file is no longer there: export the list again.") from missing
        return FileResponse(
            handle, as_attachment=True, filename=export.file_name, content_type=content_type
        )
