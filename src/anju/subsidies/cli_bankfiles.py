"""`anju subsidies bankfile …` and `anju subsidies batch supplement`: bank files out, returns in, manual results, re-issue."""

from __future__ import annotations

import datetime as dt
import json
import os

import click

from anju.cli import ProgressBar, django_command


def register(group) -> None:
    """Add this module's commands to the `anju subsidies` group (`supplement` joins the batch group)."""
    group.add_command(bankfile_group)
    batch = group.commands.get("batch")
    if batch is None:
        batch = click.Group("batch", help="发放批次")
        group.add_command(batch)
    batch.add_command(supplement_cmd)


@click.group("bankfile")
def bankfile_group() -> None:
    """银行代发文件与回盘：出盘、导入回盘、人工确认结果。"""


def _echo(data: dict, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str) if as_json else text)


@bankfile_group.command("export")
@click.argument("batch_id", type=int)
@click.option("--layout", "layout_id", type=int, required=True, help="银行文件格式编号")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出文件（xlsx 或 csv，按格式而定）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def export_cmd(batch_id, layout_id, out, username, as_json):
    """生成批次的银行代发文件（只含待发放的明细；含完整账号，留痕）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.months import yuan_text
    from anju.subsidies.selectors import access_batch
    from anju.subsidies.selectors_bankfiles import bankfile_layout
    from anju.subsidies.services.bankfiles import bankfile_export

    actor = cli_actor(username)
    batch = access_batch(actor, batch_id)
    layout = bankfile_layout(actor=actor, batch=batch, layout_id=layout_id)
    path = os.path.abspath(out)
    bar = None if as_json else ProgressBar(_("生成代发文件"))
    try:
        result = bankfile_export(actor=actor, batch=batch, layout=layout, path=path, progress=bar)
    finally:
        if bar:
            bar.close()
    _echo({"batch": batch.pk, "number": batch.number, "state": batch.state, "path": path, **result}, as_json,
          _("已生成代发文件：%(n)s 笔，合计 %(total)s 元（%(layout)s）：%(path)s") % {
              "n": result["rows"], "total": yuan_text(result["total"]), "layout": layout.name, "path": path})


@bankfile_group.command("return")
@click.argument("batch_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mode", type=click.Choice(["all", "valid_only"]), default="all", show_default=True,
              help="all：有问题行则全部不入账；valid_only：只入账无误的行，问题行留待人工处理")
@click.option("--layout", "layout_id", type=int, default=None, help="按此银行文件格式识别列名（默认：出盘时使用的格式）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（含问题行）")
@django_command
def return_cmd(batch_id, file, mode, layout_id, username, as_json):
    """导入银行回盘文件，按业务编号或账号与金额对应明细并入账。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors import access_batch
    from anju.subsidies.selectors_bankfiles import bank_return_rows, bankfile_layout
    from anju.subsidies.services.bankfiles import yuan_text
    from anju.subsidies.services.returns import bank_return_import, error_file

    actor = cli_actor(username)
    batch = access_batch(actor, batch_id)
    layout = bankfile_layout(actor=actor, batch=batch, layout_id=layout_id) if layout_id else None
    bar = None if as_json else ProgressBar(_("导入回盘"))
    try:
        ret = bank_return_import(actor=actor, batch=batch, source=os.path.abspath(file), filename=os.path.basename(file), layout=layout,
                                 mode=mode, progress=bar)
    finally:
        if bar:
            bar.close()
    c = ret.counts
    flagged = list(bank_return_rows(actor=actor, bank_return=ret, flag="flagged").values("row", "flag", "message", "item_id")[:1000])
    errors = error_file(ret)
    if as_json:
        click.echo(json.dumps({"return": ret.pk, "batch": batch.pk, "state": ret.state, "batch_state": batch.state,
                               **{k: v for k, v in c.items() if k != "error_file"}, "error_file": str(errors) if errors else None,
                               "flagged_rows": flagged}, ensure_ascii=False))
        return
    click.echo(_("回盘 #%(id)s：%(state)s；%(rows)s 行，入账 %(applied)s 行（成功 %(paid)s 笔 %(paid_yuan)s 元，失败 %(failed)s 笔 %(failed_yuan)s 元），"
                 "有问题 %(flagged)s 行") % {**c, "id": ret.pk, "state": ret.get_state_display(), "paid_yuan": yuan_text(c["paid_amount"]),
                                           "failed_yuan": yuan_text(c["failed_amount"])})
    for row in flagged:
        click.echo(_("  第 %(row)s 行：%(message)s") % row)
    if errors:
        click.echo(_("问题行清单：%(path)s") % {"path": errors})


@bankfile_group.command("resolve")
@click.argument("batch_id", type=int)
@click.argument("item_id", type=int)
@click.option("--outcome", type=click.Choice(["paid", "failed"]), required=True, help="paid：已发放；failed：发放失败")
@click.option("--bank-ref", default="", help="银行流水号或来函文号")
@click.option("--reason", default="", help="失败原因（failed 时必填）")
@click.option("--paid-on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="入账日期（默认今天）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def resolve_cmd(batch_id, item_id, outcome, bank_ref, reason, paid_on, username, as_json):
    """人工确认一笔已出盘明细的发放结果（银行电话或来函告知）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_bankfiles import access_outstanding_item
    from anju.subsidies.services.supplements import item_resolve

    actor = cli_actor(username)
    _batch, item = access_outstanding_item(actor, batch_id, item_id)
    item = item_resolve(actor=actor, item=item, outcome=outcome, bank_ref=bank_ref, reason=reason,
                        paid_on=paid_on.date() if isinstance(paid_on, dt.datetime) else None)
    _echo({"item": item.pk, "state": item.state, "bank_ref": item.bank_ref, "failure_reason": item.failure_reason,
           "paid_on": item.paid_on.isoformat() if item.paid_on else None}, as_json,
          _("明细 #%(id)s %(name)s：%(state)s") % {"id": item.pk, "name": item.name, "state": item.get_state_display()})


@click.command("supplement")
@click.argument("batch_id", type=int)
@click.option("--include-held", is_flag=True, help="同时补发暂缓发放的明细")
@click.option("--note", default="", help="备注")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def supplement_cmd(batch_id, include_held, note, username, as_json):
    """为批次中发放失败（及暂缓）的明细生成补发批次（按当前银行账号）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.months import fen_text
    from anju.subsidies.selectors import access_batch
    from anju.subsidies.services.supplements import batch_supplement_create

    actor = cli_actor(username)
    child = batch_supplement_create(actor=actor, batch=access_batch(actor, batch_id), include_held=include_held, note=note)
    s = child.totals.get("supplement", {})
    _echo({"batch": child.pk, "number": child.number, "parent": child.parent_id, "state": child.state, **s}, as_json,
          _("补发批次 #%(id)s %(number)s：%(n)s 笔，合计 %(yuan)s 元（原失败 %(failed)s、暂缓 %(held)s；账号已更正 %(changed)s，仍暂缓 %(again)s）") % {
              "id": child.pk, "number": child.number, "n": s.get("items", 0), "yuan": fen_text(s.get("amount", 0)),
              "failed": s.get("failed", 0), "held": s.get("held", 0), "changed": s.get("account_changed", 0), "again": s.get("held_again", 0)})
