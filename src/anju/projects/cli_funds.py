"""`anju projects funds allocate|pay|list` and `anju projects progress report|status|unlock`: project money and monthly
progress from the command line. Amounts are entered and shown in 元 or 万元 (`--unit`)."""

from __future__ import annotations

import json
from decimal import Decimal

import click

from anju.cli import django_command

UNITS = click.Choice(["yuan", "wan"])
DATE = click.DateTime(formats=["%Y-%m-%d"])


def register(group: click.Group) -> None:
    group.add_command(funds_group)
    group.add_command(progress_group)


def _fen(value: str, unit: str, field: str) -> int:
    from anju.projects.money import fen_for_field

    return fen_for_field(value, unit, field)


def _amounts(fen: int, unit: str, key: str = "amount") -> dict:
    """{"amount_yuan": "1234.50"} and, with --unit wan, the exact {"amount_wan": "0.123450"}."""
    from anju.projects.money import yuan_text

    out = {f"{key}_yuan": yuan_text(fen)}
    if unit == "wan":
        out[f"{key}_wan"] = str((Decimal(fen) / 1_000_000).quantize(Decimal("0.000001")))
    return out


def _shown(fen: int, unit: str) -> str:
    from django.utils.translation import gettext as _

    from anju.projects.money import fen_text, wan_text

    return f"{wan_text(fen, 6)} {_('万元')}" if unit == "wan" else f"{fen_text(fen)} {_('元')}"


def _day(value):
    return value.date() if value is not None else None


@click.group("funds")
def funds_group() -> None:
    """项目资金：资金下达、支付与列表。"""


def _allocation_json(a, names: dict, unit: str) -> dict:
    return {"id": a.pk, "project": a.project.code, "county": a.division_code[:6], "fund_source": a.fund_source,
            "fund_source_name": names.get(a.fund_source, a.fund_source), "year": a.year, "doc_number": a.doc_number,
            "doc_date": a.doc_date.isoformat(), **_amounts(a.amount, unit), "note": a.note}


def _payment_json(p, names: dict, unit: str) -> dict:
    return {"id": p.pk, "project": p.project.code, "county": p.division_code[:6], "fund_source": p.fund_source,
            "fund_source_name": names.get(p.fund_source, p.fund_source), "paid_on": p.paid_on.isoformat(), **_amounts(p.amount, unit),
            "voucher": p.voucher, "payee": p.payee, "note": p.note}


@funds_group.command("allocate")
@click.option("--project", "project_code", required=True, help="项目编码")
@click.option("--source", "fund_source", required=True, help="资金来源编码，如 central、provincial、three_gorges")
@click.option("--year", type=int, required=True, help="资金年度")
@click.option("--doc-number", required=True, help="下达文号")
@click.option("--doc-date", type=DATE, required=True, help="下达日期 YYYY-MM-DD")
@click.option("--amount", required=True, help="下达金额")
@click.option("--unit", type=UNITS, default="yuan", show_default=True, help="金额单位：yuan（元）或 wan（万元）")
@click.option("--note", default="", help="备注")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def allocate_cmd(project_code, fund_source, year, doc_number, doc_date, amount, unit, note, username, as_json):
    """登记一笔资金下达（评审中的项目转入立项/下达）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.models import Term
    from anju.projects.selectors import access_project_by_code, term_names
    from anju.projects.services.funds import allocation_record

    actor = cli_actor(username)
    project = access_project_by_code(actor, project_code, kind="entry", perm=Perm.PROJECT_FUNDS)
    a = allocation_record(actor=actor, project=project, fund_source=fund_source, year=year, doc_number=doc_number, doc_date=_day(doc_date),
                          amount_fen=_fen(amount, unit, "amount"), note=note)
    a.project.refresh_from_db()
    if as_json:
        click.echo(json.dumps({**_allocation_json(a, term_names(Term.Kind.FUND_SOURCE), unit), "stage": a.project.stage}, ensure_ascii=False))
    else:
        click.echo(_("已登记资金下达 #%(id)s %(doc)s：%(amount)s（项目 %(code)s，阶段：%(stage)s）") % {
            "id": a.pk, "doc": a.doc_number, "amount": _shown(a.amount, unit), "code": a.project.code, "stage": a.project.get_stage_display()})


@funds_group.command("pay")
@click.option("--project", "project_code", required=True, help="项目编码")
@click.option("--source", "fund_source", required=True, help="资金来源编码（须有该来源的资金下达）")
@click.option("--paid-on", type=DATE, required=True, help="支付日期 YYYY-MM-DD")
@click.option("--amount", required=True, help="支付金额")
@click.option("--unit", type=UNITS, default="yuan", show_default=True, help="金额单位：yuan（元）或 wan（万元）")
@click.option("--voucher", required=True, help="凭证号（同一项目内唯一）")
@click.option("--payee", default="", help="收款单位")
@click.option("--note", default="", help="备注")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def pay_cmd(project_code, fund_source, paid_on, amount, unit, voucher, payee, note, username, as_json):
    """登记一笔资金支付（任一日期累计支付不得超过已下达）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.models import Term
    from anju.projects.selectors import access_project_by_code, term_names
    from anju.projects.services.funds import payment_record

    actor = cli_actor(username)
    project = access_project_by_code(actor, project_code, kind="entry", perm=Perm.PROJECT_FUNDS)
    p = payment_record(actor=actor, project=project, fund_source=fund_source, paid_on=_day(paid_on), amount_fen=_fen(amount, unit, "amount"),
                       voucher=voucher, payee=payee, note=note)
    if as_json:
        click.echo(json.dumps(_payment_json(p, term_names(Term.Kind.FUND_SOURCE), unit), ensure_ascii=False))
    else:
        click.echo(_("已登记支付 #%(id)s %(voucher)s：%(amount)s（项目 %(code)s）") % {
            "id": p.pk, "voucher": p.voucher, "amount": _shown(p.amount, unit), "code": p.project.code})


@funds_group.command("list")
@click.option("--kind", type=click.Choice(["allocations", "payments"]), default="allocations", show_default=True, help="资金下达或支付")
@click.option("--project", "project_code", default=None, help="项目编码")
@click.option("--year", type=int, default=None, help="年度（下达按资金年度，支付按支付日期）")
@click.option("--source", "fund_source", default="", help="资金来源编码")
@click.option("--county", default="", help="县级区划代码")
@click.option("--unit", type=UNITS, default="yuan", show_default=True, help="金额显示单位")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def list_cmd(kind, project_code, year, fund_source, county, unit, username, as_json):
    """列出本辖区的资金下达或支付，最后一行为合计。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.models import Term
    from anju.projects.selectors import access_project_by_code, term_names
    from anju.projects.selectors_funds import allocation_list, list_total, payment_list

    actor = cli_actor(username)
    project = access_project_by_code(actor, project_code) if project_code else None
    names = term_names(Term.Kind.FUND_SOURCE)
    qs = (allocation_list if kind == "allocations" else payment_list)(actor=actor, year=year, fund_source=fund_source, county=county,
                                                                       project=project)
    for row in qs.iterator(chunk_size=1000):
        if as_json:
            click.echo(json.dumps((_allocation_json if kind == "allocations" else _payment_json)(row, names, unit), ensure_ascii=False))
        elif kind == "allocations":
            click.echo(f"#{row.pk}\t{row.project.code}\t{names.get(row.fund_source, row.fund_source)}\t{row.year}\t{row.doc_number}\t"
                       f"{row.doc_date.isoformat()}\t{_shown(row.amount, unit)}")
        else:
            click.echo(f"#{row.pk}\t{row.project.code}\t{names.get(row.fund_source, row.fund_source)}\t{row.paid_on.isoformat()}\t{row.voucher}\t"
                       f"{_shown(row.amount, unit)}")
    total = list_total(qs)
    if as_json:
        click.echo(json.dumps({"total": True, "count": total["count"], **_amounts(total["amount"], unit)}, ensure_ascii=False))
    else:
        click.echo(_("合计 %(n)s 笔：%(amount)s") % {"n": total["count"], "amount": _shown(total["amount"], unit)})


# --- progress ------------------------------------------------------------------------------------------------------

@click.group("progress")
def progress_group() -> None:
    """项目月度进度：填报、填报情况与市级解锁。"""


@progress_group.command("report")
@click.option("--project", "project_code", required=True, help="项目编码")
@click.option("--month", required=True, help="月份 YYYY-MM")
@click.option("--percent", required=True, help="形象进度（%），0 至 100")
@click.option("--investment", default="0", show_default=True, help="累计完成投资")
@click.option("--unit", type=UNITS, default="yuan", show_default=True, help="金额单位：yuan（元）或 wan（万元）")
@click.option("--problems", default="", help="存在问题")
@click.option("--actual-start", type=DATE, default=None, help="实际开工日期 YYYY-MM-DD（立项/下达的项目转入实施）")
@click.option("--actual-completion", type=DATE, default=None, help="实际完工日期 YYYY-MM-DD（实施中的项目转入完工）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def report_cmd(project_code, month, percent, investment, unit, problems, actual_start, actual_completion, username, as_json):
    """填报或更正项目某月的进度（截止日期后锁定，市级可解锁）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors import access_project_by_code
    from anju.projects.services.progress import month_label, month_text, percent_text, progress_report

    actor = cli_actor(username)
    project = access_project_by_code(actor, project_code, kind="entry", perm=Perm.PROJECT_EDIT)
    r = progress_report(actor=actor, project=project, month=month, physical_percent=percent,
                        investment_completed_fen=_fen(investment, unit, "investment"), problems=problems, actual_start=_day(actual_start),
                        actual_completion=_day(actual_completion))
    p = r.project
    if as_json:
        click.echo(json.dumps({"project": p.code, "month": month_text(r.month), "physical_percent": str(r.physical_percent),
                               **_amounts(r.investment_completed, unit, "investment_completed"), "problems": r.problems, "stage": p.stage,
                               "actual_start": p.actual_start.isoformat() if p.actual_start else None,
                               "actual_completion": p.actual_completion.isoformat() if p.actual_completion else None}, ensure_ascii=False))
    else:
        click.echo(_("已保存 %(code)s %(month)s 的进度：%(percent)s%%，累计完成投资 %(amount)s（阶段：%(stage)s）") % {
            "code": p.code, "month": month_label(r.month), "percent": percent_text(r.physical_percent),
            "amount": _shown(r.investment_completed, unit), "stage": p.get_stage_display()})


@progress_group.command("status")
@click.option("--month", required=True, help="月份 YYYY-MM")
@click.option("--county", default="", help="县级区划代码")
@click.option("--state", type=click.Choice(["reported", "missing", "not_due"]), default=None, help="只列已报、未报或无需填报的项目")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def status_cmd(month, county, state, username, as_json):
    """某月的进度填报情况：本辖区立项/下达至完工的项目。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_funds import monthly_status, status_counts
    from anju.projects.services.progress import month_label, month_parse, month_text, percent_text

    actor = cli_actor(username)
    first = month_parse(month)
    rows = monthly_status(actor=actor, month=first, county=county, state=state or "")
    labels = {"reported": _("已报"), "missing": _("未报"), "not_due": _("无需填报"), "open": _("开放"), "locked": _("已锁定"),
              "unlocked": _("已解锁")}
    for r in rows:
        if as_json:
            click.echo(json.dumps({"project": r.project.code, "name": r.project.name, "county": r.county_code, "stage": r.project.stage,
                                   "month": month_text(first), "state": r.state,
                                   "last_month": month_text(r.last_month) if r.last_month else None,
                                   "last_percent": str(r.last_percent) if r.last_percent is not None else None,
                                   "deadline": r.deadline.isoformat(), "lock": r.lock,
                                   "unlocked_until": r.unlocked_until.isoformat() if r.unlocked_until else None}, ensure_ascii=False))
        else:
            last = f"{month_text(r.last_month)} {percent_text(r.last_percent)}%" if r.last_month else "—"
            click.echo(f"{r.project.code}\t{r.project.name}\t{r.county_name}\t{labels[r.state]}\t{last}\t{r.deadline.isoformat()}\t{labels[r.lock]}")
    if not as_json:
        c = status_counts(rows)
        click.echo(_("%(month)s：%(total)s 个项目，已报 %(reported)s，未报 %(missing)s，无需填报 %(not_due)s") % {
            "month": month_label(first), **c})


@progress_group.command("unlock")
@click.option("--county", required=True, help="县级区划代码（6 位）")
@click.option("--month", required=True, help="月份 YYYY-MM")
@click.option("--until", type=DATE, required=True, help="开放至 YYYY-MM-DD")
@click.option("--reason", required=True, help="解锁原因")
@click.option("--as", "username", required=True, help="市级账号（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def unlock_cmd(county, month, until, reason, username, as_json):
    """市级解锁一个县某月的进度填报，至指定日期。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.services.progress import month_label, month_text, progress_unlock

    u = progress_unlock(actor=cli_actor(username), county_code=county, month=month, until=_day(until), reason=reason)
    if as_json:
        click.echo(json.dumps({"id": u.pk, "county": u.division_code[:6], "month": month_text(u.month), "until": u.until.isoformat(),
                               "reason": u.reason}, ensure_ascii=False))
    else:
        click.echo(_("已解锁 %(county)s %(month)s 的进度填报，开放至 %(until)s") % {"county": u.division_code[:6], "month": month_label(u.month),
                                                                           "until": u.until.isoformat()})
