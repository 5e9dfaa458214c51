import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from schools.gias_generator import write_gias_file
from schools.models import EligibilityList, GiasImport, School
from schools.services import gias_import_run
from schools.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, user)
    return user


def _extract(rows=60, bad_row=0) -> bytes:
    out = io.BytesIO()
    write_gias_file(out, rows, bad_row=bad_row)
    return out.getvalue()


# ---- School search (autocomplete) ----


@pytest.mark.parametrize("count", [10, 300])
def test_school_search_answers_in_one_query_however_many_schools(
    client, django_assert_num_queries, count
):
    SchoolFactory.create_batch(count)

    with django_assert_num_queries(1):
        response = client.get(reverse("schools:school-search"), {"q": "oakfield"})

    assert len(response.json()["results"]) == 10


def test_school_search_finds_by_name_urn_and_postcode_and_leaves_out_closed(client):
    marys = SchoolFactory(name="St Mary’s C of E Primary School", postcode="CH41 2AB", urn=111222)
    SchoolFactory(name="St Mary's Old Building", status_code=School.Status.CLOSED)
    SchoolFactory(name="Hazelwood Academy", postcode="M1 4BT")
    search = reverse("schools:school-search")

    by_name = client.get(search, {"q": "st marys"}).json()["results"]
    by_urn = client.get(search, {"q": "111222"}).json()["results"]
    by_postcode = client.get(search, {"q": "ch41 2"}).json()["results"]
    with_closed = client.get(search, {"q": "st marys", "closed": "1"}).json()["results"]

    assert [r["urn"] for r in by_name] == [marys.urn]
    assert by_name[0] == {
        "urn": 111222,
        "name": "St Mary’s C of E Primary School",
        "town": "Chester",
        "postcode": "CH41 2AB",
        "local_authority": "Cheshire West and Chester",
        "type": "Academy converter",
        "phase": "Primary",
        "open": True,
    }
    assert [r["urn"] for r in by_urn] == [111222]
    assert [r["urn"] for r in by_postcode] == [111222]
    assert len(with_closed) == 2


def test_a_search_asked_again_is_answered_from_the_cache_until_a_school_changes(
    client, django_assert_num_queries
):
    school = SchoolFactory(name="Oakfield Primary School")
    search = reverse("schools:school-search")
    client.get(search, {"q": "oakfield"})

    with django_assert_num_queries(0):
        again = client.get(search, {"q": "Oakfield"}).json()["results"]
    school.name = "Oakfield Church Primary School"
    school.save()
    renamed = client.get(search, {"q": "oakfield"}).json()["results"]

    assert [r["name"] for r in again] == ["Oakfield Primary School"]
    assert [r["name"] for r in renamed] == ["Oakfield Church Primary School"]


def test_a_gias_import_retires_the_kept_answers(client):
    SchoolFactory(name="Oakfield Primary School")
    search = reverse("schools:school-search")
    assert len(client.get(search, {"q": "oakfield"}).json()["results"]) == 1

    School.objects.update(status_code=School.Status.CLOSED)  # bulk, as an import writes
    extract = io.BytesIO()
    write_gias_file(extract, 3)
    record = GiasImport.objects.create(file_name="edubasealldata20261122.csv")
    gias_import_run(record=record, source=io.BytesIO(extract.getvalue()))

    assert client.get(search, {"q": "oakfield"}).json()["results"] == []


def test_a_search_too_short_to_mean_anything_returns_nothing(client):
    SchoolFactory()

    assert client.get(reverse("schools:school-search"), {"q": "o"}).json() == {"results": []}


# ---- Staff pages ----


@pytest.mark.parametrize(
    "url_name",
    ["schools:school-list", "schools:gias-import", "funding:eligibility-lists"],
)
def test_teachers_and_facilitators_cannot_reach_school_and_funding_pages(client, url_name):
    sign_in(client, UserFactory())
    assert client.get(reverse(url_name)).status_code == 403
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))
    assert client.get(reverse(url_name)).status_code == 403


def test_uploading_the_extract_imports_it_and_shows_the_counts(
    client, admin, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("edubasealldata20261122.csv", _extract(rows=60), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("schools:gias-import"), {"file": upload})
    response = client.get(response.url)

    record = GiasImport.objects.get()
    assert record.status == GiasImport.Status.DONE
    assert record.uploaded_by == admin
    assert School.objects.count() == 60
    page = response.content.decode()
    assert "Imported 60 establishments" in page
    assert "New schools" in page


def test_an_upload_with_a_bad_row_imports_nothing_and_says_which_row(
    client, admin, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("edubasealldata.csv", _extract(rows=60, bad_row=31), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("schools:gias-import"), {"file": upload})
    response = client.get(response.url)

    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Row 31 (URN 100029): NumberOfPupils “about 200” is not a whole number" in page
    assert not School.objects.exists()
    assert not default_storage.exists(GiasImport.objects.get().stored_path)  # upload removed


def test_a_file_that_is_not_an_extract_is_refused_on_the_form(client, admin):
    upload = SimpleUploadedFile("staff.csv", b"Name,Email\r\nJo,jo@example.org\r\n", "text/csv")

    response = client.post(reverse("schools:gias-import"), {"file": upload})

    assert response.status_code == 200
    assert "This is not a GIAS establishment extract" in response.content.decode()
    assert not GiasImport.objects.exists()


def test_the_school_list_searches_and_pages_in_a_fixed_number_of_queries(
    client, admin, django_assert_max_num_queries
):
    SchoolFactory.create_batch(40)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("schools:school-list"))
    searched = client.get(reverse("schools:school-list"), {"q": "oakfield primary 3"})

    assert len(response.context["object_list"]) == 25
    found = list(searched.context["object_list"])
    assert found and all("3" in school.name for school in found)


# ---- Eligibility lists ----


def _csv(text: str, name="pp50.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")


def test_uploading_a_list_replaces_the_current_one_and_keeps_the_old(client, admin):
    url = reverse("funding:eligibility-lists")

    client.post(url, {"kind": "pp50_schools", "file": _csv("URN,Name\r\n100001,A\r\n100002,B\r\n")})
    response = client.post(
        url,
        {"kind": "pp50_schools", "file": _csv("URN\r\n100003\r\n", "pp50-2027.csv")},
        follow=True,
    )

    versions = EligibilityList.objects.filter(kind="pp50_schools").order_by("uploaded_at", "pk")
    assert [(v.entry_count, v.is_current) for v in versions] == [(2, False), (1, True)]
    assert versions.last().uploaded_by == admin
    assert list(versions.last().entries.values_list("identifier", flat=True)) == ["100003"]
    assert "PP50 schools (by URN): 1 institutions, now current." in response.content.decode()


def test_a_list_with_a_bad_row_changes_nothing_and_says_which_row(client, admin):
    url = reverse("funding:eligibility-lists")
    client.post(url, {"kind": "rise", "file": _csv("URN\r\n100001\r\n")})

    response = client.post(url, {"kind": "rise", "file": _csv("URN\r\n100002\r\nabc\r\n")})

    assert "Row 3: “ABC” is not a URN. Nothing was uploaded." in response.content.decode()
    current = EligibilityList.objects.get(kind="rise", is_current=True)
    assert list(current.entries.values_list("identifier", flat=True)) == ["100001"]


def test_a_further_education_list_needs_ukprns(client, admin):
    response = client.post(
        reverse("funding:eligibility-lists"),
        {"kind": "pp50_further_education", "file": _csv("URN\r\n100001\r\n")},
    )

    assert "one called “UKPRN”" in response.content.decode()
    assert not EligibilityList.objects.exists()


@pytest.mark.parametrize("query", ["²²", "--", "''", "1234567890123"])
def test_odd_searches_return_nothing_rather_than_fail(client, query):
    SchoolFactory()

    response = client.get(reverse("schools:school-search"), {"q": query})

    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_a_running_import_shows_its_progress_and_refreshes(client, admin):
    record = GiasImport.objects.create(
        file_name="edubasealldata.csv", status=GiasImport.Status.IMPORTING, total_rows=50_000
    )
    from django.core.cache import cache

    from schools.services import gias_import_progress_key

    cache.set(gias_import_progress_key(record.pk), (12_000, 48_000))

    page = client.get(record.get_absolute_url()).content.decode()

    assert '<meta http-equiv="refresh" content="2">' in page
    assert "12,000 of 48,000 written" in page
    assert 'aria-valuenow="25"' in page


@pytest.mark.parametrize(
    ("role", "url_name"),
    [
        (Role.PROGRAMME_LEAD, "schools:gias-import"),
        (Role.PROGRAMME_LEAD, "funding:eligibility-lists"),
        (Role.FACILITATOR, "funding:funding-what-changes"),
        (Role.ASSESSOR, "schools:school-list"),
    ],
)
def test_staff_without_the_right_get_403(client, role, url_name):
    sign_in(client, StaffUserFactory(roles=[role]))

    assert client.get(reverse(url_name)).status_code == 403


def test_visitors_are_sent_to_sign_in_for_staff_pages(client):
    response = client.get(reverse("schools:gias-import"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_childcare_providers_are_uploaded_and_updated(client, admin):
    url = reverse("funding:childcare-provider-upload")
    first = "Ofsted URN,Name,Postcode\r\nEY123456,Little Acorns Nursery,CH1 1AA\r\n"
    second = "Ofsted URN,Name\r\nEY123456,Little Acorns Day Nursery\r\nEY654321,Jo Smith\r\n"

    client.post(url, {"provider-file": _csv(first, "ofsted.csv")})
    response = client.post(url, {"provider-file": _csv(second, "ofsted.csv")}, follow=True)

    from schools.models import PrivateChildcareProvider

    names = dict(PrivateChildcareProvider.objects.values_list("provider_urn", "name"))
    assert names == {"EY123456": "Little Acorns Day Nursery", "EY654321": "Jo Smith"}
    assert "Childcare providers: 1 added, 1 updated." in response.content.decode()


def test_a_bad_provider_row_uploads_nothing(client, admin):
    response = client.post(
        reverse("funding:childcare-provider-upload"),
        {"provider-file": _csv("Ofsted URN,Name\r\nEY1,A\r\nnot-a-urn,B\r\n")},
    )

    assert "Row 3: “NOT-A-URN” is not an Ofsted URN. Nothing was uploaded." in (
        response.content.decode()
    )
    from schools.models import PrivateChildcareProvider

    assert not PrivateChildcareProvider.objects.exists()


def test_school_search_finds_by_town_as_its_hint_says(client):
    SchoolFactory(name="Oakfield Primary School", town="Chester", urn=150001)
    SchoolFactory(name="Oakfield Academy", town="Leeds", urn=150002)
    SchoolFactory(name="Hoole Church of England Primary", town="Chester", urn=150003)

    def found(query):
        response = client.get(reverse("schools:school-search"), {"q": query})
        return sorted(school["urn"] for school in response.json()["results"])

    assert found("Chester") == [150001, 150003]
    assert found("oakfield chester") == [150001]
    assert found("Oakfield") == [150001, 150002]
