"""The funding pages: eligibility lists, childcare providers and what a rule change would change."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from schools.models import EligibilityList, PrivateChildcareProvider
from schools.selectors import eligibility_lists_current_from
from schools.services import childcare_providers_upload

from .forms import (
    ChildcareProviderUploadForm,
    EligibilityListsCurrentFromForm,
    EligibilityListUploadForm,
    FundingWhatChangesForm,
)
from .rules import RULE_SETS
from .selectors import funding_list_warnings, funding_what_changes
from .services import funding_list_upload, funding_lists_current_from_set


class EligibilityListIndexView(PermissionRequiredMixin, FormView):
    """Every eligibility list: its current version, its history, and an upload form."""

    permission_required = ("schools.view_eligibilitylist", "schools.add_eligibilitylist")
    form_class = EligibilityListUploadForm
    template_name = "funding/eligibilitylist_index.html"

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
        context["list_warnings"] = funding_list_warnings()
        current_from = eligibility_lists_current_from()
        context["current_from"] = current_from
        context["current_from_form"] = kwargs.get(
            "current_from_form"
        ) or EligibilityListsCurrentFromForm(initial={"current_from": current_from})
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            version, counts = funding_list_upload(
                kind=form.cleaned_data["kind"],
                source=upload,
                file_name=upload.name,
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)  # nothing was changed; say why
            return self.form_invalid(form)
        message = (
            f"{version.get_kind_display()}: {version.entry_count:,} institutions, now current."
        )
        if counts.redecided:
            message += f" {counts.message}."
        messages.success(self.request, message)
        return redirect("funding:eligibility-lists")


class EligibilityListsCurrentFromView(EligibilityListIndexView):
    """Set the date from which an uploaded list counts as current."""

    def post(self, request, *args, **kwargs):
        form = EligibilityListsCurrentFromForm(request.POST)
        if form.is_valid():
            try:
                setting, counts = funding_lists_current_from_set(
                    current_from=form.cleaned_data["current_from"], by=request.user
                )
            except ValidationError as error:
                form.add_error("current_from", error)  # nothing was changed; say why
            else:
                message = (
                    f"Lists uploaded before {setting.current_from:%d %B %Y} now count as out of "
                    "date."
                )
                if counts.redecided:
                    message += f" {counts.message}."
                messages.success(request, message)
                return redirect("funding:eligibility-lists")
        return self.render_to_response(self.get_context_data(current_from_form=form))


class FundingWhatChangesView(PermissionRequiredMixin, TemplateView):
    """Which recorded funding decisions a rule set or the newest lists would change."""

    permission_required = "funding.view_fundingdecision"
    template_name = "funding/funding_what_changes.html"

    def get_context_data(self, **kwargs):
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

    permission_required = "schools.add_privatechildcareprovider"

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
                return redirect("funding:eligibility-lists")
        return self.render_to_response(self.get_context_data(provider_form=form))
