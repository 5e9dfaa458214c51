"""Changes to the catalogue: staff edits, ordering, retiring, and loading the seeded content."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone

from npq_portal.models import User

from .catalogue import (
    WORK_GROUP_REVIEW_NOTE,
    WORK_GROUPS,
    CourseSeed,
    ProgrammeSeed,
    WorkGroupSeed,
    assessment_word_limit_default,
    trn_asked_default,
)
from .models import Clinic, Course, Module, Prerequisite, Programme, ProgrammeGrant, RoleSlot

logger = logging.getLogger(__name__)

CatalogueItem = Course | Module | Clinic


def _mark_edited(programme: Programme, by: User | None) -> None:
    """Remember that staff changed this programme, so the loader leaves it alone."""
    Programme.objects.filter(pk=programme.pk).update(edited_at=timezone.now(), edited_by=by)


def catalogue_item_programme(item: Programme | CatalogueItem) -> Programme:
    if isinstance(item, Programme):
        return item
    if isinstance(item, Course):
        return item.programme
    return item.course.programme


def _siblings(item: CatalogueItem) -> models.QuerySet:
    if isinstance(item, Course):
        return Course.objects.filter(programme_id=item.programme_id)
    return type(item).objects.filter(course_id=item.course_id)


@transaction.atomic
def programme_save(*, programme: Programme, by: User | None) -> Programme:
    """Create or change a programme as staff, recording who changed it and when."""
    programme.edited_at = timezone.now()
    programme.edited_by = by
    programme.full_clean()
    programme.save()
    return programme


@transaction.atomic
def programme_retire(*, programme: Programme, by: User | None, reason: str) -> Programme:
    """Take a programme out of the catalogue; its structure and history stay.

    Raises ValidationError when it is already retired or no reason is given.
    """
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status == Programme.Status.RETIRED:
        raise ValidationError(f"{programme} is already retired.")
    if not reason.strip():
        raise ValidationError("Say why the programme is being retired.")
    programme.status = Programme.Status.RETIRED
    programme.retired_at = timezone.now()
    programme.retired_reason = reason.strip()
    programme.edited_at = timezone.now()
    programme.edited_by = by
    programme.save()
    return programme


@transaction.atomic
def programme_reinstate(*, programme: Programme, by: User | None) -> Programme:
    """Put a retired programme back in the catalogue.

    Raises ValidationError when it is not retired.
    """
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.status != Programme.Status.RETIRED:
        raise ValidationError(f"{programme} is not retired.")
    programme.status = Programme.Status.OFFERED
    programme.retired_at = None
    programme.retired_reason = ""
    programme.edited_at = timezone.now()
    programme.edited_by = by
    programme.save()
    return programme


@transaction.atomic
def catalogue_item_save(*, item: CatalogueItem, by: User | None) -> CatalogueItem:
    """Create or change a course, module or clinic; a new one goes last in its list."""
    programme = catalogue_item_programme(item)
    # Lock the programme: two people adding at once must not take the same position.
    Programme.objects.select_for_update().get(pk=programme.pk)
    if item.pk is None:
        last = _siblings(item).aggregate(last=Max("position"))["last"]
        item.position = 0 if last is None else last + 1
    item.full_clean()
    item.save()
    _mark_edited(programme, by)
    return item


@transaction.atomic
def catalogue_item_delete(*, item: CatalogueItem, by: User | None) -> None:
    """Remove a course, module or clinic that nothing else refers to.

    Raises ValidationError when cohorts, sessions or progress records use it.
    """
    programme = catalogue_item_programme(item)
    Programme.objects.select_for_update().get(pk=programme.pk)
    try:
        with transaction.atomic():
            item.delete()
    except ProtectedError as error:
        raise ValidationError(
            f"“{item}” is used by cohorts or participants' records, so it cannot be deleted. "
            "Edit it instead, or retire the programme."
        ) from error
    _renumber(_siblings(item))
    _mark_edited(programme, by)


@transaction.atomic
def catalogue_item_move(*, item: CatalogueItem, up: bool, by: User | None) -> None:
    """Move a course, module or clinic one place up or down among its siblings.

    Raises ValidationError when it is already first (up) or last (down).
    """
    programme = catalogue_item_programme(item)
    Programme.objects.select_for_update().get(pk=programme.pk)
    ordered = list(_siblings(item).order_by("position", "pk"))
    index = next(i for i, sibling in enumerate(ordered) if sibling.pk == item.pk)
    target = index - 1 if up else index + 1
    if not 0 <= target < len(ordered):
        raise ValidationError(f"“{item}” is already {'first' if up else 'last'}.")
    ordered[index], ordered[target] = ordered[target], ordered[index]
    _renumber_in_order(ordered)
    _mark_edited(programme, by)


def _renumber(siblings: models.QuerySet) -> None:
    _renumber_in_order(list(siblings.order_by("position", "pk")))


def _renumber_in_order(items: list) -> None:
    changed = []
    for position, sibling in enumerate(items):
        if sibling.position != position:
            sibling.position = position
            changed.append(sibling)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])


# ---- A Work Group's set-up: role slots, prerequisites, grants ----

ROLE_SLOT_FIELDS = ("position", "label", "kind", "required", "people", "hint")
PREREQUISITE_FIELDS = ("position", "kind", "or_previous", "junior_schools_exempt")
GRANT_FIELDS = ("academic_year", "amount", "purpose")


def _school_year(academic_year: int) -> str:
    return f"{academic_year}/{(academic_year + 1) % 100:02d}"


def _set_up_rows(
    *, programme: Programme, model, entries: list[dict], fields: tuple[str, ...], protected: str
) -> list:
    """Delete, change and add one part of a programme's set-up, as `entries` say (each with
    `id`, None for a new row, `delete`, and the fields' values); the rows it then has, in order.

    Raises ValidationError when a row to delete is in use (`protected`, with {row} for its
    name), or names a row the programme does not have (changed by someone else meanwhile).
    """
    existing = {row.pk: row for row in model.objects.filter(programme=programme)}
    if any(entry["id"] is not None and entry["id"] not in existing for entry in entries):
        raise ValidationError(
            "Someone else changed this list while you were editing it: nothing was saved. "
            "Look again and make your change."
        )
    for entry in entries:
        if entry["id"] is None or not entry["delete"]:
            continue
        row = existing.pop(entry["id"])
        try:
            with transaction.atomic():
                row.delete()
        except ProtectedError as error:
            raise ValidationError(protected.format(row=row)) from error
    for entry in entries:
        if entry["delete"]:
            continue
        row = existing.get(entry["id"]) or model(programme=programme)
        for name in fields:
            setattr(row, name, entry[name])
        try:
            row.full_clean(validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(f"“{row}”: {' '.join(error.messages)}") from error
        row.save()
        if model is Prerequisite:
            row.programmes.set(entry["programmes"])
        existing[row.pk] = row
    return sorted(existing.values(), key=lambda row: (getattr(row, "position", 0), row.pk))


@transaction.atomic
def programme_role_slots_set(*, programme: Programme, entries: list[dict], by: User | None) -> None:
    """Add, change and delete the roles a school names people for when it signs up a team.

    Raises ValidationError, changing nothing, when a slot to delete is one schools have named
    people in, or when a school team could no longer name as many lead participants as the
    programme asks for.
    """
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    slots = _set_up_rows(
        programme=programme,
        model=RoleSlot,
        entries=entries,
        fields=ROLE_SLOT_FIELDS,
        protected="“{row}” is a role schools have named people in, so it cannot be deleted: "
        "rename it, or make it not required, instead.",
    )
    leads = sum(slot.people for slot in slots if slot.kind == RoleSlot.Kind.LEAD)
    if programme.for_school_teams and leads < programme.team_leads_min:
        raise ValidationError(
            f"Schools must name at least {programme.team_leads_min} lead participant"
            f"{'s' if programme.team_leads_min != 1 else ''}, but the lead slots take only "
            f"{leads}: add a lead slot, or lower the fewest lead participants on the programme."
        )
    _mark_edited(programme, by)


@transaction.atomic
def programme_prerequisites_set(
    *, programme: Programme, entries: list[dict], by: User | None
) -> None:
    """Add, change and delete the conditions a school's Work Group history must meet for it to
    sign up.

    Raises ValidationError, changing nothing, when the first condition is marked as an
    alternative to one before it (there is none).
    """
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    conditions = _set_up_rows(
        programme=programme,
        model=Prerequisite,
        entries=entries,
        fields=PREREQUISITE_FIELDS,
        protected="“{row}” is in use, so it cannot be deleted.",
    )
    if conditions and conditions[0].or_previous:
        raise ValidationError(
            "The first condition cannot be “or the condition before”: there is none before it."
        )
    _mark_edited(programme, by)


@transaction.atomic
def programme_grants_set(*, programme: Programme, entries: list[dict], by: User | None) -> None:
    """Add, change and delete what the hub pays each school taking part, by school year.

    Raises ValidationError, changing nothing, when two grants are for the same school year.
    """
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    # Checked before anything is written: the database allows one grant a year.
    years = dict(programme.grants.values_list("pk", "academic_year"))
    for entry in entries:
        if entry["delete"]:
            years.pop(entry["id"], None)
        else:
            years[entry["id"] or object()] = entry["academic_year"]
    planned = list(years.values())
    repeated = sorted({year for year in planned if planned.count(year) > 1})
    if repeated:
        raise ValidationError(
            f"Two grants are for {_school_year(repeated[0])}: a programme has one grant a "
            "school year, so change that one."
        )
    try:
        with transaction.atomic():
            _set_up_rows(
                programme=programme,
                model=ProgrammeGrant,
                entries=entries,
                fields=GRANT_FIELDS,
                protected="The grant “{row}” is in use, so it cannot be deleted.",
            )
    except IntegrityError as error:  # two grants swapping their years in one save
        raise ValidationError(
            "Two grants cannot swap their school years in one save: change one, save, then "
            "the other."
        ) from error
    _mark_edited(programme, by)


# ---- Loading the seeded catalogue ----


class _DryRun(Exception):
    """Raised to roll a dry run back once its report is made."""


@dataclass
class CatalogueLoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_staff_edits: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # "slug: why", nothing written for them
    work_groups_set_up: list[str] = field(default_factory=list)  # given WORK_GROUPS' set-up


def _programme_values(seed: ProgrammeSeed) -> dict:
    values = {
        name: getattr(seed, name)
        for name in (
            "course_identifier",
            "short_name",
            "name",
            "family",
            "summary",
            "who_for",
            "aims",
            "length",
            "length_months",
            "prerequisites",
            "delivery_model",
            "curriculum_rationale",
            "assessment",
            "participant_rules",
            "funding_summary",
            "content_source",
            "review_note",
        )
    }
    for phase, field_name in Programme.PHASE_FIELDS.items():
        values[field_name] = phase in seed.phases
    if seed.slug in WORK_GROUPS:
        values["review_note"] = _with_line(seed.review_note, WORK_GROUP_REVIEW_NOTE)
    return values


def _with_line(text: str, line: str) -> str:
    return f"{text}\n\n{line}" if text else line


def _work_group_set_up(programme: Programme, seed: WorkGroupSeed) -> None:
    """Give a programme with no role slots the Work Group set-up of the catalogue's table."""
    for name in (
        "team_leads_min",
        "completion_sessions",
        "completion_needs_action_plan",
        "commitment",
        "priority",
    ):
        setattr(programme, name, getattr(seed, name))
    programme.participation = Programme.Participation.SCHOOL_TEAM
    programme.save()
    RoleSlot.objects.bulk_create(
        RoleSlot(
            programme=programme,
            position=position,
            label=slot.label,
            kind=slot.kind,
            required=slot.required,
            people=slot.people,
            hint=slot.hint,
        )
        for position, slot in enumerate(seed.slots)
    )
    slugs = {slug for condition in seed.prerequisites for slug in condition.programmes}
    by_slug = {p.slug: p for p in Programme.objects.filter(slug__in=slugs)}
    for position, condition in enumerate(seed.prerequisites):
        named = [by_slug[slug] for slug in condition.programmes if slug in by_slug]
        if not named:  # loaded on its own, before the programmes it names: added next time
            logger.warning("%s: no programme for condition %s yet", programme.slug, position)
            continue
        rule = Prerequisite.objects.create(
            programme=programme,
            position=position,
            kind=condition.kind,
            or_previous=condition.or_previous and position > 0,
            junior_schools_exempt=condition.junior_schools_exempt,
        )
        rule.programmes.set(named)
    ProgrammeGrant.objects.bulk_create(
        ProgrammeGrant(
            programme=programme,
            academic_year=grant.academic_year,
            amount=grant.amount,
            purpose=grant.purpose,
        )
        for grant in seed.grants
    )


def _work_groups_set_up(slugs: set[str], report: CatalogueLoadReport) -> None:
    """The catalogue's Work Group set-up for each of these programmes that has no role slots,
    no staff edits and no applications or places yet: once it has slots, staff (or an earlier
    load) have set it up; once people have applied, who takes part is settled."""
    programmes = (
        Programme.objects.select_for_update()
        .filter(slug__in=slugs & WORK_GROUPS.keys(), edited_at__isnull=True)
        .exclude(pk__in=RoleSlot.objects.values("programme_id"))
        # One people already applied to one by one stays as it is: its places count people.
        .exclude(pk__in=Programme.objects.in_use().values("pk"))
    )
    for programme in programmes:
        _work_group_set_up(programme, WORK_GROUPS[programme.slug])
        report.work_groups_set_up.append(programme.slug)
        if programme.slug in report.unchanged:
            report.unchanged.remove(programme.slug)
            report.updated.append(programme.slug)


def _word_limit(seed: ProgrammeSeed) -> int | None:
    return assessment_word_limit_default(
        slug=seed.slug, course_identifier=seed.course_identifier, family=seed.family
    )


def _course_values(seed: CourseSeed) -> dict:
    return {
        "title": seed.title,
        "kind": seed.kind,
        "number": seed.number,
        "delivery": seed.delivery,
        "aims": seed.aims,
        "key_content": "\n".join(seed.key_content),
    }


def _module_values(seed) -> dict:
    return {"title": seed.title, "format": seed.format, "summary": seed.summary}


def _clinic_values(seed) -> dict:
    return {"title": seed.title, "summary": seed.summary}


def _sync(instance: models.Model, values: dict) -> bool:
    """Set the values that differ and save; True when anything changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=changed)
    return bool(changed)


def _sync_children(model, parent_field: str, parent, seeds, values_for) -> bool:
    """Bring the seeded children of `parent` in line with `seeds`; True when anything changed.

    Each seeded row carries its place in the seed as `seed_key`, so a title corrected in the
    content (or changed by staff, then restored with overwrite) updates the row rather than
    adding a second one. Rows staff added (no seed key) are left where they are.
    """
    children = model.objects.filter(**{parent_field: parent})
    existing = {child.seed_key: child for child in children if child.seed_key}
    changed = False
    for position, seed in enumerate(seeds):
        key = str(position)
        values = {**values_for(seed), "position": position}
        child = existing.pop(key, None)
        if child is None:
            child = model.objects.create(**{parent_field: parent}, seed_key=key, **values)
            changed = True
        else:
            changed |= _sync(child, values)
        if model is Course:
            changed |= _sync_children(Module, "course", child, seed.modules, _module_values)
            changed |= _sync_children(Clinic, "course", child, seed.clinics, _clinic_values)
    for dropped in existing.values():  # seeded once, no longer in the seed
        try:
            with transaction.atomic():
                dropped.delete()
            changed = True
        except ProtectedError:
            logger.warning("Kept %s %s: records refer to it", model.__name__, dropped.pk)
    if changed:
        _renumber(model.objects.filter(**{parent_field: parent}))
    return changed


def _load_one(seed: ProgrammeSeed, overwrite: bool, report: CatalogueLoadReport) -> None:
    programme = Programme.objects.select_for_update().filter(slug=seed.slug).first()
    if programme is None:
        taken = Programme.objects.filter(course_identifier=seed.course_identifier)
        if seed.course_identifier and taken.exists():
            report.conflicts.append(
                f"{seed.slug}: {seed.course_identifier} already belongs to "
                f"/programmes/{taken.get().slug}/"
            )
            return
        programme = Programme.objects.create(
            slug=seed.slug,
            assessment_word_limit=_word_limit(seed),
            trn_asked=trn_asked_default(slug=seed.slug),
            **_programme_values(seed),
        )
        _sync_children(Course, "programme", programme, seed.courses, _course_values)
        report.created.append(seed.slug)
        return
    if programme.edited_at and not overwrite:
        report.kept_staff_edits.append(seed.slug)
        return
    values = _programme_values(seed)
    if programme.assessment_word_limit is None:
        # Fill in a missing limit; one already there may be the hub's own choice.
        values["assessment_word_limit"] = _word_limit(seed)
    if overwrite:
        values.update(edited_at=None, edited_by=None)
    changed = _sync(programme, values)
    changed |= _sync_children(Course, "programme", programme, seed.courses, _course_values)
    (report.updated if changed else report.unchanged).append(seed.slug)


def catalogue_load(
    *,
    seeds: tuple[ProgrammeSeed, ...] | None = None,
    overwrite: bool = False,
    only: set[str] | None = None,
    dry_run: bool = False,
) -> CatalogueLoadReport:
    """Load the seeded programmes: new ones are created, untouched ones brought up to date.

    A programme staff have edited is left alone unless `overwrite` is set; then its seeded
    content is restored (anything staff added stays). `only` limits the load to those slugs;
    `dry_run` reports what would happen and changes nothing. Running it twice changes nothing.
    """
    if seeds is None:
        from .catalogue_content import CATALOGUE as seeds
    if only is not None:
        unknown = only - {seed.slug for seed in seeds}
        if unknown:
            raise ValidationError(f"No seeded programme is called {', '.join(sorted(unknown))}.")
        seeds = tuple(seed for seed in seeds if seed.slug in only)
    report = CatalogueLoadReport()
    try:
        with transaction.atomic():
            for seed in seeds:
                with transaction.atomic():
                    _load_one(seed, overwrite, report)
            # Once every programme is in: a Work Group's conditions name the others.
            _work_groups_set_up({seed.slug for seed in seeds}, report)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    logger.info(
        "Catalogue %s: %d created, %d updated, %d unchanged, %d kept staff edits, %d conflicts",
        "dry run" if dry_run else "loaded",
        len(report.created),
        len(report.updated),
        len(report.unchanged),
        len(report.kept_staff_edits),
        len(report.conflicts),
    )
    return report
