"""Policy versions (政策版本): drafts, publishing their values as core.PolicyVersion rows, revoking them, and the
what-if costing (测算对比) of a draft against the policy in force.

Scope rule: a version's scope (a division prefix of a province, city or county; "" = national) must lie inside the
actor's entry scope to draft, publish or revoke it. The national scope "" lies inside no city or county scope, so only
an actor whose entry scope is a province (a prefix of 2 digits or shorter) may touch a national version; in practice
nobody below the province changes the national document, they copy it into their own scope. Township and village
scopes are refused: policy is set by counties and above (and PolicyTable memoises per county).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.audit import audit_diff, audit_record
from anju.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed, join_list
from anju.core.models import PolicyVersion
from anju.core.policy import PolicyMissing, policy_value
from anju.divisions.codes import full_code
from anju.divisions.models import Division, Level
from anju.registry.models import Enrolment
from anju.subsidies.models import Batch, Frequency, RemovalRule, SubsidyPolicy

Progress = Callable[[int, str], None]

MSG_REQUIRED = gettext_lazy("请填写%(field)s")
MSG_TITLE_LENGTH = gettext_lazy("名称最长 200 个字")
MSG_DOC_LENGTH = gettext_lazy("文号最长 100 个字")
MSG_NOTE_LENGTH = gettext_lazy("说明最长 2000 个字")
MSG_SCOPE_FORMAT = gettext_lazy("适用区划应为 2、4 或 6 位区划代码（省、市或县）；全国政策留空")
MSG_SCOPE_UNKNOWN = gettext_lazy("区划代码 %(code)s 不存在")
MSG_SCOPE_LEVEL = gettext_lazy("政策版本只能适用于省、市或县级区划")
MSG_SCOPE_ENTRY = gettext_lazy("适用区划不在您的录入范围内")
MSG_SCOPE_NATIONAL = gettext_lazy("全国政策只能由省级人员起草、发布或撤销；请填写本辖区的区划代码")
MSG_DATE = gettext_lazy("%(field)s应为有效日期（如 2026-07-01）")
MSG_EFFECTIVE_RANGE = gettext_lazy("生效日期应在 %(first)s 至 %(last)s 之间")
MSG_STANDARD = gettext_lazy("扶持标准应大于 0 元且不超过 100000 元，最多两位小数")
MSG_YEARS = gettext_lazy("%(field)s应为 1 至 50 之间的整数")
MSG_FREQUENCY = gettext_lazy("发放频次应为按年发放或按季度发放")
MSG_REMOVAL = gettext_lazy("核减生效规则应为次年1月1日起、次月1日起或即时")
MSG_CUTOFF_RANGE = gettext_lazy("现状人口截止日应在 1949-10-01 至生效日期（%(date)s）之间")
MSG_START_RANGE = gettext_lazy("现状人口扶持起始日应在 1949-10-01 至 2100-12-31 之间")
MSG_START_BEFORE_CUTOFF = gettext_lazy("现状人口扶持起始日不能早于现状人口截止日（%(date)s）")
MSG_DIRECT_MODES = gettext_lazy("直补的扶持方式只能从以下选择：%(modes)s")
MSG_NO_VALUES = gettext_lazy("请至少设置一项政策取值（留空的项继承上级或更早的版本）")
MSG_OUT_OF_ENTRY = gettext_lazy("该政策版本不在您的录入范围内，不能修改、发布或撤销")
MSG_NOT_DRAFT = gettext_lazy("只有草稿可以修改；已发布的版本请复制为新草稿后修改")
MSG_PUBLISH_STATE = gettext_lazy("只有草稿可以发布")
MSG_PUBLISH_EXISTS = gettext_lazy("已有相同适用区划、相同生效日期的政策参数：%(keys)s；请调整生效日期，或先撤销原版本")
MSG_REVOKE_STATE = gettext_lazy("只有已发布的版本可以撤销")
MSG_REASON_REQUIRED = gettext_lazy("请填写撤销理由")
MSG_REVOKE_PAID = gettext_lazy("该版本适用范围内 %(year)s 年及以后的发放批次已进入审核或发放（%(batches)s），不能撤销；请发布新的版本替代")
MSG_WHATIF_STATE = gettext_lazy("只有草稿可以测算对比")
MSG_WHATIF_YEARS = gettext_lazy("测算年数应为 1 至 10 年")
MSG_WHATIF_NO_COUNTY = gettext_lazy("该版本的适用范围内没有您可查看的县")

FIELD_LABELS = {
    "title": gettext_lazy("名称"),
    "doc_number": gettext_lazy("文号"),
    "scope": gettext_lazy("适用区划"),
    "effective_from": gettext_lazy("生效日期"),
    "standard_yuan": gettext_lazy("扶持标准（元/人·年）"),
    "frequency": gettext_lazy("发放频次"),
    "cutoff_date": gettext_lazy("现状人口截止日"),
    "period_start_current": gettext_lazy("现状人口扶持起始日"),
    "period_years_current": gettext_lazy("现状人口扶持年限"),
    "period_years": gettext_lazy("原迁人口扶持年限"),
    "removal_effective": gettext_lazy("核减生效规则"),
    "direct_modes": gettext_lazy("直补的扶持方式"),
    "note": gettext_lazy("说明"),
}
VALUE_FIELDS = tuple(SubsidyPolicy.KEYS)
EDITABLE = ("title", "doc_number", "scope", "effective_from", *VALUE_FIELDS, "note")

FIRST_EFFECTIVE = dt.date(2006, 1, 1)  # the post-support policy (国发〔2006〕17号) starts in 2006
EARLIEST_DATE, LATEST_DATE = dt.date(1949, 10, 1), dt.date(2100, 12, 31)
MAX_STANDARD = Decimal("100000")
WHATIF_YEARS_MAX = 10


# --- scope ----------------------------------------------------------------------------------------------------

def scope_code(scope: str) -> str:
    """The 12-digit division code of a scope prefix ("" stays "": national)."""
    return scope.ljust(12, "0") if scope else ""


def may_enter(actor, scope: str) -> bool:
    """Does `scope` lie inside the actor's entry scope? "" (national) only for a province-level (or wider) actor."""
    prefix = actor.entry_prefix
    if not prefix.isdigit():
        return False
    if not scope:
        return len(prefix) <= 2
    return scope.startswith(prefix)


def _clean_scope(actor, value) -> str:
    value = str(value or "").strip()
    if not value:
        if not may_enter(actor, ""):
            raise _invalid("scope", MSG_SCOPE_NATIONAL)
        return ""
    try:
        code = full_code(value)
    except ValueError:
        raise _invalid("scope", MSG_SCOPE_FORMAT) from None
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise _invalid("scope", MSG_SCOPE_UNKNOWN % {"code": value})
    if division.level > Level.COUNTY:
        raise _invalid("scope", MSG_SCOPE_LEVEL)
    if not may_enter(actor, division.prefix):
        raise _invalid("scope", MSG_SCOPE_ENTRY)
    return division.prefix


# --- values ---------------------------------------------------------------------------------------------------

def _invalid(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, code=f"policy_{field}", detail={"field": field, "fields": {field: str(message)}})


def is_set(field: str, value) -> bool:
    return value not in (None, "", [])


def policy_values(policy: SubsidyPolicy) -> dict[str, Any]:
    """The core.PolicyVersion values a version sets, by key (empty fields inherit and are left out)."""
    values = {}
    for field, key in SubsidyPolicy.KEYS.items():
        value = getattr(policy, field)
        if not is_set(field, value):
            continue
        if field == "standard_yuan":
            value = f"{Decimal(value).quantize(Decimal('0.01'))}"
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif field in ("period_years_current", "period_years"):
            value = int(value)
        elif field == "direct_modes":
            value = list(value)
        values[key] = value
    return values


def _date(field: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _invalid(field, MSG_DATE % {"field": FIELD_LABELS[field]}) from None


def _text(field: str, value, limit: int, message) -> str:
    text = str(value or "").strip()
    if "\x00" in text or len(text) > limit:
        raise _invalid(field, message)
    return text


def _years(field: str, value) -> int | None:
    if value in (None, ""):
        return None
    bad = _invalid(field, MSG_YEARS % {"field": FIELD_LABELS[field]})
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()):
            raise bad
        n = int(text)
    if not 1 <= n <= 50:
        raise bad
    return n


def _standard(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _invalid("standard_yuan", MSG_STANDARD) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_STANDARD or amount != amount.quantize(Decimal("0.01")):
        raise _invalid("standard_yuan", MSG_STANDARD)
    return amount.quantize(Decimal("0.01"))


def _modes(value) -> list[str] | None:
    if value in (None, "", []):
        return None
    items = [value] if isinstance(value, str) else list(value)
    allowed = Enrolment.SupportMode.values
    if any(m not in allowed for m in items):
        raise _invalid("direct_modes", MSG_DIRECT_MODES % {"modes": join_list(f"{v}（{label}）" for v, label in Enrolment.SupportMode.choices)})
    return [m for m in allowed if m in items]  # de-duplicated, in the choices' order


def _inherited(key: str, scope: str, on: dt.date):
    try:
        return policy_value(key, on=on, division_code=scope)
    except PolicyMissing:
        return None


def clean_policy(actor, data: dict[str, Any]) -> dict[str, Any]:
    """Every field of a version checked and normalised; ValidationFailed naming each bad field (detail["fields"])."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    def check(field, fn, *args):
        try:
            clean[field] = fn(*args)
        except ValidationFailed as exc:
            errors[field] = exc.message
            clean[field] = None

    def title(value):
        text = _text("title", value, 200, MSG_TITLE_LENGTH)
        if not text:
            raise _invalid("title", MSG_REQUIRED % {"field": FIELD_LABELS["title"]})
        return text

    def effective(value):
        day = _date("effective_from", value)
        if day is None:
            raise _invalid("effective_from", MSG_REQUIRED % {"field": FIELD_LABELS["effective_from"]})
        last = dt.date(timezone.localdate().year + 10, 12, 31)
        if not FIRST_EFFECTIVE <= day <= last:
            raise _invalid("effective_from", MSG_EFFECTIVE_RANGE % {"first": FIRST_EFFECTIVE.isoformat(), "last": last.isoformat()})
        return day

    def choice(field, value, choices, message):
        value = str(value or "").strip()
        if value and value not in choices:
            raise _invalid(field, message)
        return value

    check("title", title, data.get("title"))
    check("doc_number", _text, "doc_number", data.get("doc_number"), 100, MSG_DOC_LENGTH)
    check("note", _text, "note", data.get("note"), 2000, MSG_NOTE_LENGTH)
    check("scope", _clean_scope, actor, data.get("scope"))
    check("effective_from", effective, data.get("effective_from"))
    check("standard_yuan", _standard, data.get("standard_yuan"))
    check("frequency", choice, "frequency", data.get("frequency"), Frequency.values, MSG_FREQUENCY)
    check("removal_effective", choice, "removal_effective", data.get("removal_effective"), RemovalRule.values, MSG_REMOVAL)
    check("cutoff_date", _date, "cutoff_date", data.get("cutoff_date"))
    check("period_start_current", _date, "period_start_current", data.get("period_start_current"))
    check("period_years_current", _years, "period_years_current", data.get("period_years_current"))
    check("period_years", _years, "period_years", data.get("period_years"))
    check("direct_modes", _modes, data.get("direct_modes"))

    effective_from, cutoff, start = clean["effective_from"], clean["cutoff_date"], clean["period_start_current"]
    if cutoff and effective_from and not EARLIEST_DATE <= cutoff <= effective_from:
        errors["cutoff_date"] = str(MSG_CUTOFF_RANGE % {"date": effective_from.isoformat()})
    if start and not EARLIEST_DATE <= start <= LATEST_DATE:
        errors["period_start_current"] = str(MSG_START_RANGE)
    elif start and "cutoff_date" not in errors and effective_from and "scope" not in errors:
        # against this version's cut-off, or the one it inherits at its effective date
        known = cutoff or _date("cutoff_date", _inherited(SubsidyPolicy.KEYS["cutoff_date"], clean["scope"], effective_from))
        if known and start < known:
            errors["period_start_current"] = str(MSG_START_BEFORE_CUTOFF % {"date": known.isoformat()})
    if not errors and not any(is_set(f, clean[f]) for f in VALUE_FIELDS):
        errors["__all__"] = str(MSG_NO_VALUES)
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(errors[first], code="policy_invalid" if first == "__all__" else f"policy_{first}",
                               detail={"field": None if first == "__all__" else first, "fields": errors})
    return clean


def _snapshot(p: SubsidyPolicy) -> dict[str, Any]:
    return {"title": p.title, "doc_number": p.doc_number, "scope": p.scope, "effective_from": p.effective_from.isoformat(),
            "state": p.state, "values": policy_values(p), "note": p.note}


def _audit(actor, action: str, p: SubsidyPolicy, *, before=None, after=None) -> None:
    audit_record(actor=actor, action=action, object_type="subsidy_policy", object_id=p.pk, division_code=scope_code(p.scope),
                 before=before, after=after)


def _lock(policy: SubsidyPolicy) -> SubsidyPolicy:
    found = SubsidyPolicy.objects.select_for_update().filter(pk=policy.pk).first()
    if found is None:
        raise NotFound()
    return found


# --- drafts ---------------------------------------------------------------------------------------------------

def subsidy_policy_create(*, actor, title: str, scope: str, effective_from: dt.date | str, doc_number: str = "", note: str = "",
                          standard_yuan: Decimal | str | None = None, frequency: str = "", cutoff_date: dt.date | str | None = None,
                          period_start_current: dt.date | str | None = None, period_years_current: int | None = None,
                          period_years: int | None = None, removal_effective: str = "", direct_modes: list[str] | None = None,
                          copied_from: SubsidyPolicy | None = None) -> SubsidyPolicy:
    """A new draft in the actor's entry scope; empty values inherit the wider or earlier version in force."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    data = {"title": title, "doc_number": doc_number, "scope": scope, "effective_from": effective_from, "note": note,
            "standard_yuan": standard_yuan, "frequency": frequency, "cutoff_date": cutoff_date, "period_start_current": period_start_current,
            "period_years_current": period_years_current, "period_years": period_years, "removal_effective": removal_effective,
            "direct_modes": direct_modes}
    clean = clean_policy(actor, data)
    with transaction.atomic():
        p = SubsidyPolicy.objects.create(**{k: ("" if v is None and k in ("frequency", "removal_effective") else v) for k, v in clean.items()},
                                         state=SubsidyPolicy.State.DRAFT, created_by=actor)
        after = _snapshot(p)
        if copied_from is not None:
            after["copied_from"] = copied_from.pk
        _audit(actor, "subsidies.policy.created", p, after=after)
    return p


def subsidy_policy_update(*, actor, policy: SubsidyPolicy, **changes: Any) -> SubsidyPolicy:
    """Change a draft (from access_policy) in the actor's entry scope; fields not given stay, an empty value inherits."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"subsidy_policy_update: unknown fields {sorted(unknown)}")
    with transaction.atomic():
        p = _lock(policy)
        if not may_enter(actor, p.scope):
            raise PermissionDenied(MSG_OUT_OF_ENTRY, code="policy_out_of_entry")
        if p.state != SubsidyPolicy.State.DRAFT:
            raise Conflict(MSG_NOT_DRAFT, code="policy_not_draft")
        before = _snapshot(p)
        data = {f: getattr(p, f) for f in EDITABLE} | changes
        clean = clean_policy(actor, data)
        for field, value in clean.items():
            setattr(p, field, "" if value is None and field in ("frequency", "removal_effective") else value)
        old, new = audit_diff(before, _snapshot(p))
        if new:
            p.save(update_fields=[*EDITABLE, "updated_at"])
            _audit(actor, "subsidies.policy.updated", p, before=old, after=new)
    return p


def subsidy_policy_copy(*, actor, policy: SubsidyPolicy, title: str | None = None, scope: str | None = None,
                        effective_from: dt.date | str | None = None) -> SubsidyPolicy:
    """A new draft with the values of any version the actor can see (from access_policy), by default in the source's
    scope when the actor may draft there, else in the actor's own entry scope."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    if scope is None:
        scope = policy.scope if may_enter(actor, policy.scope) else actor.entry_prefix
    title = title if title is not None else (_("%(title)s（副本）") % {"title": policy.title})[:200]
    values = {f: getattr(policy, f) for f in VALUE_FIELDS}
    return subsidy_policy_create(actor=actor, title=title, scope=scope, effective_from=effective_from or policy.effective_from,
                                 doc_number="", note=policy.note, copied_from=policy, **values)


# --- publish and revoke ---------------------------------------------------------------------------------------

def policy_conflicts(policy: SubsidyPolicy) -> list[str]:
    """Keys of this version that already have a core.PolicyVersion row at its scope and effective date."""
    keys = list(policy_values(policy))
    return sorted(PolicyVersion.objects.filter(key__in=keys, scope=policy.scope, effective_from=policy.effective_from)
                  .values_list("key", flat=True))


def _exists(keys: list[str]) -> Conflict:
    return Conflict(MSG_PUBLISH_EXISTS % {"keys": join_list(keys)}, code="policy_version_exists", detail={"keys": keys})


def subsidy_policy_publish(*, actor, policy: SubsidyPolicy) -> SubsidyPolicy:
    """Publish a draft: one core.PolicyVersion row per value it sets (same scope and date), in one transaction."""
    require_perm(actor, Perm.SUBSIDY_POLICY_PUBLISH)
    with transaction.atomic():
        p = _lock(policy)
        if not may_enter(actor, p.scope):
            raise PermissionDenied(MSG_OUT_OF_ENTRY, code="policy_out_of_entry")
        if p.state != SubsidyPolicy.State.DRAFT:
            raise Conflict(MSG_PUBLISH_STATE, code="policy_not_draft")
        clean_policy(actor, {f: getattr(p, f) for f in EDITABLE})  # the rules may have changed since it was drafted
        values = policy_values(p)
        taken = policy_conflicts(p)
        if taken:
            raise _exists(taken)
        note = " ".join(filter(None, [p.title, p.doc_number]))[:300]
        try:
            with transaction.atomic():
                PolicyVersion.objects.bulk_create([
                    PolicyVersion(key=key, value=value, scope=p.scope, effective_from=p.effective_from, note=note, created_by=actor)
                    for key, value in values.items()])
        except IntegrityError:  # a concurrent publish of the same key, scope and date
            raise _exists(policy_conflicts(p)) from None
        p.state, p.published_by, p.published_at = SubsidyPolicy.State.PUBLISHED, actor, timezone.now()
        p.save(update_fields=["state", "published_by", "published_at", "updated_at"])
        _audit(actor, "subsidies.policy.published", p, before={"state": SubsidyPolicy.State.DRAFT},
               after={"state": p.state, "scope": p.scope, "effective_from": p.effective_from.isoformat(), "values": values})
    return p


def revoke_blockers(policy: SubsidyPolicy) -> list[str]:
    """Numbers of batches in the version's scope, of its effective year or later, that have left draft."""
    qs = (Batch.objects.filter(code_prefix_q("division_code", policy.scope), year__gte=policy.effective_from.year)
          .exclude(state=Batch.State.DRAFT).order_by("year", "division_code", "number"))
    return list(qs.values_list("number", flat=True)[:20])


def subsidy_policy_revoke(*, actor, policy: SubsidyPolicy, reason: str) -> SubsidyPolicy:
    """Withdraw a published version: delete exactly its core.PolicyVersion rows, unless a batch was paid under it."""
    require_perm(actor, Perm.SUBSIDY_POLICY_PUBLISH)
    reason = (reason or "").strip()
    with transaction.atomic():
        p = _lock(policy)
        if not may_enter(actor, p.scope):
            raise PermissionDenied(MSG_OUT_OF_ENTRY, code="policy_out_of_entry")
        if p.state != SubsidyPolicy.State.PUBLISHED:
            raise Conflict(MSG_REVOKE_STATE, code="policy_not_published")
        if not reason or "\x00" in reason:
            raise ValidationFailed(MSG_REASON_REQUIRED, code="reason_required", detail={"field": "reason"})
        blockers = revoke_blockers(p)
        if blockers:
            raise Conflict(MSG_REVOKE_PAID % {"year": p.effective_from.year, "batches": join_list(blockers)}, code="policy_in_use",
                           detail={"batches": blockers})
        values = policy_values(p)
        deleted, _by_model = PolicyVersion.objects.filter(key__in=list(values), scope=p.scope, effective_from=p.effective_from).delete()
        p.state, p.revoked_by, p.revoked_at, p.revoke_reason = SubsidyPolicy.State.REVOKED, actor, timezone.now(), reason[:300]
        p.save(update_fields=["state", "revoked_by", "revoked_at", "revoke_reason", "updated_at"])
        _audit(actor, "subsidies.policy.revoked", p, before={"state": SubsidyPolicy.State.PUBLISHED, "values": values},
               after={"state": p.state, "reason": p.revoke_reason, "deleted": deleted})
    return p


# --- what-if --------------------------------------------------------------------------------------------------

def whatif_counties(actor, policy: SubsidyPolicy) -> list[Division]:
    """Counties under the version's scope that lie in the actor's view scope (a township viewer: its county)."""
    view = actor.view_prefix
    if not view.isdigit():
        return []
    view = view[:6] if len(view) > 6 else view
    if view.startswith(policy.scope):
        prefix = view
    elif policy.scope.startswith(view):
        prefix = policy.scope
    else:
        return []
    return list(Division.objects.filter(code_prefix_q("code", prefix), level=Level.COUNTY).order_by("code"))


def policy_whatif_check(*, actor, policy: SubsidyPolicy, years: int) -> list[Division]:
    """Every check of policy_whatif without computing it (the pages and the API answer before queueing the job)."""
    require_perm(actor, Perm.SUBSIDY_POLICY)
    if policy.state != SubsidyPolicy.State.DRAFT:
        raise Conflict(MSG_WHATIF_STATE, code="policy_not_draft")
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= WHATIF_YEARS_MAX:
        raise ValidationFailed(MSG_WHATIF_YEARS, code="whatif_years", detail={"field": "years"})
    counties = whatif_counties(actor, policy)
    if not counties:
        raise ValidationFailed(MSG_WHATIF_NO_COUNTY, code="whatif_no_county", detail={"field": None})
    return counties


WHATIF_SUMS = ("persons_current", "persons_draft", "current", "draft", "diff", "project_current", "project_draft")


def _sums(rows) -> tuple[int, int, int]:
    """(direct persons, direct fen, project-support fen) of entitlement rows (Entitlement tuples, or plain tuples in its
    field order as iter_entitlements streams them)."""
    from anju.subsidies.services.entitlements import Entitlement

    width = len(Entitlement._fields)
    persons, direct, project = set(), 0, 0
    for raw in rows:
        row = raw if isinstance(raw, Entitlement) else Entitlement._make(raw[:width])
        if row.direct:
            persons.add(row.person_id)
            direct += row.amount
        else:
            project += row.amount
    return len(persons), direct, project


def policy_whatif(*, actor, policy: SubsidyPolicy, years: int = 5, progress: Progress | None = None) -> dict[str, Any]:
    """测算对比: direct-payment cost by county and year (the draft's effective year and the next years) under the draft,
    as if published, against the policy in force, on the live roster; project-support funds separately. Amounts in fen.

    It runs the entitlement engine's own pieces (CountyPolicy over a PolicyTable with the draft as an overlay, and
    iter_entitlements on the live roster) rather than entitlements_compute, whose period check stops at next year:
    costing a policy means looking further ahead. The two policy tables are loaded once for all counties and years."""
    from anju.divisions.selectors import division_names
    from anju.subsidies.services.entitlements import SOURCE_LIVE, CountyPolicy, iter_entitlements, policy_table

    counties = policy_whatif_check(actor=actor, policy=policy, years=years)
    report = progress or (lambda percent, message="": None)
    first = policy.effective_from.year
    year_list = list(range(first, first + years))
    names = division_names([c.code for c in counties])
    in_force, drafted = policy_table(), policy_table(policy)
    rows, steps, done = [], len(counties) * len(year_list), 0
    for county in counties:
        for year in year_list:
            report(int(done * 98 / steps), _("测算 %(county)s %(year)s 年") % {"county": county.name, "year": year})
            sums = []
            for table in (in_force, drafted):
                county_policy = CountyPolicy(table, county.code, year)
                sums.append(_sums(iter_entitlements(county_code=county.code, year=year, source=SOURCE_LIVE, policy=county_policy)))
            (pc, fc, jc), (pd, fd, jd) = sums
            rows.append({"county": county.code, "county_name": names.get(county.code, county.name), "year": year,
                         "persons_current": pc, "persons_draft": pd, "current": fc, "draft": fd, "diff": fd - fc,
                         "project_current": jc, "project_draft": jd})
            done += 1
    totals = dict.fromkeys(WHATIF_SUMS, 0)
    by_year = {y: {"year": y, **dict.fromkeys(WHATIF_SUMS, 0)} for y in year_list}
    for row in rows:
        for k in WHATIF_SUMS:
            totals[k] += row[k]
            by_year[row["year"]][k] += row[k]
    report(100, _("测算完成：%(n)s 个县，%(y)s 个年度") % {"n": len(counties), "y": len(year_list)})
    return {"policy": policy.pk, "title": policy.title, "scope": policy.scope, "effective_from": policy.effective_from.isoformat(),
            "values": policy_values(policy), "years": year_list, "counties": len(counties), "rows": rows,
            "by_year": list(by_year.values()), "totals": totals, "computed_at": timezone.now().isoformat()}


__all__ = [
    "subsidy_policy_create", "subsidy_policy_update", "subsidy_policy_copy", "subsidy_policy_publish", "subsidy_policy_revoke",
    "policy_whatif", "policy_whatif_check", "policy_values", "policy_conflicts", "revoke_blockers", "clean_policy", "may_enter",
    "whatif_counties", "scope_code", "FIELD_LABELS", "VALUE_FIELDS", "WHATIF_YEARS_MAX",
]
