"""Charges: made when an application is accepted into a place that is not funded, then
invoiced, paid or waived, each change kept with who and when."""

import pytest
from django.core.exceptions import ValidationError

from applications.services import (
    application_accept,
    application_save_answers,
    application_school_decide,
    application_start,
    application_submit,
)
from cohorts.models import Cohort
from cohorts.tests.factories import CohortFactory
from funding.services import funding_decision_override
from npq_portal.tests.factories import UserFactory
from participants.models import Charge, Enrolment, EnrolmentEvent
from participants.services import (
    charge_mark_invoiced,
    charge_mark_paid,
    charge_waive,
    enrolment_change,
    enrolment_transfer,
)
from programmes.tests.factories import ProgrammeFactory
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

# NPQLPM is funded only for a PP50 school (rule set 2026): Oakfield is not on the list.
NPQLPM = "npq-leading-primary-mathematics"
NPQH = "npq-headship"


def _cohort(course=NPQLPM, *, default_fee=1250, fee=None, **extra):
    programme = ProgrammeFactory(course_identifier=course, slug=course, default_fee=default_fee)
    return CohortFactory(programme=programme, fee=fee, status=Cohort.Status.OPEN, **extra)


def _approved(cohort, *, payment="school"):
    """An application through the real path: answered, sent and approved by the school."""
    school = SchoolFactory(urn=123456, name="Oakfield Primary", town="Chester", postcode="CH1 4BJ")
    applicant = UserFactory(first_name="Priya", last_name="Shah", email="priya@oakfield.example")
    application = application_start(applicant=applicant, cohort=cohort)
    application_save_answers(
        application=application,
        answers={
            "works_in_england": "yes",
            "work_setting": "a_school",
            "school_urn": str(school.urn),
            "school_name": "Oakfield Primary (123456)",
            "role": "Maths lead",
            "trn": "1234567",
            "mastery": "completed_year",
            "headteacher_name": "Helen Whitfield",
            "headteacher_email": "head@oakfield.example",
            "payment": payment,
        },
    )
    application = application_submit(application=application, by=applicant)
    return application_school_decide(
        application=application, approve=True, name="Helen Whitfield", email="head@oakfield.example"
    )


def _accepted(cohort, *, payment="school"):
    """A place made by accepting an application sent and approved through the real path."""
    return application_accept(application=_approved(cohort, payment=payment), by=UserFactory())


def test_accepting_an_unfunded_application_makes_one_charge_to_the_school():
    place = _accepted(_cohort(default_fee=1250))

    charge = Charge.objects.get()
    assert charge.enrolment == place
    assert (charge.payer, charge.amount, charge.status) == ("school", 1250, "to_invoice")
    assert (charge.payer_name, charge.payer_reference) == ("Oakfield Primary", "123456")
    assert (charge.payer_town, charge.payer_postcode) == ("Chester", "CH1 4BJ")
    assert charge.payer_email == "head@oakfield.example"
    assert charge.invoice_reference == f"NPQ-{charge.pk}"
    assert [(e.from_status, e.to_status) for e in charge.events.all()] == [("", "to_invoice")]


def test_the_cohorts_own_fee_is_the_amount():
    _accepted(_cohort(default_fee=1250, fee=900))

    assert Charge.objects.get().amount == 900


def test_a_self_paying_applicant_is_the_payer():
    _accepted(_cohort(), payment="self")

    charge = Charge.objects.get()
    assert (charge.payer, charge.payer_name, charge.payer_reference) == (
        "self",
        "Priya Shah",
        "priya@oakfield.example",
    )


def test_a_trust_pays_with_its_schools_details():
    _accepted(_cohort(), payment="trust")

    charge = Charge.objects.get()
    assert (charge.payer, charge.payer_reference) == ("trust", "123456")


def test_a_funded_place_makes_no_charge():
    place = _accepted(_cohort(NPQH))  # Headship is funded for an eligible school

    assert place.application.funding_decision.effective_funded
    assert not Charge.objects.exists()


def test_a_place_the_hub_marks_funded_before_accepting_makes_no_charge():
    staff = UserFactory()
    application = _approved(_cohort())
    funding_decision_override(
        decision=application.funding_decision,
        funded=True,
        reason="Funded by the hub's policy",
        by=staff,
    )

    application_accept(application=application, by=staff)

    assert not Charge.objects.exists()


def test_a_free_cohort_makes_no_charge():
    _accepted(_cohort(default_fee=1250, fee=0))

    assert not Charge.objects.exists()


def test_marking_invoiced_then_paid_records_who_and_when():
    _accepted(_cohort())
    charge = Charge.objects.get()
    finance = UserFactory(first_name="Fran", last_name="Okafor")

    charge_mark_invoiced(charge=charge, by=finance)
    charge = charge_mark_paid(charge=charge, by=finance)

    assert charge.status == Charge.Status.PAID
    events = list(charge.events.all())
    assert [(e.from_status, e.to_status, e.by) for e in events[1:]] == [
        ("to_invoice", "invoiced", finance),
        ("invoiced", "paid", finance),
    ]
    assert all(e.at is not None for e in events)


def test_a_charge_cannot_be_paid_before_it_is_invoiced():
    _accepted(_cohort())
    charge = Charge.objects.get()

    with pytest.raises(ValidationError, match="not invoiced yet: mark it invoiced first"):
        charge_mark_paid(charge=charge, by=UserFactory())

    charge.refresh_from_db()
    assert charge.status == Charge.Status.TO_INVOICE
    assert charge.events.count() == 1


def test_waiving_needs_a_reason_and_keeps_it():
    _accepted(_cohort())
    charge = Charge.objects.get()
    staff = UserFactory()

    with pytest.raises(ValidationError, match="Say why the charge is waived"):
        charge_waive(charge=charge, by=staff, reason="  ")
    charge = charge_waive(charge=charge, by=staff, reason="Withdrew in the first week")

    assert (charge.status, charge.waived_reason) == ("waived", "Withdrew in the first week")
    assert charge.events.last().by == staff


def test_a_paid_charge_cannot_be_waived():
    _accepted(_cohort())
    staff = UserFactory()
    charge = charge_mark_paid(
        charge=charge_mark_invoiced(charge=Charge.objects.get(), by=staff), by=staff
    )

    with pytest.raises(ValidationError, match="is paid, so it cannot be marked waived"):
        charge_waive(charge=charge, by=staff, reason="Changed our mind")


def test_a_transfer_keeps_the_charge_on_the_new_place():
    cohort = _cohort()
    place = _accepted(cohort)
    later = CohortFactory(programme=cohort.programme, status=Cohort.Status.OPEN, fee=2000)
    staff = UserFactory()

    moved = enrolment_transfer(enrolment=place, to_cohort=later, by=staff, reason="Moved house")

    charge = Charge.objects.get()
    assert charge.enrolment == moved
    assert charge.amount == 1250  # the fee when the place was offered
    assert "Moved with the place" in charge.events.last().reason


def test_a_withdrawal_before_invoicing_leaves_the_charge_for_staff_to_waive():
    place = _accepted(_cohort())
    staff = UserFactory()

    enrolment_change(
        enrolment=place,
        to=Enrolment.Status.WITHDRAWN,
        by=staff,
        reason=EnrolmentEvent.WithdrawalReason.WORKLOAD,
    )

    assert Charge.objects.get().status == Charge.Status.TO_INVOICE


def test_the_payers_are_the_payment_questions_answers():
    from applications.steps import PaymentForm

    answers = {value for value, _ in PaymentForm.base_fields["payment"].choices}
    assert answers == set(Charge.Payer.values)
