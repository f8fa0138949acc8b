"""State changes of campaigns, questions, options and leads.

Question and option positions are always 1..n without gaps (CONTRACT.md, "Questions"). The unique
constraints on positions are not deferrable (SQLite cannot defer them), so `renumber_positions` first moves the
rows above every old and new value and then writes the final numbers: no statement ever clashes.
Changes to one campaign's questions run with the campaign row locked, one at a time.
"""

import datetime
from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone

from companies.access import Tenant, require_tenant
from companies.models import Company
from imports.pipeline.validate import validate_lead_values
from leadsy.errors import InvalidFields, NotFound
from leadsy.ids import as_id

from .models import LEAD_CONTACT_FIELDS, Campaign, Lead, Option, Question, Stage

MAX_OPTIONS_PER_QUESTION = 100


Positioned = TypeVar("Positioned", Question, Option)


def renumber_positions(model: type[Positioned], rows: Sequence[Positioned]) -> None:
    """Give `rows` (all the rows of one campaign or question, in their new order) positions 1..n."""
    if not rows:
        return
    ids = [row.pk for row in rows]
    highest = model.objects.filter(pk__in=ids).aggregate(highest=Max("position"))["highest"] or 0
    model.objects.filter(pk__in=ids).update(position=F("position") + max(highest, len(rows)))
    for position, row in enumerate(rows, start=1):
        row.position = position
    model.objects.bulk_update(rows, ["position"])


# --- campaigns ----------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    company: Company,
    name: str,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    status: str = Campaign.Status.ACTIVE,
) -> Campaign:
    campaign = Campaign(company=company, name=name, starts_on=starts_on, ends_on=ends_on, status=status)
    campaign_validate(campaign=campaign)
    campaign.save()
    campaign.questions_count = 0  # type: ignore[attr-defined]  # selectors annotate it; a new campaign has none
    return campaign


def campaign_validate(*, campaign: Campaign) -> None:
    errors = {}
    if not (campaign.name or "").strip():
        errors["name"] = ["This field may not be blank."]
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        errors["ends_on"] = ["Must be on or after starts_on."]
    if errors:
        raise InvalidFields(errors)


# --- questions ----------------------------------------------------------------------------------


def _kind_errors(*, kind: str, option_count: int) -> list[str]:
    if kind in Question.CHOICE_KINDS and option_count == 0:
        return ["A choice question needs at least one option."]
    if kind not in Question.CHOICE_KINDS and option_count:
        return [f"A {kind} question takes no options."]
    if option_count > MAX_OPTIONS_PER_QUESTION:
        return [f"A question takes at most {MAX_OPTIONS_PER_QUESTION} options."]
    return []


def _clash_errors(attributes: Sequence[dict], taken: dict[int, str] | None = None) -> list[dict]:
    """Per-item errors for positions given twice in one request (or equal to an option left in place)."""
    taken = dict(taken or {})
    errors: list[dict] = []
    for attrs in attributes:
        position = attrs.get("position")
        if position is None or attrs.get("_destroy"):
            errors.append({})
        elif position in taken:
            errors.append({"position": [f"Position {position} is also given to {taken[position]}."]})
        else:
            taken[position] = f"option {attrs.get('label') or attrs.get('id')!s}"
            errors.append({})
    return errors


def _in_order(items: Iterable, position_of) -> list:
    """Items with a position first, by position; items without one after them, in the order given."""
    items = list(items)
    placed = sorted((item for item in items if position_of(item) is not None), key=position_of)
    return placed + [item for item in items if position_of(item) is None]


@transaction.atomic
def question_create(
    *,
    campaign: Campaign,
    text: str,
    kind: str,
    required: bool = False,
    position: int | None = None,
    options: Sequence[dict] = (),
) -> Question:
    """Create a question with its options; `position` inserts it there (the end by default)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    kind_errors = _kind_errors(kind=kind, option_count=len(options))
    clash_errors = _clash_errors(options)
    if kind_errors:
        raise InvalidFields({"options_attributes": kind_errors})
    if any(clash_errors):
        raise InvalidFields({"options_attributes": clash_errors})
    _require_distinct_values(options)

    siblings = list(Question.objects.filter(campaign=campaign).order_by("position"))
    slot = len(siblings) if position is None else min(max(position, 1), len(siblings) + 1) - 1
    highest = siblings[-1].position if siblings else 0
    question = Question.objects.create(campaign=campaign, text=text, kind=kind, required=required, position=highest + 1)
    renumber_positions(Question, [*siblings[:slot], question, *siblings[slot:]])

    ordered = _in_order(options, lambda attrs: attrs.get("position"))
    Option.objects.bulk_create(
        Option(question=question, label=attrs["label"], value=attrs["value"], position=index)
        for index, attrs in enumerate(ordered, start=1)
    )
    return question


def _require_distinct_values(options: Sequence[dict]) -> None:
    values = [attrs["value"] for attrs in options]
    if len(set(values)) != len(values):
        raise InvalidFields({"options_attributes": ["Two options of this question would have the same value."]})


@transaction.atomic
def question_options_bulk_update(*, campaign: Campaign, questions: Sequence[dict]) -> None:
    """Create, change and remove options of several questions of one campaign, all or nothing.

    `questions` is `[{"id", "options_attributes": [{"id"?, "label", "value", "position"?, "_destroy"?}]}]`.
    Options not named keep their place; positions named must not clash; each question ends with
    positions 1..n. Any error raises InvalidFields shaped like the request, and nothing is written.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    question_ids = [as_id(entry.get("id")) for entry in questions]
    found = {
        question.pk: question
        for question in Question.objects.filter(campaign=campaign, pk__in=[pk for pk in question_ids if pk])
    }
    options_by_question: dict[int, dict[int, Option]] = {pk: {} for pk in found}
    for option in Option.objects.filter(question__in=found.values()):
        options_by_question[option.question_id][option.pk] = option

    plans, errors, seen = [], [], set()
    for question_id, entry in zip(question_ids, questions, strict=True):
        question = found.get(question_id) if question_id is not None else None
        if question is None:
            errors.append({"id": ["Not a question of this campaign."]})
        elif question_id in seen:
            errors.append({"id": ["This question is listed more than once."]})
        else:
            seen.add(question_id)
            plan, plan_errors = _plan_options(question, options_by_question[question.pk], entry["options_attributes"])
            plans.append(plan)
            errors.append(plan_errors)
    if any(errors):
        raise InvalidFields({"questions": errors})

    for plan in plans:
        _apply_plan(plan)


def _plan_options(question: Question, existing: dict[int, Option], attributes: Sequence[dict]):
    """Work out one question's final options without writing; return (plan, errors)."""
    item_errors: list[dict] = []
    changed: dict[int, dict] = {}
    destroyed: set[int] = set()
    new: list[dict] = []
    for attrs in attributes:
        if "id" not in attrs or attrs["id"] is None:
            if attrs.get("_destroy"):
                item_errors.append({})  # nothing to remove
                continue
            missing = {name: ["This field is required."] for name in ("label", "value") if not attrs.get(name)}
            item_errors.append(missing)
            new.append(attrs)
            continue
        option_id = as_id(attrs["id"])
        if option_id not in existing:
            item_errors.append({"id": ["Not an option of this question."]})
        elif option_id in changed or option_id in destroyed:
            item_errors.append({"id": ["This option is listed more than once."]})
        else:
            item_errors.append({})
            if attrs.get("_destroy"):
                destroyed.add(option_id)
            else:
                changed[option_id] = attrs
    if any(item_errors):
        return None, {"options_attributes": item_errors}

    left_in_place = {
        option.position: f"option {option.label}"
        for pk, option in existing.items()
        if pk not in destroyed and (pk not in changed or changed[pk].get("position") is None)
    }
    clash_errors = _clash_errors(attributes, taken=left_in_place)
    if any(clash_errors):
        return None, {"options_attributes": clash_errors}

    final: list[tuple[Option, int | None]] = []
    for pk, option in existing.items():
        if pk in destroyed:
            continue
        attrs = changed.get(pk, {})
        for name in ("label", "value"):
            if attrs.get(name):
                setattr(option, name, attrs[name])
        final.append((option, attrs.get("position") or option.position))
    for attrs in new:
        final.append((Option(question=question, label=attrs["label"], value=attrs["value"]), attrs.get("position")))

    count_errors = _kind_errors(kind=question.kind, option_count=len(final))
    values = [option.value for option, _ in final]
    if not count_errors and len(set(values)) != len(values):
        count_errors = ["Two options of this question would have the same value."]
    if count_errors:
        return None, {"options_attributes": count_errors}
    ordered = [option for option, _ in _in_order(final, lambda pair: pair[1])]
    return {"question": question, "destroyed": destroyed, "options": ordered}, {}


def _apply_plan(plan: dict) -> None:
    question = plan["question"]
    Option.objects.filter(question=question, pk__in=plan["destroyed"]).delete()
    kept = [option for option in plan["options"] if option.pk]
    if kept:
        Option.objects.bulk_update(kept, ["label", "value"])
    # New rows start above every current position, so inserting them clashes with nothing.
    highest = Option.objects.filter(question=question).aggregate(highest=Max("position"))["highest"] or 0
    for offset, option in enumerate((option for option in plan["options"] if not option.pk), start=1):
        option.position = highest + offset
        option.save()
    renumber_positions(Option, plan["options"])
    Question.objects.filter(pk=question.pk).update(updated_at=timezone.now())


# --- leads --------------------------------------------------------------------------------------


@transaction.atomic
def leads_move_to_stage(*, leads: QuerySet[Lead], stage: Stage | None) -> int:
    """Put the leads in `stage` (None clears it); return how many moved."""
    return leads.update(stage=stage, updated_at=timezone.now())


# What an agent may change on a lead (`leads.work`); every other field needs `leads.manage`.
AGENT_LEAD_FIELDS = frozenset({"stage_id", "notes"})
LEAD_EDITABLE_FIELDS = frozenset({*LEAD_CONTACT_FIELDS, "stage_id", "campaign_id", "extra"})
BULK_ACTIONS = ("move_stage", "assign_campaign", "delete")
MAX_BULK_LEAD_IDS = 10_000
DUPLICATE = "duplicate"  # the reason an import's error file gives too
# The Lead unique constraints (campaigns.models) and the field each one guards. SQLite names the
# expression index; for the column one it names the columns.
_UNIQUE_FIELDS = (
    ("campaigns_lead_email_per_company", "email"),
    ("campaigns_lead_phone_per_company", "phone"),
    ("campaigns_lead.phone", "phone"),
)


def lead_edit_require(*, tenant: Tenant, fields) -> None:
    """403 unless the caller may change these fields: agents only the stage and the notes."""
    if set(fields) & (LEAD_EDITABLE_FIELDS - AGENT_LEAD_FIELDS):
        require_tenant(tenant).require("leads.manage")


def _stage_or_error(stage_id, errors: dict) -> Stage | None:
    stage = Stage.objects.filter(pk=stage_id).first() if stage_id is not None else None
    if stage_id is not None and stage is None:
        errors["stage_id"] = ["No stage with this id."]
    return stage


def _campaign_or_error(company: Company, campaign_id, errors: dict) -> Campaign | None:
    campaign = Campaign.objects.filter(company=company, pk=campaign_id).first() if campaign_id is not None else None
    if campaign_id is not None and campaign is None:
        errors["campaign_id"] = ["Not a campaign of this company."]
    return campaign


def duplicate_field(exc: IntegrityError) -> str | None:
    """The lead field whose unique index refused a write, or None for any other integrity error."""
    diag = getattr(exc.__cause__, "diag", None)
    text = f"{getattr(diag, 'constraint_name', None) or ''} {exc}"
    return next((field for name, field in _UNIQUE_FIELDS if name in text), None)


@transaction.atomic
def lead_update(*, tenant: Tenant, lead_id, changes: dict) -> None:
    """Change the fields given (PUT is partial). Contact values go through the import's rules
    (`validate_lead_values`); `extra` is merged key by key, a null value removing its key. A new
    email or phone another lead of the company holds is refused by the unique indexes themselves
    (the write runs in a savepoint; its IntegrityError becomes 422 `duplicate` on that field)."""
    company = require_tenant(tenant).company
    lead_edit_require(tenant=tenant, fields=changes)
    lead = Lead.objects.select_for_update().filter(company=company, pk=as_id(lead_id) or 0).first()
    if lead is None:
        raise NotFound()
    contact = {name: changes[name] for name in LEAD_CONTACT_FIELDS if name in changes}
    values, errors = validate_lead_values(contact, region=company.country or lead.country or None)
    if "stage_id" in changes:
        lead.stage = _stage_or_error(changes["stage_id"], errors)
    if "campaign_id" in changes:
        lead.campaign = _campaign_or_error(company, changes["campaign_id"], errors)
    if errors:
        raise InvalidFields(errors)
    for name, value in values.items():
        setattr(lead, name, value)
    if not lead.email and not lead.phone:
        raise InvalidFields({"base": ["email or phone is required"]})
    if "extra" in changes:
        extra = dict(lead.extra) if isinstance(lead.extra, dict) else {}
        for key, value in changes["extra"].items():
            if value is None:
                extra.pop(key, None)
            else:
                extra[key] = value
        lead.extra = extra
    fields = [*values, *(name for name in ("stage", "campaign", "extra") if name in changes or f"{name}_id" in changes)]
    try:
        with transaction.atomic():
            lead.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as exc:
        field = duplicate_field(exc)
        if field is None:
            raise
        raise InvalidFields({field: [DUPLICATE]}) from exc


@transaction.atomic
def lead_delete(*, tenant: Tenant, lead_id) -> None:
    deleted, _ = Lead.objects.filter(company=require_tenant(tenant).company, pk=as_id(lead_id) or 0).delete()
    if not deleted:
        raise NotFound()


@transaction.atomic
def leads_bulk(
    *,
    tenant: Tenant,
    action: str,
    leads: QuerySet[Lead] | None = None,
    lead_ids: list[int] | None = None,
    stage_id: int | None = None,
    campaign_id: int | None = None,
) -> int:
    """One action over many leads of the tenant's company, all or nothing, in one statement; the count.

    The leads are `lead_ids` (every one must be the company's, else 422 and nothing changes) or
    `leads`, a queryset of the list's filters (`selectors.lead_list`), so both agree with the list.
    `move_stage` needs `leads.work`; the other actions `leads.manage`.
    """
    company = require_tenant(tenant).company
    if action not in BULK_ACTIONS:
        raise InvalidFields({"action": [f"Must be one of: {', '.join(BULK_ACTIONS)}."]})
    if action != "move_stage":
        tenant.require("leads.manage")
    if (leads is None) == (lead_ids is None):
        raise InvalidFields({"base": ["Give exactly one of lead_ids and filter."]})
    errors: dict = {}
    stage = _stage_or_error(stage_id, errors) if action == "move_stage" else None
    if action == "assign_campaign":
        _campaign_or_error(company, campaign_id, errors)
    if lead_ids is not None:
        if len(lead_ids) > MAX_BULK_LEAD_IDS:
            errors["lead_ids"] = [f"At most {MAX_BULK_LEAD_IDS} ids; use a filter for more."]
        else:
            wanted = set(lead_ids)
            found = set(
                Lead.objects.select_for_update().filter(company=company, pk__in=wanted).values_list("pk", flat=True)
            )
            if wanted - found:
                shown = ", ".join(str(pk) for pk in sorted(wanted - found)[:20])
                errors["lead_ids"] = [f"Not leads of this company: {shown}{' …' if len(wanted - found) > 20 else ''}."]
    if errors:
        raise InvalidFields(errors)
    if lead_ids is not None:
        target = Lead.objects.filter(company=company, pk__in=set(lead_ids))
    else:
        assert leads is not None
        target = Lead.objects.filter(company=company, pk__in=leads.order_by().values("pk"))
    if action == "move_stage":
        return leads_move_to_stage(leads=target, stage=stage)
    if action == "assign_campaign":
        return target.update(campaign_id=campaign_id, updated_at=timezone.now())
    deleted, _ = target.delete()
    return deleted
