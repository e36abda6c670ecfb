"""`anju relocation identification coverage|candidates|survey submit|confirm|reject`: identification from the command line."""

from __future__ import annotations

import json

import click

from anju.cli import django_command


def register(group) -> None:
    group.add_command(identification_group)


@click.group("identification")
def identification_group() -> None:
    """搬迁对象识别：候选名单、应搬尽搬核查、调查的提交与确认。"""


def _row(r) -> dict:
    return {"kind": r.kind, "division_code": r.division_code, "village": r.village_name, "household_id": r.household_id,
            "household_number": r.household_number, "survey_id": r.survey_id, "head_name": r.head_name, "head_id_masked": r.head_id_masked,
            "reason": r.reason, "state": r.state, "surveyed_on": r.surveyed_on.isoformat() if r.surveyed_on else None, "days": r.days}


@identification_group.command("coverage")
@click.option("--scope", default="", help="区划代码前缀（默认账号的查看范围）")
@click.option("--days", type=int, default=30, show_default=True, help="调查后超过多少天未确认算逾期")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def coverage_cmd(scope, days, username, as_json):
    """应搬尽搬核查：迁出区未识别的建档立卡户、已确认未入住、逾期未确认。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.selectors_identification import coverage_check

    c = coverage_check(actor=cli_actor(username), division=scope, days=days)
    if as_json:
        click.echo(json.dumps({"as_of": c.as_of.isoformat(), "missing": [_row(r) for r in c.missing],
                               "not_moved": [_row(r) for r in c.not_moved], "overdue": [_row(r) for r in c.overdue]}, ensure_ascii=False))
        return
    for title, rows in ((_("迁出区未识别的建档立卡户"), c.missing), (_("已确认但未纳入名册或未入住"), c.not_moved),
                        (_("符合条件但逾期未确认"), c.overdue)):
        click.echo(f"{title}：{len(rows)}")
        for r in rows:
            click.echo(f"  {r.division_code}\t{r.household_number or '-'}\t{r.survey_id or '-'}\t{r.head_name}\t{r.head_id_masked}\t{r.reason}")


@identification_group.command("candidates")
@click.option("--scope", default="", help="区划代码前缀（如乡镇 9 位）")
@click.option("--state", type=click.Choice(["draft", "submitted", "township_confirmed"]), default=None, help="状态")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def candidates_cmd(scope, state, username, as_json):
    """候选名单：符合搬迁条件、尚未县级确认的调查户。"""
    from anju.accounts.selectors import cli_actor
    from anju.relocation.selectors_identification import candidate_list

    for s in candidate_list(actor=cli_actor(username), division=scope, state=state or "").iterator(chunk_size=500):
        if as_json:
            click.echo(json.dumps({"id": s.pk, "division_code": s.division_code, "household_number": s.household.number if s.household_id else None,
                                   "head_name": s.head_name, "head_id_masked": s.head_id_masked, "members": s.members,
                                   "conditions": s.conditions, "poverty_registered": s.poverty_registered,
                                   "in_designated_area": s.in_designated_area, "surveyed_on": s.surveyed_on.isoformat(), "state": s.state},
                                  ensure_ascii=False))
        else:
            click.echo(f"#{s.pk}\t{s.division_code}\t{s.head_name}\t{s.head_id_masked}\t{s.members}\t{s.surveyed_on:%Y-%m-%d}\t"
                       f"{s.get_state_display()}")


@identification_group.group("survey")
def survey_group() -> None:
    """一份识别调查的提交、确认与不予认定。"""


def _out(survey, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"id": survey.pk, "state": survey.state, "eligible": survey.eligible,
                               "township_on": survey.township_on.isoformat() if survey.township_on else None,
                               "county_on": survey.county_on.isoformat() if survey.county_on else None,
                               "decision_note": survey.decision_note}, ensure_ascii=False))
    else:
        click.echo(f"#{survey.pk}\t{survey.head_name}\t{survey.get_state_display()}")


def _access(username: str, survey_id: int):
    from anju.accounts.selectors import cli_actor
    from anju.relocation.selectors_identification import access_survey

    actor = cli_actor(username)
    return actor, access_survey(actor, survey_id, kind="entry")


@survey_group.command("submit")
@click.argument("survey_id", type=int)
@click.option("--as", "username", required=True, help="录入该调查的账号")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def submit_cmd(survey_id, username, as_json):
    """提交乡镇确认。"""
    from anju.relocation.services.identification import survey_submit

    actor, survey = _access(username, survey_id)
    _out(survey_submit(actor=actor, survey=survey), as_json)


@survey_group.command("confirm")
@click.argument("survey_id", type=int)
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="确认日期（默认今天）")
@click.option("--note", default="", help="确认意见")
@click.option("--as", "username", required=True, help="以此账号确认")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def confirm_cmd(survey_id, on, note, username, as_json):
    """确认：待乡镇确认的由乡镇确认，待县级确认的由县级确认。"""
    from anju.relocation.services.identification import survey_confirm_next

    actor, survey = _access(username, survey_id)
    _out(survey_confirm_next(actor=actor, survey=survey, on=on.date() if on else None, note=note), as_json)


@survey_group.command("reject")
@click.argument("survey_id", type=int)
@click.option("--reason", required=True, help="不予认定理由")
@click.option("--as", "username", required=True, help="以此账号办理")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def reject_cmd(survey_id, reason, username, as_json):
    """不予认定（乡镇或县级）。"""
    from anju.relocation.services.identification import survey_reject

    actor, survey = _access(username, survey_id)
    _out(survey_reject(actor=actor, survey=survey, reason=reason), as_json)
