"""A site's facilities (配套设施) and community organisations (社区组织): add, change, delete; county confirmation
permission (RELOCATION_CONFIRM) within the entry scope of the site's division, each change audited."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm
from anju.core.access import in_scope, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import PermissionDenied, ValidationFailed
from anju.relocation.models import Facility, Organisation, Site, Term
from anju.relocation.selectors_common import check_term

MSG_REQUIRED = _("请填写%(field)s")
MSG_TOO_LONG = _("%(field)s最长 %(n)s 个字")
MSG_BAD_CHARS = _("%(field)s含有不允许的字符")
MSG_NUMBER = _("%(field)s应为 0 至 1000000 之间的整数")
MSG_STATUS = _("设施状态应为规划中、在建、已投用或停用")
MSG_DATE_FORMAT = _("%(field)s应为日期，如 2021-09-01")
MSG_DATE_FUTURE = _("%(field)s不能晚于今天")
MSG_OPENED_STATUS = _("规划中或在建的设施不能填写投用日期")
MSG_PROJECT = _("建设项目不存在或不在您的查看范围内")
MSG_PHONE = _("联系电话只能由数字、空格和 + - ( ) 组成，最长 30 位")
MSG_OUT_OF_ENTRY_SCOPE = _("该安置点不在您的录入范围内，不能维护其设施和组织")

MAX_NUMBER = 1_000_000
PHONE = re.compile(r"^[0-9 +()\-]{3,30}$")
LABELS = {"kind": _("类型"), "name": _("名称"), "capacity": _("规模"), "jobs": _("吸纳就业人数"), "opened_on": _("投用日期"),
          "note": _("备注"), "established_on": _("成立日期"), "leader": _("负责人"), "phone": _("联系电话"), "members": _("成员人数"),
          "project": _("建设项目")}
LIMITS = {"name": 100, "note": 300, "leader": 50, "phone": 30}
FACILITY_FIELDS = ("kind", "name", "status", "capacity", "jobs", "opened_on", "project", "note")
ORGANISATION_FIELDS = ("kind", "name", "established_on", "leader", "phone", "members")


def _invalid(field: str, message, code: str = "") -> ValidationFailed:
    return ValidationFailed(message, code=code or f"{field}_invalid", detail={"field": field})


def check_site_entry(actor, site: Site) -> None:
    """Facilities and organisations are the county's to confirm: RELOCATION_CONFIRM and the site in the entry scope."""
    require_perm(actor, Perm.RELOCATION_CONFIRM)
    if not in_scope(actor, site.division_code, kind="entry"):
        raise PermissionDenied(MSG_OUT_OF_ENTRY_SCOPE)


def _text(field: str, value, *, required: bool = False) -> str:
    text = " ".join(str(value if value is not None else "").split())
    if "\x00" in text:
        raise _invalid(field, MSG_BAD_CHARS % {"field": LABELS[field]})
    if required and not text:
        raise _invalid(field, MSG_REQUIRED % {"field": LABELS[field]}, f"{field}_required")
    if len(text) > LIMITS[field]:
        raise _invalid(field, MSG_TOO_LONG % {"field": LABELS[field], "n": LIMITS[field]})
    return text


def _number(field: str, value) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if isinstance(value, bool) or not 0 <= number <= MAX_NUMBER or str(number) != str(value).strip():
        raise _invalid(field, MSG_NUMBER % {"field": LABELS[field]})
    return number


def _date(field: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise _invalid(field, MSG_DATE_FORMAT % {"field": LABELS[field]}) from None
    if value > dt.date.today():
        raise _invalid(field, MSG_DATE_FUTURE % {"field": LABELS[field]}, f"{field}_future")
    return value


def _phone(value) -> str:
    text = str(value if value is not None else "").strip()
    if text and not PHONE.match(text):
        raise _invalid("phone", MSG_PHONE)
    return text


def _project(actor, value):
    """A projects.Project the actor may read (a Project, an id or a project code), or None."""
    from anju.projects.models import Project

    if value in (None, ""):
        return None
    if isinstance(value, Project):
        project = value
    else:
        text = str(value).strip()
        project = Project.objects.filter(code=text).first()
        if project is None and text.isdigit():
            project = Project.objects.filter(pk=int(text)).first()
    if project is None or not actor.can(Perm.PROJECT_VIEW) or not in_scope(actor, project.division_code):
        raise _invalid("project", MSG_PROJECT, "project_unknown")
    return project


def _clean_facility(actor, field: str, value, current: Facility | None) -> Any:
    if field == "kind":
        return check_term(Term.Kind.FACILITY, value, field="kind", current=current.kind if current else "")
    if field == "status":
        value = str(value) if value is not None else ""
        if value not in Facility.Status.values:
            raise _invalid("status", MSG_STATUS)
        return value
    if field in ("capacity", "jobs"):
        return _number(field, value)
    if field == "opened_on":
        return _date(field, value)
    if field == "project":
        return _project(actor, value)
    return _text(field, value, required=field == "name")


def _clean_organisation(field: str, value, current: Organisation | None) -> Any:
    if field == "kind":
        return check_term(Term.Kind.ORGANISATION, value, field="kind", current=current.kind if current else "")
    if field == "members":
        return _number(field, value)
    if field == "established_on":
        return _date(field, value)
    if field == "phone":
        return _phone(value)
    return _text(field, value, required=field == "name")


def _check_facility(f: Facility) -> None:
    if f.opened_on and f.status in (Facility.Status.PLANNED, Facility.Status.BUILDING):
        raise _invalid("opened_on", MSG_OPENED_STATUS, "opened_on_status")


def facility_snapshot(f: Facility) -> dict[str, Any]:
    return {"site": f.site_id, "kind": f.kind, "name": f.name, "status": f.status, "capacity": f.capacity, "jobs": f.jobs,
            "opened_on": f.opened_on.isoformat() if f.opened_on else None, "project": f.project_id, "note": f.note}


def organisation_snapshot(o: Organisation) -> dict[str, Any]:
    return {"site": o.site_id, "kind": o.kind, "name": o.name, "established_on": o.established_on.isoformat() if o.established_on else None,
            "leader": o.leader, "phone": o.phone, "members": o.members}


def _record(actor, site: Site, entity: str, verb: str, pk, *, before=None, after=None) -> None:
    audit_record(actor=actor, action=f"relocation.{entity}.{verb}", object_type=entity, object_id=pk, division_code=site.division_code,
                 before=before, after=after)


# ---------------------------------------------------------------------------------------------------------- facilities
def facility_create(*, actor, site: Site, kind: str, name: str, status: str = Facility.Status.PLANNED, capacity: int = 0, jobs: int = 0,
                    opened_on: dt.date | None = None, project=None, note: str = "") -> Facility:
    """A new facility of a site (from access_site) in the actor's entry scope."""
    check_site_entry(actor, site)
    given = {"kind": kind, "name": name, "status": status, "capacity": capacity, "jobs": jobs, "opened_on": opened_on, "project": project,
             "note": note}
    facility = Facility(site=site, **{f: _clean_facility(actor, f, given[f], None) for f in FACILITY_FIELDS})
    _check_facility(facility)
    with transaction.atomic():
        facility.save()
        _record(actor, site, "facility", "created", facility.pk, after=facility_snapshot(facility))
    return facility


def _item_check(actor, item, entity: str, fields, changes: dict) -> None:
    """Before changing a facility or organisation: only its `fields`, and its site in the actor's entry scope."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"{entity}_update: unknown fields {sorted(unknown)}")
    check_site_entry(actor, item.site)


def _item_save(actor, item, entity: str, fields, before: dict, snapshot):
    """Save and audit what changed on a facility or organisation since `before`; nothing changed writes nothing."""
    old, new = audit_diff(before, snapshot(item))
    if not new:
        return item
    with transaction.atomic():
        item.save(update_fields=list(fields))
        _record(actor, item.site, entity, "updated", item.pk, before=old, after={"name": item.name, **new})
    return item


def _item_delete(actor, item, entity: str, snapshot) -> None:
    check_site_entry(actor, item.site)
    before, pk = snapshot(item), item.pk
    with transaction.atomic():
        item.delete()
        _record(actor, item.site, entity, "deleted", pk, before=before)


def facility_update(*, actor, facility: Facility, **changes) -> Facility:
    """Change fields (FACILITY_FIELDS) of a facility (from access_facility); nothing changed writes nothing."""
    _item_check(actor, facility, "facility", FACILITY_FIELDS, changes)
    before = facility_snapshot(facility)
    clean = {f: _clean_facility(actor, f, v, facility) for f, v in changes.items()}
    for f, v in clean.items():
        setattr(facility, f, v)
    _check_facility(facility)
    return _item_save(actor, facility, "facility", FACILITY_FIELDS, before, facility_snapshot)


def facility_delete(*, actor, facility: Facility) -> None:
    _item_delete(actor, facility, "facility", facility_snapshot)


# ------------------------------------------------------------------------------------------------------- organisations
def organisation_create(*, actor, site: Site, kind: str, name: str, established_on: dt.date | None = None, leader: str = "",
                        phone: str = "", members: int = 0) -> Organisation:
    """A new community organisation of a site (from access_site) in the actor's entry scope."""
    check_site_entry(actor, site)
    given = {"kind": kind, "name": name, "established_on": established_on, "leader": leader, "phone": phone, "members": members}
    organisation = Organisation(site=site, **{f: _clean_organisation(f, given[f], None) for f in ORGANISATION_FIELDS})
    with transaction.atomic():
        organisation.save()
        _record(actor, site, "organisation", "created", organisation.pk, after=organisation_snapshot(organisation))
    return organisation


def organisation_update(*, actor, organisation: Organisation, **changes) -> Organisation:
    _item_check(actor, organisation, "organisation", ORGANISATION_FIELDS, changes)
    before = organisation_snapshot(organisation)
    for f, v in changes.items():
        setattr(organisation, f, _clean_organisation(f, v, organisation))
    return _item_save(actor, organisation, "organisation", ORGANISATION_FIELDS, before, organisation_snapshot)


def organisation_delete(*, actor, organisation: Organisation) -> None:
    _item_delete(actor, organisation, "organisation", organisation_snapshot)

