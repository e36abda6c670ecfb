"""`anju subsidies` commands of the ledger: recoveries (detect, list, repay, waive), batch reconciliation, the per-person
ledger, the fund summary and the report files."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command


def register(group) -> None:
    """Add this module's commands to the `anju subsidies` group."""
    group.add_command(recoveries_group)
    group.add_command(reconcile_cmd)
    group.add_command(ledger_cmd)
    group.add_command(funds_cmd)
    group.add_command(report_group)


def _dump(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


def _recovery_json(r) -> dict:
    from anju.subsidies.services.recoveries import OPEN_STATES

    return {"recovery": r.pk, "item": r.item_id, "person": r.person_id, "name": r.name, "id_masked": r.id_masked, "division_code": r.division_code,
            "year": r.year, "months": r.months, "amount": r.amount, "recovered": r.recovered,
            "outstanding": r.amount - r.recovered if r.state in OPEN_STATES else 0, "state": r.state, "cause": r.cause,
            "effective_on": r.effective_on.isoformat(), "note": r.note}


def _print_recovery(r, as_json: bool) -> None:
    from django.utils.translation import gettext as _

    from anju.subsidies.months import fen_text

    if as_json:
        _dump(_recovery_json(r))
        return
    click.echo(_("追缴 #%(id)s %(name)s %(year)s年：多发 %(months)s 个月，应追缴 %(due)s 元，已追回 %(back)s 元（%(state)s）") % {
        "id": r.pk, "name": r.name, "year": r.year, "months": r.months, "due": fen_text(r.amount), "back": fen_text(r.recovered),
        "state": r.get_state_display()})


# --- recoveries -----------------------------------------------------------------------------------------------------

@click.group("recoveries")
def recoveries_group() -> None:
    """追缴：查找核减后多发、列表、登记还款、核销。"""


@recoveries_group.command("detect")
@click.option("--scope", default="", help="区划代码前缀（如 429921）；留空为全部或本人录入范围")
@click.option("--as", "username", default=None, help="以此账号的角色与范围执行（留痕）；不填则以系统身份查找全部")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def detect_cmd(scope, username, as_json):
    """查找核减生效后仍已发放的月份，生成追缴（重复运行不会重复生成）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.jobs import job_create_inline, job_execute
    from anju.subsidies import jobs_ledger  # noqa: F401
    from anju.subsidies.months import fen_text
    from anju.subsidies.services.recoveries import recoveries_detect_check

    actor = cli_actor(username) if username else None
    prefix = recoveries_detect_check(actor=actor, scope_prefix=scope)
    job = job_create_inline(actor=actor, kind="subsidies.recoveries.detect", division_code=prefix.ljust(12, "0") if prefix else "",
                            params={"scope": prefix})
    bar = None if as_json else ProgressBar(_("查找多发"))
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        if bar:
            bar.close()
    if job.state != "succeeded":
        _echo_error(job.error, (job.result or {}).get("detail"))
        sys.exit(2)
    result = job.result
    if as_json:
        _dump(result)
        return
    click.echo(_("核对 %(checked)s 笔已发放明细；新增追缴 %(created)s 笔，共 %(yuan)s 元；需核实 %(flagged)s 笔") % {
        "checked": result["checked"], "created": result["created"], "yuan": fen_text(result["amount"]), "flagged": result["flagged"]})


@recoveries_group.command("list")
@click.option("--state", type=click.Choice(["open", "partial", "settled", "waived"]), default=None)
@click.option("--county", default="", help="区划代码前缀")
@click.option("--year", type=int, default=None)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def list_cmd(state, county, year, username, as_json):
    """列出本辖区的追缴。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.months import fen_text
    from anju.subsidies.selectors_ledger import recovery_list

    for r in recovery_list(actor=cli_actor(username), state=state or "", county=county, year=year).iterator():
        if as_json:
            _dump(_recovery_json(r))
        else:
            click.echo(f"#{r.pk}\t{r.year}\t{r.division_code}\t{r.name}\t{r.months}\t{fen_text(r.amount)}\t{fen_text(r.recovered)}\t{r.get_state_display()}")


@recoveries_group.command("repay")
@click.argument("recovery_id", type=int)
@click.option("--amount", required=True, help="还款金额（元），如 150 或 150.50")
@click.option("--paid-on", "paid_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="还款日期，默认今天")
@click.option("--method", type=click.Choice(["refund", "offset"]), default="refund")
@click.option("--receipt", default="", help="票据号")
@click.option("--note", default="")
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True)
@django_command
def repay_cmd(recovery_id, amount, paid_on, method, receipt, note, username, as_json):
    """登记一笔还款。"""
    from anju.accounts.selectors import cli_actor
    from anju.core.exceptions import ValidationFailed
    from anju.subsidies.forms_ledger import MSG_YUAN, yuan_to_fen
    from anju.subsidies.selectors_ledger import access_recovery
    from anju.subsidies.services.recoveries import repayment_record

    actor = cli_actor(username)
    recovery = access_recovery(actor, recovery_id)
    try:
        fen = yuan_to_fen(amount)
    except ValueError:
        raise ValidationFailed(MSG_YUAN, code="amount_invalid") from None
    repayment_record(actor=actor, recovery=recovery, amount=fen, paid_on=paid_on.date() if paid_on else dt.date.today(), method=method,
                     receipt=receipt, note=note)
    _print_recovery(access_recovery(actor, recovery_id), as_json)


@recoveries_group.command("waive")
@click.argument("recovery_id", type=int)
@click.option("--reason", required=True, help="核销理由")
@click.option("--as", "username", required=True, help="县级审核人员账号")
@click.option("--json", "as_json", is_flag=True)
@django_command
def waive_cmd(recovery_id, reason, username, as_json):
    """核销尚欠金额。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_ledger import access_recovery
    from anju.subsidies.services.recoveries import recovery_waive

    actor = cli_actor(username)
    _print_recovery(recovery_waive(actor=actor, recovery=access_recovery(actor, recovery_id), reason=reason), as_json)


# --- reconciliation, ledger, funds ------------------------------------------------------------------------------------

@click.command("reconcile")
@click.argument("batch_id", type=int)
@click.option("--confirm", is_flag=True, help="账目相符时对账确认（已回盘 → 已对账）")
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True)
@django_command
def reconcile_cmd(batch_id, confirm, username, as_json):
    """批次对账：应发 = 已发 + 失败 + 待发（分乡镇），并与银行回盘核对；--confirm 对账确认。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.months import fen_text
    from anju.subsidies.selectors import access_batch
    from anju.subsidies.selectors_ledger import batch_part
    from anju.subsidies.services.reconcile import batch_reconcile, batch_reconciliation

    actor = cli_actor(username)
    batch = access_batch(actor, batch_id)
    if confirm:
        batch = batch_reconcile(actor=actor, batch=batch)
    rec = batch_reconciliation(batch, part=batch_part(actor, batch))
    if as_json:
        _dump(rec.as_dict())
        return
    t = rec.totals
    click.echo(_("批次 %(number)s（%(state)s）：应发 %(e)s 元 = 已发 %(p)s + 失败 %(f)s + 待发 %(w)s；%(result)s") % {
        "number": batch.number, "state": batch.get_state_display(), "e": fen_text(t.entitled), "p": fen_text(t.paid), "f": fen_text(t.failed),
        "w": fen_text(t.pending), "result": _("账目相符") if rec.ties else _("账目不符")})
    for c in rec.checks:
        click.echo(f"  {'✓' if c.ok else '✗'} {c.label}：{fen_text(c.expected)} / {fen_text(c.actual)}")
    for a in rec.townships:
        f = a.figures
        click.echo(f"  {a.name}\t{f.entitled_n}\t{fen_text(f.entitled)}\t{fen_text(f.paid)}\t{fen_text(f.failed)}\t{fen_text(f.pending)}")


@click.command("ledger")
@click.argument("person_id", type=int)
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True)
@django_command
def ledger_cmd(person_id, username, as_json):
    """个人补贴台账：历年应发、已发、失败、追缴。"""
    from django.utils.translation import gettext as _

    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.core.access import require_perm
    from anju.registry.selectors import access_person
    from anju.subsidies.months import fen_text
    from anju.subsidies.selectors_ledger import person_ledger

    actor = cli_actor(username)
    require_perm(actor, Perm.SUBSIDY_VIEW)
    person = access_person(actor, person_id)
    ledger = person_ledger(actor=actor, person=person)
    if as_json:
        _dump({"person": person.pk, "name": person.name, "id_masked": person.id_masked, "years": [y.as_dict() for y in ledger.years],
               "totals": ledger.totals.as_dict(),
               "items": [{"item": i.pk, "batch": i.batch.number, "year": i.year, "month_from": i.month_from, "month_to": i.month_to,
                          "months": i.months, "amount": i.amount, "state": i.state, "counted": i.counted, "bank_ref": i.bank_ref,
                          "bank_account_masked": i.bank_account_masked} for i in ledger.items]})
        return
    click.echo(_("%(name)s（%(id)s）补贴台账") % {"name": person.name, "id": person.id_masked})
    for y in [*ledger.years, ledger.totals]:
        click.echo(f"{y.year or _('合计')}\t{y.months}\t{fen_text(y.entitled)}\t{fen_text(y.paid)}\t{fen_text(y.failed)}\t{fen_text(y.pending)}"
                   f"\t{fen_text(y.recovery)}\t{fen_text(y.recovered)}\t{fen_text(y.outstanding)}")


@click.command("funds")
@click.option("--year", type=int, default=None)
@click.option("--county", default="", help="区划代码前缀")
@click.option("--source", "fund_source", type=click.Choice(["central", "provincial", "three_gorges", "reservoir_area", "local"]), default=None)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="写出 Excel 文件")
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def funds_cmd(year, county, fund_source, out, username, as_json):
    """资金汇总：按县、资金来源、年度。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.months import fen_text
    from anju.subsidies.reports_funds import fund_summary_export
    from anju.subsidies.selectors_ledger import fund_summary

    actor = cli_actor(username)
    if out:
        data, _name = fund_summary_export(actor=actor, year=year, county=county, fund_source=fund_source or "")
        _write(out, data)
        return
    summary = fund_summary(actor=actor, year=year, county=county, fund_source=fund_source or "")
    for r in summary.rows:
        if as_json:
            _dump(r.as_dict())
        else:
            click.echo(f"{r.year}\t{r.county_name}\t{r.source_label}\t{fen_text(r.entitled)}\t{fen_text(r.paid)}\t{fen_text(r.failed)}"
                       f"\t{fen_text(r.pending)}\t{fen_text(r.outstanding)}\t{fen_text(r.project_amount)}")
    if not as_json:
        click.echo(_("合计：应发 %(e)s 元，已发 %(p)s 元") % {"e": fen_text(summary.total.entitled), "p": fen_text(summary.total.paid)})


# --- files ----------------------------------------------------------------------------------------------------------

def _write(out: str, data: bytes) -> None:
    from django.utils.translation import gettext as _

    path = os.path.abspath(out)
    with open(path, "wb") as f:
        f.write(data)
    click.echo(_("已写出：%(path)s") % {"path": path})


@click.group("report")
def report_group() -> None:
    """发放公示表、批次汇总表、年度资金报告。"""


@report_group.command("posting")
@click.argument("batch_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), default="xlsx")
@click.option("--division", default="", help="只导出一个乡镇或村（区划代码前缀）")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--as", "username", required=True)
@django_command
def posting_cmd(batch_id, fmt, division, out, username):
    """批次的发放公示表（按村分组，身份证号脱敏）。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.reports import batch_posting_export
    from anju.subsidies.selectors import access_batch

    actor = cli_actor(username)
    data, _name, _type = batch_posting_export(actor=actor, batch=access_batch(actor, batch_id), fmt=fmt, division=division)
    _write(out, data)


@report_group.command("summary")
@click.argument("batch_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--as", "username", required=True)
@django_command
def summary_cmd(batch_id, out, username):
    """批次分乡镇发放汇总表（Excel）。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.reports import batch_summary_export
    from anju.subsidies.selectors import access_batch

    actor = cli_actor(username)
    data, _name = batch_summary_export(actor=actor, batch=access_batch(actor, batch_id))
    _write(out, data)


@report_group.command("annual")
@click.option("--year", type=int, required=True)
@click.option("--scope", default="", help="县（6 位）或市（4 位）区划代码；默认本人查看范围")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "docx"]), default="docx")
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--as", "username", required=True)
@django_command
def annual_cmd(year, scope, fmt, out, username):
    """年度资金报告（Excel 或 Word）。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.reports_funds import annual_report_export

    data, _name, _type = annual_report_export(actor=cli_actor(username), year=year, scope=scope, fmt=fmt)
    _write(out, data)
