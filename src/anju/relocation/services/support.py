"""Follow-up support records (后续扶持台账) entered by hand: the shared engine. Each record kind is a `Spec` (its model,
whether it belongs to a person, its field cleaners and cross-field checks); `record_create`, `record_update` and
`record_delete` check the household's entry scope, clean, save and audit in one transaction. The per-kind services
with typed arguments live in `support_persons` and `support_households`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.projects.money import YUAN, AmountError, to_fen
from anju.registry.models import Household, Membership, Person
from anju.registry.selectors import covering
from anju.relocation.selectors_common import access_relocated_household, check_term

MSG_REQUIRED = _("请填写“%(field)s”")
MSG_DATE = _("“%(field)s”不是有效的日期")
MSG_DATE_FUTURE = _("“%(field)s”不能晚于今天")
MSG_DATE_RANGE = _("“%(field)s”应在 1950 年至 2100 年之间")
MSG_END_BEFORE_START = _("“%(end)s”（%(ended)s）不能早于“%(start)s”（%(started)s）")
MSG_TOO_LONG = _("“%(field)s”最多 %(n)s 字")
MSG_CHOICE = _("“%(value)s”不是有效的“%(field)s”")
MSG_INTEGER = _("“%(field)s”应为 %(min)s 至 %(max)s 之间的整数")
MSG_BOOLEAN = _("“%(field)s”应为是、否或不详")
MSG_AMOUNT = _("“%(field)s”：%(reason)s")
MSG_NOT_MEMBER = _("该人员不是本户现有成员")
MSG_PERSON_REQUIRED = _("请选择家庭成员")
MSG_UNKNOWN_FIELD = _("不能修改“%(field)s”")

MIN_DAY, MAX_DAY = dt.date(1950, 1, 1), dt.date(2100, 12, 31)


def today() -> dt.date:
    return timezone.localdate()


# --- field cleaners: each turns an input value into {model field: value} or raises naming the input field -----------

def _fail(message, name: str, code: str = "invalid"):
    raise ValidationFailed(message, code=code, detail={"field": name})


@dataclass
class F:
    """An input field: its label, how to clean it, and the model field it fills (`target`, default the same name)."""

    label: object
    clean: Callable  # (value, name, label, current) -> model value
    target: str = ""
    required: bool = False
    default: object = None

    def model_field(self, name: str) -> str:
        return self.target or name


def date_field(*, not_future: bool = False):
    def clean(value, name, label, current):
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                _fail(MSG_DATE % {"field": label}, name, "date_invalid")
        if not MIN_DAY <= value <= MAX_DAY:
            _fail(MSG_DATE_RANGE % {"field": label}, name, "date_range")
        if not_future and value > today():
            _fail(MSG_DATE_FUTURE % {"field": label}, name, "date_future")
        return value
    return clean


def text_field(limit: int):
    def clean(value, name, label, current):
        text = str(value or "").replace("\x00", "").strip()
        if len(text) > limit:
            _fail(MSG_TOO_LONG % {"field": label, "n": limit}, name, "too_long")
        return text
    return clean


def choice_field(choices):
    def clean(value, name, label, current):
        value = str(value or "").strip()
        if not value:
            return None
        if value not in choices.values:
            _fail(MSG_CHOICE % {"value": value, "field": label}, name, "choice_invalid")
        return value
    return clean


def term_field(kind: str):
    def clean(value, name, label, current):
        if value in (None, ""):
            return None
        return check_term(kind, str(value), field=name, current=current or "")
    return clean


def int_field(low: int, high: int):
    def clean(value, name, label, current):
        if value in (None, ""):
            return None
        try:
            number = int(str(value).strip()) if not isinstance(value, int) or isinstance(value, bool) else value
        except ValueError:
            number = None
        if isinstance(value, bool) or number is None or not low <= number <= high:
            _fail(MSG_INTEGER % {"field": label, "min": low, "max": high}, name, "integer_invalid")
        return number
    return clean


YEAR = int_field(2000, 2100)

_TRUE, _FALSE = {"1", "true", "yes", "y", "是", "参加", "已参保"}, {"0", "false", "no", "n", "否", "未参加", "未参保"}


def bool_field():
    def clean(value, name, label, current):
        if value is None or value == "" or value == "unknown":
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        _fail(MSG_BOOLEAN % {"field": label}, name, "boolean_invalid")
    return clean


def money_field():
    """An amount in 元 (number or text, at most 2 decimals, not negative) as integer fen."""
    def clean(value, name, label, current):
        if value in (None, ""):
            return 0
        try:
            return to_fen(value, YUAN)
        except AmountError as exc:
            _fail(MSG_AMOUNT % {"field": label, "reason": exc.message}, name, "amount_invalid")
    return clean


# --- the record kinds -----------------------------------------------------------------------------------------------

@dataclass
class Spec:
    """One kind of support record."""

    entity: str  # audit name: relocation.<entity>.<verb>
    model: type
    label: object
    fields: dict[str, F]
    per_person: bool = False
    check: Callable | None = None  # (values: dict of model fields, household, instance|None) -> None; raises
    duplicate: Callable | None = None  # (values, household, person, instance) -> message|None (a Conflict)
    extra: dict = field(default_factory=dict)  # model values set on create (source=manual)


SPECS: dict[str, Spec] = {}


def register(spec: Spec) -> Spec:
    SPECS[spec.entity] = spec
    return spec


def spec_of(entity: str) -> Spec:
    spec = SPECS.get(entity)
    if spec is None:
        raise NotFound()
    return spec


def _clean(spec: Spec, data: dict, *, instance=None) -> dict:
    """Clean the given inputs into model values; on create, missing inputs take their default and required ones fail."""
    values = {}
    for name, value in data.items():
        f = spec.fields.get(name)
        if f is None:
            _fail(MSG_UNKNOWN_FIELD % {"field": name}, name, "field_unknown")
        current = getattr(instance, f.model_field(name)) if instance is not None else None
        cleaned = f.clean(value, name, f.label, current)
        if cleaned is None and f.default is not None:
            cleaned = f.default() if callable(f.default) else f.default
        if f.required and cleaned in (None, ""):
            _fail(MSG_REQUIRED % {"field": f.label}, name, f"{name}_required")
        values[f.model_field(name)] = cleaned
    if instance is None:
        for name, f in spec.fields.items():
            if name in data:
                continue
            if f.required:
                _fail(MSG_REQUIRED % {"field": f.label}, name, f"{name}_required")
            default = f.default() if callable(f.default) else f.default
            if default is not None:
                values[f.model_field(name)] = default
    return values


def check_end_after_start(values: dict, spec: Spec, start: str = "started_on", end: str = "ended_on") -> None:
    started, ended = values.get(start), values.get(end)
    if started and ended and ended < started:
        labels = {f.model_field(n): (n, f.label) for n, f in spec.fields.items()}
        end_name, end_label = labels.get(end, (end, end))
        _fail(MSG_END_BEFORE_START % {"end": end_label, "ended": ended.isoformat(), "start": labels.get(start, (start, start))[1],
                                      "started": started.isoformat()}, end_name, "end_before_start")


def _snapshot(spec: Spec, obj) -> dict:
    out = {}
    for name, f in spec.fields.items():
        value = getattr(obj, f.model_field(name))
        out[f.model_field(name)] = value.isoformat() if isinstance(value, dt.date) else value
    if spec.per_person:
        out["person"] = obj.person_id
    return out


def _current_member(household: Household, person) -> Person:
    if person in (None, ""):
        _fail(MSG_PERSON_REQUIRED, "person", "person_required")
    person_id = person.pk if isinstance(person, Person) else person
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        _fail(MSG_NOT_MEMBER, "person", "not_member")
    m = Membership.objects.filter(covering(today()), household=household, person_id=person_id).select_related("person").first()
    if m is None:
        _fail(MSG_NOT_MEMBER, "person", "not_member")
    return m.person


def _lock(spec: Spec, obj):
    locked = spec.model.objects.select_for_update().filter(pk=obj.pk).first()
    if locked is None:
        raise NotFound()
    return locked


def _audit(actor, spec: Spec, verb: str, obj, *, before=None, after=None) -> None:
    audit_record(actor=actor, action=f"relocation.{spec.entity}.{verb}", object_type=spec.entity, object_id=obj.pk,
                 division_code=obj.division_code, before=before, after=after)


MSG_DUPLICATE = _("该记录已存在")


def _save(spec: Spec, obj) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:  # a concurrent twin won the unique constraint after the pre-check
        raise Conflict(MSG_DUPLICATE, code="duplicate") from None


def record_create(*, actor, entity: str, household: Household | int, person=None, data: dict):
    """Add a record of `entity` to a relocated household in the actor's entry scope (for per-person kinds, `person` must
    be a current member). Raises ValidationFailed naming the field, Conflict for a duplicate or an overlap."""
    spec = spec_of(entity)
    household_id = household.pk if isinstance(household, Household) else household
    household = access_relocated_household(actor, household_id, kind="entry")
    with transaction.atomic():
        who = _current_member(household, person) if spec.per_person else None
        values = _clean(spec, data)
        if spec.check:
            spec.check(values, household, None)
        if spec.duplicate:
            message = spec.duplicate(values, household, who, None)
            if message:
                raise Conflict(message, code="duplicate")
        obj = spec.model(household=household, division_code=household.division_code, **spec.extra, **values)
        if who is not None:
            obj.person = who
        _save(spec, obj)
        _audit(actor, spec, "created", obj, after=_snapshot(spec, obj))
    return obj


def record_update(*, actor, record, data: dict):
    """Change some fields of a record (the household and person stay). Same checks as on create, on the merged values."""
    spec = spec_of(_entity_of(record))
    access_relocated_household(actor, record.household_id, kind="entry")
    with transaction.atomic():
        obj = _lock(spec, record)
        before = _snapshot(spec, obj)
        values = _clean(spec, data, instance=obj)
        merged = {**{f.model_field(n): getattr(obj, f.model_field(n)) for n, f in spec.fields.items()}, **values}
        if spec.check:
            spec.check(merged, obj.household, obj)
        if spec.duplicate:
            message = spec.duplicate(merged, obj.household, obj.person if spec.per_person else None, obj)
            if message:
                raise Conflict(message, code="duplicate")
        changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(obj, k, v)
            obj.save(update_fields=list(changed))
            after = _snapshot(spec, obj)
            _audit(actor, spec, "updated", obj, before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return obj


def record_delete(*, actor, record) -> None:
    spec = spec_of(_entity_of(record))
    access_relocated_household(actor, record.household_id, kind="entry")
    with transaction.atomic():
        obj = _lock(spec, record)
        before = _snapshot(spec, obj)
        pk = obj.pk
        obj.delete()
        obj.pk = pk
        _audit(actor, spec, "deleted", obj, before=before)


def record_end(*, actor, record, ended_on, message_ended) -> object:
    """Close an open period (employment spell, 低保 period) on `ended_on` (≥ its start)."""
    spec = spec_of(_entity_of(record))
    access_relocated_household(actor, record.household_id, kind="entry")
    with transaction.atomic():
        obj = _lock(spec, record)
        if obj.ended_on is not None:
            raise Conflict(message_ended % {"date": obj.ended_on.isoformat()}, code="already_ended")
        values = _clean(spec, {"ended_on": ended_on}, instance=obj)
        if values.get("ended_on") is None:
            _fail(MSG_REQUIRED % {"field": spec.fields["ended_on"].label}, "ended_on", "ended_on_required")
        merged = {**{f.model_field(n): getattr(obj, f.model_field(n)) for n, f in spec.fields.items()}, **values}
        if spec.check:
            spec.check(merged, obj.household, obj)
        obj.ended_on = values["ended_on"]
        obj.save(update_fields=["ended_on"])
        _audit(actor, spec, "ended", obj, before={"ended_on": None}, after={"ended_on": obj.ended_on.isoformat()})
    return obj


def _entity_of(record) -> str:
    for entity, spec in SPECS.items():
        if isinstance(record, spec.model):
            return entity
    raise NotFound()


# The record kinds register themselves when their modules load; load both with the engine.
from anju.relocation.services import support_households, support_persons  # noqa: E402,F401
