"""`anju relocation import`: employment, 低保/特困, medical-cost, training, insurance or income lists from Excel/CSV."""

from __future__ import annotations

import json
import os
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command

SUMMARY_KEYS = ("rows", "imported", "updated", "unchanged", "rejected", "applied", "skipped", "warnings", "batch")  # as `anju projects import`


def register(group: click.Group) -> None:
    group.add_command(import_cmd)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["employment", "welfare", "medical", "training", "insurance", "income"]), required=True,
              help="employment：就业（人社）；welfare：低保特困（民政）；medical：医疗费用（医保）；training：技能培训；insurance：参保；income：收入调查")
@click.option("--mode", type=click.Choice(["all", "valid", "all-or-nothing", "valid-only"]), default="all", show_default=True,
              help="all：有任何错误则不写入；valid：只写入正确行")
@click.option("--errors", "errors_out", type=click.Path(dir_okay=False), default=None, help="把错误报告写到此 xlsx 文件")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（rows、imported、updated、unchanged、rejected、errors）")
@django_command
def import_cmd(file, kind, mode, errors_out, username, as_json):
    """导入部门数据（CSV 或 Excel），按身份证号匹配本辖区搬迁人口。退出码：0 全部成功；2 有错误行（逐行列出）或文件无法导入。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.exceptions import describe_problem
    from anju.core.jobs import job_execute
    from anju.relocation.jobs_imports import relocation_import_inline

    mode = {"all": "all-or-nothing", "valid": "valid-only"}.get(mode, mode)
    actor = cli_actor(username)
    job = relocation_import_inline(actor=actor, kind=kind, mode=mode, path=os.path.abspath(file), filename=os.path.basename(file),
                                   errors=os.path.abspath(errors_out) if errors_out else "")
    bar = None if as_json else ProgressBar(_("导入部门数据"))
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
    full = getattr(job, "full_report", None)
    errors = [e.as_dict() for e in full.errors] if full else result["errors"]
    if as_json:
        out = {k: result[k] for k in SUMMARY_KEYS}
        out["errors"] = errors
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(job.message)
        for item in errors:
            click.echo("  " + describe_problem(item), err=True)
        for warning in result.get("warnings", [])[:20]:
            click.echo("  " + warning, err=True)
        if errors_out and result["rejected"]:
            click.echo(_("错误报告：%(path)s") % {"path": errors_out})
    sys.exit(2 if result["rejected"] else 0)
