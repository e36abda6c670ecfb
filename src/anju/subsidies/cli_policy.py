"""`anju subsidies policy …`: policy versions (政策版本) — list, show, publish, revoke, and the what-if costing."""

from __future__ import annotations

import json
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command


def register(group) -> None:
    """Add this module's commands to the `anju subsidies` group."""
    group.add_command(policy_group)


def _as_json(p) -> dict:
    from anju.subsidies.services.policy import policy_values

    return {"policy": p.pk, "title": p.title, "doc_number": p.doc_number, "scope": p.scope, "effective_from": p.effective_from.isoformat(),
            "state": p.state, "values": policy_values(p), "note": p.note,
            "published_at": p.published_at.isoformat() if p.published_at else None,
            "revoked_at": p.revoked_at.isoformat() if p.revoked_at else None, "revoke_reason": p.revoke_reason}


def _print(p, as_json: bool) -> None:
    from django.utils.translation import gettext as _

    from anju.subsidies.selectors_policy import policy_value_rows, scope_name

    if as_json:
        click.echo(json.dumps(_as_json(p), ensure_ascii=False))
        return
    click.echo(_("#%(id)s %(title)s %(doc)s（%(scope)s，%(date)s 起）：%(state)s") % {
        "id": p.pk, "title": p.title, "doc": p.doc_number, "scope": scope_name(p.scope), "date": p.effective_from.isoformat(),
        "state": p.get_state_display()})
    for row in policy_value_rows(p):
        click.echo(f"  {row.label}：{row.text}")
    if p.revoke_reason:
        click.echo(_("  撤销理由：%(reason)s") % {"reason": p.revoke_reason})


@click.group("policy")
def policy_group() -> None:
    """政策版本：列表、查看、发布、撤销、测算对比。"""


@policy_group.command("list")
@click.option("--state", type=click.Choice(["draft", "published", "revoked"]), default=None)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def list_cmd(state, username, as_json):
    """列出本辖区（及其上级已发布）的政策版本。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_policy import policy_list, scope_name

    for p in policy_list(actor=cli_actor(username), state=state or ""):
        if as_json:
            click.echo(json.dumps(_as_json(p), ensure_ascii=False))
        else:
            click.echo(f"#{p.pk}\t{p.effective_from.isoformat()}\t{p.scope or '-'}\t{scope_name(p.scope)}\t{p.get_state_display()}\t{p.title}")


@policy_group.command("show")
@click.argument("policy_id", type=int)
@click.option("--county", default=None, help="同时列出该县在 --on 日期执行的取值及来源（6 位县级代码）")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="日期，默认今天与生效日期中较晚者")
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True)
@django_command
def show_cmd(policy_id, county, on, username, as_json):
    """查看一个政策版本。"""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_policy import access_policy, policy_effective

    actor = cli_actor(username)
    p = access_policy(actor, policy_id)
    effective = None
    if county:
        day = on.date() if on else max(p.effective_from, timezone.localdate())
        effective = policy_effective(actor=actor, county=county, on=day, draft=p if p.state == p.State.DRAFT else None)
    if as_json:
        out = _as_json(p)
        if effective is not None:
            out["effective"] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.as_dict().items()} for r in effective]
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    _print(p, False)
    if effective is not None:
        click.echo(_("%(county)s 执行的取值：") % {"county": county})
        for r in effective:
            source = r.source_title or r.note or "-"
            click.echo(f"  {r.label}：{r.text}（{r.scope_name or '-'}，{r.effective_from or '-'}，{source}）")


@policy_group.command("publish")
@click.argument("policy_id", type=int)
@click.option("--as", "username", required=True, help="发布人账号（市级管理员）")
@click.option("--json", "as_json", is_flag=True)
@django_command
def publish_cmd(policy_id, username, as_json):
    """发布草稿：自生效日期起按本版本计算。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_policy import access_policy
    from anju.subsidies.services.policy import subsidy_policy_publish

    actor = cli_actor(username)
    _print(subsidy_policy_publish(actor=actor, policy=access_policy(actor, policy_id)), as_json)


@policy_group.command("revoke")
@click.argument("policy_id", type=int)
@click.option("--reason", required=True, help="撤销理由")
@click.option("--as", "username", required=True, help="撤销人账号（市级管理员）")
@click.option("--json", "as_json", is_flag=True)
@django_command
def revoke_cmd(policy_id, reason, username, as_json):
    """撤销已发布的版本（删除其写入的政策参数）。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_policy import access_policy
    from anju.subsidies.services.policy import subsidy_policy_revoke

    actor = cli_actor(username)
    _print(subsidy_policy_revoke(actor=actor, policy=access_policy(actor, policy_id), reason=reason), as_json)


@policy_group.command("whatif")
@click.argument("policy_id", type=int)
@click.option("--years", type=int, default=5, show_default=True, help="从生效年度起测算的年数（1 至 10）")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="另存结果表（xlsx）")
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（rows、by_year、totals，金额单位为分）")
@django_command
def whatif_cmd(policy_id, years, out, username, as_json):
    """测算对比：草稿（视同发布）与现行政策下逐县逐年的直补金额。"""
    import shutil
    from pathlib import Path

    from django.conf import settings
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.jobs import job_create_inline, job_execute
    from anju.subsidies import jobs_policy  # noqa: F401
    from anju.subsidies.months import fen_text
    from anju.subsidies.selectors_policy import WHATIF_KIND, access_policy
    from anju.subsidies.services.policy import policy_whatif_check, scope_code

    actor = cli_actor(username)
    p = access_policy(actor, policy_id)
    policy_whatif_check(actor=actor, policy=p, years=years)
    job = job_create_inline(actor=actor, kind=WHATIF_KIND, division_code=scope_code(p.scope), params={"policy": p.pk, "years": years})
    bar = None if as_json else ProgressBar(_("测算对比"))
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        if bar:
            bar.close()
    if job.state != "succeeded":
        result = job.result or {}
        if as_json:
            click.echo(json.dumps({"error": {"code": result.get("code", "error"), "message": job.error, "detail": result.get("detail")}},
                                  ensure_ascii=False))
        else:
            _echo_error(job.error, result.get("detail"))
        sys.exit(2)
    result = job.result
    if out and job.result_file:
        shutil.copyfile(Path(settings.ANJU_GENERATED_DIR) / job.result_file, out)
    if as_json:
        click.echo(json.dumps({**result, "job": str(job.pk)}, ensure_ascii=False))
        return
    click.echo(_("县\t年度\t人数（现行/草稿）\t现行（元）\t草稿（元）\t差额（元）"))
    for r in result["rows"]:
        click.echo(f"{r['county_name']}\t{r['year']}\t{r['persons_current']}/{r['persons_draft']}\t{fen_text(r['current'])}\t"
                   f"{fen_text(r['draft'])}\t{fen_text(r['diff'])}")
    t = result["totals"]
    click.echo(_("合计\t\t\t%(current)s\t%(draft)s\t%(diff)s") % {"current": fen_text(t["current"]), "draft": fen_text(t["draft"]),
                                                                  "diff": fen_text(t["diff"])})
    click.echo(_("项目扶持资金：现行 %(current)s 元，草稿 %(draft)s 元") % {"current": fen_text(t["project_current"]),
                                                                 "draft": fen_text(t["project_draft"])})
    if out:
        click.echo(_("已写出：%(path)s") % {"path": out})
