"""The keeper of places that applications.places reaches: participants registers it when
Django starts (ParticipantsConfig.ready), so applications never imports this app."""

from __future__ import annotations

from collections import defaultdict

from django.db.models.functions import Lower

from applications.places import CompletedPlace
from cohorts.models import cohort_name
from npq_portal.prepared import fixed_objects, fixed_rows

from .models import Enrolment, EnrolmentEvent
from .selectors import transfer_cohort_names
from .services import charge_raise, places_taken, school_history_from_place, school_place_make


def _application_places(application_id: int):
    return Enrolment.objects.filter(application_id=application_id).select_related(
        "cohort__programme", "charge"
    )


def _application_place_events(application_id: int):
    return EnrolmentEvent.objects.filter(enrolment__application_id=application_id).select_related(
        "by"
    )


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
        """The places the application made, newest first, each with its history
        (`enrolment.history`), and, for staff who decide, the cohorts its current place may
        move to: by fixed queries (npq_portal.prepared)."""
        enrolments = fixed_objects(_application_places, application.pk)
        history = defaultdict(list)
        events = fixed_objects(_application_place_events, application.pk) if enrolments else []
        for event in events:
            history[event.enrolment_id].append(event)
        for enrolment in enrolments:
            enrolment.history = history[enrolment.pk]
        context = {
            "enrolments": enrolments,
            "withdrawal_reasons": EnrolmentEvent.WithdrawalReason.choices,
            "deferral_reasons": EnrolmentEvent.DeferralReason.choices,
        }
        if user.has_perm("applications.decide_application"):
            current = [e for e in enrolments if e.status in {"active", "deferred"}]
            # Each as (id, name), named from the four values it needs.
            context["transfer_cohorts"] = (
                [
                    (pk, cohort_name(short_name, year, name))
                    for pk, short_name, year, name in fixed_rows(
                        transfer_cohort_names,
                        current[0].cohort.programme_id,
                        current[0].cohort_id,
                    )
                ]
                if current
                else []
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
