"""The keeper of places that applications.places reaches: participants registers it when
Django starts (ParticipantsConfig.ready), so applications never imports this app."""

from __future__ import annotations

from django.db.models import Prefetch
from django.db.models.functions import Lower

from applications.places import CompletedPlace

from .forms import EnrolmentTransferForm
from .models import Enrolment, EnrolmentEvent
from .services import charge_raise, places_taken, school_history_from_place, school_place_make


class EnrolmentPlaces:
    """The places accepted applications make (applications.places reaches them through this)."""

    def taken(self, cohort) -> int:
        return places_taken(cohort)

    def make(self, *, application, cohort) -> Enrolment:
        """The place, and its charge when it is not funded and the cohort has a fee; for a
        school's team sign-up, the school's place and one for each person it named."""
        if application.team:
            return school_place_make(application=application, cohort=cohort)
        enrolment = Enrolment.objects.create(
            participant_id=application.applicant_id, cohort=cohort, application=application
        )
        charge_raise(enrolment=enrolment, application=application)
        school_history_from_place(enrolment=enrolment, cohort=cohort)
        return enrolment

    def holding(self, *, cohort, emails: list[str]) -> str | None:
        held = (
            Enrolment.objects.filter(cohort=cohort)
            .holding_a_place()
            .annotate(email=Lower("participant__email"))
            .filter(email__in=[email.lower() for email in emails])
            .values_list("email", flat=True)
            .first()
        )
        return held

    def application_context(self, *, application, user) -> dict:
        enrolments = application.enrolments.select_related(
            "cohort__programme", "charge"
        ).prefetch_related(Prefetch("events", queryset=EnrolmentEvent.objects.select_related("by")))
        context = {
            "enrolments": enrolments,
            "withdrawal_reasons": EnrolmentEvent.WithdrawalReason.choices,
            "deferral_reasons": EnrolmentEvent.DeferralReason.choices,
        }
        if user.has_perm("applications.decide_application"):
            current = [e for e in enrolments if e.status in {"active", "deferred"}]
            context["transfer_form"] = (
                EnrolmentTransferForm(enrolment=current[0]) if current else None
            )
        return context

    def completed(self, *, user, programme_ids) -> list[CompletedPlace]:
        """Their completed places in the programmes, each with the school it was for: the
        school's Work Group place, else the school named on the application (one query)."""
        rows = Enrolment.objects.filter(
            participant=user,
            status=Enrolment.Status.COMPLETED,
            cohort__programme_id__in=programme_ids,
        ).values_list(
            "cohort__programme_id",
            "cohort__academic_year",
            "school_place__school__name",
            "application__school__name",
        )
        return [
            CompletedPlace(programme_id, year, team_school or applied_from or "")
            for programme_id, year, team_school, applied_from in rows
        ]
