"""`anju relocation checks draw|verify|export|follow-ups`: reproducible spot-check samples from the command line."""

from __future__ import annotations

import datetime as dt
import json
import os

import click

from anju.cli import django_command


def register(group) -> None:
    group.add_command(checks_group)


@click.group("checks")
def checks_group() -> None:
    """抽查核实：随机抽样（种子可复现）、复核样本、导出名单与结果、整改跟踪。"""


def _check_json(check) -> dict:
    return {"id": check.pk, "name": check.name, "scope": check.division_code, "site": check.site.code if check.site_id else None,
            "method": check.method, "seed": check.seed, "as_of": check.as_of.isoformat(), "population": check.population,
            "size": check.sample_size, "state": check.state,
            "households": list(check.items.order_by("order").values_list("household_id", flat=True))}


@checks_group.command("draw")
@click.option("--scope", default=None, help="县（6 位）或乡镇（9 位）区划代码")
@click.option("--site", default=None, help="安置点 id 或编码（代替 --scope）")
@click.option("--size", type=int, default=None, help="抽样户数")
@click.option("--percent", type=float, default=None, help="抽样比例（%），向上取整，至少 1 户")
@click.option("--seed", default=None, help="随机种子；不填则自动生成并记录")
@click.option("--as-of", "as_of", required=True, help="名册日期 YYYY-MM-DD")
@click.option("--method", type=click.Choice(["random", "open", "covert"]), default="random", help="方式：随机抽查、明查、暗访")
@click.option("--name", default="", help="抽查名称")
@click.option("--as", "username", required=True, help="以此账号抽取（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def draw_cmd(scope, site, size, percent, seed, as_of, method, name, username, as_json):
    """抽取样本：总体为名册日期在册的搬迁户（按户 id 升序），样本为 random.Random(种子).sample(总体, 户数)。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.exceptions import ValidationFailed
    from anju.relocation.services.checks import check_draw

    actor = cli_actor(username)
    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        raise ValidationFailed(_("--as-of 应为 YYYY-MM-DD 格式的日期"), code="date_invalid") from None
    check = check_draw(actor=actor, as_of=day, scope=scope, site=site, size=size, percent=percent, method=method, seed=seed, name=name)
    if as_json:
        click.echo(json.dumps(_check_json(check), ensure_ascii=False))
    else:
        click.echo(_("抽查 #%(id)s：总体 %(p)s 户，抽取 %(n)s 户，随机种子 %(seed)s") % {
            "id": check.pk, "p": check.population, "n": check.sample_size, "seed": check.seed})


@checks_group.command("verify")
@click.argument("check_id", type=int)
@click.option("--as", "username", required=True, help="以此账号复核（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def verify_cmd(check_id, username, as_json):
    """复核样本：用记录的种子重新抽取并与记录比对；不一致时退出码为 1。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.selectors_checks import access_check
    from anju.relocation.services.checks import check_verify

    actor = cli_actor(username)
    result = check_verify(actor=actor, check=access_check(actor, check_id))
    if as_json:
        click.echo(json.dumps({"id": check_id, **result}, ensure_ascii=False))
    elif result["match"]:
        click.echo(_("复核一致：总体 %(p)s 户，样本 %(n)s 户相同") % {"p": result["population"], "n": len(result["stored"])})
    else:
        click.echo(_("复核不一致：记录中有而重抽没有 %(m)s，重抽有而记录中没有 %(e)s") % {"m": result["missing"], "e": result["extra"]})
    if not result["match"]:
        raise SystemExit(1)


@checks_group.command("export")
@click.argument("check_id", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出的 xlsx 文件")
@click.option("--results", is_flag=True, help="导出核查结果（默认导出抽查名单）")
@click.option("--unmasked", is_flag=True, help="名单中显示完整身份证号（须有相应权限，留痕）")
@click.option("--as", "username", required=True, help="以此账号导出（留痕）")
@django_command
def export_cmd(check_id, out, results, unmasked, username):
    """导出抽查名单或核查结果（Excel）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation import reports_checks as reports
    from anju.relocation.selectors_checks import access_check

    actor = cli_actor(username)
    check = access_check(actor, check_id)
    data = reports.results_xlsx(actor=actor, check=check) if results else reports.sample_xlsx(actor=actor, check=check, unmasked=unmasked)
    path = os.path.abspath(out)
    with open(path, "wb") as f:
        f.write(data)
    click.echo(_("已导出 %(path)s") % {"path": path})


@checks_group.command("follow-ups")
@click.option("--overdue", is_flag=True, help="只列逾期未整改的")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def follow_ups_cmd(overdue, username, as_json):
    """列出抽查发现问题的整改事项。"""
    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors_checks as sel

    actor = cli_actor(username)
    today = dt.date.today()
    for i in sel.follow_up_list(actor=actor, overdue=overdue, today=today):
        row = {"id": i.pk, "check": i.spot_check_id, "household": i.household_id, "number": i.household.number, "owner": i.follow_up_owner,
               "deadline": i.follow_up_deadline.isoformat() if i.follow_up_deadline else None, "days_overdue": sel.days_overdue(i, today),
               "findings": i.findings}
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"#{i.pk}\t{i.household.number}\t{row['deadline']}\t{row['days_overdue']}\t{i.follow_up_owner}\t{i.findings[:40]}")
