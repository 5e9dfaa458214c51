"""The personal data in the portal's copy of DfE's applications, for the privacy app's subject
access export and erasure. Importing it (DfeConfig.ready()) registers both with
privacy/registry.py, as privacy may not import dfe.

A person's DfE applications are those linked to their portal applications and those with one of
their email addresses. Erasure blanks DfE's name, email and TRN for them and stamps
`personal_data_erased_at`, so that later pulls (dfe/sync.py) do not copy them back; the rest of
DfE's record (status, funding, training) still updates, and the link to the anonymised portal
application stays, so the reconciliation and declarations go on working.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from cohorts.academic_years import academic_year_label
from npq_portal.models import User
from npq_portal.words import word
from privacy.registry import personal_data_eraser_register, personal_data_source_register

from .models import DfeApplication

# DfE's fields that identify the applicant: blanked on erasure, and never pulled again after.
PERSONAL_FIELDS = ("full_name", "email", "trn")


def person_dfe_applications(*, person: User, emails: set[str]) -> QuerySet[DfeApplication]:
    """The person's DfE applications: linked to theirs, or with one of their addresses."""
    return DfeApplication.objects.alias(email_lower=Lower("email")).filter(
        Q(application__applicant=person) | Q(email_lower__in={e.lower() for e in emails})
    )


def _when(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _status(record: DfeApplication) -> str:
    status = record.get_status_display()
    if record.reason_for_rejection:
        status += f" ({word('dfe_rejection_reason', record.reason_for_rejection)})"
    return status


def dfe_person_data(person: User, emails: set[str]) -> list[tuple[str, list[dict]]]:
    """The person's DfE applications as one table of the subject access export, in words."""
    records = person_dfe_applications(person=person, emails=emails).order_by("created_at", "pk")
    rows = [
        {
            "dfe_application_id": str(record.dfe_id),
            "application_id": record.application_id or "",
            "course": word("dfe_course", record.course_identifier),
            "cohort": academic_year_label(record.cohort_year),
            "status_at_dfe": _status(record),
            "name": record.full_name,
            "email": record.email,
            "trn": record.trn,
            "school_urn": record.school_urn,
            "eligible_for_funding": record.eligible_for_funding,
            "not_eligible_because": word(
                "dfe_ineligible_reason", record.ineligible_for_funding_reason
            ),
            "funded_place": record.funded_place,
            "training_status": word("dfe_training_status", record.training_status),
            "changed_at_dfe_at": _when(record.dfe_updated_at),
            # Each pull that brings the record writes it again; so does staff acknowledging a
            # difference with the portal's application.
            "last_pulled_at": _when(record.updated_at),
            "personal_data_erased_at": _when(record.personal_data_erased_at),
        }
        for record in records
    ]
    return [("dfe_applications", rows)]


def dfe_person_erase(person: User, emails: set[str]) -> dict[str, int]:
    """Blank DfE's name, email and TRN for the person's DfE applications and mark them erased,
    so that pulls leave them blank; returns how many were changed."""
    now = timezone.now()
    records = person_dfe_applications(person=person, emails=emails).filter(
        Q(personal_data_erased_at__isnull=True)
        | ~Q(full_name="")
        | ~Q(email="")
        | ~Q(trn="")
        | ~Q(candidate_ids=[])
    )
    changed = records.update(
        **dict.fromkeys(PERSONAL_FIELDS, ""),
        # The portal applications that shared their TRN or email: worked out again by the
        # next match, from nothing.
        candidate_ids=[],
        # The first erasure's time stays.
        personal_data_erased_at=Coalesce("personal_data_erased_at", Value(now)),
        updated_at=now,
    )
    return {"dfe_applications": changed}


personal_data_source_register(name="dfe", source=dfe_person_data)
personal_data_eraser_register(name="dfe", eraser=dfe_person_erase)
