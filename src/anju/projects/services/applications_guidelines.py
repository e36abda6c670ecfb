"""The yearly application guideline (申报指南): drafting it (eligible categories and programs, investment bounds, required
documents, minimum beneficiaries, other conditions, deadline), publishing it (then it is fixed) and closing it.

One guideline per division (a city or a county in the actor's entry scope) and year. The guideline that governs a
project is the published one of the project's year whose division covers the project, the most specific first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.divisions.codes import prefix_of
from anju.projects.models import DocumentType, Guideline, Program, Project, Term
from anju.projects.services.plans import clean_division

MSG_TITLE = gettext_lazy("请填写指南名称（最长 200 个字）")
MSG_DOC_NUMBER = gettext_lazy("文号最长 100 个字")
MSG_YEAR = gettext_lazy("年度应在 2000 年至 2100 年之间")
MSG_DIVISION = gettext_lazy("发布区划应为您录入范围内的市或县（4 位或 6 位区划代码）")
MSG_CATEGORY_UNKNOWN = gettext_lazy("项目类别“%(code)s”不存在或已停用")
MSG_PROGRAM_UNKNOWN = gettext_lazy("项目类型“%(code)s”不存在")
MSG_DOCUMENT_UNKNOWN = gettext_lazy("档案材料“%(code)s”不存在或已停用")
MSG_AMOUNT = gettext_lazy("投资上下限应为不小于 0 的金额")
MSG_BOUNDS = gettext_lazy("投资下限不能高于投资上限")
MSG_BENEFICIARIES = gettext_lazy("受益移民人数下限应为 0 至 10000000 之间的整数")
MSG_CONDITIONS = gettext_lazy("其他条件最长 5000 个字")
MSG_DEADLINE = gettext_lazy("申报截止日期应为 2000-01-01 至 2100-12-31 之间的日期")
MSG_EXISTS = gettext_lazy("该区划已有 %(year)s 年度的申报指南")
MSG_NOT_DRAFT = gettext_lazy("指南已发布，不能修改，只能截止")
MSG_PUBLISH_STATE = gettext_lazy("只有草稿可以发布")
MSG_CLOSE_STATE = gettext_lazy("只有已发布的指南可以截止")
MSG_DELETE_STATE = gettext_lazy("只有草稿可以删除")

MAX_BENEFICIARIES = 10_000_000
EDITABLE = ("year", "title", "doc_number", "division_code", "categories", "programs", "min_investment", "max_investment",
            "required_documents", "min_beneficiaries", "conditions", "deadline")


def _invalid(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, code=f"guideline_{field}", detail={"field": field})


def _text(field: str, value, limit: int, message, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if "\x00" in text or len(text) > limit or (required and not text):
        raise _invalid(field, message)
    return text


def _codes(field: str, value, allowed: set[str], message, order: list[str]) -> list[str]:
    items = [value] if isinstance(value, str) else list(value or [])
    items = [str(i).strip() for i in items if str(i).strip()]
    for code in items:
        if code not in allowed:
            raise _invalid(field, message % {"code": code})
    return [c for c in order if c in items]  # de-duplicated, in the vocabulary's order


def _amount(field: str, value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(field, MSG_AMOUNT)
    return value


def _count(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(str(value).strip()) if not isinstance(value, bool) else -1
    except ValueError:
        n = -1
    if not 0 <= n <= MAX_BENEFICIARIES:
        raise _invalid("min_beneficiaries", MSG_BENEFICIARIES)
    return n


def _deadline(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise _invalid("deadline", MSG_DEADLINE) from None
    if not dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31):
        raise _invalid("deadline", MSG_DEADLINE)
    return value


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise _invalid("year", MSG_YEAR) from None
    if not 2000 <= year <= 2100:
        raise _invalid("year", MSG_YEAR)
    return year


def clean_guideline(actor, data: dict[str, Any]) -> dict[str, Any]:
    """The given fields of a guideline checked and normalised (amounts in fen); the first bad field raises."""
    clean: dict[str, Any] = {}
    if "title" in data:
        clean["title"] = _text("title", data["title"], 200, MSG_TITLE, required=True)
    if "doc_number" in data:
        clean["doc_number"] = _text("doc_number", data["doc_number"], 100, MSG_DOC_NUMBER)
    if "year" in data:
        clean["year"] = _year(data["year"])
    if "division_code" in data:
        clean["division_code"] = clean_division(actor, data["division_code"], message=MSG_DIVISION).code
    if "categories" in data:
        terms = list(Term.objects.filter(kind=Term.Kind.CATEGORY, active=True).order_by("sort", "code").values_list("code", flat=True))
        clean["categories"] = _codes("categories", data["categories"], set(terms), MSG_CATEGORY_UNKNOWN, terms)
    if "programs" in data:
        clean["programs"] = _codes("programs", data["programs"], set(Program.values), MSG_PROGRAM_UNKNOWN, list(Program.values))
    if "required_documents" in data:
        docs = list(DocumentType.objects.filter(active=True).order_by("sort", "code").values_list("code", flat=True))
        clean["required_documents"] = _codes("required_documents", data["required_documents"], set(docs), MSG_DOCUMENT_UNKNOWN, docs)
    for field in ("min_investment", "max_investment"):
        if field in data:
            clean[field] = _amount(field, data[field])
    if "min_beneficiaries" in data:
        clean["min_beneficiaries"] = _count(data["min_beneficiaries"])
    if "conditions" in data:
        clean["conditions"] = _text("conditions", data["conditions"], 5000, MSG_CONDITIONS)
    if "deadline" in data:
        clean["deadline"] = _deadline(data["deadline"])
    return clean


def _snapshot(g: Guideline) -> dict[str, Any]:
    return {f: getattr(g, f) for f in EDITABLE} | {"state": g.state}


def _check_bounds(g: Guideline) -> None:
    if g.min_investment is not None and g.max_investment is not None and g.min_investment > g.max_investment:
        raise _invalid("max_investment", MSG_BOUNDS)


def _exists(division_code: str, year: int, exclude: int | None = None) -> Conflict | None:
    qs = Guideline.objects.filter(division_code=division_code, year=year)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return Conflict(MSG_EXISTS % {"year": year}, code="guideline_exists", detail={"field": "year"}) if qs.exists() else None


def guideline_create(*, actor, year: int, title: str, division_code: str, doc_number: str = "", categories=(), programs=(),
                     min_investment: int | None = None, max_investment: int | None = None, required_documents=(),
                     min_beneficiaries: int | None = None, conditions: str = "", deadline: dt.date | None = None) -> Guideline:
    """Draft the guideline of a year for a division (amounts in fen; empty categories or programs mean all)."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    data = clean_guideline(actor, {"year": year, "title": title, "division_code": division_code, "doc_number": doc_number,
                                   "categories": categories, "programs": programs, "min_investment": min_investment,
                                   "max_investment": max_investment, "required_documents": required_documents,
                                   "min_beneficiaries": min_beneficiaries, "conditions": conditions, "deadline": deadline})
    guideline = Guideline(**data, created_by=actor)
    _check_bounds(guideline)
    with transaction.atomic():
        conflict = _exists(guideline.division_code, guideline.year)
        if conflict:
            raise conflict
        try:
            with transaction.atomic():
                guideline.save()
        except IntegrityError:
            raise _exists(guideline.division_code, guideline.year) or Conflict() from None
        audit_record(actor=actor, action="projects.guideline.created", object_type="guideline", object_id=guideline.pk,
                     division_code=guideline.division_code, after=_snapshot(guideline))
    return guideline


def _lock(actor, guideline: Guideline) -> Guideline:
    locked = Guideline.objects.select_for_update().filter(pk=guideline.pk).first()
    if locked is None or not in_scope(actor, locked.division_code, "entry"):
        raise NotFound()
    return locked


def guideline_update(*, actor, guideline: Guideline, **changes) -> Guideline:
    """Change a draft guideline; only the given fields change (EDITABLE names them)."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown guideline fields: {sorted(unknown)}")
    with transaction.atomic():
        guideline = _lock(actor, guideline)
        if guideline.state != Guideline.State.DRAFT:
            raise Conflict(MSG_NOT_DRAFT, code="guideline_not_draft")
        before = _snapshot(guideline)
        for field, value in clean_guideline(actor, changes).items():
            setattr(guideline, field, value)
        _check_bounds(guideline)
        if (guideline.division_code, guideline.year) != (before["division_code"], before["year"]):
            conflict = _exists(guideline.division_code, guideline.year, exclude=guideline.pk)
            if conflict:
                raise conflict
        old, new = audit_diff(before, _snapshot(guideline))
        if new:
            guideline.save(update_fields=list(EDITABLE))
            audit_record(actor=actor, action="projects.guideline.updated", object_type="guideline", object_id=guideline.pk,
                         division_code=guideline.division_code, before=old, after=new)
    return guideline


def guideline_publish(*, actor, guideline: Guideline) -> Guideline:
    """草稿 → 已发布: counties may apply under it from now on, and it no longer changes."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        guideline = _lock(actor, guideline)
        if guideline.state != Guideline.State.DRAFT:
            raise Conflict(MSG_PUBLISH_STATE, code="guideline_publish_state")
        guideline.state, guideline.published_by, guideline.published_at = Guideline.State.PUBLISHED, actor, timezone.now()
        guideline.save(update_fields=["state", "published_by", "published_at"])
        audit_record(actor=actor, action="projects.guideline.published", object_type="guideline", object_id=guideline.pk,
                     division_code=guideline.division_code, before={"state": Guideline.State.DRAFT},
                     after={"state": guideline.state, "year": guideline.year, "title": guideline.title})
    return guideline


def guideline_close(*, actor, guideline: Guideline) -> Guideline:
    """已发布 → 已截止: no new applications are submitted; those under review go on."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        guideline = _lock(actor, guideline)
        if guideline.state != Guideline.State.PUBLISHED:
            raise Conflict(MSG_CLOSE_STATE, code="guideline_close_state")
        guideline.state = Guideline.State.CLOSED
        guideline.save(update_fields=["state"])
        audit_record(actor=actor, action="projects.guideline.closed", object_type="guideline", object_id=guideline.pk,
                     division_code=guideline.division_code, before={"state": Guideline.State.PUBLISHED}, after={"state": guideline.state})
    return guideline


def guideline_delete(*, actor, guideline: Guideline) -> None:
    """Delete a draft (a draft has no applications: they need a published guideline)."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        guideline = _lock(actor, guideline)
        if guideline.state != Guideline.State.DRAFT or guideline.applications.exists():
            raise Conflict(MSG_DELETE_STATE, code="guideline_delete_state")
        snapshot, pk = _snapshot(guideline), guideline.pk
        guideline.delete()
        audit_record(actor=actor, action="projects.guideline.deleted", object_type="guideline", object_id=pk,
                     division_code=snapshot["division_code"], before=snapshot)


def covering_codes(division_code: str) -> list[str]:
    """The 12-digit codes of the divisions that cover a code (province, city, county, township, itself)."""
    return [division_code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12)]


def guideline_for_project(project: Project) -> Guideline | None:
    """The published guideline of the project's year whose division covers the project, the most specific one."""
    if not project.year:
        return None
    found = list(Guideline.objects.filter(year=project.year, state=Guideline.State.PUBLISHED,
                                          division_code__in=covering_codes(project.division_code)))
    return max(found, key=lambda g: len(prefix_of(g.division_code)), default=None)
