"""Policy version reads, always scoped: the list, one version, the values in force for a county on a day (and where
each comes from), the buttons an actor gets, the latest what-if result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.accounts.roles import Perm
from anju.core.access import code_prefix_q, require_perm
from anju.core.exceptions import NotFound, ValidationFailed, join_list
from anju.core.models import Job, PolicyVersion
from anju.divisions.codes import full_code
from anju.divisions.models import Division, Level
from anju.divisions.selectors import division_names
from anju.registry.models import Enrolment
from anju.subsidies.models import Frequency, RemovalRule, SubsidyPolicy
from anju.subsidies.services.policy import FIELD_LABELS, VALUE_FIELDS, is_set, may_enter, policy_values, scope_code, whatif_counties

MSG_COUNTY = gettext_lazy("请选择您辖区内的一个县（6 位县级区划代码）")
WHATIF_KIND = "subsidies.policy.whatif"
KEY_FIELDS = {key: field for field, key in SubsidyPolicy.KEYS.items()}


def _wider(prefix: str) -> list[str]:
    """The scopes that cover a view prefix: "", its province, city, county, …, itself."""
    return [prefix[:n] for n in (0, 2, 4, 6, 9, 12) if n <= len(prefix)]


def _visible_q(actor) -> Q:
    """Versions inside the view scope (any state), and published or revoked versions of the scopes covering it (the
    national document, the province's): a draft of a wider authority is not the viewer's business."""
    prefix = actor.view_prefix
    if not prefix.isdigit():
        return Q(pk__in=[])
    return code_prefix_q("scope", prefix) | Q(scope__in=_wider(prefix), state__in=[SubsidyPolicy.State.PUBLISHED, SubsidyPolicy.State.REVOKED])


def policy_visible(actor, policy: SubsidyPolicy) -> bool:
    prefix = actor.view_prefix
    if not prefix.isdigit():
        return False
    return policy.scope.startswith(prefix) or (prefix.startswith(policy.scope) and policy.state != SubsidyPolicy.State.DRAFT)


def policy_list(*, actor, state: str = "", scope: str = "", q: str = "") -> QuerySet[SubsidyPolicy]:
    require_perm(actor, Perm.SUBSIDY_VIEW)
    qs = SubsidyPolicy.objects.filter(_visible_q(actor)).select_related("created_by", "published_by", "revoked_by")
    if state:
        qs = qs.filter(state=state)
    if scope:
        qs = qs.filter(scope=scope)
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(doc_number__contains=q))
    return qs.order_by("-effective_from", "scope", "-id")


def access_policy(actor, policy_id) -> SubsidyPolicy:
    """One version the actor may see, or NotFound (unknown, malformed, outside the view scope, a wider authority's draft)."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    try:
        pk = int(policy_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    policy = SubsidyPolicy.objects.filter(pk=pk).select_related("created_by", "published_by", "revoked_by").first()
    if policy is None:
        raise NotFound()
    if not policy_visible(actor, policy):
        raise NotFound()
    return policy


def policy_actions(actor, policy: SubsidyPolicy) -> dict[str, bool]:
    """Which buttons the detail page (and the API detail) offers; the services check again."""
    entry = may_enter(actor, policy.scope)
    state = policy.state
    manage, publish = actor.can(Perm.SUBSIDY_POLICY), actor.can(Perm.SUBSIDY_POLICY_PUBLISH)
    return {
        "edit": manage and entry and state == SubsidyPolicy.State.DRAFT,
        "copy": manage,
        "publish": publish and entry and state == SubsidyPolicy.State.DRAFT,
        "revoke": publish and entry and state == SubsidyPolicy.State.PUBLISHED,
        "whatif": manage and state == SubsidyPolicy.State.DRAFT,
    }


# --- display ----------------------------------------------------------------------------------------------------

def scope_name(scope: str, names: dict | None = None) -> str:
    if not scope:
        return _("全国")
    code = scope_code(scope)
    names = names if names is not None else division_names([code])
    return names.get(code, scope)


def value_text(field: str, value: Any) -> str:
    """A policy value as people read it (the model field's value or a core.PolicyVersion value)."""
    if not is_set(field, value):
        return _("继承")
    if field == "standard_yuan":
        return _("%(yuan)s 元/人·年") % {"yuan": f"{Decimal(str(value)).quantize(Decimal('0.01'))}"}
    if field == "frequency":
        return str(dict(Frequency.choices).get(value, value))
    if field == "removal_effective":
        return str(dict(RemovalRule.choices).get(value, value))
    if field in ("period_years_current", "period_years"):
        return _("%(n)s 年") % {"n": value}
    if field == "direct_modes":
        labels = dict(Enrolment.SupportMode.choices)
        return join_list(labels.get(v, v) for v in (value if isinstance(value, list) else [value]))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class ValueRow:
    field: str
    label: str
    text: str
    inherited: bool


def policy_value_rows(policy: SubsidyPolicy) -> list[ValueRow]:
    return [ValueRow(f, str(FIELD_LABELS[f]), value_text(f, getattr(policy, f)), not is_set(f, getattr(policy, f))) for f in VALUE_FIELDS]


def policy_annotate(policies) -> list[SubsidyPolicy]:
    """Scope names and value rows on a page of versions."""
    policies = list(policies)
    names = division_names([scope_code(p.scope) for p in policies if p.scope])
    for p in policies:
        p.scope_name = scope_name(p.scope, names)
        p.value_rows = policy_value_rows(p)
    return policies


# --- the values in force ----------------------------------------------------------------------------------------

@dataclass
class Resolved:
    """The value of one key in force for a county on a day, and the version it comes from."""

    field: str
    key: str
    label: str
    value: Any
    text: str
    scope: str | None = None
    scope_name: str = ""
    effective_from: dt.date | None = None
    note: str = ""
    source_id: int | None = None  # the published SubsidyPolicy document, when one wrote the row
    source_title: str = ""
    draft_text: str = ""  # for a draft: what it would set ("" when it inherits)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "key": self.key, "label": self.label, "value": self.value, "text": self.text, "scope": self.scope,
                "scope_name": self.scope_name, "effective_from": self.effective_from, "note": self.note, "source_id": self.source_id,
                "source_title": self.source_title, "draft_text": self.draft_text}


def policy_counties(actor, policy: SubsidyPolicy | None = None) -> list[Division]:
    """Counties the resolved view may show: those under the version's scope (all for a national one) in the view scope."""
    if policy is None:
        policy = SubsidyPolicy(scope="")
    return whatif_counties(actor, policy)


def _county(actor, county: str) -> Division:
    try:
        code = full_code(str(county or ""))
    except ValueError:
        code = ""
    division = Division.objects.filter(code=code, level=Level.COUNTY).first() if code else None
    view = actor.view_prefix
    covered = division is not None and view.isdigit() and (division.code.startswith(view) or view.startswith(division.prefix))
    if not covered:
        raise ValidationFailed(MSG_COUNTY, code="county_invalid", detail={"field": "county"})
    return division


def policy_effective(*, actor, county: str, on: dt.date, draft: SubsidyPolicy | None = None) -> list[Resolved]:
    """For each key of SubsidyPolicy.KEYS: the value in force in `county` on `on` (longest matching scope, then latest
    date, as core.policy.policy_value decides) and the version it comes from; with `draft`, what the draft would set."""
    require_perm(actor, Perm.SUBSIDY_VIEW)
    division = _county(actor, county)
    keys = list(SubsidyPolicy.KEYS.values())
    best: dict[str, tuple] = {}
    for pv in PolicyVersion.objects.filter(key__in=keys, effective_from__lte=on).only("key", "scope", "effective_from", "value", "note"):
        if division.code.startswith(pv.scope):
            rank = (len(pv.scope), pv.effective_from)
            if pv.key not in best or rank > best[pv.key][0]:
                best[pv.key] = (rank, pv)
    wanted = {(pv.scope, pv.effective_from) for _rank, pv in best.values()}
    documents: dict[tuple, list[SubsidyPolicy]] = {}
    if wanted:
        q = Q(pk__in=[])
        for scope, start in wanted:
            q |= Q(scope=scope, effective_from=start)
        for doc in SubsidyPolicy.objects.filter(q, state=SubsidyPolicy.State.PUBLISHED).order_by("-published_at", "-id"):
            documents.setdefault((doc.scope, doc.effective_from), []).append(doc)
    names = division_names([scope_code(pv.scope) for _rank, pv in best.values() if pv.scope])
    rows = []
    for field, key in SubsidyPolicy.KEYS.items():
        label = str(FIELD_LABELS[field])
        draft_text = value_text(field, getattr(draft, field)) if draft is not None and is_set(field, getattr(draft, field)) else ""
        if key not in best:
            rows.append(Resolved(field, key, label, None, _("未配置"), draft_text=draft_text))
            continue
        pv = best[key][1]
        source = next((d for d in documents.get((pv.scope, pv.effective_from), []) if key in policy_values(d)), None)
        rows.append(Resolved(field, key, label, pv.value, value_text(field, pv.value), pv.scope, scope_name(pv.scope, names),
                             pv.effective_from, pv.note, source.pk if source else None, source.title if source else "", draft_text))
    return rows


# --- what-if ------------------------------------------------------------------------------------------------------

def policy_whatif_jobs(*, actor, policy: SubsidyPolicy) -> QuerySet[Job]:
    """The what-if jobs of this version the actor may see, newest first."""
    from anju.core.jobs import job_list

    return job_list(actor=actor, kind=WHATIF_KIND).filter(params__policy=policy.pk)


def policy_whatif_latest(*, actor, policy: SubsidyPolicy) -> tuple[Job | None, Job | None]:
    """(the newest finished-successfully what-if job, a newer one still queued or running)."""
    jobs = list(policy_whatif_jobs(actor=actor, policy=policy)[:20])
    done = next((j for j in jobs if j.state == Job.State.SUCCEEDED), None)
    pending = next((j for j in jobs if not j.is_finished), None)
    if done is not None and pending is not None and pending.created_at < done.created_at:
        pending = None
    return done, pending
