"""A default term-date calendar for England, 2025/26 to 2027/28, so generated timetables avoid
the usual school holidays before staff enter their own local authority's. The dates are typical
ones, not any authority's: staff check them (Term dates, in the staff area) against the
authorities their cohorts' schools are in. Copied here, not imported, so the migration never
changes."""

import datetime

from django.db import migrations

NAME = "England (typical dates: check against your local authority)"
D = datetime.date
HOLIDAYS = [
    ("Summer holidays", D(2025, 7, 23), D(2025, 9, 2)),
    # 2025/26
    ("Autumn half term", D(2025, 10, 27), D(2025, 10, 31)),
    ("Christmas holidays", D(2025, 12, 22), D(2026, 1, 2)),
    ("February half term", D(2026, 2, 16), D(2026, 2, 20)),
    ("Easter holidays", D(2026, 3, 30), D(2026, 4, 10)),
    ("May half term", D(2026, 5, 25), D(2026, 5, 29)),
    ("Summer holidays", D(2026, 7, 22), D(2026, 9, 1)),
    # 2026/27
    ("Autumn half term", D(2026, 10, 26), D(2026, 10, 30)),
    ("Christmas holidays", D(2026, 12, 21), D(2027, 1, 1)),
    ("February half term", D(2027, 2, 15), D(2027, 2, 19)),
    ("Easter holidays", D(2027, 3, 29), D(2027, 4, 9)),
    ("May half term", D(2027, 5, 31), D(2027, 6, 4)),
    ("Summer holidays", D(2027, 7, 21), D(2027, 9, 1)),
    # 2027/28
    ("Autumn half term", D(2027, 10, 25), D(2027, 10, 29)),
    ("Christmas holidays", D(2027, 12, 20), D(2027, 12, 31)),
    ("February half term", D(2028, 2, 14), D(2028, 2, 18)),
    ("Easter holidays", D(2028, 4, 10), D(2028, 4, 21)),
    ("May half term", D(2028, 5, 29), D(2028, 6, 2)),
    ("Summer holidays", D(2028, 7, 21), D(2028, 8, 31)),
]


def add_default_calendar(apps, schema_editor):
    TermDateCalendar = apps.get_model("cohorts", "TermDateCalendar")
    SchoolHoliday = apps.get_model("cohorts", "SchoolHoliday")
    if TermDateCalendar.objects.filter(is_default=True).exists():
        return
    calendar = TermDateCalendar.objects.create(
        name=NAME,
        is_default=True,
        notes=(
            "Typical dates for a school in England, added when term dates came in: they are "
            "not any local authority's. Check them against the authorities your cohorts' "
            "schools are in, or add a calendar for an authority and choose it on the cohort."
        ),
    )
    SchoolHoliday.objects.bulk_create(
        SchoolHoliday(calendar=calendar, name=name, starts_on=starts, ends_on=ends)
        for name, starts, ends in HOLIDAYS
    )


def remove_default_calendar(apps, schema_editor):
    TermDateCalendar = apps.get_model("cohorts", "TermDateCalendar")
    Cohort = apps.get_model("cohorts", "Cohort")
    calendars = TermDateCalendar.objects.filter(name=NAME)
    Cohort.objects.filter(term_calendar__in=calendars).update(term_calendar=None)
    calendars.delete()  # its holidays go with it


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0003_term_dates"),
    ]

    operations = [
        migrations.RunPython(add_default_calendar, remove_default_calendar),
    ]
