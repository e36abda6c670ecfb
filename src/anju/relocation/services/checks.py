"""Spot checks (抽查核实, 明查暗访): a reproducible random sample of relocated households in a county, township or site,
the result of each field visit, follow-up (整改) of discrepancies, and closing the check.

Reproducibility: the population is the households of the relocated population on the as-of date in the scope (a
division: persons whose relocation Enrolment.division_code lies under it; a site: persons whose Enrolment.site is
it), each household once, sorted by household id; the sample is `random.Random(seed).sample(population, size)` with
the seed as a string. Anyone holding the seed, scope, as-of date and size draws the same households again."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import secrets

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, in_scope, require_perm
from anju.core.audit import audit_record
from anju.core.exceptions import Conflict, NotFound, ValidationFailed
from anju.divisions.codes import full_code, level_of, prefix_of
from anju.divisions.models import Division, Level
from anju.registry.models import Enrolment, EnrolmentStatus, Household, Program
from anju.registry.selectors import covering, scope_or_ancestors_q
from anju.relocation.models import Site, SpotCheck, SpotCheckItem

Result = SpotCheckItem.Result
FollowUp = SpotCheckItem.FollowUp

MSG_SCOPE_REQUIRED = gettext_lazy("请指定抽查范围：县、乡镇或安置点")
MSG_SCOPE_BOTH = gettext_lazy("抽查范围只能是一个区划或一个安置点，不能同时指定")
MSG_SCOPE_FORMAT = gettext_lazy("抽查范围应为县（6 位）或乡镇（9 位）区划代码")
MSG_SCOPE_LEVEL = gettext_lazy("抽查范围应为县或乡镇")
MSG_SCOPE_OUT = gettext_lazy("区划 %(code)s 不存在或不在您的管辖范围内")
MSG_SITE_OUT = gettext_lazy("安置点不存在或不在您的管辖范围内")
MSG_AS_OF_REQUIRED = gettext_lazy("请填写名册日期")
MSG_AS_OF_FUTURE = gettext_lazy("名册日期不能晚于今天")
MSG_SIZE_REQUIRED = gettext_lazy("请填写抽样户数或抽样比例")
MSG_SIZE_BOTH = gettext_lazy("抽样户数和抽样比例只能填一项")
MSG_SIZE_MIN = gettext_lazy("抽样户数至少为 1")
MSG_PERCENT_RANGE = gettext_lazy("抽样比例应大于 0 且不超过 100")
MSG_SIZE_TOO_LARGE = gettext_lazy("抽样户数 %(size)s 超过总体户数 %(population)s")
MSG_POPULATION_EMPTY = gettext_lazy("名册日期 %(date)s 该范围内没有搬迁户，无法抽样")
MSG_METHOD = gettext_lazy("未知的抽查方式：%(method)s")
MSG_SEED_FORMAT = gettext_lazy("随机种子最多 64 个字符，不能含空白以外的控制字符")
MSG_NAME_TOO_LONG = gettext_lazy("抽查名称最多 100 字")
MSG_CLOSED = gettext_lazy("该抽查已办结，不能再修改")
MSG_RESULT = gettext_lazy("请选择核查结果")
MSG_FINDINGS_REQUIRED = gettext_lazy("核查结果为“存在问题”时须填写发现的问题")
MSG_CHECKER_REQUIRED = gettext_lazy("请填写核查人")
MSG_CHECKED_ON_REQUIRED = gettext_lazy("请填写核查日期")
MSG_DATE_FUTURE = gettext_lazy("日期不能晚于今天")
MSG_CHECKED_BEFORE = gettext_lazy("核查日期不能早于名册日期（%(date)s）")
MSG_OWNER_REQUIRED = gettext_lazy("存在问题须指定整改责任人")
MSG_DEADLINE_REQUIRED = gettext_lazy("存在问题须指定整改期限")
MSG_DEADLINE_BEFORE = gettext_lazy("整改期限不能早于核查日期（%(date)s）")
MSG_HAS_FOLLOW_UP = gettext_lazy("该户已有整改事项（%(state)s），核查结果不能再修改")
MSG_NO_OPEN_FOLLOW_UP = gettext_lazy("该户没有整改中的事项")
MSG_NOTE_REQUIRED = gettext_lazy("请填写整改情况")
MSG_RESOLVED_BEFORE = gettext_lazy("整改完成日期不能早于核查日期（%(date)s）")
MSG_TOO_LONG = gettext_lazy("“%(field)s”最多 %(n)s 字")
MSG_CLOSE_PENDING = gettext_lazy("还有 %(n)s 户尚未核查，不能办结")
MSG_CLOSE_OPEN = gettext_lazy("还有 %(n)s 项整改未完成，不能办结")


def _today() -> dt.date:
    return dt.date.today()


def _text(value, field: str, label, limit: int, required=None) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required is not None and not text:
        raise ValidationFailed(required, code=f"{field}_required", detail={"field": field})
    if len(text) > limit:
        raise ValidationFailed(MSG_TOO_LONG % {"field": label, "n": limit}, code=f"{field}_too_long", detail={"field": field})
    return text


# --- the population and the sample ------------------------------------------------------------------------------

def population_ids(*, as_of: dt.date, prefix: str = "", site_id: int | None = None) -> list[int]:
    """Household ids of the relocated population on `as_of` under the division `prefix` (Enrolment.division_code) or
    at the site, each once, ascending. Not scoped to an actor: the check's scope defines it, so a verification by
    anyone gives the same list."""
    active = EnrolmentStatus.objects.filter(covering(as_of), enrolment=OuterRef("pk"), status="active")
    qs = Enrolment.objects.filter(Exists(active), program=Program.RELOCATION)
    qs = qs.filter(site_id=site_id) if site_id else qs.filter(code_prefix_q("division_code", prefix))
    return sorted(set(qs.values_list("household_id", flat=True)))


def sample_ids(population: list[int], *, seed: str, size: int) -> list[int]:
    """The sample, in drawing order: `random.Random(seed).sample(population, size)` (population sorted ascending)."""
    return random.Random(str(seed)).sample(sorted(population), size)


def _digest(ids: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def _scope(actor, scope: str | None, site) -> tuple[str, Site | None]:
    """(12-digit division code, site or None) of a draw in the actor's entry scope."""
    if scope and site:
        raise ValidationFailed(MSG_SCOPE_BOTH, code="scope_both", detail={"field": "scope"})
    if site:
        qs = Site.objects.filter(scope_or_ancestors_q(actor))
        found = qs.filter(pk=site.pk).first() if isinstance(site, Site) else (
            (qs.filter(pk=int(site)).first() if str(site).isdigit() else None) or qs.filter(code=str(site).strip()).first())
        if found is None or not in_scope(actor, found.division_code, "entry"):
            raise ValidationFailed(MSG_SITE_OUT, code="site_out_of_range", detail={"field": "site"})
        return found.division_code, found
    if not scope:
        raise ValidationFailed(MSG_SCOPE_REQUIRED, code="scope_required", detail={"field": "scope"})
    try:
        code = full_code(str(scope))
    except ValueError:
        raise ValidationFailed(MSG_SCOPE_FORMAT, code="scope_format", detail={"field": "scope"}) from None
    if level_of(code) not in (Level.COUNTY, Level.TOWNSHIP):
        raise ValidationFailed(MSG_SCOPE_LEVEL, code="scope_level", detail={"field": "scope"})
    if not in_scope(actor, code, "entry") or not Division.objects.filter(code=code).exists():
        raise ValidationFailed(MSG_SCOPE_OUT % {"code": scope}, code="scope_out_of_range", detail={"field": "scope"})
    return code, None


def _size(population: int, size, percent) -> int:
    if size in (None, "") and percent in (None, ""):
        raise ValidationFailed(MSG_SIZE_REQUIRED, code="size_required", detail={"field": "size"})
    if size not in (None, "") and percent not in (None, ""):
        raise ValidationFailed(MSG_SIZE_BOTH, code="size_both", detail={"field": "size"})
    if percent not in (None, ""):
        try:
            p = float(percent)
        except (TypeError, ValueError):
            p = -1
        if not (0 < p <= 100) or math.isnan(p):
            raise ValidationFailed(MSG_PERCENT_RANGE, code="percent_range", detail={"field": "percent"})
        return max(1, math.ceil(population * p / 100 - 1e-9))
    try:
        n = int(size)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ValidationFailed(MSG_SIZE_MIN, code="size_min", detail={"field": "size"})
    return n


def check_seed(seed: str | None) -> str:
    """The given seed (stripped; at most 64 printable characters) or a new one from `secrets` (32 hex digits)."""
    if seed is None or not str(seed).strip():
        return secrets.token_hex(16)
    seed = str(seed).strip()
    if len(seed) > 64 or not seed.isprintable():
        raise ValidationFailed(MSG_SEED_FORMAT, code="seed_format", detail={"field": "seed"})
    return seed


def check_draw(*, actor, as_of: dt.date | None, scope: str | None = None, site=None, size: int | None = None,
               percent: float | None = None, method: str = SpotCheck.Method.RANDOM, seed: str | None = None,
               name: str = "") -> SpotCheck:
    """Draw a spot check (RELOCATION_INSPECT): the scope is a county or township in the actor's entry scope, or a site
    there; the sample size is given, or a percentage of the population rounded up (at least 1). The seed is recorded;
    with the scope, as-of date and size it reproduces the sample (see the module docstring). Audited with the seed and a
    digest of the sample."""
    require_perm(actor, Perm.RELOCATION_INSPECT)
    if as_of is None:
        raise ValidationFailed(MSG_AS_OF_REQUIRED, code="as_of_required", detail={"field": "as_of"})
    if as_of > _today():
        raise ValidationFailed(MSG_AS_OF_FUTURE, code="as_of_future", detail={"field": "as_of"})
    if method not in SpotCheck.Method.values:
        raise ValidationFailed(MSG_METHOD % {"method": method}, code="method", detail={"field": "method"})
    name = _text(name, "name", gettext_lazy("抽查名称"), 100)
    seed = check_seed(seed)
    code, found_site = _scope(actor, scope, site)
    population = population_ids(as_of=as_of, prefix=prefix_of(code), site_id=found_site.pk if found_site else None)
    if not population:
        raise ValidationFailed(MSG_POPULATION_EMPTY % {"date": as_of.isoformat()}, code="population_empty", detail={"field": "scope"})
    n = _size(len(population), size, percent)
    if n > len(population):
        raise ValidationFailed(MSG_SIZE_TOO_LARGE % {"size": n, "population": len(population)}, code="size_too_large",
                               detail={"field": "size"})
    drawn = sample_ids(population, seed=seed, size=n)
    if not name:
        from anju.divisions.selectors import division_names

        where = found_site.name if found_site else division_names([code]).get(code, code)
        name = str(gettext_lazy("%(where)s %(date)s 抽查") % {"where": where, "date": as_of.isoformat()})[:100]
    divisions = dict(Household.objects.filter(pk__in=drawn).values_list("pk", "division_code"))
    with transaction.atomic():
        check = SpotCheck.objects.create(name=name, division_code=code, site=found_site, method=method, seed=seed,
                                         population=len(population), sample_size=n, as_of=as_of, created_by=actor)
        SpotCheckItem.objects.bulk_create([SpotCheckItem(spot_check=check, household_id=h, division_code=divisions[h], order=i)
                                           for i, h in enumerate(drawn, start=1)])
        audit_record(actor=actor, action="relocation.spot_check.drawn", object_type="spot_check", object_id=check.pk,
                     division_code=code,
                     after={"name": name, "scope": code, "site": found_site.code if found_site else None, "method": method,
                            "seed": seed, "as_of": as_of.isoformat(), "population": len(population), "size": n,
                            "percent": percent, "sample_sha256": _digest(drawn)})
    return check


def check_verify(*, actor, check: SpotCheck) -> dict:
    """Draw the check's sample again from its seed, scope, as-of date and size and compare it with the recorded one
    (the caller used access_check). Audited with the outcome."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    population = population_ids(as_of=check.as_of, prefix=prefix_of(check.division_code), site_id=check.site_id)
    stored = list(check.items.order_by("order").values_list("household_id", flat=True))
    drawn = sample_ids(population, seed=check.seed, size=check.sample_size) if check.sample_size <= len(population) else []
    result = {"match": drawn == stored, "population": len(population), "recorded_population": check.population,
              "stored": stored, "drawn": drawn, "missing": [h for h in stored if h not in set(drawn)],
              "extra": [h for h in drawn if h not in set(stored)]}
    with transaction.atomic():
        audit_record(actor=actor, action="relocation.spot_check.verified", object_type="spot_check", object_id=check.pk,
                     division_code=check.division_code,
                     after={"match": result["match"], "population": len(population), "sample_sha256": _digest(drawn)})
    return result


# --- results and follow-up --------------------------------------------------------------------------------------

def _lock_item(actor, item: SpotCheckItem) -> tuple[SpotCheck, SpotCheckItem]:
    """The check and the item, locked; the household must lie in the actor's entry scope (a township clerk resolves the
    follow-up of a household of the township in a county's check)."""
    check = SpotCheck.objects.select_for_update().filter(pk=item.spot_check_id).first()
    if check is None:
        raise NotFound()
    locked = SpotCheckItem.objects.select_for_update().filter(pk=item.pk, spot_check=check).first()
    if locked is None or not in_scope(actor, locked.division_code, "entry"):
        raise NotFound()
    if check.state == SpotCheck.State.CLOSED:
        raise Conflict(MSG_CLOSED, code="closed")
    return check, locked


def _item_dict(i: SpotCheckItem) -> dict:
    return {"household": i.household_id, "result": i.result, "findings": i.findings[:300], "checked_on": i.checked_on,
            "checker": i.checker, "follow_up": i.follow_up, "owner": i.follow_up_owner, "deadline": i.follow_up_deadline,
            "note": i.follow_up_note, "resolved_on": i.resolved_on}


def item_record(*, actor, item: SpotCheckItem, result: str, checked_on: dt.date | None, checker: str, findings: str = "",
                follow_up_owner: str = "", follow_up_deadline: dt.date | None = None) -> SpotCheckItem:
    """Record the result of visiting a sampled household (RELOCATION_INSPECT, the household in the entry scope):
    一致, 存在问题 or 未见到户. A discrepancy needs findings and opens a follow-up with an owner and a deadline. A result
    may be corrected until a follow-up exists. Audited."""
    require_perm(actor, Perm.RELOCATION_INSPECT)
    if result not in (Result.CONSISTENT, Result.DISCREPANCY, Result.NOT_FOUND):
        raise ValidationFailed(MSG_RESULT, code="result", detail={"field": "result"})
    if checked_on is None:
        raise ValidationFailed(MSG_CHECKED_ON_REQUIRED, code="checked_on_required", detail={"field": "checked_on"})
    if checked_on > _today():
        raise ValidationFailed(MSG_DATE_FUTURE, code="date_future", detail={"field": "checked_on"})
    checker = _text(checker, "checker", gettext_lazy("核查人"), 50, MSG_CHECKER_REQUIRED)
    findings = _text(findings, "findings", gettext_lazy("发现问题"), 5000,
                     MSG_FINDINGS_REQUIRED if result == Result.DISCREPANCY else None)
    owner = _text(follow_up_owner, "follow_up_owner", gettext_lazy("整改责任人"), 50,
                  MSG_OWNER_REQUIRED if result == Result.DISCREPANCY else None)
    if result == Result.DISCREPANCY:
        if follow_up_deadline is None:
            raise ValidationFailed(MSG_DEADLINE_REQUIRED, code="deadline_required", detail={"field": "follow_up_deadline"})
        if follow_up_deadline < checked_on:
            raise ValidationFailed(MSG_DEADLINE_BEFORE % {"date": checked_on.isoformat()}, code="deadline_before",
                                   detail={"field": "follow_up_deadline"})
    with transaction.atomic():
        check, locked = _lock_item(actor, item)
        if checked_on < check.as_of:
            raise ValidationFailed(MSG_CHECKED_BEFORE % {"date": check.as_of.isoformat()}, code="checked_before",
                                   detail={"field": "checked_on"})
        if locked.follow_up != FollowUp.NONE:
            raise Conflict(MSG_HAS_FOLLOW_UP % {"state": locked.get_follow_up_display()}, code="has_follow_up")
        before = _item_dict(locked)
        locked.result, locked.checked_on, locked.checker, locked.findings = result, checked_on, checker, findings
        if result == Result.DISCREPANCY:
            locked.follow_up, locked.follow_up_owner, locked.follow_up_deadline = FollowUp.OPEN, owner, follow_up_deadline
        else:
            locked.follow_up_owner, locked.follow_up_deadline = "", None
        locked.save(update_fields=["result", "checked_on", "checker", "findings", "follow_up", "follow_up_owner", "follow_up_deadline"])
        audit_record(actor=actor, action="relocation.spot_check_item.recorded", object_type="spot_check_item", object_id=locked.pk,
                     division_code=locked.division_code, before=before, after={**_item_dict(locked), "spot_check": check.pk})
    return locked


def follow_up_resolve(*, actor, item: SpotCheckItem, note: str, resolved_on: dt.date | None) -> SpotCheckItem:
    """Resolve the open follow-up of a sampled household with a note and the date it was done (RELOCATION_INSPECT or
    RELOCATION_EDIT, the household in the entry scope). Audited."""
    if not actor.can(Perm.RELOCATION_EDIT):
        require_perm(actor, Perm.RELOCATION_INSPECT)
    note = _text(note, "note", gettext_lazy("整改情况"), 300, MSG_NOTE_REQUIRED)
    if resolved_on is None:
        raise ValidationFailed(MSG_CHECKED_ON_REQUIRED, code="resolved_on_required", detail={"field": "resolved_on"})
    if resolved_on > _today():
        raise ValidationFailed(MSG_DATE_FUTURE, code="date_future", detail={"field": "resolved_on"})
    with transaction.atomic():
        check, locked = _lock_item(actor, item)
        if locked.follow_up != FollowUp.OPEN:
            raise Conflict(MSG_NO_OPEN_FOLLOW_UP, code="no_open_follow_up")
        if locked.checked_on and resolved_on < locked.checked_on:
            raise ValidationFailed(MSG_RESOLVED_BEFORE % {"date": locked.checked_on.isoformat()}, code="resolved_before",
                                   detail={"field": "resolved_on"})
        before = _item_dict(locked)
        locked.follow_up, locked.follow_up_note, locked.resolved_on = FollowUp.RESOLVED, note, resolved_on
        locked.save(update_fields=["follow_up", "follow_up_note", "resolved_on"])
        audit_record(actor=actor, action="relocation.spot_check_item.resolved", object_type="spot_check_item", object_id=locked.pk,
                     division_code=locked.division_code, before=before, after={**_item_dict(locked), "spot_check": check.pk})
    return locked


def check_close(*, actor, check: SpotCheck, closed_on: dt.date | None = None) -> SpotCheck:
    """Close a spot check (RELOCATION_INSPECT, entry scope) once every household is checked and no follow-up is open."""
    require_perm(actor, Perm.RELOCATION_INSPECT)
    closed_on = closed_on or _today()
    if closed_on > _today():
        raise ValidationFailed(MSG_DATE_FUTURE, code="date_future", detail={"field": "closed_on"})
    with transaction.atomic():
        locked = SpotCheck.objects.select_for_update().filter(pk=check.pk).first()
        if locked is None or not in_scope(actor, locked.division_code, "entry"):
            raise NotFound()
        if locked.state == SpotCheck.State.CLOSED:
            raise Conflict(MSG_CLOSED, code="closed")
        pending = locked.items.filter(result=Result.PENDING).count()
        if pending:
            raise Conflict(MSG_CLOSE_PENDING % {"n": pending}, code="items_pending")
        open_follow_ups = locked.items.filter(follow_up=FollowUp.OPEN).count()
        if open_follow_ups:
            raise Conflict(MSG_CLOSE_OPEN % {"n": open_follow_ups}, code="follow_ups_open")
        locked.state, locked.closed_on = SpotCheck.State.CLOSED, closed_on
        locked.save(update_fields=["state", "closed_on"])
        counts = {r: locked.items.filter(result=r).count() for r in (Result.CONSISTENT, Result.DISCREPANCY, Result.NOT_FOUND)}
        audit_record(actor=actor, action="relocation.spot_check.closed", object_type="spot_check", object_id=locked.pk,
                     division_code=locked.division_code, before={"state": SpotCheck.State.OPEN},
                     after={"state": locked.state, "closed_on": closed_on.isoformat(), "results": counts})
    return locked
