"""`anju projects import`: a project ledger, allocations, payments or monthly progress from Excel/CSV.

The run, its output and exit codes are shared with the other area (`anju.imports.kinds.cli_import`, imported once
Django is set up); this module keeps the command's own kinds, flags and wording."""

from __future__ import annotations

import click

from anju.cli import django_command


def register(group: click.Group) -> None:
    group.add_command(import_cmd)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["projects", "allocations", "payments", "progress"]), required=True,
              help="projects：项目台账；allocations：资金下达；payments：资金支付；progress：月度进度")
@click.option("--mode", type=click.Choice(["all-or-nothing", "valid-only"]), default="all-or-nothing", show_default=True,
              help="all-or-nothing：有任何错误则不写入；valid-only：只写入正确行")
@click.option("--errors", "errors_out", type=click.Path(dir_okay=False), default=None, help="把错误报告写到此 xlsx 文件")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象（rows、imported、updated、unchanged、rejected、errors）")
@django_command
def import_cmd(file, kind, mode, errors_out, username, as_json):
    """导入项目数据（CSV 或 Excel）。退出码：0 全部成功；2 有错误行（逐行列出）或文件无法导入。"""
    from django.utils.translation import gettext as _

    from anju.imports.kinds import cli_import
    from anju.projects.jobs_imports import project_import_inline

    cli_import(project_import_inline, file=file, kind=kind, mode=mode, errors_out=errors_out, username=username, as_json=as_json,
               title=_("导入项目数据"))
