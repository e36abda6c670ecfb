"""A vocabulary of terms (a `Term` model with kind, code, name, sort, active): add, rename, reorder, deactivate, audited.

One `Vocabulary` per app, given its model, the permission that manages it and the audit action prefix / object type;
the apps' service modules keep their own public functions and message names on top of it. A code is stable once
created (rows store it); names are unique within a kind, ignoring white space.
"""

from __future__ import annotations

import re

from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from anju.core.access import require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed

MSG_TERM_KIND = _("字典类别“%(value)s”无效")
MSG_TERM_CODE_FORMAT = _("编码应为 1 至 32 位英文字母、数字、下划线或短横线")
MSG_TERM_CODE_TAKEN = _("%(kind)s中已有编码“%(code)s”")
MSG_TERM_CODE_IMMUTABLE = _("编码创建后不能修改：已有记录按编码引用它；如需调整，请修改名称")
MSG_TERM_NAME_REQUIRED = _("请填写名称")
MSG_TERM_NAME_LENGTH = _("名称最长 60 个字")
MSG_TERM_NAME_TAKEN = _("%(kind)s中已有名称“%(name)s”")
MSG_TERM_SORT = _("排序应为 0 至 32767 之间的整数")
MSG_TERM_DIRECTION = _("移动方向应为 up 或 down")

CODE_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
CODE = re.compile(CODE_PATTERN)
MAX_SORT = 32767


def invalid(field: str, message, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, detail={"field": field})


def check_sort(value, code: str) -> int:
    """A sort position 0..MAX_SORT (not a bool), else ValidationFailed(MSG_TERM_SORT, code)."""
    if isinstance(value, bool):
        raise invalid("sort", MSG_TERM_SORT, code)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise invalid("sort", MSG_TERM_SORT, code) from None
    if not 0 <= n <= MAX_SORT:
        raise invalid("sort", MSG_TERM_SORT, code)
    return n


def next_sort(queryset) -> int:
    """The sort position after the last row of `queryset` (10 more, capped at MAX_SORT)."""
    last = queryset.order_by("-sort").values_list("sort", flat=True).first() or 0
    return min(last + 10, MAX_SORT)


class Vocabulary:
    """The term services of one app.

    `model` is the app's Term; `perm` the permission required; audit events are `<action>.created|updated|renamed|
    activated|deactivated|reordered` on `object_type`. `error_codes` overrides the ValidationFailed code per field
    (default `term_<field>_invalid`); `strip_nul` drops NUL characters from a name instead of rejecting it.
    """

    def __init__(self, model, *, perm, action: str, object_type: str, error_codes: dict | None = None, strip_nul: bool = False):
        self.model, self.perm, self.action, self.object_type = model, perm, action, object_type
        self.error_codes = error_codes or {}
        self.strip_nul = strip_nul

    def _invalid(self, field: str, message) -> ValidationFailed:
        return invalid(field, message, self.error_codes.get(field, f"term_{field}_invalid"))

    def kind(self, value) -> str:
        if value not in self.model.Kind.values:
            raise self._invalid("kind", MSG_TERM_KIND % {"value": value})
        return value

    def name(self, value) -> str:
        text = str(value or "")
        if self.strip_nul:
            text = text.replace("\x00", "")
        name = " ".join(text.split())
        if "\x00" in name or not name:
            raise self._invalid("name", MSG_TERM_NAME_REQUIRED)
        if len(name) > 60:
            raise self._invalid("name", MSG_TERM_NAME_LENGTH)
        return name

    def sort(self, value) -> int:
        return check_sort(value, self.error_codes.get("sort", "term_sort_invalid"))

    def check_name_free(self, kind: str, name: str, exclude: int | None) -> None:
        key = "".join(name.split())
        for other in self.model.objects.filter(kind=kind).exclude(pk=exclude).values_list("name", flat=True):
            if "".join(other.split()) == key:
                raise Conflict(MSG_TERM_NAME_TAKEN % {"kind": self.model.Kind(kind).label, "name": name}, code="term_name_taken",
                               detail={"field": "name"})

    @staticmethod
    def snapshot(t) -> dict:
        return {"kind": t.kind, "code": t.code, "name": t.name, "sort": t.sort, "active": t.active}

    def audit(self, actor, event: str, object_id, **kwargs) -> None:
        audit_record(actor=actor, action=f"{self.action}.{event}", object_type=self.object_type, object_id=object_id, **kwargs)

    def create(self, *, actor, kind: str, code: str, name: str, sort: int | None = None, active: bool = True):
        """A new term at the end of its vocabulary (or at `sort`)."""
        require_perm(actor, self.perm)
        kind = self.kind(kind)
        code = str(code or "").strip()
        if not CODE.match(code):
            raise self._invalid("code", MSG_TERM_CODE_FORMAT)
        name = self.name(name)
        taken = Conflict(MSG_TERM_CODE_TAKEN % {"kind": self.model.Kind(kind).label, "code": code}, code="term_code_taken",
                         detail={"field": "code"})
        if self.model.objects.filter(kind=kind, code=code).exists():
            raise taken
        self.check_name_free(kind, name, None)
        if sort is None or sort == "":
            sort = next_sort(self.model.objects.filter(kind=kind))
        sort = self.sort(sort)
        try:
            with transaction.atomic():
                term = self.model.objects.create(kind=kind, code=code, name=name, sort=sort, active=bool(active))
                self.audit(actor, "created", term.pk, after=self.snapshot(term))
        except IntegrityError:
            raise taken from None
        return term

    def update(self, *, actor, term, name: str | None = None, sort: int | None = None, active: bool | None = None,
               code: str | None = None):
        """Rename, re-sort, deactivate or reactivate a term (None leaves a field). A code may be repeated, never changed."""
        require_perm(actor, self.perm)
        if code is not None and str(code).strip() != term.code:
            raise invalid("code", MSG_TERM_CODE_IMMUTABLE, "term_code_immutable")
        with transaction.atomic():
            locked = self.model.objects.select_for_update().filter(pk=term.pk).first()
            if locked is None:
                raise NotFound()
            before = self.snapshot(locked)
            if name is not None:
                locked.name = self.name(name)
                self.check_name_free(locked.kind, locked.name, locked.pk)
            if sort is not None:
                locked.sort = self.sort(sort)
            if active is not None:
                locked.active = bool(active)
            old, new = audit_diff(before, self.snapshot(locked))
            if not new:
                return locked
            locked.save(update_fields=list(new))
            event = "updated"
            if set(new) == {"active"}:
                event = "activated" if locked.active else "deactivated"
            elif set(new) == {"name"}:
                event = "renamed"
            self.audit(actor, event, locked.pk, before=old, after={"kind": locked.kind, "code": locked.code, **new})
        return locked

    def move(self, *, actor, term, direction: str):
        """Move a term one place up or down in its vocabulary; the vocabulary is renumbered 10, 20, 30, …"""
        require_perm(actor, self.perm)
        if direction not in ("up", "down"):
            raise self._invalid("direction", MSG_TERM_DIRECTION)
        with transaction.atomic():
            rows = list(self.model.objects.select_for_update().filter(kind=term.kind).order_by("sort", "code"))
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
            self.model.objects.bulk_update(changed, ["sort"])
            self.audit(actor, "reordered", term.pk, before={"kind": term.kind, "order": before},
                       after={"kind": term.kind, "order": [t.code for t in rows]})
            return next(t for t in rows if t.pk == term.pk)


class TermForm(forms.Form):
    """A term of a vocabulary; a subclass names its kinds in `kind_choices`. When editing, kind and code are fixed."""

    kind_choices: tuple | list = ()

    kind = forms.ChoiceField(label=_("字典"), choices=())
    code = forms.RegexField(label=_("编码"), regex=CODE_PATTERN, max_length=32,
                            help_text=_("英文字母、数字、下划线或短横线；创建后不能修改"),
                            error_messages={"invalid": _("编码应为 1 至 32 位英文字母、数字、下划线或短横线")})
    name = forms.CharField(label=_("名称"), max_length=60)
    sort = forms.IntegerField(label=_("排序"), required=False, min_value=0, max_value=MAX_SORT, help_text=_("数字小的排在前面；留空排在最后"))
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = self.kind_choices
        if editing:
            for name in ("kind", "code"):
                self.fields[name].disabled = True
                self.fields[name].required = False
