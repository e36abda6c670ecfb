"""`anju relocation steps record|undo|show|progress`: a household's relocation steps and per-site progress."""

from __future__ import annotations

import datetime as dt
import json
import os

import click

from anju.cli import django_command


def register(group) -> None:
    group.add_command(steps_group)


@click.group("steps")
def steps_group() -> None:
    """搬迁环节：确认搬迁 → 签订协议 → 分配安置住房 → 搬迁入住 → 旧房拆除/复垦。"""


def _date(value: str | None, option: str):
    from django.utils.translation import gettext as _

    from anju.core.exceptions import ValidationFailed

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(_("%(option)s 应为 YYYY-MM-DD 格式的日期") % {"option": option}, code="date_invalid") from None


def _state(actor, household) -> dict:
    from anju.relocation.selectors_steps import household_steps

    data = household_steps(actor=actor, household=household)
    r = data.relocation
    return {"household": household.pk, "number": household.number, "step": r.step if r else None, "next_step": data.next_step,
            "site": r.site.code if r and r.site_id else None, "year": r.year if r else None, "persons": r.persons if r else 0,
            "house_number": r.house_number if r else "", "house_area": None if r is None or r.house_area is None else str(r.house_area),
            "steps": [{"step": s.step, "on": s.on.isoformat(), "note": s.note, "evidence": s.evidence_name or None} for s in data.steps]}


@steps_group.command("record")
@click.option("--household", "household_id", type=int, required=True, help="户 id")
@click.option("--step", required=True, type=click.Choice(["confirmed", "agreement", "allocated", "moved_in", "demolished"]), help="环节")
@click.option("--on", "on", required=True, help="环节日期 YYYY-MM-DD")
@click.option("--evidence", type=click.Path(exists=True, dir_okay=False), default=None, help="佐证材料（pdf/jpg/png，≤20 MB）")
@click.option("--note", default="", help="说明")
@click.option("--site", default="", help="安置点编码（确认搬迁至分配住房时可指定）")
@click.option("--year", type=int, default=None, help="搬迁年度（确认搬迁时）")
@click.option("--house-number", default="", help="安置房号（分配安置住房时必填）")
@click.option("--house-area", default="", help="安置住房面积，平方米（分配安置住房时必填）")
@click.option("--as", "username", required=True, help="以此账号登记（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def record_cmd(household_id, step, on, evidence, note, site, year, house_number, house_area, username, as_json):
    """登记一户的下一环节。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.models import Step
    from anju.relocation.selectors_common import access_relocated_household
    from anju.relocation.services import steps as svc

    actor = cli_actor(username)
    household = access_relocated_household(actor, household_id, kind="entry")
    files = {}
    if evidence:
        with open(evidence, "rb") as f:
            files = {"evidence_name": os.path.basename(evidence), "evidence_data": f.read(svc.MAX_EVIDENCE_BYTES + 1)}
    svc.step_record(actor=actor, household=household, step=step, on=_date(on, "--on"), note=note, site=site or None, year=year,
                    house_number=house_number, house_area=house_area or None, **files)
    if as_json:
        click.echo(json.dumps(_state(actor, household), ensure_ascii=False))
    else:
        click.echo(_("已登记 %(number)s“%(step)s”（%(on)s）") % {"number": household.number, "step": Step(step).label, "on": on})


@steps_group.command("undo")
@click.option("--household", "household_id", type=int, required=True, help="户 id")
@click.option("--reason", required=True, help="撤销理由")
@click.option("--as", "username", required=True, help="以此账号撤销（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def undo_cmd(household_id, reason, username, as_json):
    """撤销一户最后登记的环节。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.selectors_common import access_relocated_household
    from anju.relocation.services import steps as svc

    actor = cli_actor(username)
    household = access_relocated_household(actor, household_id, kind="entry")
    svc.step_undo(actor=actor, household=household, reason=reason)
    if as_json:
        click.echo(json.dumps(_state(actor, household), ensure_ascii=False))
    else:
        click.echo(_("已撤销 %(number)s 最后一个环节") % {"number": household.number})


@steps_group.command("show")
@click.option("--household", "household_id", type=int, required=True, help="户 id")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def show_cmd(household_id, username, as_json):
    """一户的搬迁环节。"""
    from anju.accounts.selectors import cli_actor
    from anju.relocation.models import Step
    from anju.relocation.selectors_common import access_relocated_household

    actor = cli_actor(username)
    state = _state(actor, access_relocated_household(actor, household_id))
    if as_json:
        click.echo(json.dumps(state, ensure_ascii=False))
        return
    for s in state["steps"]:
        click.echo(f"{s['on']}\t{Step(s['step']).label}\t{s['evidence'] or ''}\t{s['note']}")


@steps_group.command("progress")
@click.option("--scope", default=None, help="区划代码（2–12 位）")
@click.option("--site", "site_id", type=int, default=None, help="安置点 id")
@click.option("--year", type=int, default=None, help="搬迁年度")
@click.option("--as", "username", required=True, help="以此账号的范围统计")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON：rows（分安置点）、counties（分县）、total")
@django_command
def progress_cmd(scope, site_id, year, username, as_json):
    """分安置点的搬迁进度：各环节户数、入住率、拆旧复垦率，分县小计。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.selectors_steps import step_progress

    actor = cli_actor(username)
    result = step_progress(actor=actor, scope=scope, site=site_id, year=year)
    if as_json:
        click.echo(json.dumps({"rows": [r.as_dict() for r in result.rows], "counties": [r.as_dict() for r in result.counties],
                               "total": result.total.as_dict()}, ensure_ascii=False))
        return
    for r in result.rows:
        click.echo(f"{r.county_name}\t{r.site_code or '-'}\t{r.site_name}\t{r.households}\t{r.moved_in}\t{r.moved_in_pct}\t"
                   f"{r.demolished}\t{r.demolished_pct}")
    t = result.total
    click.echo(f"{_('合计')}\t-\t\t{t.households}\t{t.moved_in}\t{t.moved_in_pct}\t{t.demolished}\t{t.demolished_pct}")
