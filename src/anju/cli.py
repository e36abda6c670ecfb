"""The `anju` console script: parses arguments, sets up Django, calls one service, prints the outcome."""

from __future__ import annotations

import functools
import os
import sys
import threading

import click
from django.utils.translation import gettext as _

from anju.conf import DATA_DIR_ENV

_READY = False


def _set_data_dir(ctx, param, value):
    if value:
        os.environ[DATA_DIR_ENV] = value
    return value


def data_dir_option(f):
    """Every command accepts --data-dir DIR (equivalent to ANJU_DATA_DIR)."""
    return click.option("--data-dir", type=click.Path(file_okay=False), expose_value=False, is_eager=True,
                        callback=_set_data_dir, help="数据目录（SQLite 文件、上传、生成文件与密钥），等同 ANJU_DATA_DIR")(f)


def _django() -> None:
    global _READY
    if _READY:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
    import django

    django.setup()
    _READY = True


def django_command(f):
    """Set Django up before the command body and turn domain errors into a Chinese message and exit 2."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        _django()
        from anju.core.context import RequestMeta, reset_meta, set_meta
        from anju.core.exceptions import ApplicationError

        token = set_meta(RequestMeta(channel="cli", ip="cli"))
        try:
            return f(*args, **kwargs)
        except ApplicationError as exc:
            _echo_error(exc.message, exc.detail)
            sys.exit(2)
        finally:
            reset_meta(token)

    return data_dir_option(wrapper)


def _echo_error(message: str, detail=None, limit: int = 50) -> None:
    """Print an error and, for a list of problems, each one (file and line where known) to stderr."""
    click.secho(_("错误：%(message)s") % {"message": message}, fg="red", err=True)
    if not isinstance(detail, list):
        return
    from anju.core.exceptions import describe_problem

    for item in detail[:limit]:
        click.echo("  " + describe_problem(item), err=True)
    if len(detail) > limit:
        click.echo("  " + _("…… 另有 %(n)s 处") % {"n": len(detail) - limit}, err=True)


class ProgressBar:
    """A click progress bar driven by (percent, message) callbacks."""

    def __init__(self, label: str):
        self.bar = click.progressbar(length=100, label=label, show_percent=True, show_eta=False, file=sys.stderr)
        self.bar.__enter__()
        self.at = 0

    def __call__(self, percent: int, message: str = "") -> None:
        if percent > self.at:
            self.bar.update(percent - self.at)
            self.at = percent

    def close(self) -> None:
        self.bar.__exit__(None, None, None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@data_dir_option
def main():
    """anju 安居 — 移民后期扶持与易地搬迁后续扶持管理信息系统。"""


@main.command()
@django_command
def migrate():
    """创建或升级数据库表。"""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@django_command
def manage(args):
    """运行 Django 管理命令（如 anju manage makemigrations --check）。"""
    from django.core.management import execute_from_command_line

    execute_from_command_line(["anju manage", *args])


@main.command()
@click.argument("username")
@click.option("--role", required=True, help="角色代码或中文名，如 county_clerk 或 县级经办")
@click.option("--scope", "scope", required=True, help="录入范围区划代码，如 420527 或 12 位代码")
@click.option("--view-scope", default=None, help="查看范围区划代码（默认同录入范围）")
@click.option("--full-name", default="", help="姓名")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码")
@django_command
def createuser(username, role, scope, view_scope, full_name, password_stdin):
    """创建账号（服务器操作员；可创建系统/安全/审计管理员）。"""
    from anju.accounts.roles import ROLES, role_by_code_or_name
    from anju.accounts.services import user_create
    from anju.core.exceptions import ValidationFailed, join_list
    from anju.divisions.selectors import CODE_UNKNOWN, division_by_code

    role_obj = role_by_code_or_name(role)
    if role_obj is None:
        choices = join_list(f"{r.code}（{r.name}）" for r in ROLES.values())
        raise ValidationFailed(_("未知角色“%(role)s”。可选：%(choices)s") % {"role": role, "choices": choices})

    def division(value, option):
        try:
            return division_by_code(value, field=option)
        except ValidationFailed as exc:
            hint = _("（请先用 anju divisions load 导入区划）") if exc.code == CODE_UNKNOWN else ""
            raise ValidationFailed(f"{option}：{exc.message}{hint}") from None

    entry = division(scope, "--scope")
    view = division(view_scope, "--view-scope") if view_scope else entry
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    user = user_create(actor=None, username=username, role=role_obj, entry_scope=entry, view_scope=view,
                       password=password, full_name=full_name, must_change_password=False)
    click.echo(_("已创建账号 %(user)s：%(role)s，范围 %(scope)s（%(code)s）")
               % {"user": user.username, "role": role_obj.name, "scope": entry.name, "code": entry.prefix})


@main.group()
def divisions():
    """行政区划。"""


@divisions.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--root", default=None, help="只导入此区划（如 4205）及其上级、下级")
@django_command
def divisions_load_cmd(directory, root):
    """从 NBS 格式 CSV 目录导入区划（幂等：新增、更新名称，不删除）。"""
    import time

    from anju.core.exceptions import join_list
    from anju.core.jobs import job_create_inline, job_execute
    from anju.divisions.models import Level

    job = job_create_inline(actor=None, kind="divisions.load", params={"dir": os.path.abspath(directory), "root": root or "",
                                                                       "source": "cli"})
    started = time.perf_counter()
    bar = ProgressBar("导入区划")
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        bar.close()
    _finish_job(job)
    r = job.result
    levels = join_list(f"{Level(int(k)).label} {v}" for k, v in sorted(r["per_level"].items()))
    click.echo(_("读取 %(read)s 条（%(levels)s）：新增 %(inserted)s，更新 %(updated)s，未变 %(unchanged)s；用时 %(seconds).2f 秒") % {
        **r, "levels": levels, "seconds": time.perf_counter() - started})


def _finish_job(job) -> None:
    if job.state != "succeeded":
        _echo_error(job.error, (job.result or {}).get("detail"))
        sys.exit(2)


@main.group()
def audit():
    """审计日志。"""


@audit.command("verify")
@django_command
def audit_verify_cmd():
    """校验审计日志哈希链，指出第一条异常事件。"""
    from anju.core.audit import audit_verify

    result = audit_verify()
    if result.ok:
        click.echo(_("审计日志完整：已校验 %(checked)s 条已封存事件，%(unsealed)s 条待封存。") % result.as_dict())
        return
    click.secho(_("审计日志被篡改：第一条异常事件 id=%(first_broken_id)s 序号=%(first_broken_seq)s：%(reason)s") % result.as_dict(),
                fg="red", err=True)
    sys.exit(1)


@audit.command("seal")
@django_command
def audit_seal_cmd():
    """封存所有已提交但未封存的事件。"""
    from anju.core.audit import audit_seal

    click.echo(_("已封存 %(n)s 条事件。") % {"n": audit_seal()})


@audit.command("purge")
@django_command
def audit_purge_cmd():
    """按保存期（安全策略，默认 184 天）清理过期事件，留下签名检查点。"""
    from django.db import transaction
    from django.utils import timezone

    from anju.core.audit import audit_purge

    with transaction.atomic():
        result = audit_purge(actor=None)
    cutoff = timezone.localtime(result.cutoff)
    click.echo(_("已清理 %(n)s 条 %(cutoff)s 之前的事件（至序号 %(seq)s）。")
               % {"n": result.purged, "cutoff": f"{cutoff:%Y-%m-%d %H:%M}", "seq": result.through_seq})


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="不在本进程内运行后台任务（另行运行 anju worker）")
@django_command
def serve(host, port, threads, no_worker):
    """启动网页服务（waitress），并在本进程内运行后台任务。"""
    _serve(host, port, threads, not no_worker)


def _serve(host: str, port: int, threads: int, worker: bool) -> None:
    from waitress import serve as waitress_serve

    from anju.core.housekeeping import run_housekeeping
    from anju.wsgi import application

    if worker:
        threading.Thread(target=_run_worker, kwargs={"interval": 0.5}, daemon=True, name="anju-worker").start()
        threading.Thread(target=run_housekeeping, args=(threading.Event(),), daemon=True, name="anju-housekeeping").start()
    click.echo(_("anju 正在 %(url)s 提供服务（Ctrl+C 停止）") % {"url": f"http://{host}:{port}/"})
    waitress_serve(application, host=host, port=port, threads=threads, ident="anju")


def _run_worker(*, interval: float = 1.0, batch: bool = False) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(queue_names=["*"], interval=interval, batch=batch, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id=f"anju-{os.getpid()}", excluded_queue_names=[]).run()


@main.command()
@click.option("--batch", is_flag=True, help="处理完排队任务后退出")
@django_command
def worker(batch):
    """运行后台任务进程（可多开以扩容）。"""
    _run_worker(batch=batch)


@main.command()
@click.option("--once", is_flag=True, help="只运行一轮（封存 + 按保存期清理），适合 cron")
@django_command
def housekeeping(once):
    """平台维护：每分钟封存审计事件；每天按保存期清理审计日志、使到期的变更申请生效（anju serve 已在进程内运行）。"""
    from anju.core.housekeeping import housekeeping_once, run_housekeeping

    if once:
        result = housekeeping_once()
        click.echo(_("已封存 %(sealed)s 条审计事件，清理 %(purged)s 条过期事件。") % {"sealed": result.sealed, "purged": result.purged})
        due = result.daily.get("registry.requests.apply_due") or {}
        if due:
            click.echo(_("变更申请：生效 %(applied)s 件，未能生效 %(failed)s 件。") % {"applied": len(due["applied"]), "failed": len(due["failed"])})
        return
    run_housekeeping(threading.Event())


@main.group()
def jobs():
    """后台任务。"""


@jobs.command("list")
@click.option("--state", type=click.Choice(["queued", "running", "succeeded", "failed"]), default=None)
@click.option("--limit", default=20, show_default=True, type=int)
@django_command
def jobs_list(state, limit):
    """列出最近的后台任务。"""
    from django.utils import timezone

    from anju.core.models import Job

    qs = Job.objects.select_related("created_by").order_by("-created_at")
    if state:
        qs = qs.filter(state=state)
    for job in qs[:limit]:
        who = job.created_by.username if job.created_by else _("（服务器操作员）")
        click.echo(f"{job.pk}  {timezone.localtime(job.created_at):%Y-%m-%d %H:%M:%S}  {job.get_state_display():<4} {job.progress:>3}%  {who:<16} {job.title}")


@jobs.command("run")
@click.argument("job_id")
@django_command
def jobs_run(job_id):
    """在本进程内运行一个排队中的任务，显示进度条。"""
    from django.core.exceptions import ValidationError

    from anju.core.exceptions import NotFound
    from anju.core.jobs import job_execute
    from anju.core.models import Job

    try:
        job = Job.objects.get(pk=job_id)
    except (Job.DoesNotExist, ValidationError):
        raise NotFound(_("任务 %(id)s 不存在") % {"id": job_id}) from None
    if job.state != Job.State.QUEUED:
        click.echo(_("任务 %(id)s 的状态是“%(state)s”，只能运行排队中的任务。") % {"id": job.pk, "state": job.get_state_display()}, err=True)
        sys.exit(2)
    bar = ProgressBar(job.title)
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        bar.close()
    _finish_job(job)
    click.echo(_("任务完成：%(message)s") % {"message": job.message})


@main.command()
@click.option("--no-serve", is_flag=True, help="只建库不启动服务")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--persons", default=None, type=click.IntRange(0, 2_000_000), help="演示水库移民人数（默认 110000；另加约七分之一的易地搬迁人口）")
@django_command
def demo(no_serve, host, port, persons):
    """建立演示数据库：一个市、9 个县区及其乡镇、村，每个角色一个账号；然后启动服务。"""
    from django.core.management import call_command

    from anju.demo import build_demo

    call_command("migrate", interactive=False, verbosity=0)
    if persons is not None:
        from anju.registry import demo as registry_demo

        registry_demo.RESERVOIR_PERSONS, registry_demo.RELOCATION_PERSONS = persons, persons // 7
    summary = build_demo()
    click.echo(summary.render())
    if not no_serve:
        _serve(host, port, 8, True)


def _add_groups() -> None:
    from anju.projects.cli import projects_group
    from anju.registry.cli import registry_group  # its modules import anju.cli helpers, so load it last
    from anju.relocation.cli import relocation_group
    from anju.subsidies.cli import subsidies_group

    main.add_command(registry_group)
    main.add_command(subsidies_group)
    main.add_command(projects_group)
    main.add_command(relocation_group)


_add_groups()


if __name__ == "__main__":  # pragma: no cover
    main()
