import pytest
from django.urls import reverse

from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, UserFactory, sign_in
from programmes.models import Course, Module, Programme
from programmes.services import catalogue_load

from .factories import ClinicFactory, CourseFactory, ModuleFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client):
    user = StaffUserFactory(roles=[Role.PROGRAMME_LEAD])
    sign_in(client, user)
    return user


def _programme_with_structure(courses=3, modules=3):
    programme = ProgrammeFactory()
    for _ in range(courses):
        course = CourseFactory(programme=programme)
        ModuleFactory.create_batch(modules, course=course)
        ClinicFactory(course=course)
    return programme


# ---- Public pages ----


@pytest.mark.parametrize("count", [10, 60])
def test_the_catalogue_renders_for_visitors_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, count
):
    ProgrammeFactory.create_batch(count)

    with django_assert_max_num_queries(3):
        response = client.get(reverse("programmes:programme-list"))

    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(count, 50)


def test_the_loaded_catalogue_is_grouped_by_family(client):
    catalogue_load()

    page = client.get(reverse("programmes:programme-list")).content.decode()

    headings = ["Leadership NPQs", "Specialist NPQs", "Support for new headteachers"]
    positions = [page.index(f">{heading}</h2>") for heading in headings]
    assert positions == sorted(positions)
    assert "Maths Hub programmes</h2>" in page
    assert "NPQ in Leading Primary Mathematics" in page


def test_the_catalogue_filters_by_family_phase_and_text(client):
    catalogue_load()
    url = reverse("programmes:programme-list")

    maths_hub = client.get(url, {"family": "maths_hub"}).context["object_list"]
    early_years = client.get(url, {"phase": "early_years"}).context["object_list"]
    mathematics = client.get(url, {"q": "mathematics"}).context["object_list"]
    nothing = client.get(url, {"q": "underwater basket weaving"})

    assert {p.family for p in maths_hub} == {"maths_hub"}
    assert all(p.for_early_years for p in early_years)
    assert "npq-early-years-leadership" in {p.slug for p in early_years}
    assert "npq-leading-primary-mathematics" in {p.slug for p in mathematics}
    assert nothing.context["object_list"] == []
    assert "No programmes match" in nothing.content.decode()


def test_an_unknown_filter_value_is_ignored_not_an_error(client):
    ProgrammeFactory()

    response = client.get(reverse("programmes:programme-list"), {"family": "nonsense"})

    assert response.status_code == 200
    assert len(response.context["object_list"]) == 1


@pytest.mark.parametrize("courses", [2, 12])
def test_a_programme_page_shows_its_outline_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, courses
):
    programme = _programme_with_structure(courses=courses)

    with django_assert_max_num_queries(5):
        response = client.get(programme.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert programme.who_for in page
    for course in programme.courses.all():
        assert course.title in page


def test_the_npqlpm_page_shows_everything_a_teacher_needs(client, settings):
    settings.HUB_CONTACT_EMAIL = "npq@generate.example"
    catalogue_load()
    npqlpm = Programme.objects.get(slug="npq-leading-primary-mathematics")

    page = client.get(npqlpm.get_absolute_url()).content.decode()

    for text in [
        "Who it is for",
        "Before you apply",
        "Programme outline",
        "Course 1: Culture and Learning",
        "Simple model of memory",
        "Assessment Preparation Package",
        "Why the courses come in this order",
        "Funding",
        "No cohorts are open for applications",
        "mailto:npq@generate.example?subject=Register%20interest%3A%20NPQLPM",
    ]:
        assert text in page, text


def test_a_retired_programme_leaves_the_public_catalogue(client):
    programme = ProgrammeFactory(status="retired", retired_at="2026-09-01T09:00Z")

    assert client.get(programme.get_absolute_url()).status_code == 404
    assert client.get(reverse("programmes:programme-list")).context["object_list"] == []


# ---- Staff editing ----


STAFF_URLS = [
    ("programmes:staff-programme-list", {}),
    ("programmes:programme-create", {}),
    ("programmes:staff-programme-detail", {"slug": "SLUG"}),
    ("programmes:programme-update", {"slug": "SLUG"}),
    ("programmes:programme-retire", {"slug": "SLUG"}),
    ("programmes:course-create", {"slug": "SLUG"}),
    ("programmes:course-update", {"pk": "COURSE"}),
    ("programmes:course-delete", {"pk": "COURSE"}),
    ("programmes:module-create", {"pk": "COURSE"}),
    ("programmes:clinic-create", {"pk": "COURSE"}),
]


def _staff_url(name, kwargs, course):
    values = {"SLUG": course.programme.slug, "COURSE": course.pk}
    return reverse(name, kwargs={key: values[value] for key, value in kwargs.items()})


@pytest.mark.parametrize(("name", "kwargs"), STAFF_URLS)
def test_teachers_and_facilitators_cannot_reach_catalogue_editing(client, name, kwargs):
    course = CourseFactory()
    url = _staff_url(name, kwargs, course)

    sign_in(client, UserFactory())
    assert client.get(url).status_code == 403
    sign_in(client, StaffUserFactory(roles=[Role.FACILITATOR]))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(("name", "kwargs"), STAFF_URLS)
def test_programme_leads_reach_every_catalogue_editing_page(client, lead, name, kwargs):
    course = CourseFactory()

    assert client.get(_staff_url(name, kwargs, course)).status_code == 200


def test_moving_is_refused_to_teachers_and_changes_nothing(client):
    course = CourseFactory(position=1)
    CourseFactory(programme=course.programme, position=0)
    sign_in(client, UserFactory())

    response = client.post(reverse("programmes:course-move", args=[course.pk]), {"direction": "up"})

    assert response.status_code == 403
    course.refresh_from_db()
    assert course.position == 1


@pytest.mark.parametrize("courses", [2, 12])
def test_the_staff_structure_page_has_a_fixed_number_of_queries(
    client, lead, django_assert_max_num_queries, courses
):
    programme = _programme_with_structure(courses=courses)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("programmes:staff-programme-detail", args=[programme.slug]))

    assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 40])
def test_the_staff_programme_list_has_a_fixed_number_of_queries(
    client, lead, django_assert_max_num_queries, count
):
    ProgrammeFactory.create_batch(count)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("programmes:staff-programme-list"))

    assert len(response.context["object_list"]) == min(count, 25)


def test_a_lead_adds_a_programme_then_its_course_module_and_clinic(client, lead):
    response = client.post(
        reverse("programmes:programme-create"),
        {
            "name": "Mathematics Subject Leadership",
            "short_name": "MSL",
            "slug": "maths-hub-subject-leadership-secondary",
            "family": "maths_hub",
            "for_secondary": "on",
            "summary": "For secondary maths leads.",
            "who_for": "Heads of mathematics in secondary schools.",
            "content_source": "hub",
        },
    )
    programme = Programme.objects.get(slug="maths-hub-subject-leadership-secondary")
    assert response.url == reverse("programmes:staff-programme-detail", args=[programme.slug])
    assert programme.edited_by == lead

    client.post(
        reverse("programmes:course-create", args=[programme.slug]),
        {"kind": "course", "title": "Leading the department"},
    )
    course = programme.courses.get()
    client.post(
        reverse("programmes:module-create", args=[course.pk]),
        {"title": "Curriculum coherence", "format": "study_and_apply"},
    )
    client.post(reverse("programmes:clinic-create", args=[course.pk]), {"title": "Clinic 1"})

    assert course.modules.get().title == "Curriculum coherence"
    assert course.clinics.get().title == "Clinic 1"
    assert client.get(programme.get_absolute_url()).status_code == 200


def test_a_programme_form_with_errors_saves_nothing_and_says_why(client, lead):
    existing = ProgrammeFactory(slug="npq-headship")

    response = client.post(
        reverse("programmes:programme-create"),
        {"name": "Headship again", "slug": "npq-headship", "family": "leadership"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Programme with this Slug already exists" in page
    assert "This field is required" in page
    assert list(Programme.objects.all()) == [existing]


def test_editing_a_module_and_reordering_through_the_pages(client, lead):
    course = CourseFactory()
    first = ModuleFactory(course=course, title="Introduce", position=0)
    second = ModuleFactory(course=course, title="Adapt", position=1)

    client.post(
        reverse("programmes:module-update", args=[second.pk]),
        {"title": "Adapt and scaffold", "format": "study_and_apply"},
    )
    response = client.post(reverse("programmes:module-move", args=[second.pk]), {"direction": "up"})

    assert response.status_code == 302
    assert response.url.endswith(f"#module-{second.pk}")
    assert list(course.modules.order_by("position").values_list("title", flat=True)) == [
        "Adapt and scaffold",
        "Introduce",
    ]
    first.refresh_from_db()
    assert first.position == 1


def test_moving_the_first_course_up_shows_a_message_and_changes_nothing(client, lead):
    course = CourseFactory(position=0)

    response = client.post(
        reverse("programmes:course-move", args=[course.pk]), {"direction": "up"}, follow=True
    )

    assert "is already first" in response.content.decode()
    course.refresh_from_db()
    assert course.position == 0


def test_deleting_a_course_through_the_pages(client, lead):
    course = CourseFactory()
    ModuleFactory(course=course)

    response = client.post(reverse("programmes:course-delete", args=[course.pk]))

    assert response.status_code == 302
    assert not Course.objects.exists()
    assert not Module.objects.exists()


def test_retiring_and_reinstating_through_the_pages(client, lead):
    programme = ProgrammeFactory()

    response = client.post(reverse("programmes:programme-retire", args=[programme.slug]), {})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()

    client.post(
        reverse("programmes:programme-retire", args=[programme.slug]),
        {"reason": "Not running it in 2027"},
    )
    programme.refresh_from_db()
    assert programme.status == Programme.Status.RETIRED

    client.post(reverse("programmes:programme-reinstate", args=[programme.slug]))
    programme.refresh_from_db()
    assert programme.status == Programme.Status.OFFERED


def test_a_staff_edit_is_kept_when_the_catalogue_is_loaded_again(client, lead):
    catalogue_load()
    headship = Programme.objects.get(slug="npq-headship")
    data = {
        field: getattr(headship, field)
        for field in ["name", "short_name", "slug", "course_identifier", "family", "summary"]
    }
    data.update(who_for="Aspiring heads in our trust.", content_source="source_pages")
    data.update({"for_primary": "on", "length": "18 months", "length_months": 18})

    client.post(reverse("programmes:programme-update", args=[headship.slug]), data)
    report = catalogue_load()

    headship.refresh_from_db()
    assert headship.who_for == "Aspiring heads in our trust."
    assert report.kept_staff_edits == ["npq-headship"]


def test_the_django_admin_lists_programmes_for_leads(client, lead):
    ProgrammeFactory(name="NPQ in Headship")

    response = client.get("/admin/programmes/programme/")

    assert response.status_code == 200
    assert "NPQ in Headship" in response.content.decode()


def test_a_programmes_address_cannot_be_changed_by_editing(client, lead):
    programme = ProgrammeFactory(slug="npq-headship")
    data = {
        "name": programme.name,
        "short_name": programme.short_name,
        "slug": "somewhere-else",
        "family": programme.family,
        "summary": programme.summary,
        "who_for": programme.who_for,
        "content_source": "source_pages",
    }

    client.post(reverse("programmes:programme-update", args=[programme.slug]), data)

    programme.refresh_from_db()
    assert programme.slug == "npq-headship"
