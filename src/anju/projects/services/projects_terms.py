"""The projects' vocabularies (项目类别, 资金来源, 检查类型): add, rename, reorder, deactivate and delete unused terms, audited.

A code is stable once created (rows store it); names are unique within a kind; a term in use is deactivated, never deleted.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.projects.models import Term

MSG_TERM_KIND = _("字典类别“%(value)s”无效")
MSG_TERM_CODE_FORMAT = _("编码应为 1 至 32 位英文字母、数字、下划线或短横线")
MSG_TERM_CODE_TAKEN = _("%(kind)s中已有编码“%(code)s”")
MSG_TERM_CODE_IMMUTABLE = _("编码创建后不能修改：已有记录按编码引用它；如需调整，请修改名称")
MSG_TERM_NAME_REQUIRED = _("请填写名称")
MSG_TERM_NAME_LENGTH = _("名称最长 60 个字")
MSG_TERM_NAME_TAKEN = _("%(kind)s中已有名称“%(name)s”")
MSG_TERM_SORT = _("排序应为 0 至 32767 之间的整数")
MSG_TERM_IN_USE = _("“%(name)s”已被 %(n)s 条记录使用，不能删除，只能停用")
MSG_TERM_DIRECTION = _("移动方向应为 up 或 down")

CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_SORT = 32767


def _invalid(field: str, message, code: str = "") -> ValidationFailed:
    return ValidationFailed(message, code=code or f"term_{field}_invalid", detail={"field": field})


def _kind(value) -> str:
    if value not in Term.Kind.values:
        raise _invalid("kind", MSG_TERM_KIND % {"value": value})
    return value


def _name(value) -> str:
    name = " ".join(str(value or "").split())
    if "\x00" in name or not name:
        raise _invalid("name", MSG_TERM_NAME_REQUIRED)
    if len(name) > 60:
        raise _invalid("name", MSG_TERM_NAME_LENGTH)
    return name


def _sort(value) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise _invalid("sort", MSG_TERM_SORT) from None
    if isinstance(value, bool) or not 0 <= n <= MAX_SORT:
        raise _invalid("sort", MSG_TERM_SORT)
    return n


def _check_name_free(kind: str, name: str, exclude: int | None) -> None:
    key = "".join(name.split())
    for other in Term.objects.filter(kind=kind).exclude(pk=exclude).values_list("name", flat=True):
        if "".join(other.split()) == key:
            raise Conflict(MSG_TERM_NAME_TAKEN % {"kind": Term.Kind(kind).label, "name": name}, code="term_name_taken",
                           detail={"field": "name"})


def term_snapshot(t: Term) -> dict:
    return {"kind": t.kind, "code": t.code, "name": t.name, "sort": t.sort, "active": t.active}


def term_usage(term: Term) -> int:
    """How many rows refer to the term's code (projects, plan targets, guidelines, allocations, payments, applications,
    inspections)."""
    from anju.projects.models import Allocation, Application, Guideline, Inspection, Payment, PlanTarget, Project

    code = term.code
    if term.kind == Term.Kind.CATEGORY:
        guidelines = sum(1 for cats in Guideline.objects.values_list("categories", flat=True) if code in (cats or []))
        return Project.objects.filter(category=code).count() + PlanTarget.objects.filter(category=code).count() + guidelines
    if term.kind == Term.Kind.FUND_SOURCE:
        return (Allocation.objects.filter(fund_source=code).count() + Payment.objects.filter(fund_source=code).count()
                + Application.objects.filter(requested_by_source__has_key=code).count())
    return Inspection.objects.filter(kind=code).count()


def term_create(*, actor, kind: str, code: str, name: str, sort: int | None = None, active: bool = True) -> Term:
    """A new term at the end of its vocabulary (or at `sort`)."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    kind = _kind(kind)
    code = str(code or "").strip()
    if not CODE.match(code):
        raise _invalid("code", MSG_TERM_CODE_FORMAT)
    name = _name(name)
    if Term.objects.filter(kind=kind, code=code).exists():
        raise Conflict(MSG_TERM_CODE_TAKEN % {"kind": Term.Kind(kind).label, "code": code}, code="term_code_taken", detail={"field": "code"})
    _check_name_free(kind, name, None)
    if sort is None or sort == "":
        last = Term.objects.filter(kind=kind).order_by("-sort").values_list("sort", flat=True).first() or 0
        sort = min(last + 10, MAX_SORT)
    sort = _sort(sort)
    try:
        with transaction.atomic():
            term = Term.objects.create(kind=kind, code=code, name=name, sort=sort, active=bool(active))
            audit_record(actor=actor, action="projects.term.created", object_type="project_term", object_id=term.pk, after=term_snapshot(term))
    except IntegrityError:
        raise Conflict(MSG_TERM_CODE_TAKEN % {"kind": Term.Kind(kind).label, "code": code}, code="term_code_taken",
                       detail={"field": "code"}) from None
    return term


def term_update(*, actor, term: Term, name: str | None = None, sort: int | None = None, active: bool | None = None,
                code: str | None = None) -> Term:
    """Rename, re-sort, deactivate or reactivate a term; None leaves a field. A code may be repeated but never changed."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    if code is not None and str(code).strip() != term.code:
        raise _invalid("code", MSG_TERM_CODE_IMMUTABLE, "term_code_immutable")
    with transaction.atomic():
        locked = Term.objects.select_for_update().filter(pk=term.pk).first()
        if locked is None:
            raise NotFound()
        before = term_snapshot(locked)
        if name is not None:
            locked.name = _name(name)
            _check_name_free(locked.kind, locked.name, locked.pk)
        if sort is not None:
            locked.sort = _sort(sort)
        if active is not None:
            locked.active = bool(active)
        old, new = audit_diff(before, term_snapshot(locked))
        if not new:
            return locked
        locked.save(update_fields=list(new))
        action = "projects.term.updated"
        if set(new) == {"active"}:
            action = "projects.term.activated" if locked.active else "projects.term.deactivated"
        elif set(new) == {"name"}:
            action = "projects.term.renamed"
        audit_record(actor=actor, action=action, object_type="project_term", object_id=locked.pk, before=old,
                     after={"kind": locked.kind, "code": locked.code, **new})
    return locked


def term_move(*, actor, term: Term, direction: str) -> Term:
    """Move a term one place up or down in its vocabulary; the vocabulary is renumbered 10, 20, 30, …"""
    require_perm(actor, Perm.PROJECT_MANAGE)
    if direction not in ("up", "down"):
        raise _invalid("direction", MSG_TERM_DIRECTION)
    with transaction.atomic():
        rows = list(Term.objects.select_for_update().filter(kind=term.kind).order_by("sort", "code"))
        index = next((i for i, t in enumerate(rows) if t.pk == term.pk), None)
        if index is None:
            raise NotFound()
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(rows):
            return rows[index]
        before = [t.code for t in rows]
        rows[index], rows[other] = rows[other], rows[index]
        changed = []
        for n, t in enumerate(rows, start=1):
            if t.sort != n * 10:
                t.sort = n * 10
                changed.append(t)
        Term.objects.bulk_update(changed, ["sort"])
        audit_record(actor=actor, action="projects.term.reordered", object_type="project_term", object_id=term.pk,
                     before={"kind": term.kind, "order": before}, after={"kind": term.kind, "order": [t.code for t in rows]})
        return next(t for t in rows if t.pk == term.pk)


def term_delete(*, actor, term: Term) -> None:
    """Delete a term no row uses; one in use can only be deactivated."""
    require_perm(actor, Perm.PROJECT_MANAGE)
    with transaction.atomic():
        locked = Term.objects.select_for_update().filter(pk=term.pk).first()
        if locked is None:
            raise NotFound()
        used = term_usage(locked)
        if used:
            raise Conflict(MSG_TERM_IN_USE % {"name": locked.name, "n": used}, code="term_in_use")
        before = term_snapshot(locked)
        pk = locked.pk
        locked.delete()
        audit_record(actor=actor, action="projects.term.deleted", object_type="project_term", object_id=pk, before=before)
