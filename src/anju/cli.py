"""The `anju` console script: parses arguments, sets up Django, calls one service, prints the outcome."""

from __future__ import annotations

import functools
import os
import sys
import threading

import click

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
            click.secho(f"错误：{exc.message}", fg="red", err=True)
            if isinstance(exc.detail, list):
                for item in exc.detail[:50]:
                    click.echo("  " + (f"{item.get('file', '')} 第 {item.get('line')} 行：{item.get('reason')}"
                                       if isinstance(item, dict) and "line" in item else str(item)), err=True)
                if len(exc.detail) > 50:
                    click.echo(f"  …… 另有 {len(exc.detail) - 50} 处", err=True)
            sys.exit(2)
        finally:
            reset_meta(token)

    return data_dir_option(wrapper)


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
    from anju.core.exceptions import ValidationFailed
    from anju.divisions.codes import full_code
    from anju.divisions.models import Division

    role_obj = role_by_code_or_name(role)
    if role_obj is None:
        choices = "、".join(f"{r.code}（{r.name}）" for r in ROLES.values())
        raise ValidationFailed(f"未知角色“{role}”。可选：{choices}")

    def division(value, option):
        try:
            code = full_code(value)
        except ValueError:
            raise ValidationFailed(f"{option}：区划代码“{value}”应为 2、4、6、9 或 12 位数字") from None
        found = Division.objects.filter(code=code).first()
        if found is None:
            raise ValidationFailed(f"{option}：区划 {value} 不存在，请先用 anju divisions load 导入区划")
        return found

    entry = division(scope, "--scope")
    view = division(view_scope, "--view-scope") if view_scope else entry
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    user = user_create(actor=None, username=username, role=role_obj, entry_scope=entry, view_scope=view,
                       password=password, full_name=full_name, must_change_password=False)
    click.echo(f"已创建账号 {user.username}：{role_obj.name}，范围 {entry.name}（{entry.prefix}）")


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

    from anju.core.jobs import job_create_inline, job_execute

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
    names = {"1": "省", "2": "市", "3": "县", "4": "乡", "5": "村"}
    levels = "，".join(f"{names[k]} {v}" for k, v in sorted(r["per_level"].items()))
    click.echo(f"读取 {r['read']} 条（{levels}）：新增 {r['inserted']}，更新 {r['updated']}，未变 {r['unchanged']}；"
               f"用时 {time.perf_counter() - started:.2f} 秒")


def _finish_job(job) -> None:
    if job.state != "succeeded":
        click.secho(f"错误：{job.error}", fg="red", err=True)
        detail = (job.result or {}).get("detail")
        if isinstance(detail, list):
            for item in detail[:50]:
                click.echo(f"  {item.get('file', '')} 第 {item.get('line')} 行：{item.get('reason')}", err=True)
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
        click.echo(f"审计日志完整：已校验 {result.checked} 条已封存事件，{result.unsealed} 条待封存。")
        return
    click.secho(f"审计日志被篡改：第一条异常事件 id={result.first_broken_id} 序号={result.first_broken_seq}：{result.reason}",
                fg="red", err=True)
    sys.exit(1)


@audit.command("seal")
@django_command
def audit_seal_cmd():
    """封存所有已提交但未封存的事件。"""
    from anju.core.audit import audit_seal

    click.echo(f"已封存 {audit_seal()} 条事件。")


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
    click.echo(f"已清理 {result.purged} 条 {cutoff:%Y-%m-%d %H:%M} 之前的事件（至序号 {result.through_seq}）。")


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
    click.echo(f"anju 正在 http://{host}:{port}/ 提供服务（Ctrl+C 停止）")
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
    """平台维护：每分钟封存审计事件，每天按保存期清理审计日志（anju serve 已在进程内运行）。"""
    from anju.core.housekeeping import housekeeping_once, run_housekeeping

    if once:
        result = housekeeping_once()
        click.echo(f"已封存 {result.sealed} 条审计事件，清理 {result.purged} 条过期事件。")
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
        who = job.created_by.username if job.created_by else "(cli)"
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
        raise NotFound(f"任务 {job_id} 不存在") from None
    if job.state != Job.State.QUEUED:
        click.echo(f"任务 {job.pk} 的状态是“{job.get_state_display()}”，只能运行排队中的任务。", err=True)
        sys.exit(2)
    bar = ProgressBar(job.title)
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        bar.close()
    _finish_job(job)
    click.echo(f"任务完成：{job.message}")


@main.command()
@click.option("--no-serve", is_flag=True, help="只建库不启动服务")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@django_command
def demo(no_serve, host, port):
    """建立演示数据库：一个市、9 个县区及其乡镇、村，每个角色一个账号；然后启动服务。"""
    from django.core.management import call_command

    from anju.demo import build_demo

    call_command("migrate", interactive=False, verbosity=0)
    summary = build_demo()
    click.echo(summary.render())
    if not no_serve:
        _serve(host, port, 8, True)


if __name__ == "__main__":  # pragma: no cover
    main()
