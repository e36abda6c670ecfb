"""Demo population: reservoirs and sites per county, a made-up roster of both programs imported through the real
import path, and (in later steps) open change requests and last year's locked verification."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _

RESERVOIR_PERSONS = 110_000
RELOCATION_PERSONS = 16_000
SCALES = ("large", "medium")


def _villages():
    from anju.divisions.models import Division, Level
    from anju.registry.synthetic import Village

    names = dict(Division.objects.filter(code__startswith="4299").values_list("code", "name"))
    codes = Division.objects.filter(code__startswith="4299", level=Level.VILLAGE).order_by("code").values_list("code", flat=True)
    return [Village(names[c[:6].ljust(12, "0")], names[c[:9].ljust(12, "0")], names[c], c) for c in codes]


def _reference() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """One or two reservoirs and two resettlement sites per county (idempotent)."""
    from anju.demo import COUNTIES
    from anju.registry.models import Reservoir
    from anju.relocation.models import Site

    reservoirs: dict[str, list[str]] = {}
    sites: dict[str, list[str]] = {}
    for i, (county, name) in enumerate(COUNTIES):
        short = name[:2]
        wanted = [(f"R{county}01", f"{short}水库", SCALES[i % 2])]
        if i % 3 == 0:
            wanted.append((f"R{county}02", f"{short}河水电站", "medium"))
        reservoirs[county] = []
        for code, rname, scale in wanted:
            Reservoir.objects.get_or_create(code=code, defaults={"name": rname, "scale": scale, "division_code": county.ljust(12, "0")})
            reservoirs[county].append(rname)
        sites[county] = []
        for j, (suffix, area) in enumerate([("幸福小区", "urban"), ("安居新村", "rural")], start=1):
            sname = f"{short}{suffix}"
            Site.objects.get_or_create(code=f"S{county}{j:02d}", defaults={"name": sname, "division_code": county.ljust(12, "0"),
                                                                           "placement": "concentrated", "area_type": area, "capacity": 3000})
            sites[county].append(sname)
    return reservoirs, sites


def population_step(summary) -> None:
    from anju.accounts.models import User
    from anju.registry.models import Enrolment
    from anju.registry.roster import SPECS
    from anju.registry.services.imports import registry_import
    from anju.registry.synthetic import relocation_rows, reservoir_rows

    reservoirs, sites = _reference()
    if Enrolment.objects.exists():
        summary.notes.append("  " + _("人口名册已存在，未重复导入（共 %(n)s 条扶持记录）") % {"n": Enrolment.objects.count()})
        return
    actor = User.objects.get(username="demo_city_clerk")
    villages = _villages()
    today = dt.date.today()
    with tempfile.TemporaryDirectory(prefix="anju-demo-") as tmp:
        for program, rows in (
            ("reservoir", reservoir_rows(seed=4299, n_persons=RESERVOIR_PERSONS, villages=villages, reservoirs=reservoirs, today=today)),
            ("relocation", relocation_rows(seed=4300, n_persons=RELOCATION_PERSONS, villages=villages, sites=sites, today=today)),
        ):
            path = Path(tmp) / f"{program}.csv"
            with open(path, "w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow([f.label for f in SPECS[program].fields])
                out.writerows(rows)
            report = registry_import(actor=actor, program=program, source=path, filename=f"演示{SPECS[program].title}.csv")
            summary.notes.append("  " + _("%(title)s：%(message)s") % {"title": SPECS[program].title, "message": report.message})


# Removals proposed in the demo township (demo_township_clerk's 429921101), left at each stage of the workflow.
REQUEST_PLAN = [
    # (cause, reason, how far it gets)
    ("death", "病故", "submitted"),
    ("death", "意外身故", "submitted"),
    ("public_employment", "考取公务员", "submitted"),
    ("prison", "判处有期徒刑三年", "county"),
    ("non_agricultural", "大学毕业转为非农业户口", "county"),
    ("military_officer", "提干为现役军官", "city"),
    ("moved_out", "举家迁往外省", "city"),
]


def requests_step(summary) -> None:
    """Open change requests at each level: awaiting the county, awaiting the city, in public posting; and a draft."""
    from anju.accounts.models import User
    from anju.core.access import code_prefix_q
    from anju.registry.models import ChangeRequest, Enrolment
    from anju.registry.services import requests as svc

    if ChangeRequest.objects.exists() or not Enrolment.objects.exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["demo_township_clerk", "demo_county_reviewer", "demo_city_admin"])}
    township, county, city = users["demo_township_clerk"], users["demo_county_reviewer"], users["demo_city_admin"]
    today = dt.date.today()
    enrolments = list(Enrolment.objects.filter(code_prefix_q("division_code", township.entry_prefix), program="reservoir", status="active")
                      .select_related("person").order_by("id")[: len(REQUEST_PLAN) + 1])
    for (cause, reason, stage), enrolment in zip(REQUEST_PLAN, enrolments, strict=False):
        event = today - dt.timedelta(days=20)
        cr = svc.change_request_create(actor=township, kind="remove", program="reservoir", enrolment=enrolment, cause=cause, reason=reason,
                                       payload={"event_date": event.isoformat()}, submit=True, today=today)
        if stage in ("county", "city"):
            cr = svc.change_request_approve(actor=county, request=cr, comment="经核实属实", today=today)
        if stage == "city":
            svc.change_request_approve(actor=city, request=cr, comment="同意核减，请公示", today=today)
    if len(enrolments) > len(REQUEST_PLAN):
        person = enrolments[-1].person
        svc.change_request_create(actor=township, kind="correct", program="reservoir", person=person, reason="电话号码变更",
                                  payload={"changes": {"phone": "13900000000"}}, today=today)
    counts = {state: ChangeRequest.objects.filter(state=state).count() for state in ChangeRequest.State.values}
    summary.notes.append("  " + _("变更申请：审批中 %(pending)s 件，公示中 %(posting)s 件，草稿 %(draft)s 件") % counts)


def verification_step(summary) -> None:
    """The last three years' annual verifications of the reservoir roster in every county, each signed by county and city
    and locked (payments of a year come from the year before's snapshot); this year's stays to be done. The demo county
    白云县 (429921) is signed by the demo reviewer."""
    from anju.accounts.models import User
    from anju.demo import COUNTIES, DEMO_PASSWORD
    from anju.registry.models import Enrolment, Verification
    from anju.registry.services import verification as svc

    last = dt.date.today().year - 1
    if Verification.objects.filter(year=last).exists() or not Enrolment.objects.exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["demo_city_clerk", "demo_county_reviewer", "demo_city_admin"])}
    clerk, reviewer, city = users["demo_city_clerk"], users["demo_county_reviewer"], users["demo_city_admin"]
    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.divisions.models import Division

    total = 0
    for county, name in COUNTIES:
        signer = reviewer if county == reviewer.entry_prefix else User.objects.filter(username=f"demo_reviewer_{county}").first()
        if signer is None:  # each county's own reviewer signs its roster
            signer = user_create(actor=None, username=f"demo_reviewer_{county}", role=ROLES["county_reviewer"],
                                 entry_scope=Division.objects.get(code=county.ljust(12, "0")), password=DEMO_PASSWORD,
                                 full_name=f"{name}审核", must_change_password=False)
        for year in (last - 2, last - 1, last):
            v = svc.verification_run(actor=clerk, year=year, program="reservoir", county_code=county)
            v = svc.verification_sign_county(actor=signer, verification=v)
            v = svc.verification_sign_city(actor=city, verification=v)
        total += (v.counts or {}).get("total", 0)
    summary.notes.append("  " + _("%(first)s—%(year)s 年度核定：%(n)s 个县已锁定，%(year)s 年在册 %(total)s 人")
                         % {"first": last - 2, "year": last, "n": len(COUNTIES), "total": total})
