"""A household's relocation steps (确认搬迁 → 签订协议 → 分配安置住房 → 搬迁入住 → 旧房拆除/复垦): starting the
relocation, recording the next step with its date and an evidence file, undoing the last step, audited evidence
downloads. Evidence files are checked by content and stored under MEDIA_ROOT/relocation/steps/<relocation id>/."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core import uploads
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.core.policy import policy_value
from anju.registry.models import Enrolment, Household, Program
from anju.registry.models import Status as EnrolmentState
from anju.registry.selectors import scope_or_ancestors_q
from anju.relocation.models import STEP_ORDER, Relocation, RelocationStep, Site, Step

MAX_EVIDENCE_BYTES = 20 * uploads.MB
EVIDENCE_TYPES = {".pdf": uploads.PDF, ".jpg": uploads.JPEG, ".jpeg": uploads.JPEG, ".png": uploads.PNG}
DATE_FIELD = {Step.CONFIRMED: "confirmed_on", Step.AGREEMENT: "agreement_on", Step.ALLOCATED: "allocated_on",
              Step.MOVED_IN: "moved_in_on", Step.DEMOLISHED: "demolished_on"}

MSG_STEP_REQUIRED = gettext_lazy("请选择搬迁环节")
MSG_STEP_UNKNOWN = gettext_lazy("未知的搬迁环节：%(step)s")
MSG_STEP_FIRST = gettext_lazy("该户尚未确认搬迁，第一个环节应为“确认搬迁”")
MSG_STEP_NEXT = gettext_lazy("该户当前环节为“%(current)s”，下一环节应为“%(next)s”，不能登记“%(step)s”")
MSG_STEP_DONE = gettext_lazy("该户搬迁环节已全部完成（%(current)s）")
MSG_DATE_REQUIRED = gettext_lazy("请填写环节日期")
MSG_DATE_FUTURE = gettext_lazy("环节日期不能晚于今天")
MSG_DATE_BEFORE = gettext_lazy("环节日期不能早于上一环节“%(previous)s”的日期（%(date)s）")
MSG_SITE_REQUIRED = gettext_lazy("分配安置住房前须指定安置点")
MSG_SITE_SCOPE = gettext_lazy("安置点不存在或不在您的管辖范围内")
MSG_HOUSE_NUMBER_REQUIRED = gettext_lazy("分配安置住房须填写安置房号")
MSG_HOUSE_AREA_REQUIRED = gettext_lazy("分配安置住房须填写安置住房面积")
MSG_HOUSE_AREA_INVALID = gettext_lazy("安置住房面积应为大于 0 的数，最多两位小数")
MSG_HOUSE_AREA_LIMIT = gettext_lazy("安置住房面积 %(area)s 平方米超过标准：%(persons)s 人 × 人均 %(limit)s 平方米 = %(max)s 平方米")
MSG_HOUSE_ONLY_AT_ALLOCATION = gettext_lazy("安置房号和面积在“分配安置住房”环节登记")
MSG_HOUSE_NUMBER_TOO_LONG = gettext_lazy("安置房号最多 50 字")
MSG_YEAR_INVALID = gettext_lazy("搬迁年度应在 2000 至 2100 之间")
MSG_NOTE_TOO_LONG = gettext_lazy("说明最多 300 字")
MSG_ALREADY_STARTED = gettext_lazy("该户已确认搬迁")
MSG_NOTHING_TO_UNDO = gettext_lazy("该户尚未登记任何搬迁环节")
MSG_REASON_REQUIRED = gettext_lazy("请填写撤销理由")
MSG_REASON_TOO_LONG = gettext_lazy("撤销理由最多 300 字")
MSG_NO_EVIDENCE = gettext_lazy("该环节没有佐证材料")
MSG_FILE_MISSING = gettext_lazy("文件“%(name)s”在存储中找不到，请联系系统管理员")


def _today() -> dt.date:
    return dt.date.today()


def step_check(step: str) -> str:
    step = (step or "").strip()
    if not step:
        raise ValidationFailed(MSG_STEP_REQUIRED, code="step_required", detail={"field": "step"})
    if step not in STEP_ORDER:
        raise ValidationFailed(MSG_STEP_UNKNOWN % {"step": step}, code="step_unknown", detail={"field": "step"})
    return step


def next_step(relocation: Relocation | None) -> str | None:
    """The step that may be recorded next (None when all are done)."""
    if relocation is None:
        return Step.CONFIRMED
    index = STEP_ORDER[relocation.step] + 1
    return Step.values[index] if index < len(Step.values) else None


def _text(value, field: str, limit: int, too_long) -> str:
    text = (value or "").replace("\x00", "").strip()
    if len(text) > limit:
        raise ValidationFailed(too_long, code=f"{field}_too_long", detail={"field": field})
    return text


def _area(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        area = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(MSG_HOUSE_AREA_INVALID, code="house_area_invalid", detail={"field": "house_area"}) from None
    if not area.is_finite() or area <= 0 or area >= Decimal("100000") or area != area.quantize(Decimal("0.01")):
        raise ValidationFailed(MSG_HOUSE_AREA_INVALID, code="house_area_invalid", detail={"field": "house_area"})
    return area.quantize(Decimal("0.01"))


def _site(actor, site) -> Site | None:
    """A site the actor may see (by id, code or object), or ValidationFailed naming the field."""
    if site in (None, ""):
        return None
    qs = Site.objects.filter(scope_or_ancestors_q(actor))
    if isinstance(site, Site):
        found = qs.filter(pk=site.pk).first()
    elif isinstance(site, int) or str(site).isdigit():
        found = qs.filter(pk=int(site)).first() or qs.filter(code=str(site)).first()
    else:
        found = qs.filter(code=str(site).strip()).first()
    if found is None:
        raise ValidationFailed(MSG_SITE_SCOPE, code="site_scope", detail={"field": "site"})
    return found


def _evidence(name: str, data: bytes) -> tuple[str, bytes, str] | None:
    """An optional evidence file (pdf, jpg, png; ≤ 20 MB), checked by content: (name, bytes, content type) or None."""
    if not name and not data:
        return None
    name = uploads.upload_name(name)
    return name, data, uploads.check_upload(name, data, allowed=EVIDENCE_TYPES, max_bytes=MAX_EVIDENCE_BYTES)


def evidence_dir(relocation_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "relocation" / "steps" / str(relocation_id)


def evidence_path(step: RelocationStep) -> Path:
    return Path(settings.MEDIA_ROOT) / step.evidence_path


def _store(relocation: Relocation, evidence, written: list[Path]) -> dict:
    if evidence is None:
        return {}
    name, data, _content_type = evidence
    folder = evidence_dir(relocation.pk)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    written.append(stored)
    stored.write_bytes(data)
    return {"evidence_path": str(stored.relative_to(settings.MEDIA_ROOT)), "evidence_name": name,
            "evidence_sha256": hashlib.sha256(data).hexdigest()}


def relocation_persons(household: Household) -> int:
    """The household's relocation members: persons with an active relocation enrolment (all enrolled when none is)."""
    qs = Enrolment.objects.filter(household=household, program=Program.RELOCATION)
    active = qs.filter(status=EnrolmentState.ACTIVE).values("person_id").distinct().count()
    return active or qs.values("person_id").distinct().count()


def _enrolment_defaults(household: Household) -> tuple[int | None, int | None]:
    """(site id, relocation year) from the household's relocation enrolments, when they agree."""
    rows = set(Enrolment.objects.filter(household=household, program=Program.RELOCATION).values_list("site_id", "relocation_year"))
    sites = {s for s, _y in rows if s}
    years = {y for _s, y in rows if y}
    return (sites.pop() if len(sites) == 1 else None), (years.pop() if len(years) == 1 else None)


def _step_dict(s: RelocationStep) -> dict:
    return {"step": s.step, "on": s.on.isoformat(), "note": s.note, "evidence": s.evidence_name or None,
            "sha256": s.evidence_sha256 or None}


def _relocation_dict(r: Relocation) -> dict:
    return {"household": r.household_id, "step": r.step, "site": r.site_id, "year": r.year, "persons": r.persons,
            "house_number": r.house_number, "house_area": None if r.house_area is None else str(r.house_area)}


def step_record(*, actor, household: Household, step: str, on: dt.date | None, note: str = "", evidence_name: str = "",
                evidence_data: bytes = b"", site=None, year: int | None = None, house_number: str = "",
                house_area=None) -> RelocationStep:
    """Record the next relocation step of a household in the actor's entry scope (RELOCATION_EDIT).

    Steps go in order, one at a time; the date may not be in the future nor before the previous step's date. The first
    step (确认搬迁) starts the relocation: the Relocation row with the site (default: the enrolments' site), the year
    (default: the enrolments' relocation year) and the persons (its relocation members). At 分配安置住房 the site must
    be set and the house number and area are required; the area may not exceed persons × relocation.max_area_per_person.
    An optional evidence file (pdf, jpg, png) is checked by content. Audited."""
    require_perm(actor, Perm.RELOCATION_EDIT)
    step = step_check(step)
    if on is None:
        raise ValidationFailed(MSG_DATE_REQUIRED, code="date_required", detail={"field": "on"})
    if on > _today():
        raise ValidationFailed(MSG_DATE_FUTURE, code="date_future", detail={"field": "on"})
    note = _text(note, "note", 300, MSG_NOTE_TOO_LONG)
    house_number = _text(house_number, "house_number", 50, MSG_HOUSE_NUMBER_TOO_LONG)
    area = _area(house_area)
    if year not in (None, "") and not (2000 <= int(year) <= 2100):
        raise ValidationFailed(MSG_YEAR_INVALID, code="year_invalid", detail={"field": "year"})
    new_site = _site(actor, site)
    if step != Step.ALLOCATED and (house_number or area is not None):
        raise ValidationFailed(MSG_HOUSE_ONLY_AT_ALLOCATION, code="house_not_allowed",
                               detail={"field": "house_number" if house_number else "house_area"})
    evidence = _evidence(evidence_name, evidence_data)
    try:
        with uploads.files_removed_on_error([]) as written, transaction.atomic():
            locked = Household.objects.select_for_update().filter(pk=household.pk).first()
            if locked is None or not in_scope(actor, locked.division_code, "entry"):
                raise NotFound()
            relocation = Relocation.objects.select_for_update().filter(household=locked).first()
            expected = next_step(relocation)
            if expected is None:
                raise Conflict(MSG_STEP_DONE % {"current": Step(relocation.step).label}, code="steps_done", detail={"field": "step"})
            if step != expected:
                if relocation is None:
                    raise ValidationFailed(MSG_STEP_FIRST, code="step_order", detail={"field": "step"})
                raise ValidationFailed(MSG_STEP_NEXT % {"current": Step(relocation.step).label, "next": Step(expected).label,
                                                        "step": Step(step).label}, code="step_order", detail={"field": "step"})
            before = None
            if relocation is None:
                default_site, default_year = _enrolment_defaults(locked)
                relocation = Relocation(household=locked, division_code=locked.division_code,
                                        site_id=new_site.pk if new_site else default_site,
                                        year=int(year) if year not in (None, "") else default_year,
                                        persons=relocation_persons(locked), step=Step.CONFIRMED, confirmed_on=on)
                try:
                    with transaction.atomic():
                        relocation.save()
                except IntegrityError:
                    raise Conflict(MSG_ALREADY_STARTED, code="already_started") from None
            else:
                before = _relocation_dict(relocation)
                previous = relocation.steps.order_by("-on", "-id").first()
                last_on = getattr(relocation, DATE_FIELD[relocation.step]) or (previous.on if previous else None)
                if last_on and on < last_on:
                    raise ValidationFailed(MSG_DATE_BEFORE % {"previous": Step(relocation.step).label, "date": last_on.isoformat()},
                                           code="date_before", detail={"field": "on"})
                if new_site is not None:
                    relocation.site = new_site
                if year not in (None, ""):
                    relocation.year = int(year)
                if step == Step.ALLOCATED:
                    _check_allocation(relocation, house_number, area, on)
                    relocation.house_number, relocation.house_area = house_number, area
                relocation.step = step
                setattr(relocation, DATE_FIELD[step], on)
                relocation.save(update_fields=["site", "year", "house_number", "house_area", "step", DATE_FIELD[step], "updated_at"])
            row = RelocationStep.objects.create(relocation=relocation, step=step, on=on, note=note, recorded_by=actor,
                                                **_store(relocation, evidence, written))
            audit_record(actor=actor, action="relocation.step.recorded", object_type="relocation", object_id=relocation.pk,
                         division_code=relocation.division_code, before=before,
                         after={**_relocation_dict(relocation), "recorded": _step_dict(row)})
    except IntegrityError:
        raise Conflict(MSG_ALREADY_STARTED, code="already_started") from None
    return row


def _check_allocation(relocation: Relocation, house_number: str, area: Decimal | None, on: dt.date) -> None:
    if relocation.site_id is None:
        raise ValidationFailed(MSG_SITE_REQUIRED, code="site_required", detail={"field": "site"})
    if not house_number:
        raise ValidationFailed(MSG_HOUSE_NUMBER_REQUIRED, code="house_number_required", detail={"field": "house_number"})
    if area is None:
        raise ValidationFailed(MSG_HOUSE_AREA_REQUIRED, code="house_area_required", detail={"field": "house_area"})
    if relocation.persons:
        limit = Decimal(str(policy_value("relocation.max_area_per_person", on=on, division_code=relocation.division_code)))
        most = limit * relocation.persons
        if area > most:
            raise ValidationFailed(MSG_HOUSE_AREA_LIMIT % {"area": area, "persons": relocation.persons, "limit": limit, "max": most},
                                   code="house_area_limit", detail={"field": "house_area"})


def step_undo(*, actor, household: Household, reason: str) -> Relocation | None:
    """Undo the last recorded step of a household in the actor's entry scope, with a reason (audited with what was
    removed). Undoing 分配安置住房 clears the house number and area; undoing 确认搬迁 removes the relocation. The
    step's evidence file is deleted after commit. Returns the relocation as it now is (None when removed)."""
    require_perm(actor, Perm.RELOCATION_EDIT)
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
    if len(reason) > 300:
        raise ValidationFailed(MSG_REASON_TOO_LONG, code="reason_too_long", detail={"field": "reason"})
    with transaction.atomic():
        locked = Household.objects.select_for_update().filter(pk=household.pk).first()
        if locked is None or not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        relocation = Relocation.objects.select_for_update().filter(household=locked).first()
        if relocation is None:
            raise Conflict(MSG_NOTHING_TO_UNDO, code="nothing_to_undo")
        last = relocation.steps.filter(step=relocation.step).first()
        before = {**_relocation_dict(relocation), "removed": _step_dict(last) if last else {"step": relocation.step}}
        path = evidence_path(last) if last and last.evidence_path else None
        index = STEP_ORDER[relocation.step]
        if last is not None:
            last.delete()
        if index == 0:
            relocation_id = relocation.pk
            relocation.steps.all().delete()
            relocation.delete()
            result, after = None, {"reason": reason, "step": None}
        else:
            undone = relocation.step
            setattr(relocation, DATE_FIELD[undone], None)
            if undone == Step.ALLOCATED:
                relocation.house_number, relocation.house_area = "", None
            relocation.step = Step.values[index - 1]
            relocation.save(update_fields=["step", DATE_FIELD[undone], "house_number", "house_area", "updated_at"])
            relocation_id, result = relocation.pk, relocation
            after = {"reason": reason, "step": relocation.step}
        audit_record(actor=actor, action="relocation.step.undone", object_type="relocation", object_id=relocation_id,
                     division_code=locked.division_code, message=reason, before=before, after=after)
        if path is not None:
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return result


def evidence_open(*, actor, step: RelocationStep) -> Path:
    """The evidence file of a step the actor may see (the caller used access_step); every download is audited."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    relocation = step.relocation
    if not in_scope(actor, relocation.division_code):
        raise NotFound()
    if not step.evidence_path:
        raise NotFound(MSG_NO_EVIDENCE)
    path = evidence_path(step)
    if not path.is_file():
        raise NotFound(MSG_FILE_MISSING % {"name": step.evidence_name})
    with transaction.atomic():
        audit_record(actor=actor, action="relocation.step.evidence_downloaded", object_type="relocation_step", object_id=step.pk,
                     division_code=relocation.division_code,
                     after={"household": relocation.household_id, "step": step.step, "name": step.evidence_name,
                            "sha256": step.evidence_sha256})
    return path


def evidence_content_type(step: RelocationStep) -> str:
    suffix = Path(step.evidence_name or step.evidence_path).suffix.lower()
    return EVIDENCE_TYPES.get(suffix, ("application/octet-stream",))[0]
