from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import FormView, TemplateView

from npq_portal.mixins import PermissionFirstMixin
from npq_portal.models import User

from .forms import PersonEraseForm
from .services import person_data_export, person_erase, person_erase_refusals


def _zip_response(content: bytes, person_id: int) -> HttpResponse:
    response = HttpResponse(content, content_type="application/zip")
    name = f"npq-portal-personal-data-{person_id}-{timezone.localdate():%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@method_decorator(login_not_required, name="dispatch")
class PrivacyNoticeView(TemplateView):
    """Who holds people's data, what, why, for how long, and their rights."""

    template_name = "privacy/privacy_notice.html"

    def get_context_data(self, **kwargs):
        retention = settings.RETENTION
        return super().get_context_data(
            unconfirmed_days=retention["unconfirmed_subscribers"].days,
            closed_application_days=retention["closed_applications"].days,
            export_keep_days=settings.EXPORTS["keep_days"],
            **kwargs,
        )


class MyDataView(TemplateView):
    """A signed-in person downloads everything held about them (only ever their own)."""

    template_name = "privacy/my_data.html"

    def post(self, request, *args, **kwargs):
        content, _ = person_data_export(person=request.user, by=request.user)
        return _zip_response(content, request.user.pk)


class PersonExportView(PermissionRequiredMixin, View):
    """A hub administrator downloads everything held about one person."""

    permission_required = "npq_portal.export_personal_data"
    http_method_names = ["post"]

    def post(self, request, pk):
        person = get_object_or_404(User, pk=pk)
        content, _ = person_data_export(person=person, by=request.user)
        return _zip_response(content, person.pk)


class PersonEraseView(PermissionFirstMixin, FormView):
    """A hub administrator erases a person's personal data, after confirming why."""

    permission_required = "npq_portal.erase_personal_data"
    form_class = PersonEraseForm
    template_name = "privacy/person_erase.html"

    def find_objects(self, pk):
        self.object = get_object_or_404(User, pk=pk)

    def get_context_data(self, **kwargs):
        refusals = person_erase_refusals(person=self.object, by=self.request.user)
        return super().get_context_data(person=self.object, refusals=refusals, **kwargs)

    def form_valid(self, form):
        try:
            person_erase(
                person=self.object, by=self.request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)  # nothing was changed; say why
            return self.form_invalid(form)
        messages.success(
            self.request, f"Person {self.object.pk}'s personal data is erased; the figures stay."
        )
        return redirect("staff:person-detail", pk=self.object.pk)
