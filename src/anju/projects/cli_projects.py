"""`anju projects list|show|stage|create`: the project register from the command line."""

from __future__ import annotations

import json

import click

from anju.cli import django_command

STAGES = ["reserve", "applied", "reviewing", "approved", "implementing", "completed", "accepted", "audited", "evaluated", "archived"]
PROGRAMS = ["reservoir", "three_gorges", "provincial_issue", "relocation"]


def register(group: click.Group) -> None:
    """Add this module's commands to the `anju projects` group."""
    for command in (list_cmd, show_cmd, stage_cmd, create_cmd):
        group.add_command(command)


def _as_json(p, *, detail: bool = False) -> dict:
    from anju.projects.models import Stage
    from anju.projects.money import yuan_text

    out = {"id": p.pk, "code": p.code, "name": p.name, "division_code": p.division_code, "county": getattr(p, "county_name", ""),
           "township": getattr(p, "township_name", ""), "village": getattr(p, "village_name", ""), "program": p.program,
           "category": p.category, "category_name": getattr(p, "category_name", p.category), "year": p.year,
           "planned_investment_yuan": yuan_text(p.planned_investment), "stage": p.stage, "stage_label": str(Stage(p.stage).label),
           "stage_on": p.stage_on.isoformat() if p.stage_on else None,
           "actual_start": p.actual_start.isoformat() if p.actual_start else None,
           "actual_completion": p.actual_completion.isoformat() if p.actual_completion else None}
    if getattr(p, "allocated_fen", None) is not None:
        out["allocated_yuan"], out["paid_yuan"] = yuan_text(p.allocated_fen), yuan_text(p.paid_fen)
    if detail:
        from anju.projects.selectors_projects import next_stage_problems, project_totals

        totals = project_totals(p)
        following, problems = next_stage_problems(p)
        out.update({"allocated_yuan": yuan_text(totals["allocated"]), "paid_yuan": yuan_text(totals["paid"]),
                    "payment_rate": None if totals["rate"] is None else str(totals["rate"]),
                    "responsible_unit": p.responsible_unit, "responsible_person": p.responsible_person,
                    "planned_start": p.planned_start.isoformat() if p.planned_start else None,
                    "planned_completion": p.planned_completion.isoformat() if p.planned_completion else None,
                    "next_stage": following, "stage_problems": problems})
    return out


def _line(p) -> str:
    from anju.projects.models import Stage
    from anju.projects.money import wan_text

    return "\t".join([p.code, p.name, getattr(p, "place", p.division_code), str(p.year or "—"), wan_text(p.planned_investment),
                      str(Stage(p.stage).label)])


def _print_one(p, as_json: bool) -> None:
    from django.utils.translation import gettext as _

    from anju.projects.selectors_projects import decorate

    decorate([p])
    data = _as_json(p, detail=True)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"{p.code} {p.name}（{p.place}）")
    click.echo(_("阶段：%(stage)s；计划投资 %(inv)s 元；累计下达 %(alloc)s 元，累计支付 %(paid)s 元，资金支付率 %(rate)s") % {
        "stage": data["stage_label"], "inv": data["planned_investment_yuan"], "alloc": data["allocated_yuan"], "paid": data["paid_yuan"],
        "rate": data["payment_rate"] or "—"})
    if data["next_stage"]:
        from anju.projects.models import Stage

        label = Stage(data["next_stage"]).label
        if data["stage_problems"]:
            click.echo(_("转入“%(stage)s”尚缺：%(problems)s") % {"stage": label, "problems": "；".join(data["stage_problems"])})
        else:
            click.echo(_("可转入“%(stage)s”") % {"stage": label})


@click.command("list")
@click.option("--county", default=None, help="县级区划代码，如 429921")
@click.option("--year", type=int, default=None, help="计划年度")
@click.option("--stage", type=click.Choice(STAGES), default=None, help="阶段")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 数组")
@django_command
def list_cmd(county, year, stage, username, as_json):
    """列出本辖区的项目。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_projects import decorate, project_search, with_money

    if county is not None and not (county.isascii() and county.isdigit() and len(county) <= 12):
        raise click.BadParameter(_("区划代码只能是数字"), param_hint="--county")
    projects = decorate(with_money(project_search(actor=cli_actor(username), county=county or "", year=year, stage=stage or "")))
    if as_json:
        click.echo(json.dumps([_as_json(p) for p in projects], ensure_ascii=False))
        return
    for p in projects:
        click.echo(_line(p))


@click.command("show")
@click.argument("code")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def show_cmd(code, username, as_json):
    """查看一个项目：阶段、资金合计与转入下一阶段尚缺的条件。"""
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors import access_project_by_code

    _print_one(access_project_by_code(cli_actor(username), code), as_json)


@click.command("stage")
@click.argument("code")
@click.option("--to", "to_stage", type=click.Choice(STAGES), required=True, help="转入阶段")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="转入日期（默认今天）")
@click.option("--note", default="", help="说明")
@click.option("--as", "username", required=True, help="以此账号执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def stage_cmd(code, to_stage, on, note, username, as_json):
    """推进项目阶段（或退回储备）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.models import Stage
    from anju.projects.selectors import access_project_by_code
    from anju.projects.services.stages import project_stage_set

    actor = cli_actor(username)
    project = access_project_by_code(actor, code, kind="entry", perm=Perm.PROJECT_EDIT)
    project = project_stage_set(actor=actor, project=project, to_stage=to_stage, on=on.date() if on else None, note=note)
    if as_json:
        _print_one(project, True)
    else:
        click.echo(_("%(code)s 已转入“%(stage)s”（%(on)s）") % {"code": project.code, "stage": Stage(project.stage).label,
                                                             "on": project.stage_on.isoformat()})


@click.command("create")
@click.option("--code", required=True, help="项目编码（唯一）")
@click.option("--name", required=True, help="项目名称")
@click.option("--division", required=True, help="项目地点：县、乡镇或村的区划代码")
@click.option("--program", type=click.Choice(PROGRAMS), required=True, help="项目类型")
@click.option("--category", required=True, help="项目类别编码，如 infrastructure")
@click.option("--investment", required=True, help="计划投资金额")
@click.option("--unit", type=click.Choice(["yuan", "wan"]), default="wan", show_default=True, help="金额单位：元或万元")
@click.option("--year", type=int, default=None, help="计划年度")
@click.option("--responsible-unit", default="", help="责任单位")
@click.option("--responsible-person", default="", help="责任人")
@click.option("--as", "username", required=True, help="以此账号执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def create_cmd(code, name, division, program, category, investment, unit, year, responsible_unit, responsible_person, username, as_json):
    """登记项目（进入储备库）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.money import fen_text
    from anju.projects.services.projects import project_create

    project = project_create(actor=cli_actor(username), code=code, name=name, division_code=division, program=program, category=category,
                             planned_investment=investment, investment_unit=unit, year=year, responsible_unit=responsible_unit,
                             responsible_person=responsible_person)
    if as_json:
        _print_one(project, True)
    else:
        click.echo(_("已登记项目 %(code)s %(name)s，计划投资 %(yuan)s 元（储备）") % {"code": project.code, "name": project.name,
                                                                                "yuan": fen_text(project.planned_investment)})
