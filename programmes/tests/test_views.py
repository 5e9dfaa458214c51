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
    assert list(nothing.context["object_list"]) == []
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
        "/mailing-list/?programme=npq-leading-primary-mathematics",
        "mailto:npq@generate.example",
    ]:
        assert text in page, text


def test_a_retired_programme_leaves_the_public_catalogue(client):
    programme = ProgrammeFactory(status="retired", retired_at="2026-09-01T09:00Z")

    assert client.get(programme.get_absolute_url()).status_code == 404
    assert list(client.get(reverse("programmes:programme-list")).context["object_list"]) == []


# ---- Staff editing ----


def _every_url(course, module, clinic) -> list[tuple[str, str]]:
    """(name, url) for every URL of the app, built from the URL patterns themselves."""
    from django.urls import get_resolver

    from programmes import urls

    values = {
        "slug": course.programme.slug,
        "course": course.pk,
        "module": module.pk,
        "clinic": clinic.pk,
    }
    built = []
    for pattern in urls.urlpatterns:
        name = pattern.name
        keys = get_resolver(urls).reverse_dict.getlist(name)[0][0][0][1]
        kwargs = {}
        for key in keys:
            if key == "slug":
                kwargs[key] = values["slug"]
            else:  # pk of the item named in the URL (or of the course a new item joins)
                item = name.split("-")[0]
                kwargs[key] = values[
                    item if name.endswith(("update", "delete", "move")) else "course"
                ]
        built.append((name, reverse(f"programmes:{name}", kwargs=kwargs)))
    return built


PUBLIC_URLS = {"programme-list", "programme-detail"}


@pytest.fixture
def every_url():
    module = ModuleFactory()
    clinic = ClinicFactory(course=module.course)
    return _every_url(module.course, module, clinic)


def test_the_access_matrix_covers_every_url_of_the_app(every_url):
    from programmes import urls

    assert len(every_url) == len(urls.urlpatterns) == 23


@pytest.mark.parametrize(
    "role", [None, Role.FACILITATOR, Role.ASSESSOR, Role.SCHOOL_LEADER, "teacher"]
)
def test_only_catalogue_editors_reach_the_staff_pages_get_or_post(client, every_url, role):
    if role == "teacher":
        sign_in(client, UserFactory())
    elif role is not None:
        sign_in(client, StaffUserFactory(roles=[role]))
    before = list(Programme.objects.values())

    for name, url in every_url:
        for method in (client.get, client.post):
            response = method(url)
            if name in PUBLIC_URLS:
                assert response.status_code in {200, 405}, (name, method)
            elif role is None:
                assert response.status_code == 302, (name, method)
                assert response.url.startswith(reverse("account_login"))
            else:
                assert response.status_code == 403, (role, name, method)

    assert list(Programme.objects.values()) == before


@pytest.mark.parametrize("role", [Role.PROGRAMME_LEAD, Role.HUB_ADMINISTRATOR])
def test_catalogue_editors_reach_every_page(client, every_url, role):
    sign_in(client, StaffUserFactory(roles=[role]))

    for name, url in every_url:
        if name.endswith(("move", "reinstate")):
            continue  # POST only
        assert client.get(url).status_code == 200, name


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


def test_an_identifier_dfe_does_not_use_is_refused_on_the_field(client, lead):
    response = client.post(
        reverse("programmes:programme-create"),
        {
            "name": "Headship",
            "short_name": "NPQH",
            "slug": "headship",
            "course_identifier": "NPQ-Headteachers",
            "family": "leadership",
            "summary": "x",
            "who_for": "x",
            "content_source": "hub",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["course_identifier"] == [
        "Use one of DfE's NPQ course identifiers, e.g. npq-headship, or leave it blank for a "
        "programme that is not an NPQ."
    ]
    assert not Programme.objects.exists()


def test_a_second_programme_with_the_same_identifier_is_refused_on_the_field(client, lead):
    ProgrammeFactory(name="NPQ in Headship", course_identifier="npq-headship")

    response = client.post(
        reverse("programmes:programme-create"),
        {
            "name": "Headship (trust cohort)",
            "short_name": "NPQH",
            "slug": "npq-headship-trust",
            "course_identifier": "npq-headship",
            "family": "leadership",
            "summary": "x",
            "who_for": "x",
            "content_source": "hub",
        },
    )

    assert "already has this identifier" in response.context["form"].errors["course_identifier"][0]
    assert Programme.objects.count() == 1


def test_saving_without_changes_does_not_mark_a_programme_as_edited(client, lead):
    catalogue_load()
    headship = Programme.objects.get(slug="npq-headship")
    form_data = {
        key: value
        for key, value in client.get(reverse("programmes:programme-update", args=["npq-headship"]))
        .context["form"]
        .initial.items()
        if value not in (None, False)
    }
    form_data = {key: ("on" if value is True else value) for key, value in form_data.items()}

    response = client.post(
        reverse("programmes:programme-update", args=["npq-headship"]), form_data, follow=True
    )

    assert "Nothing was changed" in response.content.decode()
    headship.refresh_from_db()
    assert headship.edited_at is None


def test_a_bad_filter_value_keeps_the_search(client):
    catalogue_load()

    response = client.get(
        reverse("programmes:programme-list"), {"q": "headship", "family": "nonsense"}
    )

    slugs = {programme.slug for programme in response.context["object_list"]}
    assert "npq-headship" in slugs
    assert "npq-leading-primary-mathematics" not in slugs


def test_deleting_a_course_in_the_django_admin_marks_the_programme_as_edited(client, lead):
    course = CourseFactory()

    response = client.post(f"/admin/programmes/course/{course.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Course.objects.exists()
    course.programme.refresh_from_db()
    assert course.programme.edited_by == lead


def test_programmes_cannot_be_deleted_in_the_django_admin(client, lead):
    programme = ProgrammeFactory()

    response = client.post(f"/admin/programmes/programme/{programme.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Programme.objects.filter(pk=programme.pk).exists()


def test_a_lead_sets_the_days_each_module_phase_gets_and_blank_keeps_them(client, lead):
    programme = ProgrammeFactory()
    url = reverse("programmes:programme-update", args=[programme.slug])
    data = {
        "name": programme.name,
        "short_name": programme.short_name,
        "family": programme.family,
        "summary": programme.summary,
        "who_for": programme.who_for,
        "content_source": "source_pages",
    }

    client.post(url, {**data, "module_phase_days": 6})
    programme.refresh_from_db()
    assert programme.module_phase_days == 6
    client.post(url, {**data, "module_phase_days": "", "aims": "Changed"})
    response = client.post(url, {**data, "module_phase_days": 0})

    programme.refresh_from_db()
    assert programme.module_phase_days == 6
    assert "greater than or equal to 1" in response.context["form"].errors["module_phase_days"][0]
