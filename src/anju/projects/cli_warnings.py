"""`anju projects warnings evaluate|list|rules`: the early warnings from the command line."""

from __future__ import annotations

import json

import click

from anju.cli import django_command


def register(group: click.Group) -> None:
    group.add_command(warnings_group)


@click.group("warnings")
def warnings_group() -> None:
    """项目预警：评估规则、列出预警与规则。"""


def _warning_json(w) -> dict:
    return {"id": w.pk, "level": w.level, "rule": w.rule.code, "measure": w.rule.measure, "project_id": w.project_id,
            "project_code": w.project.code, "project_name": w.project.name, "division_code": w.division_code,
            "value": None if w.value is None else format(w.value.normalize(), "f"), "message": w.message,
            "assignee": w.assignee.username if w.assignee_id else None, "raised_at": w.raised_at.isoformat(),
            "cleared_at": w.cleared_at.isoformat() if w.cleared_at else None}


@warnings_group.command("evaluate")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="按此日期评估（YYYY-MM-DD），默认今天")
@click.option("--scope", default="", help="区划代码前缀；默认为您的全部录入范围")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def evaluate_cmd(today, scope, username, as_json):
    """按全部启用的预警规则评估项目：新增、更新、解除预警并通知责任人。"""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.services.warnings import warnings_evaluate

    actor = cli_actor(username)
    day = today.date() if today else None
    result = warnings_evaluate(actor=actor, today=day, division_prefix=scope)
    if as_json:
        click.echo(json.dumps({**result, "today": (day or timezone.localdate()).isoformat()}, ensure_ascii=False))
    else:
        click.echo(_("评估完成：新增预警 %(raised)s 条，更新 %(updated)s 条，解除 %(cleared)s 条，现有未解除预警 %(open)s 条") % result)


@warnings_group.command("list")
@click.option("--level", type=click.Choice(["red", "yellow"]), default=None, help="只列此等级")
@click.option("--state", type=click.Choice(["open", "cleared", "all"]), default="open", show_default=True,
              help="open 未解除（同一项目同一指标只列最高等级），cleared 已解除，all 全部")
@click.option("--county", default="", help="县级区划代码（6 位）")
@click.option("--rule", default="", help="规则编码")
@click.option("--limit", type=click.IntRange(1, 100000), default=1000, show_default=True, help="最多列出条数")
@click.option("--as", "username", required=True, help="以此账号的角色与范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组")
@django_command
def list_cmd(level, state, county, rule, limit, username, as_json):
    """列出本辖区的项目预警。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_warnings import warning_list

    actor = cli_actor(username)
    rows = list(warning_list(actor=actor, state=state, level=level or "", county=county, rule=rule)[:limit])
    if as_json:
        click.echo(json.dumps([_warning_json(w) for w in rows], ensure_ascii=False))
        return
    for w in rows:
        click.echo(f"[{w.get_level_display()}] {w.project.code} {w.project.name}：{w.message}")
    click.echo(_("共 %(n)s 条") % {"n": len(rows)})


@warnings_group.command("rules")
@click.option("--as", "username", required=True, help="以此账号的角色与范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组")
@django_command
def rules_cmd(username, as_json):
    """列出预警规则（通用及本辖区的专门设置）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_warnings import rule_list

    actor = cli_actor(username)
    rules = list(rule_list(actor=actor))
    if as_json:
        click.echo(json.dumps([{"id": r.pk, "code": r.code, "name": r.name, "measure": r.measure, "operator": r.operator,
                                "threshold": format(r.threshold.normalize(), "f"), "level": r.level, "schedule": r.schedule, "params": r.params,
                                "scope": r.scope, "active": r.active} for r in rules], ensure_ascii=False))
        return
    for r in rules:
        state = "" if r.active else _("（停用）")
        scope = f" [{r.scope}]" if r.scope else ""
        click.echo(f"{r.code}{scope} {r.name}：{r.measure} {r.get_operator_display()} {format(r.threshold.normalize(), 'f')} "
                   f"{r.get_level_display()}{state}")
