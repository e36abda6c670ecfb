"""`anju registry verify` and `anju registry verification …`: annual verification from the command line."""

from __future__ import annotations

import json
import os
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command


def register(group) -> None:
    """Add this module's commands to the `anju registry` group."""
    group.add_command(verify_cmd)
    group.add_command(verification_group)


def _as_json(v) -> dict:
    c = v.counts or {}
    return {"verification": v.pk, "year": v.year, "program": v.program, "county": v.division_code, "state": v.state,
            "as_of": v.as_of.isoformat(), "previous": v.previous_id, "total": c.get("total"), "households": c.get("households"),
            "previous_total": c.get("previous_total"), "added": c.get("added"), "removed": c.get("removed"), "changed": c.get("changed")}


def _print(v, as_json: bool) -> None:
    from django.utils.translation import gettext as _

    if as_json:
        click.echo(json.dumps(_as_json(v), ensure_ascii=False))
        return
    c = v.counts or {}
    click.echo(_("%(year)s 年度核定 #%(id)s（%(county)s，%(program)s）：%(state)s；在册 %(total)s 人、%(households)s 户") % {
        "year": v.year, "id": v.pk, "county": v.division_code[:6], "program": v.get_program_display(), "state": v.get_state_display(),
        "total": c.get("total"), "households": c.get("households")})
    if c.get("previous_total") is not None:
        click.echo(_("上年 %(prev)s 人；新增 %(added)s，核减 %(removed)s，变更 %(changed)s") % {
            "prev": c["previous_total"], "added": c["added"], "removed": c["removed"], "changed": c["changed"]})
    else:
        click.echo(_("首次核定：没有上年锁定名单可比对"))


@click.command("verify")
@click.option("--year", type=int, required=True, help="核定年度（以该年 12 月 31 日 24 时为基准日）")
@click.option("--program", type=click.Choice(["reservoir", "relocation"]), required=True, help="项目类别")
@click.option("--county", required=True, help="县级区划代码，如 429921")
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def verify_cmd(year, program, county, username, as_json):
    """生成（或重新生成）年度核定名单，并与上年锁定名单比对。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.jobs import job_create_inline, job_execute
    from anju.registry import jobs_verification  # noqa: F401
    from anju.registry.models import Verification
    from anju.registry.services.verification import verification_run_check

    actor = cli_actor(username)
    division = verification_run_check(actor=actor, year=year, program=program, county_code=county)
    job = job_create_inline(actor=actor, kind="registry.verification.run", division_code=division.code,
                            params={"year": year, "program": program, "county": division.prefix})
    bar = None if as_json else ProgressBar(_("年度核定"))
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        if bar:
            bar.close()
    if job.state != "succeeded":
        _echo_error(job.error, (job.result or {}).get("detail"))
        sys.exit(2)
    _print(Verification.objects.get(pk=job.result["verification"]), as_json)


@click.group("verification")
def verification_group() -> None:
    """年度核定：列表、确认、退回、导出。"""


@verification_group.command("list")
@click.option("--year", type=int, default=None)
@click.option("--program", type=click.Choice(["reservoir", "relocation"]), default=None)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def list_cmd(year, program, username, as_json):
    """列出本辖区的年度核定。"""
    from anju.accounts.selectors import cli_actor
    from anju.registry.selectors_verification import verification_list

    for v in verification_list(actor=cli_actor(username), year=year, program=program or ""):
        if as_json:
            click.echo(json.dumps(_as_json(v), ensure_ascii=False))
        else:
            c = v.counts or {}
            click.echo(f"#{v.pk}\t{v.year}\t{v.division_code[:6]}\t{v.program}\t{v.get_state_display()}\t{c.get('total')}")


@verification_group.command("sign")
@click.argument("verification_id", type=int)
@click.option("--level", type=click.Choice(["county", "city"]), required=True, help="county：县级确认；city：市级确认并锁定")
@click.option("--as", "username", required=True, help="确认人账号（县级审核或市级管理员）")
@click.option("--json", "as_json", is_flag=True)
@django_command
def sign_cmd(verification_id, level, username, as_json):
    """县级确认或市级确认（锁定）。"""
    from anju.accounts.selectors import cli_actor
    from anju.registry.selectors_verification import access_verification
    from anju.registry.services.verification import verification_sign_city, verification_sign_county

    actor = cli_actor(username)
    v = access_verification(actor, verification_id)
    sign = verification_sign_county if level == "county" else verification_sign_city
    _print(sign(actor=actor, verification=v), as_json)


@verification_group.command("reopen")
@click.argument("verification_id", type=int)
@click.option("--reason", required=True, help="退回理由")
@click.option("--as", "username", required=True, help="市级确认人账号")
@click.option("--json", "as_json", is_flag=True)
@django_command
def reopen_cmd(verification_id, reason, username, as_json):
    """市级退回县级重新核定。"""
    from anju.accounts.selectors import cli_actor
    from anju.registry.selectors_verification import access_verification
    from anju.registry.services.verification import verification_reopen

    actor = cli_actor(username)
    _print(verification_reopen(actor=actor, verification=access_verification(actor, verification_id), reason=reason), as_json)


@verification_group.command("export")
@click.argument("verification_id", type=int)
@click.option("--what", type=click.Choice(["roster", "summary", "report"]), required=True,
              help="roster：花名册（xlsx）；summary：汇总表（xlsx）；report：核定报告（docx）")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True)
@click.option("--unmasked", is_flag=True, help="花名册导出完整身份证号（须有相应权限，单独留痕）")
@click.option("--as", "username", required=True)
@django_command
def export_cmd(verification_id, what, out, unmasked, username):
    """导出花名册、汇总表或核定报告。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.registry.selectors_verification import access_verification
    from anju.registry.services import verification as services

    actor = cli_actor(username)
    v = access_verification(actor, verification_id)
    path = os.path.abspath(out)
    if what == "roster":
        bar = ProgressBar(_("导出花名册"))
        try:
            n = services.verification_export_roster(actor=actor, verification=v, path=path, unmasked=unmasked, progress=bar)
        finally:
            bar.close()
        click.echo(_("已导出 %(n)s 人：%(path)s") % {"n": n, "path": path})
        return
    data = (services.verification_export_summary if what == "summary" else services.verification_export_report)(actor=actor, verification=v)
    with open(path, "wb") as f:
        f.write(data)
    click.echo(_("已写出：%(path)s") % {"path": path})
