"""Performance-evaluation test data: the seeded default template, score sets with a chosen total, the actors, and
evaluations built through the services."""

from __future__ import annotations

import copy
from decimal import Decimal

from anju.projects.models import Evaluation, EvaluationTemplate, Stage
from anju.projects.seeds import EVALUATION_TEMPLATE
from anju.projects.services import evaluations as svc

from .factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE, make_project  # noqa: F401

YEAR = 2025


def default_template() -> EvaluationTemplate:
    return EvaluationTemplate.objects.get(name=EVALUATION_TEMPLATE[0])


def indicators() -> list:
    return copy.deepcopy(EVALUATION_TEMPLATE[1])


def full_scores() -> dict[str, Decimal]:
    return {i["code"]: Decimal(i["weight"]) for g in EVALUATION_TEMPLATE[1] for i in g["items"]}


def scores_totalling(total) -> dict[str, str]:
    """Scores of the default template adding up to `total`: full marks less the deficit, taken item by item."""
    deficit = Decimal(100) - Decimal(str(total))
    out = {}
    for code, weight in full_scores().items():
        take = min(weight, deficit)
        out[code] = str(weight - take)
        deficit -= take
    assert deficit == 0
    return out


def actors(make_user) -> dict:
    """The actors of these tests (use with the other_city fixture, for the foreign clerk)."""
    return {
        "clerk": make_user("county_clerk", COUNTY[:6], username="ev_clerk"),
        "clerk2": make_user("county_clerk", COUNTY[:6], username="ev_clerk2"),
        "city": make_user("city_clerk", "4299", username="ev_city"),
        "admin": make_user("city_admin", "4299", username="ev_admin"),
        "leader": make_user("leader", "4299", username="ev_leader"),
        "reviewer": make_user("county_reviewer", COUNTY[:6], username="ev_county_reviewer"),
        "foreign": make_user("county_clerk", OTHER_COUNTY[:6], username="ev_foreign"),
    }


def started(people, *, stage: str = Stage.AUDITED, village: str = VILLAGE, year: int = YEAR, name: str = "", by: str = "clerk",
            **kw) -> Evaluation:
    project = make_project(division_code=village, stage=stage, year=2024, name=name, **kw)
    return svc.evaluation_start(actor=people[by], project=project, year=year)


def submitted(people, total="100", **kw) -> Evaluation:
    e = started(people, **kw)
    by = kw.get("by", "clerk")
    svc.evaluation_self_scores(actor=people[by], evaluation=e, scores=scores_totalling(total), comment="自评说明")
    return svc.evaluation_submit(actor=people[by], evaluation=e)


def reviewed(people, total="100", review_total=None, **kw) -> Evaluation:
    e = submitted(people, total, **kw)
    scores = scores_totalling(review_total) if review_total is not None else {}
    reviewer = people["admin"] if kw.get("by") == "city" else people["city"]  # never the submitter
    return svc.evaluation_review(actor=reviewer, evaluation=e, scores=scores, comment="复核意见")
