"""`anju registry crosscheck` (match a department's list) and `anju registry duplicates` (the duplicate report)."""

from __future__ import annotations

import json
import os
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command

KINDS = ["death", "public_employment", "prison", "dibao"]


def register(group) -> None:
    """Add this module's commands to the `anju registry` group."""
    group.add_command(crosscheck_cmd)
    group.add_command(duplicates_cmd)


@click.command("crosscheck")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(KINDS), required=True, help="比对类型：death 死亡、public_employment 财政供养、prison 服刑、dibao 低保")
@click.option("--source", required=True, help="来源部门，如 公安局、民政局")
@click.option("--as-of", "as_of", required=True, help="名单数据日期（YYYY-MM-DD）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（batch、rows、matched_rows、unmatched、requests_created、problems 等）")
@django_command
def crosscheck_cmd(file, kind, source, as_of, username, as_json):
    """导入其他部门名单并与名册比对；匹配的人员生成待乡镇核实的变更申请草稿。退出码：0 完成，2 无法比对。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.jobs import job_create_inline, job_execute
    from anju.registry.jobs_crosschecks import KIND

    actor = cli_actor(username)
    params = {"path": os.path.abspath(file), "filename": os.path.basename(file), "kind": kind, "source": source, "as_of": as_of,
              "cleanup": False}
    job = job_create_inline(actor=actor, kind=KIND, params=params, division_code=actor.entry_scope_id or "")
    bar = None if as_json else ProgressBar(_("信息比对"))
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        if bar:
            bar.close()
    result = job.result or {}
    if job.state != "succeeded":
        if as_json:
            click.echo(json.dumps({"error": {"code": result.get("code", "error"), "message": job.error, "detail": result.get("detail")}},
                                  ensure_ascii=False))
        else:
            _echo_error(job.error, result.get("detail"))
        sys.exit(2)
    if as_json:
        from anju.registry.models import CrossCheckBatch

        batch = CrossCheckBatch.objects.get(pk=result["batch_id"])
        out = {"batch": batch.pk, **{k: v for k, v in result.items() if k not in ("batch_id", "problem_rows")},
               "problems": batch.counts.get("problem_rows", []), "unmatched_rows": batch.counts.get("unmatched_rows", [])}
        click.echo(json.dumps(out, ensure_ascii=False, default=str))
        return
    click.echo(job.message)
    click.echo(_("比对批次 #%(batch)s：新建变更申请 %(created)s 件，关联已有申请 %(linked)s 件，已核减 %(removed)s 行") % {
        "batch": result["batch_id"], "created": result["requests_created"], "linked": result["requests_linked"],
        "removed": result["already_removed"]})
    for item in result.get("problem_rows", [])[:50]:
        click.echo("  " + _("第 %(row)s 行 %(column)s：%(message)s") % item, err=True)


@click.command("duplicates")
@click.option("--program", type=click.Choice(["reservoir", "relocation"]), default=None, help="项目类别（默认全部）")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="把重复情况写到此 xlsx 文件（留痕）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（counts、groups）")
@django_command
def duplicates_cmd(program, out, username, as_json):
    """重复情况：同一人在两户、同时纳入两个项目、不同户共用银行账号、姓名与出生日期相同的疑似同一人。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.registry.services.crosschecks import DUPLICATE_KINDS, duplicates_export, duplicates_report

    actor = cli_actor(username)
    if out:
        data, counts = duplicates_export(actor=actor, program=program)
        with open(out, "wb") as f:
            f.write(data)
    else:
        report = duplicates_report(actor=actor, program=program)
        counts = report["counts"]
    if as_json:
        payload = {"counts": counts}
        if not out:
            payload["groups"] = {k: [{"key": g.key, "members": g.members} for g in v] for k, v in report["groups"].items()}
        click.echo(json.dumps(payload, ensure_ascii=False, default=str))
        return
    for kind, label in DUPLICATE_KINDS.items():
        click.echo(_("%(label)s：%(n)s 组") % {"label": label, "n": counts[kind]})
    if out:
        click.echo(_("已写出：%(path)s") % {"path": out})
