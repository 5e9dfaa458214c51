"""Schools' earlier Work Group years imported from a CSV: good rows recorded, bad rows reported
with the reason, a file that is not a CSV refused with nothing changed, and the pages."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from npq_portal.roles import Role
from npq_portal.tests.factories import StaffUserFactory, sign_in
from programmes.models import Programme
from programmes.tests.factories import ProgrammeFactory
from schools.models import ProgrammeHistoryImport, SchoolProgrammeYear
from schools.services import (
    programme_history_import,
    programme_year_record,
    school_year_parse,
)
from schools.tests.factories import SchoolFactory, bulk_schools

pytestmark = pytest.mark.django_db

HEADER = "URN,Programme,School year,Completed\n"


@pytest.fixture
def development():
    return ProgrammeFactory(
        slug="maths-hub-primary-development-work-group",
        short_name="Development Work Group",
        name="Primary Development Work Group (Teaching for Mastery)",
        family=Programme.Family.MATHS_HUB,
    )


@pytest.fixture
def embedding():
    return ProgrammeFactory(
        slug="maths-hub-teaching-for-mastery-embedding",
        short_name="Embedding",
        name="Teaching for Mastery Embedding",
        family=Programme.Family.MATHS_HUB,
    )


def _import(text: str, by=None, name="history.csv") -> ProgrammeHistoryImport:
    return programme_history_import(source=io.BytesIO(text.encode("utf-8")), file_name=name, by=by)


def _years():
    return set(
        SchoolProgrammeYear.objects.values_list(
            "school__urn", "programme__short_name", "academic_year", "status", "source"
        )
    )


def test_good_rows_record_each_schools_imported_year_completed_or_not(development, embedding):
    oakfield, beech = SchoolFactory(urn=100001), SchoolFactory(urn=100002)

    record = _import(
        HEADER + "100001,Development Work Group,2023/24,yes\n"
        "100001,maths-hub-teaching-for-mastery-embedding,2024-25,No\n"
        "100002,teaching for mastery embedding,2024,TRUE\n"
    )

    assert (record.rows, record.created_count, record.updated_count) == (3, 3, 0)
    assert record.report == []
    assert _years() == {
        (100001, "Development Work Group", 2023, "completed", "imported"),
        (100001, "Embedding", 2024, "not_completed", "imported"),
        (100002, "Embedding", 2024, "completed", "imported"),
    }
    assert set(SchoolProgrammeYear.objects.values_list("history_import", flat=True)) == {record.pk}
    assert oakfield.programme_years.count() == 2 and beech.programme_years.count() == 1


def test_other_spellings_of_the_header_and_values_are_read(development):
    SchoolFactory(urn=100001)

    record = _import(
        "school_urn, Programme Name ,Academic Year,COMPLETED\n"
        '100001,"DEVELOPMENT WORK GROUP",2022/2023,1\n'
    )

    assert record.created_count == 1
    assert _years() == {(100001, "Development Work Group", 2022, "completed", "imported")}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("999999,Embedding,2024/25,yes", "No school has URN 999999."),
        ("abc,Embedding,2024/25,yes", "“abc” is not a URN."),
        ("100001,Mastering Numbers,2024/25,yes", "No programme is called “Mastering Numbers”."),
        ("100001,Embedding,24/25,yes", "“24/25” is not a school year such as 2024/25."),
        ("100001,Embedding,2024/26,yes", "“2024/26” is not a school year such as 2024/25."),
        ("100001,Embedding,1999/00,yes", "1999/00 is not a past or current school year."),
        ("100001,Embedding,2099/00,yes", "2099/00 is not a past or current school year."),
        ("100001,Embedding,2024/25,maybe", "“maybe” is not yes or no for Completed."),
        (
            "999999,Nothing,2024/25,",
            "No school has URN 999999; no programme is called “Nothing”; “” is not yes or no "
            "for Completed.",
        ),
    ],
)
def test_a_bad_row_is_not_imported_and_is_reported_with_why(embedding, row, reason):
    SchoolFactory(urn=100001)

    record = _import(HEADER + "100001,Embedding,2023/24,yes\n" + row + "\n")

    assert record.created_count == 1
    assert len(record.report) == 1
    reported = record.report[0]
    assert reported["row"] == 3
    assert reported["reason"] == reason
    urn, programme, year, completed = row.split(",")
    assert (reported["urn"], reported["programme"]) == (urn, programme)
    assert (reported["school_year"], reported["completed"]) == (year, completed)
    assert SchoolProgrammeYear.objects.count() == 1


def test_a_bad_row_does_not_stop_a_corrected_copy_of_it_further_down(embedding):
    SchoolFactory(urn=100001)

    record = _import(HEADER + "100001,Embedding,2023/24,maybe\n100001,Embedding,2023/24,yes\n")

    assert record.created_count == 1
    assert [row["reason"] for row in record.report] == ["“maybe” is not yes or no for Completed."]
    assert _years() == {(100001, "Embedding", 2023, "completed", "imported")}


def test_a_row_repeating_an_earlier_one_is_reported_and_the_first_is_kept(embedding):
    SchoolFactory(urn=100001)

    record = _import(
        HEADER + "100001,Embedding,2023/24,yes\n"
        "\n"  # blank lines are skipped, not reported
        "100001,embedding,2023,no\n"
    )

    assert record.created_count == 1
    assert record.report == [
        {
            "row": 4,
            "urn": "100001",
            "programme": "embedding",
            "school_year": "2023",
            "completed": "no",
            "reason": "It repeats row 2.",
        }
    ]
    assert _years() == {(100001, "Embedding", 2023, "completed", "imported")}


def test_a_name_two_programmes_share_is_refused_for_the_slug(embedding):
    ProgrammeFactory(short_name="Embedding", slug="another-embedding")
    SchoolFactory(urn=100001)

    record = _import(HEADER + "100001,Embedding,2023/24,yes\n")

    assert record.report[0]["reason"].startswith("Several programmes are called “Embedding”")
    assert not SchoolProgrammeYear.objects.exists()


def test_importing_the_same_file_again_changes_nothing_and_counts_it_unchanged(embedding):
    SchoolFactory(urn=100001)
    SchoolFactory(urn=100002)
    text = HEADER + "100001,Embedding,2023/24,yes\n100002,Embedding,2023/24,no\n"
    first = _import(text)
    before = list(SchoolProgrammeYear.objects.values_list("pk", "status", "history_import"))

    again = _import(text)

    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    after = list(SchoolProgrammeYear.objects.values_list("pk", "status", "history_import"))
    assert after == before
    assert {pk for *_, pk in after} == {first.pk}


def test_a_corrected_file_updates_the_year_it_names(embedding):
    SchoolFactory(urn=100001)
    _import(HEADER + "100001,Embedding,2023/24,no\n")

    corrected = _import(HEADER + "100001,Embedding,2023/24,yes\n")

    assert (corrected.created_count, corrected.updated_count) == (0, 1)
    year = SchoolProgrammeYear.objects.get()
    assert (year.status, year.history_import) == ("completed", corrected)


def test_an_imported_year_sits_beside_the_schools_year_in_the_portal(embedding):
    school = SchoolFactory(urn=100001)
    programme_year_record(
        school=school, programme=embedding, academic_year=2024, status="taking_part"
    )

    _import(HEADER + "100001,Embedding,2024/25,no\n")

    assert _years() == {
        (100001, "Embedding", 2024, "taking_part", "portal"),
        (100001, "Embedding", 2024, "not_completed", "imported"),
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 a report", "This file is a PDF, not a CSV"),
        (b"PK\x03\x04 workbook", "a ZIP archive"),
        (b"URN\x00,Programme", "not text"),
        (b"", "The file is empty. Nothing was imported."),
        (b"\n\n", "The file is empty. Nothing was imported."),
        (b"URN,Programme,Completed\n100001,Embedding,yes\n", "no “School year” column"),
        (b"School,Year\nOakfield,2024\n", "no “URN”, “Programme”, “Completed” column"),
        (HEADER.encode(), "The file has no rows under its header. Nothing was imported."),
    ],
)
def test_a_file_that_is_not_a_history_csv_is_refused_and_changes_nothing(
    embedding, content, message
):
    SchoolFactory(urn=100001)
    _import(HEADER + "100001,Embedding,2023/24,no\n")
    before = _years()

    with pytest.raises(ValidationError, match=message):
        programme_history_import(source=io.BytesIO(content), file_name="bad.csv", by=None)

    assert ProgrammeHistoryImport.objects.count() == 1
    assert _years() == before


def test_a_file_excel_saved_as_windows_1252_is_read(embedding):
    SchoolFactory(urn=100001)

    record = programme_history_import(
        source=io.BytesIO((HEADER + "100001,Embedding,2023/24,yes\n").encode("cp1252")),
        file_name="history.csv",
        by=None,
    )

    assert record.created_count == 1


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2024/25", 2024),
        ("2024-25", 2024),
        ("2024 / 2025", 2024),
        ("2024", 2024),
        ("1999/00", 1999),
    ],
)
def test_school_years_are_read_in_the_ways_people_write_them(text, year):
    assert school_year_parse(text) == year


@pytest.mark.parametrize("text", ["2024/24", "2024/2026", "24", "twenty", "", "2024/25/26"])
def test_a_school_year_that_is_not_one_is_none(text):
    assert school_year_parse(text) is None


# ---- The pages ----


@pytest.fixture
def admin(client):
    user = StaffUserFactory(roles=[Role.HUB_ADMINISTRATOR])
    sign_in(client, user)
    return user


def _upload(text: str | bytes, name="history.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, "text/csv")


def test_staff_import_a_file_and_see_the_rows_not_imported(client, admin, embedding):
    SchoolFactory(urn=100001)
    text = HEADER + "100001,Embedding,2023/24,yes\n999999,Embedding,2023/24,yes\n"

    response = client.post(reverse("schools:history-import"), {"file": _upload(text)})

    record = ProgrammeHistoryImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("schools:history-import-detail", args=[record.pk])
    assert record.uploaded_by == admin
    page = client.get(response["Location"]).content.decode()
    assert "No school has URN 999999." in page
    assert "Download these rows (CSV)" in page


def test_the_rows_not_imported_download_as_a_csv_to_correct(client, admin, embedding):
    record = _import(HEADER + "999999,Embedding,2023/24,yes\n123,=cmd(),2023/24,yes\n")

    response = client.get(reverse("schools:history-import-rejects", args=[record.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["URN", "Programme", "School year", "Completed", "Row", "Why not imported"]
    assert rows[1] == ["999999", "Embedding", "2023/24", "yes", "2", "No school has URN 999999."]
    assert rows[2][1] == "'=cmd()"  # a formula in a cell shows as typed


def test_a_file_that_is_not_a_csv_is_refused_on_the_page(client, admin, embedding):
    response = client.post(
        reverse("schools:history-import"), {"file": _upload(b"%PDF-1.7", name="years.csv")}
    )

    assert response.status_code == 200
    assert "This file is a PDF, not a CSV" in response.content.decode()
    assert not ProgrammeHistoryImport.objects.exists()


def test_a_file_with_the_wrong_columns_is_refused_on_the_page(client, admin, embedding):
    response = client.post(reverse("schools:history-import"), {"file": _upload("URN\n1\n")})

    assert response.status_code == 200
    assert "The first row must name the columns" in response.content.decode()
    assert not ProgrammeHistoryImport.objects.exists()


def test_the_list_of_imports_is_a_fixed_number_of_queries(
    client, admin, embedding, django_assert_max_num_queries
):
    SchoolFactory(urn=100001)
    for _ in range(12):
        _import(HEADER + "100001,Embedding,2023/24,yes\n1,Embedding,2023/24,no\n", by=admin)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("schools:history-import-list"))

    assert response.status_code == 200
    assert len(response.context["object_list"]) == 12
    assert response.content.decode().count("history.csv") == 12


def test_a_schools_history_shows_portal_and_imported_years_in_words(
    client, admin, embedding, development, django_assert_max_num_queries
):
    school = SchoolFactory(urn=100001)
    programme_year_record(
        school=school, programme=embedding, academic_year=2024, status="taking_part"
    )
    for year in range(2010, 2022):
        _import(HEADER + f"100001,Development Work Group,{year},no\n")
    _import(HEADER + "100001,Development Work Group,2023/24,yes\n", name="hub-2024.csv")

    with django_assert_max_num_queries(10):
        response = client.get(reverse("schools:school-history", args=[school.urn]))

    page = response.content.decode()
    assert len(response.context["object_list"]) == 14
    assert "2024/25" in page and "Taking part" in page and "A place in the portal" in page
    assert "2023/24" in page and "Completed" in page and "hub-2024.csv" in page
    assert "Did not complete" in page and "Imported by staff" in page


def test_the_school_pages_link_to_its_history(client, admin):
    school = SchoolFactory(urn=100001)

    listed = client.get(reverse("schools:school-list")).content.decode()
    leaders = client.get(reverse("schools:school-leaders", args=[school.urn])).content.decode()

    history = reverse("schools:school-history", args=[school.urn])
    assert history in listed and history in leaders


def test_a_programme_lead_sees_a_schools_history_but_cannot_import(client):
    sign_in(client, StaffUserFactory(roles=[Role.PROGRAMME_LEAD]))
    school = SchoolFactory(urn=100001)

    assert client.get(reverse("schools:school-history", args=[school.urn])).status_code == 200
    assert client.get(reverse("schools:history-import")).status_code == 403


def test_a_file_of_many_schools_is_imported_and_imported_again_unchanged(embedding):
    schools = bulk_schools(1200)
    text = HEADER + "".join(f"{school.urn},Embedding,2023/24,yes\n" for school in schools)

    first = _import(text)
    again = _import(text)

    assert (first.created_count, first.report) == (1200, [])
    assert (again.created_count, again.unchanged_count) == (0, 1200)
