"""`anju relocation sites list|show` and `anju relocation sites facility add`: resettlement sites from the command line."""

from __future__ import annotations

import json
from decimal import Decimal

import click

from anju.cli import django_command

CENT = Decimal("0.01")


def register(group: click.Group) -> None:
    group.add_command(sites_group)


@click.group("sites")
def sites_group() -> None:
    """安置点：列表（含入住情况）、一个安置点的详情、登记配套设施。"""


def _site_dict(s, occupancy=None) -> dict:
    out = {"id": s.pk, "code": s.code, "name": s.name, "division_code": s.division_code, "placement": s.placement, "area_type": s.area_type,
           "capacity": s.capacity, "address": s.address, "longitude": None if s.longitude is None else str(s.longitude),
           "latitude": None if s.latitude is None else str(s.latitude), "planned_units": s.planned_units, "built_units": s.built_units,
           "completed_on": s.completed_on.isoformat() if s.completed_on else None, "manager": s.manager}
    if occupancy is not None:
        out.update({"households": occupancy.households, "persons": occupancy.persons, "moved_in": occupancy.moved_in,
                    "occupancy_rate": occupancy.rate, "facilities_in_use": occupancy.facilities_in_use,
                    "facilities_total": occupancy.facilities_total, "area_over": occupancy.area_over,
                    "area_over_registered": occupancy.area_over_registered})
    return out


@sites_group.command("list")
@click.option("--county", default="", help="县级区划代码（6 位）")
@click.option("--placement", type=click.Choice(["concentrated", "dispersed"]), default=None, help="安置方式")
@click.option("--area-type", type=click.Choice(["urban", "rural"]), default=None, help="城镇或农村")
@click.option("-q", "q", default="", help="名称包含或编码开头")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@django_command
def list_cmd(county, placement, area_type, q, username, as_json):
    """列出安置点及今天的安置户数、人数、入住率。"""
    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors

    actor = cli_actor(username)
    sites = list(selectors.site_list(actor=actor, q=q, county=county, placement=placement or "", area_type=area_type or ""))
    selectors.decorate_sites(sites, actor=actor)
    rows = [_site_dict(s, s.occupancy) | {"division_name": s.division_name} for s in sites]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        rate = "—" if r["occupancy_rate"] is None else f"{r['occupancy_rate'] * 100:.2f}%"
        click.echo(f"{r['code']}\t{r['name']}\t{r['division_name']}\t{r['households']}\t{r['persons']}/{r['capacity']}\t{rate}")


@sites_group.command("show")
@click.argument("code")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@django_command
def show_cmd(code, username, as_json):
    """一个安置点（CODE）：概况、入住、设施、社区组织、建设项目、住房面积超标户。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors

    actor = cli_actor(username)
    site = selectors.access_site_by_code(actor, code)
    occupancy = selectors.site_occupancy(actor=actor, sites=[site])[site.pk]
    out = _site_dict(site, occupancy) | {
        "facilities": [{"id": f.pk, "kind": f.kind, "name": f.name, "status": f.status, "capacity": f.capacity, "jobs": f.jobs,
                        "opened_on": f.opened_on.isoformat() if f.opened_on else None, "project_id": f.project_id}
                       for f in site.facilities.order_by("kind", "name")],
        "organisations": [{"id": o.pk, "kind": o.kind, "name": o.name, "members": o.members} for o in site.organisations.order_by("kind", "name")],
        "projects": [{"id": p.pk, "code": p.code, "name": p.name, "stage": p.stage} for p in selectors.site_projects(actor=actor, site=site)],
        "housing_area_exceptions": [{"household_id": r.household_id, "number": r.number, "area_per_person": str(r.area_per_person.quantize(CENT)),
                                     "limit": str(r.limit), "poverty_registered": r.poverty_registered}
                                    for r in selectors.housing_area_check(actor=actor, sites=[site])],
    }
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(_("%(code)s %(name)s：安置 %(h)s 户 %(p)s 人，设计 %(c)s 人；设施 %(u)s/%(t)s 已投用；住房面积超标 %(a)s 户") % {
        "code": site.code, "name": site.name, "h": occupancy.households, "p": occupancy.persons, "c": site.capacity,
        "u": occupancy.facilities_in_use, "t": occupancy.facilities_total, "a": occupancy.area_over})
    for f in out["facilities"]:
        click.echo(f"  {f['kind']}\t{f['name']}\t{f['status']}")


@sites_group.group("facility")
def facility_group() -> None:
    """安置点配套设施。"""


@facility_group.command("add")
@click.argument("site_code")
@click.option("--kind", required=True, help="设施类型编码（搬迁字典 facility，如 school、clinic、workshop）")
@click.option("--name", required=True, help="设施名称")
@click.option("--status", type=click.Choice(["planned", "building", "in_use", "suspended"]), default="planned", show_default=True)
@click.option("--capacity", type=int, default=0, help="规模（学位、床位、岗位等）")
@click.option("--jobs", type=int, default=0, help="吸纳就业人数")
@click.option("--opened-on", default=None, help="投用日期，如 2021-09-01")
@click.option("--project", default=None, help="建设项目编码")
@click.option("--note", default="", help="备注")
@click.option("--as", "username", required=True, help="以此账号操作")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@django_command
def facility_add_cmd(site_code, kind, name, status, capacity, jobs, opened_on, project, note, username, as_json):
    """给安置点 SITE_CODE 登记一项配套设施。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors
    from anju.relocation.services.sites_facilities import facility_create, facility_snapshot

    actor = cli_actor(username)
    site = selectors.access_site_by_code(actor, site_code)
    facility = facility_create(actor=actor, site=site, kind=kind, name=name, status=status, capacity=capacity, jobs=jobs,
                               opened_on=opened_on, project=project, note=note)
    if as_json:
        click.echo(json.dumps({"id": facility.pk, **facility_snapshot(facility)}, ensure_ascii=False))
        return
    click.echo(_("已登记设施 %(name)s（%(site)s）") % {"name": facility.name, "site": site.name})
