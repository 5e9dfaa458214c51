"""The staff charges page: filtered, paginated, its buttons, its export, and who may use it."""

import csv
import io

import pytest
from django.urls import reverse

from cohorts.tests.factories import CohortFactory
from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from participants.models import Charge
from participants.services import charge_mark_invoiced
from participants.tests.factories import ChargeFactory, EnrolmentFactory
from programmes.tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db
LIST = reverse("participants:charge-list")


@pytest.fixture
def lead(client):
    person = StaffUserFactory(roles=[Role.PROGRAMME_LEAD], first_name="Fran", last_name="Okafor")
    sign_in(client, person)
    return person


def _charge(*, programme=None, cohort=None, **fields):
    cohort = cohort or CohortFactory(
        programme=programme
        or ProgrammeFactory(name="NPQ in Leading Primary Mathematics", short_name="NPQLPM"),
        academic_year=2026,
        name="Autumn start",
    )
    participant = UserFactory(first_name="Priya", last_name="Shah")
    return ChargeFactory(
        enrolment=EnrolmentFactory(cohort=cohort, participant=participant), **fields
    )


def _update(client, charge, **data):
    return client.post(
        reverse("participants:charge-update", args=[charge.pk]), {"next": LIST, **data}, follow=True
    )


def test_the_list_shows_each_charge_in_words(client, lead):
    charge = _charge(payer_name="Oakfield Primary", payer_reference="123456", amount=1250)

    page = client.get(LIST).content.decode()

    assert f"NPQ-{charge.pk}" in page and "Oakfield Primary" in page and "URN 123456" in page
    assert "£1,250" in page and "To invoice" in page and "Mark invoiced" in page
    assert "to_invoice" not in page.replace('value="to_invoice"', "")  # no codes on the page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("status=invoiced", {"invoiced"}),
        ("payer=self", {"self"}),
        ("programme=npq-headship", {"headship"}),
        ("", {"invoiced", "self", "headship"}),
    ],
)
def test_the_list_filters_by_status_payer_programme_and_cohort(client, lead, query, shown):
    charges = {
        "invoiced": _charge(payer_name="Invoiced School"),
        "self": _charge(payer=Charge.Payer.SELF, payer_name="Self Payer"),
        "headship": _charge(
            programme=ProgrammeFactory(slug="npq-headship"), payer_name="Headship School"
        ),
    }
    charge_mark_invoiced(charge=charges["invoiced"], by=lead)

    listed = client.get(f"{LIST}?{query}").context["object_list"]

    assert {key for key, charge in charges.items() if charge in listed} == shown


def test_the_list_filters_by_cohort(client, lead):
    charge = _charge()
    _charge()

    listed = client.get(f"{LIST}?cohort={charge.enrolment.cohort_id}").context["object_list"]

    assert list(listed) == [charge]


def test_the_list_has_pages_of_25(client, lead):
    cohort = CohortFactory()
    for _ in range(26):
        _charge(cohort=cohort)

    response = client.get(LIST)

    assert len(response.context["object_list"]) == 25
    assert "Page 1 of 2" in response.content.decode()


def test_marking_invoiced_then_paid_from_the_page_records_who_and_when(client, lead):
    charge = _charge()

    _update(client, charge, action="invoiced")
    response = _update(client, charge, action="paid")

    charge.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert [(e.to_status, e.by) for e in charge.events.all()] == [
        ("invoiced", lead),
        ("paid", lead),
    ]
    page = response.content.decode()
    assert f"NPQ-{charge.pk} marked paid." in page and "by Fran Okafor" in page


def test_paying_before_invoicing_is_refused_with_the_reason(client, lead):
    charge = _charge()

    page = _update(client, charge, action="paid").content.decode()

    assert "not invoiced yet: mark it invoiced first" in page
    charge.refresh_from_db()
    assert charge.status == Charge.Status.TO_INVOICE


def test_waiving_from_the_page_needs_a_reason(client, lead):
    charge = _charge()

    refused = _update(client, charge, action="waived", reason="").content.decode()
    charge.refresh_from_db()
    assert "Say why the charge is waived" in refused and charge.status == "to_invoice"

    page = _update(client, charge, action="waived", reason="Withdrew in week one").content.decode()
    charge.refresh_from_db()
    assert (charge.status, charge.waived_reason) == ("waived", "Withdrew in week one")
    assert "Withdrew in week one" in page


def test_the_export_is_a_finance_import_one_row_a_charge(client, lead, settings):
    settings.CHARGE_VAT_CODE = "Exempt"
    charge = _charge(
        payer_name="Oakfield Primary",
        payer_reference="123456",
        payer_email="head@oakfield.example",
        payer_town="Chester",
        payer_postcode="CH1 4BJ",
        amount=1250,
    )
    url = reverse("reports:export-create", kwargs={"kind": "charges", "file_format": "csv"})

    response = client.get(url)

    rows = list(csv.reader(io.StringIO(b"".join(response).decode("utf-8-sig"))))
    assert rows[0] == [
        "Invoice reference",
        "Date",
        "Customer name",
        "Customer reference",
        "Customer type",
        "Email",
        "Town",
        "Postcode",
        "Description",
        "Participant",
        "Quantity",
        "Unit amount",
        "VAT code",
        "Total",
        "Status",
    ]
    assert rows[1] == [
        f"NPQ-{charge.pk}",
        charge.created_at.date().isoformat(),
        "Oakfield Primary",
        "123456",
        "School",
        "head@oakfield.example",
        "Chester",
        "CH1 4BJ",
        "NPQ in Leading Primary Mathematics, 2026/27, Autumn start",
        "Priya Shah",
        "1",
        "1250",
        "Exempt",
        "1250",
        "To invoice",
    ]


def test_the_export_takes_the_lists_filters(client, lead):
    _charge(payer=Charge.Payer.SELF)
    _charge()
    url = reverse("reports:export-create", kwargs={"kind": "charges", "file_format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(client.get(url + "?payer=self")).decode())))

    assert len(rows) == 2 and rows[1][4] == "Self-funded"


@pytest.mark.parametrize("role", [None, Role.FACILITATOR, Role.ASSESSOR, Role.SCHOOL_LEADER])
def test_teachers_facilitators_and_others_are_refused(client, role):
    charge = _charge()
    sign_in(client, StaffUserFactory(roles=[role]) if role else UserFactory())
    export = reverse("reports:export-create", kwargs={"kind": "charges", "file_format": "csv"})

    assert client.get(LIST).status_code == 403
    assert _update(client, charge, action="invoiced").status_code == 403
    assert client.get(export).status_code == 403
    charge.refresh_from_db()
    assert charge.status == Charge.Status.TO_INVOICE


def test_a_hub_administrator_may_use_the_page(client):
    sign_in(client, StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR]))

    assert client.get(LIST).status_code == 200


def test_the_page_is_linked_from_the_applications_list_and_the_dashboard(client, lead):
    for page in ("applications:application-list", "reports:dashboard"):
        assert LIST in client.get(reverse(page)).content.decode()


def test_the_application_page_shows_its_places_charge(client, lead):
    from applications.tests.factories import ApplicationFactory

    charge = _charge(payer_name="Oakfield Primary", amount=1250)
    application = ApplicationFactory(
        applicant=charge.enrolment.participant,
        cohort=charge.enrolment.cohort,
        status="accepted",
    )
    charge.enrolment.application = application
    charge.enrolment.save()

    page = client.get(application.get_absolute_url()).content.decode()

    assert f"Charge NPQ-{charge.pk}: £1,250 to Oakfield Primary (school), to invoice." in page
