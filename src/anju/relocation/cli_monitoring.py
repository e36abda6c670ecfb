"""`anju relocation monitoring list|propose|approve|reject|measure|propose-elimination|approve-elimination|send-back|
signals|scan`: 防返贫 monitoring from the command line."""

from __future__ import annotations

import datetime as dt
import json

import click

from anju.cli import django_command

AS = click.option("--as", "username", required=True, help="以此账号操作（权限与范围同网页）")
JSON = click.option("--json", "as_json", is_flag=True, help="输出 JSON")


def register(group) -> None:
    group.add_command(monitoring_group)


@click.group("monitoring")
def monitoring_group() -> None:
    """防返贫动态监测：识别纳入、帮扶措施、风险消除、风险预警排查。"""


def _date(value: str | None, option: str) -> dt.date | None:
    from django.utils.translation import gettext as _

    from anju.core.exceptions import ValidationFailed

    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(_("%(option)s 须为日期 YYYY-MM-DD") % {"option": option}, code="date_format") from None


def _fen(value: str | None, option: str) -> int | None:
    from anju.core.exceptions import ValidationFailed
    from anju.projects.money import YUAN, AmountError, to_fen

    if value in (None, ""):
        return None
    try:
        return to_fen(value, YUAN)
    except AmountError as exc:
        raise ValidationFailed(exc.message, code="amount", detail={"field": option}) from None


def _case_dict(c) -> dict:
    return {"id": c.pk, "household_id": c.household_id, "household_number": c.household.number, "division_code": c.division_code,
            "category": c.category, "channel": c.channel, "risks": c.risks, "state": c.state, "colour": c.colour,
            "per_capita_income_fen": c.per_capita_income_fen, "identified_on": c.identified_on.isoformat(),
            "included_on": c.included_on.isoformat() if c.included_on else None,
            "elimination_proposed_on": c.elimination_proposed_on.isoformat() if c.elimination_proposed_on else None,
            "eliminated_on": c.eliminated_on.isoformat() if c.eliminated_on else None, "decision_note": c.decision_note}


def _echo_case(c, as_json: bool, message: str = "") -> None:
    if as_json:
        click.echo(json.dumps(_case_dict(c), ensure_ascii=False))
    else:
        click.echo(message or f"#{c.pk}\t{c.household.number}\t{c.get_category_display()}\t{c.get_state_display()}\t"
                              f"{c.get_colour_display()}")


def _case(actor, case_id: int):
    from anju.relocation.selectors_monitoring import access_case

    return access_case(actor, case_id)


def _case_step(username: str, case_id: int, as_json: bool, step) -> None:
    """A step of a case as `username`: `step(actor, case)` runs the service, then the case is printed as it now stands."""
    from anju.accounts.selectors import cli_actor

    actor = cli_actor(username)
    step(actor, _case(actor, case_id))
    _echo_case(_case(actor, case_id), as_json)


@monitoring_group.command("list")
@click.option("--category", type=click.Choice(["unstable", "marginal", "sudden"]), default=None, help="监测对象类别")
@click.option("--state", type=click.Choice(["proposed", "monitoring", "elimination_proposed", "eliminated", "rejected"]), default=None)
@click.option("--colour", type=click.Choice(["red", "yellow", "green"]), default=None, help="风险等级")
@click.option("--scope", default="", help="区划代码前缀")
@AS
@JSON
@django_command
def list_cmd(category, state, colour, scope, username, as_json):
    """列出本辖区的监测对象（--json：每行一个 JSON 对象）。"""
    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors_monitoring as sel

    actor = cli_actor(username)
    qs = sel.case_list(actor=actor, category=category or "", state=state or "", colour=colour or "", division=scope)
    for c in qs.iterator(chunk_size=500):
        _echo_case(c, as_json)


@monitoring_group.command("propose")
@click.option("--household", "household_id", type=int, required=True, help="户 id")
@click.option("--category", type=click.Choice(["unstable", "marginal", "sudden"]), required=True, help="监测对象类别")
@click.option("--channel", type=click.Choice(["application", "visit", "department"]), default="visit", show_default=True,
              help="识别途径")
@click.option("--risk", "risks", multiple=True, required=True, help="风险类型编码（可多次），如 illness、disability")
@click.option("--income", default=None, help="人均纯收入（元/年）")
@click.option("--identified-on", default=None, help="识别日期 YYYY-MM-DD，默认今天")
@click.option("--description", default="", help="致贫返贫风险情况")
@AS
@JSON
@django_command
def propose_cmd(household_id, category, channel, risks, income, identified_on, description, username, as_json):
    """提出纳入监测（待认定）。"""
    from anju.accounts.selectors import cli_actor
    from anju.relocation.services.monitoring import case_propose

    actor = cli_actor(username)
    case = case_propose(actor=actor, household=household_id, category=category, channel=channel, risks=list(risks),
                        per_capita_income_fen=_fen(income, "--income"),
                        identified_on=_date(identified_on, "--identified-on") or dt.date.today(),
                        description=description)
    _echo_case(_case(actor, case.pk), as_json)


@monitoring_group.command("approve")
@click.argument("case_id", type=int)
@click.option("--included-on", default=None, help="纳入监测日期，默认今天")
@click.option("--note", default="", help="审批意见")
@AS
@JSON
@django_command
def approve_cmd(case_id, included_on, note, username, as_json):
    """认定纳入监测（提出人以外的审批人）。"""
    from anju.relocation.services.monitoring import case_approve

    _case_step(username, case_id, as_json, lambda actor, case: case_approve(actor=actor, case=case, included_on=_date(included_on, "--included-on"), note=note))


@monitoring_group.command("reject")
@click.argument("case_id", type=int)
@click.option("--reason", required=True, help="理由")
@AS
@JSON
@django_command
def reject_cmd(case_id, reason, username, as_json):
    """不予纳入。"""
    from anju.relocation.services.monitoring import case_reject

    _case_step(username, case_id, as_json, lambda actor, case: case_reject(actor=actor, case=case, reason=reason))


@monitoring_group.command("measure")
@click.argument("case_id", type=int)
@click.option("--id", "measure_id", type=int, default=None, help="修改已有措施（措施 id）；不填为新增")
@click.option("--kind", default=None, help="措施类型编码，如 employment、medical")
@click.option("--content", default=None, help="措施内容")
@click.option("--responsible", default=None, help="帮扶责任人")
@click.option("--started-on", default=None, help="开始日期")
@click.option("--ended-on", default=None, help="结束日期")
@click.option("--amount", default=None, help="帮扶资金（元）")
@click.option("--effect", type=click.Choice(["pending", "effective", "partial", "ineffective"]), default=None, help="帮扶成效")
@click.option("--effect-note", default=None, help="成效说明")
@AS
@JSON
@django_command
def measure_cmd(case_id, measure_id, kind, content, responsible, started_on, ended_on, amount, effect, effect_note, username, as_json):
    """登记或修改帮扶措施。"""
    from anju.accounts.selectors import cli_actor
    from anju.core.exceptions import NotFound
    from anju.relocation.selectors_monitoring import access_measure
    from anju.relocation.services.monitoring import measure_add, measure_update

    actor = cli_actor(username)
    case = _case(actor, case_id)
    given = {"kind": kind, "content": content, "responsible": responsible, "started_on": _date(started_on, "--started-on"),
             "ended_on": _date(ended_on, "--ended-on"), "amount_fen": _fen(amount, "--amount"), "effect": effect,
             "effect_note": effect_note}
    changes = {k: v for k, v in given.items() if v is not None}
    if measure_id:
        measure = access_measure(actor, measure_id)
        if measure.case_id != case.pk:
            raise NotFound()
        m = measure_update(actor=actor, measure=measure, **changes)
    else:
        m = measure_add(actor=actor, case=case, **{"kind": "", "content": "", "started_on": None, **changes})
    if as_json:
        click.echo(json.dumps({"id": m.pk, "case_id": m.case_id, "kind": m.kind, "content": m.content, "responsible": m.responsible,
                               "started_on": m.started_on.isoformat(), "ended_on": m.ended_on.isoformat() if m.ended_on else None,
                               "amount_fen": m.amount_fen, "effect": m.effect, "effect_note": m.effect_note}, ensure_ascii=False))
    else:
        click.echo(f"#{m.pk}\t{m.kind}\t{m.content}\t{m.get_effect_display()}")


@monitoring_group.command("propose-elimination")
@click.argument("case_id", type=int)
@click.option("--confirm", "confirmed", multiple=True, type=click.Choice(["income", "food_clothing", "education", "medical", "housing"]),
              help="入户核实确认的条件（可多次）：food_clothing、education、medical、housing；无收入调查时另需 income")
@click.option("--on", "proposed_on", default=None, help="申请日期，默认今天")
@AS
@JSON
@django_command
def propose_elimination_cmd(case_id, confirmed, proposed_on, username, as_json):
    """申请风险消除：系统核验的条件须全部满足，其余以 --confirm 确认。"""
    from anju.relocation.services.monitoring import elimination_propose

    _case_step(username, case_id, as_json, lambda actor, case: elimination_propose(actor=actor, case=case, confirmed=list(confirmed),
                                                                                  proposed_on=_date(proposed_on, "--on")))


@monitoring_group.command("approve-elimination")
@click.argument("case_id", type=int)
@click.option("--on", "eliminated_on", default=None, help="风险消除日期，默认今天")
@click.option("--note", default="", help="审批意见")
@AS
@JSON
@django_command
def approve_elimination_cmd(case_id, eliminated_on, note, username, as_json):
    """审批风险消除（申请人以外的审批人）。"""
    from anju.relocation.services.monitoring import elimination_approve

    _case_step(username, case_id, as_json, lambda actor, case: elimination_approve(actor=actor, case=case,
                                                                                  eliminated_on=_date(eliminated_on, "--on"), note=note))


@monitoring_group.command("send-back")
@click.argument("case_id", type=int)
@click.option("--reason", required=True, help="退回理由")
@AS
@JSON
@django_command
def send_back_cmd(case_id, reason, username, as_json):
    """退回风险消除申请。"""
    from anju.relocation.services.monitoring import elimination_send_back

    _case_step(username, case_id, as_json, lambda actor, case: elimination_send_back(actor=actor, case=case, reason=reason))


@monitoring_group.command("signals")
@click.option("--state", type=click.Choice(["open", "case", "dismissed", "all"]), default="open", show_default=True)
@click.option("--scope", default="", help="区划代码前缀")
@AS
@JSON
@django_command
def signals_cmd(state, scope, username, as_json):
    """列出风险预警（默认待核实）。"""
    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors_monitoring as sel

    actor = cli_actor(username)
    for s in sel.signal_list(actor=actor, state=state, division=scope).iterator(chunk_size=500):
        if as_json:
            click.echo(json.dumps({"id": s.pk, "household_id": s.household_id, "household_number": s.household.number,
                                   "division_code": s.division_code, "kind": s.kind, "source": s.source, "found_on": s.found_on.isoformat(),
                                   "detail": s.detail, "state": s.state, "case_id": s.case_id}, ensure_ascii=False))
        else:
            click.echo(f"#{s.pk}\t{s.found_on:%Y-%m-%d}\t{s.household.number}\t{s.get_kind_display()}\t{s.get_state_display()}\t"
                       f"{sel.signal_detail_text(s)}")


@monitoring_group.command("scan")
@click.option("--as-of", default=None, help="排查日期 YYYY-MM-DD，默认今天（收入按上一年度）")
@click.option("--scope", default="", help="区划代码前缀，默认本人录入范围")
@AS
@JSON
@django_command
def scan_cmd(as_of, scope, username, as_json):
    """排查风险预警（收入低于监测线、新增残疾）并重新评定各监测对象的风险等级。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.services.signals import signals_scan

    actor = cli_actor(username)
    result = signals_scan(actor=actor, as_of=_date(as_of, "--as-of") or dt.date.today(), scope=scope)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(_("新增风险预警 %(raised)s 条（收入低于监测线 %(income)s 条，新增残疾 %(disability)s 条）；"
                     "重新评定风险等级 %(recoloured)s 户；待核实预警 %(open)s 条") % result)
