"""`anju subsidies entitlements` and `anju subsidies batch …`: the entitlement list and payment batches from the command line."""

from __future__ import annotations

import json
import os
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command


def register(group) -> None:
    """Add this module's commands to the `anju subsidies` group."""
    group.add_command(entitlements_cmd)
    group.add_command(batch_group)


def _as_json(b) -> dict:
    t = b.totals or {}
    return {"batch": b.pk, "number": b.number, "county": b.division_code, "year": b.year, "quarter": b.quarter, "kind": b.kind,
            "state": b.state, "fund_source": b.fund_source, "persons": t.get("persons"), "amount": t.get("amount"), "held": t.get("held"),
            "created_by": b.created_by.username if b.created_by_id else None,
            "reviewed_by": b.reviewed_by.username if b.reviewed_by_id else None,
            "approved_by": b.approved_by.username if b.approved_by_id else None}


def _period(b) -> str:
    from django.utils.translation import gettext as _

    return _("%(year)s 年第 %(q)s 季度") % {"year": b.year, "q": b.quarter} if b.quarter else _("%(year)s 年") % {"year": b.year}


def _print(b, as_json: bool) -> None:
    from django.utils.translation import gettext as _

    from anju.subsidies.months import fen_text

    if as_json:
        click.echo(json.dumps(_as_json(b), ensure_ascii=False))
        return
    t = b.totals or {}
    click.echo(_("批次 #%(id)s %(number)s（%(county)s，%(period)s，%(kind)s）：%(state)s") % {
        "id": b.pk, "number": b.number, "county": b.division_code[:6], "period": _period(b), "kind": b.get_kind_display(),
        "state": b.get_state_display()})
    click.echo(_("应发 %(persons)s 人，%(amount)s 元；暂缓 %(held)s 人") % {
        "persons": t.get("persons", 0), "amount": fen_text(t.get("amount") or 0), "held": t.get("held", 0)})


@click.command("entitlements")
@click.option("--year", type=int, required=True, help="发放年度")
@click.option("--quarter", type=click.IntRange(0, 4), default=0, show_default=True, help="季度（按季度发放的县）；0 为全年")
@click.option("--scope", required=True, help="县（6 位）或市（4 位）区划代码")
@click.option("--preview", is_flag=True, help="核定名单尚未锁定时，按当前在册名单预览")
@click.option("--unmasked", is_flag=True, help="导出完整身份证号（须有相应权限，留痕）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出的 CSV 文件")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def entitlements_cmd(year, quarter, scope, preview, unmasked, username, out, as_json):
    """资金测算：导出每人应发月数与金额（CSV）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.services.entitlements_export import entitlements_export_csv

    actor = cli_actor(username)
    path = os.path.abspath(out)
    bar = None if as_json else ProgressBar(_("资金测算"))
    try:
        n = entitlements_export_csv(actor=actor, scope=scope, year=year, quarter=quarter, preview=preview, path=path, unmasked=unmasked,
                                    progress=bar)
    finally:
        if bar:
            bar.close()
    if as_json:
        click.echo(json.dumps({"scope": scope, "year": year, "quarter": quarter, "preview": preview, "unmasked": unmasked, "rows": n,
                               "path": path}, ensure_ascii=False))
    else:
        click.echo(_("已导出 %(n)s 人：%(path)s") % {"n": n, "path": path})


@click.group("batch")
def batch_group() -> None:
    """发放批次：生成、列表、查看、审核、审批、退回。"""


@batch_group.command("create")
@click.option("--county", required=True, help="县级区划代码，如 429921")
@click.option("--year", type=int, required=True, help="发放年度")
@click.option("--quarter", type=click.IntRange(0, 4), default=0, show_default=True, help="季度（按季度发放的县）；0 为全年")
@click.option("--fund-source", default="central", show_default=True,
              type=click.Choice(["central", "provincial", "three_gorges", "reservoir_area", "local"]), help="资金来源")
@click.option("--note", default="", help="备注")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def create_cmd(county, year, quarter, fund_source, note, username, as_json):
    """依据上年度已锁定的核定名单生成草稿批次。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.jobs import job_create_inline, job_execute
    from anju.subsidies import jobs  # noqa: F401
    from anju.subsidies.selectors import access_batch
    from anju.subsidies.services.batches import batch_create_check

    actor = cli_actor(username)
    division = batch_create_check(actor=actor, county_code=county, year=year, quarter=quarter, fund_source=fund_source)
    job = job_create_inline(actor=actor, kind="subsidies.batch.create", division_code=division.code,
                            params={"county": division.prefix, "year": year, "quarter": quarter, "fund_source": fund_source, "note": note})
    bar = None if as_json else ProgressBar(_("生成批次"))
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        if bar:
            bar.close()
    if job.state != "succeeded":
        _echo_error(job.error, (job.result or {}).get("detail"))
        sys.exit(2)
    _print(access_batch(actor, job.result["batch"]), as_json)


@batch_group.command("list")
@click.option("--year", type=int, default=None)
@click.option("--county", default=None, help="县级区划代码")
@click.option("--state", type=click.Choice(["draft", "reviewed", "approved", "exported", "returned", "reconciled"]), default=None)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def list_cmd(year, county, state, username, as_json):
    """列出本辖区的发放批次。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.months import fen_text
    from anju.subsidies.selectors import batch_list

    for b in batch_list(actor=cli_actor(username), year=year, county=county or "", state=state or ""):
        if as_json:
            click.echo(json.dumps(_as_json(b), ensure_ascii=False))
        else:
            t = b.totals or {}
            click.echo(f"#{b.pk}\t{b.number}\t{b.division_code[:6]}\t{_period(b)}\t{b.get_state_display()}\t{t.get('persons', 0)}\t"
                       f"{fen_text(t.get('amount') or 0)}")


@batch_group.command("show")
@click.argument("batch_id", type=int)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（含分乡镇合计）")
@django_command
def show_cmd(batch_id, username, as_json):
    """查看一个批次：合计与分乡镇汇总。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors import access_batch, batch_by_township

    actor = cli_actor(username)
    b = access_batch(actor, batch_id)
    summary = batch_by_township(actor=actor, batch=b)
    if as_json:
        out = {**_as_json(b), "figures": summary.total.figures,
               "townships": [{"code": t.code, "name": t.name, "figures": t.figures} for t in summary.townships]}
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    _print(b, False)
    for t in summary.townships:
        f = t.figures
        click.echo(f"  {t.name}\t{f['entitled']['persons']}\t{f['entitled']['yuan']}\t{f['held']['persons']}")


def _transition(batch_id: int, username: str, as_json: bool, call) -> None:
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors import access_batch

    actor = cli_actor(username)
    b = call(actor, access_batch(actor, batch_id))
    _print(access_batch(actor, b.pk), as_json)


@batch_group.command("review")
@click.argument("batch_id", type=int)
@click.option("--as", "username", required=True, help="审核人账号（县级审核，不能是生成人）")
@click.option("--json", "as_json", is_flag=True)
@django_command
def review_cmd(batch_id, username, as_json):
    """审核草稿批次。"""
    from anju.subsidies.services.workflow import batch_review

    _transition(batch_id, username, as_json, lambda actor, b: batch_review(actor=actor, batch=b))


@batch_group.command("approve")
@click.argument("batch_id", type=int)
@click.option("--as", "username", required=True, help="审批人账号（县级审核，不能是生成人或审核人）")
@click.option("--json", "as_json", is_flag=True)
@django_command
def approve_cmd(batch_id, username, as_json):
    """审批已审核的批次。"""
    from anju.subsidies.services.workflow import batch_approve

    _transition(batch_id, username, as_json, lambda actor, b: batch_approve(actor=actor, batch=b))


@batch_group.command("send-back")
@click.argument("batch_id", type=int)
@click.option("--reason", required=True, help="退回理由")
@click.option("--as", "username", required=True, help="县级审核账号")
@click.option("--json", "as_json", is_flag=True)
@django_command
def send_back_cmd(batch_id, reason, username, as_json):
    """把已审核或已审批的批次退回为草稿。"""
    from anju.subsidies.services.workflow import batch_send_back

    _transition(batch_id, username, as_json, lambda actor, b: batch_send_back(actor=actor, batch=b, reason=reason))


@batch_group.command("refresh-accounts")
@click.argument("batch_id", type=int)
@click.option("--as", "username", required=True, help="县级经办账号")
@click.option("--json", "as_json", is_flag=True)
@django_command
def refresh_accounts_cmd(batch_id, username, as_json):
    """重新读取暂缓人员的银行账号并重新校验，恢复已无问题的明细。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors import access_batch
    from anju.subsidies.services.workflow import batch_refresh_accounts

    actor = cli_actor(username)
    r = batch_refresh_accounts(actor=actor, batch=access_batch(actor, batch_id))
    if as_json:
        click.echo(json.dumps({"batch": batch_id, **r}, ensure_ascii=False))
    else:
        click.echo(_("已重新读取 %(checked)s 笔暂缓明细的银行账号：恢复发放 %(released)s 笔，仍暂缓 %(held)s 笔") % r)
