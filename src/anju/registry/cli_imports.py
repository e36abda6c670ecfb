"""`anju registry import` and `anju registry export`: the roster in the standard template."""

from __future__ import annotations

import json
import os
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command


def register(group) -> None:
    group.add_command(import_cmd)
    group.add_command(export_cmd)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--program", type=click.Choice(["reservoir", "relocation"]), required=True, help="项目类别")
@click.option("--scope", default=None, help="只导入此区划（须在账号录入范围内）")
@click.option("--mode", type=click.Choice(["all-or-nothing", "valid-only"]), default="all-or-nothing", show_default=True,
              help="all-or-nothing：有任何错误则不写入；valid-only：只写入正确行")
@click.option("--errors", "errors_out", type=click.Path(dir_okay=False), default=None, help="把错误报告写到此 xlsx 文件")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（rows、imported、updated、unchanged、rejected、errors）")
@django_command
def import_cmd(file, program, scope, mode, errors_out, username, as_json):
    """导入名册（CSV 或 Excel）。退出码：0 全部成功，1 有行被拒绝，2 无法导入。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.jobs import job_create_inline, job_execute

    actor = cli_actor(username)
    params = {"program": program, "path": os.path.abspath(file), "filename": os.path.basename(file), "mode": mode, "scope": scope or "",
              "errors": os.path.abspath(errors_out) if errors_out else "", "source": "cli"}
    job = job_create_inline(actor=actor, kind="registry.import", params=params)
    bar = None if as_json else ProgressBar(_("导入名册"))
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        if bar:
            bar.close()
    if job.state != "succeeded":
        if as_json:
            click.echo(json.dumps({"error": {"code": (job.result or {}).get("code", "error"), "message": job.error,
                                             "detail": (job.result or {}).get("detail")}}, ensure_ascii=False))
        else:
            _echo_error(job.error, (job.result or {}).get("detail"))
        sys.exit(2)
    result = job.result
    if as_json:
        out = {k: result[k] for k in ("rows", "imported", "updated", "unchanged", "rejected", "applied", "skipped", "warnings", "batch")}
        full = getattr(job, "full_report", None)
        out["errors"] = [e.as_dict() for e in full.errors] if full else result["errors"]
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(job.message)
        from anju.core.exceptions import describe_problem

        for item in result["errors"][:50]:
            click.echo("  " + describe_problem(item), err=True)
        if result["error_count"] > 50:
            click.echo("  " + _("…… 另有 %(n)s 处") % {"n": result["error_count"] - 50}, err=True)
        for warning in result.get("warnings", [])[:20]:
            click.echo("  " + warning, err=True)
        if errors_out and result["rejected"]:
            click.echo(_("错误报告：%(path)s") % {"path": errors_out})
    sys.exit(1 if result["rejected"] else 0)


@click.command("export")
@click.option("--program", type=click.Choice(["reservoir", "relocation"]), required=True, help="项目类别")
@click.option("--scope", default=None, help="只导出此区划")
@click.option("--as-of", "as_of", default=None, help="名册截至日期（YYYY-MM-DD），默认今天")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="输出文件（.xlsx 或 .csv）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@django_command
def export_cmd(program, scope, as_of, out, username):
    """按导入模板导出名册（可再次导入，结果为全部未变）。"""
    import datetime as dt

    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.exceptions import ValidationFailed
    from anju.core.jobs import job_create_inline, job_execute

    actor = cli_actor(username)
    if as_of:
        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise ValidationFailed(_("--as-of 应为 YYYY-MM-DD 格式的日期：%(value)s") % {"value": as_of}, code="date_invalid") from None
    suffix = os.path.splitext(out)[1].lower().lstrip(".")
    job = job_create_inline(actor=actor, kind="registry.export", params={"program": program, "scope": scope or "", "as_of": as_of or "",
                                                                           "out": os.path.abspath(out), "format": suffix})
    bar = ProgressBar(_("导出名册"))
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        bar.close()
    if job.state != "succeeded":
        _echo_error(job.error, (job.result or {}).get("detail"))
        sys.exit(2)
    note = _("（身份证号、银行账号已脱敏）") if job.result["masked"] else ""
    click.echo(_("已导出 %(rows)s 人到 %(path)s%(note)s") % {"rows": job.result["rows"], "path": out, "note": note})
