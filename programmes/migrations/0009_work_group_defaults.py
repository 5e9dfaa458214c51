"""The catalogue's Maths Hub Work Groups become school-team programmes with the set-up of
shared/MATHS_HUBS.md (role slots, prerequisites, completion, commitment, grants), on databases
loaded before the loader knew it: each one that has no role slots yet and no staff edits. Its
review note asks staff to check it. Values copied here, not imported: a migration must not
change when programmes/catalogue.py does.

Going back undoes it on the programmes it marked that no school has signed up a team in (one
that has keeps its set-up, which is in use): their slots, conditions and grants go, and who
takes part returns to individual teachers."""

from django.db import migrations
from django.db.models import ProtectedError

NOTE = (
    "Its Work Group set-up (role slots, prerequisites, completion, commitment and grants) was "
    "set from the Maths Hubs' public pages: check it for this year."
)
MASTERING_NUMBER = "maths-hub-mastering-number"
DEVELOPMENT = "maths-hub-primary-development-work-group"
EMBEDDING = "maths-hub-teaching-for-mastery-embedding"
SUSTAINING = "maths-hub-teaching-for-mastery-sustaining"
READINESS = "maths-hub-primary-mastery-readiness"
SPECIALIST = "maths-hub-primary-mastery-specialist"
COVER = "Towards the cost of cover"
HEADTEACHER = ("Headteacher", "supporting", False, 1, "")

# slug: (team_leads_min, completion_sessions, completion_needs_action_plan, priority,
#        commitment, slots (label, kind, required, people, hint),
#        conditions (kind, slugs, or_previous), grants (year, amount, purpose))
WORK_GROUPS = {
    MASTERING_NUMBER: (
        1,
        4,
        False,
        "disadvantage",
        "Up to three lead teachers (Reception, Year 1 and Year 2; a small school may name one "
        "or two) take part in one central live session and one local hub session each term, "
        "and teach a daily 10 to 15 minute Mastering Number session to their class. The maths "
        "lead and the headteacher support the work in school.\n\n"
        "The programme is fully funded, with free resources for each class.",
        (
            ("Reception lead teacher", "lead", False, 1, ""),
            ("Year 1 lead teacher", "lead", False, 1, ""),
            ("Year 2 lead teacher", "lead", False, 1, ""),
            ("Maths lead", "supporting", False, 1, ""),
            HEADTEACHER,
        ),
        (("never_taken_part", (MASTERING_NUMBER,), False),),
        (),
    ),
    DEVELOPMENT: (
        2,
        4,
        True,
        "arrival",
        "Two lead teachers take part in six half-day workshops with a Mastery Specialist, and "
        "try the approaches in class between them (gap tasks). The Specialist visits the "
        "school each term, and the headteacher works with them on the school's action plan. "
        "Expect at least ten days' release between the two teachers; the hub pays £1,000 "
        "towards the cost of cover.",
        (
            ("Lead teacher", "lead", True, 1, ""),
            ("Second lead teacher", "lead", True, 1, ""),
            HEADTEACHER,
        ),
        (("never_taken_part", (DEVELOPMENT,), False),),
        ((2025, 1000, COVER), (2026, 1000, COVER)),
    ),
    EMBEDDING: (
        2,
        4,
        False,
        "arrival",
        "Usually the same two lead teachers as in Development take part in six workshops with "
        "the same Mastery Specialist and group, and between them spread teaching for mastery "
        "across the school (gap tasks). The school's leadership team, including the "
        "headteacher, is involved throughout.",
        (
            ("Lead teacher", "lead", True, 1, ""),
            ("Second lead teacher", "lead", True, 1, ""),
            HEADTEACHER,
        ),
        (("completed_any", (DEVELOPMENT,), False),),
        (),
    ),
    SUSTAINING: (
        1,
        4,
        True,
        "arrival",
        "The school's lead participant, normally the maths lead, takes part in six workshops "
        "that the schools host in turn, and keeps the school's action plan; other teachers "
        "join some of the workshops.",
        (
            (
                "Maths lead",
                "lead",
                True,
                1,
                "The school's lead participant, normally its maths lead.",
            ),
            (
                "Wider staff",
                "supporting",
                False,
                6,
                "Other teachers who join some of the workshops.",
            ),
        ),
        (
            ("completed_any", (DEVELOPMENT, EMBEDDING), False),
            ("taken_part_any", (SPECIALIST,), True),
        ),
        (),
    ),
    READINESS: (
        2,
        None,
        False,
        "arrival",
        "Two teachers, one of them the maths lead, take part in the workshops, and the school "
        "receives about six support visits over about a year. The headteacher attends at "
        "least the first workshop. It is free, but the school releases its staff to take "
        "part.",
        (
            ("Maths lead", "lead", True, 1, ""),
            ("Second teacher", "lead", True, 1, ""),
            ("Headteacher", "supporting", True, 1, "Attends at least the first workshop."),
        ),
        (),
        (),
    ),
}


def _with_note(text):
    return f"{text}\n\n{NOTE}" if text else NOTE


def _without_note(text):
    return text.replace(f"\n\n{NOTE}", "").replace(NOTE, "")


def set_up_work_groups(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    RoleSlot = apps.get_model("programmes", "RoleSlot")
    Prerequisite = apps.get_model("programmes", "Prerequisite")
    ProgrammeGrant = apps.get_model("programmes", "ProgrammeGrant")
    Application = apps.get_model("applications", "Application")
    Enrolment = apps.get_model("participants", "Enrolment")
    # A programme teachers have already applied to one by one stays as it is (its places count
    # people); staff can set it up by hand.
    in_use = set(Application.objects.values_list("cohort__programme_id", flat=True)) | set(
        Enrolment.objects.values_list("cohort__programme_id", flat=True)
    )
    programmes = (
        Programme.objects.filter(slug__in=WORK_GROUPS, edited_at__isnull=True)
        .exclude(pk__in=in_use)
        .exclude(pk__in=RoleSlot.objects.values("programme_id"))
    )
    for programme in programmes:
        least, sessions, plan, priority, commitment, slots, conditions, grants = WORK_GROUPS[
            programme.slug
        ]
        programme.participation = "school_team"
        programme.team_leads_min = least
        programme.completion_sessions = sessions
        programme.completion_needs_action_plan = plan
        programme.priority = priority
        programme.commitment = commitment
        programme.review_note = _with_note(programme.review_note)
        programme.save()
        for position, (label, kind, required, people, hint) in enumerate(slots):
            RoleSlot.objects.create(
                programme=programme,
                position=position,
                label=label,
                kind=kind,
                required=required,
                people=people,
                hint=hint,
            )
        for position, (kind, slugs, alternative) in enumerate(conditions):
            named = list(Programme.objects.filter(slug__in=slugs))
            if not named:
                continue
            rule = Prerequisite.objects.create(
                programme=programme, position=position, kind=kind, or_previous=alternative
            )
            rule.programmes.set(named)
        for year, amount, purpose in grants:
            ProgrammeGrant.objects.get_or_create(
                programme=programme,
                academic_year=year,
                defaults={"amount": amount, "purpose": purpose},
            )


def undo_work_groups(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    RoleSlot = apps.get_model("programmes", "RoleSlot")
    Prerequisite = apps.get_model("programmes", "Prerequisite")
    ProgrammeGrant = apps.get_model("programmes", "ProgrammeGrant")
    TeamMember = apps.get_model("applications", "TeamMember")
    Enrolment = apps.get_model("participants", "Enrolment")
    for programme in Programme.objects.filter(slug__in=WORK_GROUPS, review_note__contains=NOTE):
        if (
            TeamMember.objects.filter(slot__programme=programme).exists()
            or Enrolment.objects.filter(role_slot__programme=programme).exists()
        ):
            continue  # schools have signed up teams in it: its set-up is in use and stays
        _, _, _, _, _, slots, conditions, grants = WORK_GROUPS[programme.slug]
        for slot in RoleSlot.objects.filter(
            programme=programme, label__in=[label for label, *_ in slots]
        ):
            try:
                slot.delete()
            except ProtectedError:  # named by something else: it stays
                pass
        Prerequisite.objects.filter(
            programme=programme, kind__in=[kind for kind, *_ in conditions]
        ).delete()
        for year, amount, _ in grants:
            ProgrammeGrant.objects.filter(
                programme=programme, academic_year=year, amount=amount
            ).delete()
        programme.participation = "individual"
        programme.team_leads_min = 1
        programme.completion_sessions = None
        programme.completion_needs_action_plan = False
        programme.priority = "arrival"
        programme.commitment = ""
        programme.review_note = _without_note(programme.review_note)
        programme.save()


class Migration(migrations.Migration):
    # The models that name a role slot are in the state, so going back keeps a slot a school
    # named someone in (PROTECT) rather than failing on the database's foreign key.
    dependencies = [
        ("programmes", "0008_work_groups"),
        ("applications", "0003_work_groups"),
        ("participants", "0016_work_groups"),
    ]

    operations = [migrations.RunPython(set_up_work_groups, undo_work_groups)]
