"""`anju registry requests` commands: apply due requests, import a removal list, export the 公示表."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from django.utils.translation import gettext as _

from anju.cli import _echo_error, django_command


def _actor(username: str | None, *, required: bool = True):
    from django.contrib.auth import get_user_model

    from anju.core.exceptions import NotFound, ValidationFailed

    if not username:
        if required:
            raise ValidationFailed(_("请用 --as 指定操作账号"), code="actor_required")
        return None
    user = get_user_model().objects.filter(username__iexact=username, is_active=True).select_related("entry_scope", "view_scope").first()
    if user is None:
        raise NotFound(_("账号 %(username)s 不存在或已停用") % {"username": username})
    return user


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("日期应写成 2026-01-01")) from None


def register(group) -> None:
    """Add this module's commands to the `anju registry` group."""

    @group.group("requests")
    def requests_group():
        """变更申请（动态管理）：到期生效、导入核减名单、导出公示表。"""

    @requests_group.command("apply-due")
    @click.option("--today", callback=_date, default=None, help="按此日期执行（默认今天），如 2027-01-01")
    @click.option("--scope", default="", help="只处理此区划代码前缀内的申请")
    @click.option("--as", "username", default=None, help="记入审计的操作账号（默认：系统）")
    @django_command
    def apply_due(today, scope, username):
        """结束已满期的公示，并使生效日期已到的申请生效（适合每日定时运行）。"""
        from anju.registry.services.requests import change_requests_apply_due

        result = change_requests_apply_due(actor=_actor(username, required=False), today=today or dt.date.today(), division_prefix=scope)
        click.echo(_("公示期满 %(ended)s 条；生效 %(applied)s 条；未能生效 %(failed)s 条") % {
            "ended": result["posting_ended"], "applied": len(result["applied"]), "failed": len(result["failed"])})
        for item in result["failed"]:
            click.echo(_("  申请 %(request)s：%(reason)s") % item, err=True)
        if result["failed"]:
            sys.exit(1)

    @requests_group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--program", type=click.Choice(["reservoir", "relocation"]), required=True)
    @click.option("--as", "username", required=True, help="以此账号的身份与辖区提出申请")
    @click.option("--no-submit", is_flag=True, help="只保存为草稿，不提交审批")
    @click.option("--errors", "errors_out", type=click.Path(dir_okay=False), default=None, help="有错误时写出错误清单 xlsx")
    @click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
    @django_command
    def import_cmd(file, program, username, no_submit, errors_out, as_json):
        """导入核减名单（身份证号、姓名、核减原因、事件日期、说明）：每行一条核减申请，全部正确才创建。
        退出码：0 全部创建，1 有行被拒绝（未创建任何申请），2 无法导入。"""
        from pathlib import Path

        from anju.registry.services.requests_import import change_requests_import, write_errors

        path = Path(file)
        result = change_requests_import(actor=_actor(username), data=path.read_bytes(), name=path.name, program=program, submit=not no_submit)
        if result.errors and errors_out:
            write_errors(errors_out, result)
        if as_json:
            out = result.as_dict(limit=10**9)
            out.pop("detail", None)
            click.echo(json.dumps(out, ensure_ascii=False))
        elif result.errors:
            _echo_error(_("%(n)s 行有错误，未创建任何申请") % {"n": result.rejected_rows},
                        [{"code": e.code, "reason": _("%(sheet)s 第 %(row)s 行 %(column)s：%(message)s") % e.as_dict()} for e in result.errors])
        else:
            click.echo(_("读取 %(rows)s 行，已创建 %(n)s 条核减申请") % {"rows": result.rows, "n": len(result.created)})
        if result.errors:
            sys.exit(1)

    @requests_group.command("posting")
    @click.option("--scope", default="", help="县（6 位）或乡镇（9 位）区划代码；默认为账号的查看范围")
    @click.option("--program", type=click.Choice(["reservoir", "relocation"]), default=None)
    @click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出文件 .xlsx 或 .pdf")
    @click.option("--as", "username", required=True)
    @django_command
    def posting_cmd(scope, program, out, username):
        """导出公示表（Excel 或 PDF，身份证号脱敏）。"""
        from pathlib import Path

        from anju.registry.posting import posting_export

        fmt = Path(out).suffix.lower().lstrip(".")
        content, _name, _type = posting_export(actor=_actor(username), scope=scope, program=program or "", fmt=fmt)
        Path(out).write_bytes(content)
        click.echo(_("已写出 %(path)s") % {"path": out})
