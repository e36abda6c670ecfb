"""The program-independent half of a program's import area (projects, relocation): who may import which kind, the
run of one import (read → parse → plan and write in one transaction → ImportBatch → audit → error workbook), its
summary, the job around it, the CLI command's body and the reads of past imports.

A program describes its area once in an `ImportArea` (its kinds and their permissions, specs and labels, job kind,
audit names, URL namespace) and keeps only what differs: the rules of each kind (its `imports_kinds.py`), the cell
parsers they share (`projects.services.imports.KindImport`), the report's own counter, and the wording of its pages,
API and CLI. Everything here used to be written out twice, once per area.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.access import prefix_for, require_perm, scope_filter
from anju.core.audit import audit_record
from anju.core.exceptions import AuthenticationRequired, Conflict, NotFound, PermissionDenied, ValidationFailed
from anju.imports.errors import RowError, write_error_workbook, write_template
from anju.imports.models import ImportBatch
from anju.imports.readers import ImportFileError, RowData, read_table

Progress = Callable[[int, str], None]
KEEP_REJECTED_ROWS = 50_000  # original cells kept for the error workbook; every error is listed regardless
MAX_ROWS = 500_000
JOB_ERRORS_SHOWN = 200  # the job page lists this many errors; the error workbook and the CLI have them all
ERRORS_NAME = "导入错误报告.xlsx"
SUMMARY_KEYS = ("rows", "imported", "updated", "unchanged", "rejected", "applied", "skipped", "warnings", "batch")  # the CLI's --json

ALL_OR_NOTHING = ImportBatch.Mode.ALL_OR_NOTHING
VALID_ONLY = ImportBatch.Mode.VALID_ONLY

MSG_MODE = gettext_lazy("未知的导入模式：%(mode)s（应为 all-or-nothing 或 valid-only）")
MSG_TOO_MANY_ROWS = gettext_lazy("文件有 %(rows)s 行以上，超过单次导入上限 %(max)s 行，请分批导入")
MSG_CONCURRENT = gettext_lazy("导入时另一操作同时写入了相同的记录，未写入任何数据，请重新导入")
MSG_REJECTED_NOTHING_WRITTEN = gettext_lazy("有 %(rejected)s 行错误，按“全部或不导入”模式未写入任何数据")

# template → kind over every area: a batch's kind for the API schema's shared resolver (templates are unique).
KIND_BY_TEMPLATE: dict[str, str] = {}


@dataclass
class KindReport:
    """The summary of one import. An area's report adds one counter of its own (`EXTRA`: projects' stage changes,
    relocation's warning signals), copied from the importer after the write and shown in the summary and audit."""

    EXTRA: ClassVar[str] = ""

    kind: str
    file_name: str
    mode: str
    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    applied: bool = False
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    batch_id: int | None = None
    errors_file: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "file": self.file_name, "mode": self.mode, "rows": self.rows, "imported": self.imported,
               "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected, "applied": self.applied}
        if self.EXTRA:  # after `applied`, where each area's result and the CLI's JSON have always had it
            out[self.EXTRA] = getattr(self, self.EXTRA)
        out.update({"skipped": self.skipped, "warnings": self.warnings, "unknown_headers": self.unknown_headers, "batch": self.batch_id,
                    "errors": [e.as_dict() for e in self.errors], "seconds": round(self.seconds, 3)})
        return out

    def extra_message(self) -> str:
        """The area's own clause of the summary ("" when there is nothing to say)."""
        return ""

    @property
    def message(self) -> str:
        text = _("读取 %(rows)s 行：新增 %(imported)s，更新 %(updated)s，未变 %(unchanged)s，拒绝 %(rejected)s") % self.as_dict()
        text += self.extra_message()
        if self.rejected and not self.applied:
            text += "；" + str(MSG_REJECTED_NOTHING_WRITTEN % {"rejected": self.rejected})
        return text


def file_sha256(source) -> str:
    """SHA-256 of a path or an open binary file (whose position is kept)."""
    digest = hashlib.sha256()
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    else:
        pos = source.tell()
        source.seek(0)
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
        source.seek(pos)
    return digest.hexdigest()


class Row:
    """One data row: where it is, its parsed values (None: the cell was empty) and its errors."""

    __slots__ = ("raw", "v", "errors", "outcome")

    def __init__(self, raw: RowData):
        self.raw, self.v, self.errors, self.outcome = raw, {}, [], ""


@dataclass(frozen=True, eq=False)
class ImportArea:
    """What tells one program's import area from another's."""

    name: str  # the program: the audit prefix and the upload folder under MEDIA_ROOT
    kinds: tuple[str, ...]
    specs: Mapping[str, Any]
    labels: Mapping[str, Any]
    by_template: Mapping[str, str]
    example_rows: Mapping[str, Any]
    template_notes: Mapping[str, Any]
    kind_perms: Mapping[str, str]  # the permission to import each kind
    view_perm: str  # the permission to download a template
    msg_kind: Any  # "unknown kind", naming the area's kinds
    report: type[KindReport]
    kind_classes: str  # the module with KIND_CLASSES (imported when an import runs: it builds on the area's service module)
    job_kind: str
    url_ns: str
    entities: Mapping[str, str] = field(default_factory=dict)  # kind → the audit action's middle word, where not the kind

    def __post_init__(self):
        KIND_BY_TEMPLATE.update(self.by_template)

    # who may import what --------------------------------------------------------------------------------------
    def importable_kinds(self, actor) -> list[str]:
        """The kinds the actor's role may import, in template order."""
        return [k for k in self.kinds if actor.can(self.kind_perms[k])]

    def require_importer(self, actor) -> None:
        """The actor may import at least one kind."""
        if actor is None or not getattr(actor, "is_authenticated", False):
            raise AuthenticationRequired()
        if not self.importable_kinds(actor):
            raise PermissionDenied()

    def check_kind(self, actor, kind: str, mode: str = ALL_OR_NOTHING) -> None:
        """The actor may import something, the kind and mode are known, and the role may import that kind."""
        self.require_importer(actor)
        if kind not in self.kinds:
            raise ValidationFailed(self.msg_kind % {"kind": kind}, code="kind_invalid", detail={"field": "kind"})
        require_perm(actor, self.kind_perms[kind])
        if mode not in ImportBatch.Mode.values:
            raise ValidationFailed(MSG_MODE % {"mode": mode}, code="mode_invalid", detail={"field": "mode"})

    # one import -----------------------------------------------------------------------------------------------
    def run(self, *, actor, kind: str, source, filename: str, mode: str = ALL_OR_NOTHING, errors_path: Path | None = None,
            progress: Progress | None = None, job=None, today=None) -> KindReport:
        """Import a file of `kind` into the actor's entry scope (see the area's service module). File-level problems
        (type, zip bomb, missing columns) raise ImportFileError; row problems are in the report."""
        started = time.perf_counter()
        self.check_kind(actor, kind, mode)
        prefix = prefix_for(actor, "entry")
        today = today or timezone.localdate()
        progress = progress or (lambda percent, message="": None)
        digest = file_sha256(source)
        spec = self.specs[kind]
        table = read_table(source, spec=spec, filename=filename, progress=progress)
        report = self.report(kind=kind, file_name=filename, mode=mode, unknown_headers=list(table.unknown_headers))
        importer = importlib.import_module(self.kind_classes).KIND_CLASSES[kind](actor=actor, table=table, prefix=prefix, today=today, report=report)

        rows: list[Row] = []
        for raw in table.rows():
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(MSG_TOO_MANY_ROWS % {"rows": MAX_ROWS, "max": MAX_ROWS}, code="too_many_rows")
            row = Row(raw)
            importer.parse(row)
            rows.append(row)
        report.rows = len(rows)
        report.skipped = dict(table.skipped)
        progress(40, _("已读取 %(rows)s 行，正在核对") % {"rows": report.rows})

        try:
            with transaction.atomic():
                importer.plan(rows)
                for row in rows:
                    if row.errors:
                        report.rejected += 1
                        report.errors.extend(row.errors)
                    else:
                        setattr(report, row.outcome, getattr(report, row.outcome) + 1)
                apply = not (mode == ALL_OR_NOTHING and report.rejected)
                # The batch row comes before the writes, in the same transaction: a kind may stamp its records with it.
                batch = ImportBatch.objects.create(template=spec.template, file_name=filename[:200], file_sha256=digest, mode=mode,
                                                   division_code=prefix.ljust(12, "0"), rows=report.rows, imported=report.imported,
                                                   updated=report.updated, unchanged=report.unchanged, rejected=report.rejected,
                                                   applied=apply, created_by=actor, job=job)
                report.batch_id = importer.batch_id = batch.pk
                progress(70, _("正在写入"))
                if apply:
                    importer.write()
                    report.applied = True
                    if report.EXTRA:
                        setattr(report, report.EXTRA, getattr(importer, report.EXTRA))
                after = {"kind": kind, "file": filename, "sha256": digest, "mode": mode, "rows": report.rows, "imported": report.imported,
                         "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected, "applied": report.applied}
                if report.EXTRA:
                    after[report.EXTRA] = getattr(report, report.EXTRA)
                audit_record(actor=actor, action=f"{self.name}.{self.entities.get(kind, kind)}.imported", object_type="import_batch",
                             object_id=batch.pk, division_code=batch.division_code, outcome="success" if report.applied else "failure", after=after)
        except IntegrityError:
            # Only a concurrent writer can break a unique key the plan checked (two imports of the same new record).
            raise Conflict(MSG_CONCURRENT, code="import_conflict") from None
        report.errors.sort(key=lambda e: (e.sheet, e.row))
        if report.errors and errors_path is not None:
            rejected = [(row.raw, row.errors) for row in rows if row.errors][:KEEP_REJECTED_ROWS]
            write_error_workbook(errors_path, table_title=str(spec.title), headers=table.headers, rejected=rejected)
            report.errors_file = str(errors_path)
            ImportBatch.objects.filter(pk=report.batch_id).update(errors_file=str(errors_path))
        report.seconds = time.perf_counter() - started
        progress(100, report.message)
        return report

    # the job around it ----------------------------------------------------------------------------------------
    def upload_dir(self, key) -> Path:
        path = Path(settings.MEDIA_ROOT) / self.name / "imports" / str(key)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def job_title(self, kind: str) -> str:
        return _("导入%(kind)s") % {"kind": self.labels[kind]}

    def submit(self, *, actor, kind: str, mode: str, uploaded, source: str = "web"):
        """Save an uploaded file and queue its import (the kind's permission and the mode are checked first)."""
        from anju.core.jobs import job_submit

        self.check_kind(actor, kind, mode)
        name = Path(uploaded.name or "upload").name
        path = self.upload_dir(uuid.uuid4()) / name
        with open(path, "wb") as out:
            for chunk in uploaded.chunks():
                out.write(chunk)
        params = {"kind": kind, "path": str(path), "filename": name, "mode": mode, "cleanup": True, "source": source}
        return job_submit(actor=actor, kind=self.job_kind, params=params, title=self.job_title(kind))

    def inline(self, *, actor, kind: str, mode: str, path: str, filename: str, errors: str = ""):
        """A job row for an import the CLI runs in its own process."""
        from anju.core.jobs import job_create_inline

        self.check_kind(actor, kind, mode)
        params = {"kind": kind, "path": path, "filename": filename, "mode": mode, "errors": errors, "source": "cli"}
        return job_create_inline(actor=actor, kind=self.job_kind, params=params, title=self.job_title(kind))

    def run_job(self, job, progress, run: Callable[..., KindReport]) -> dict:
        """The body of the area's job kind: run the import (`run`: the area's service), clean the upload up, and keep
        the first errors in the stored result."""
        from anju.core.jobs import result_path

        params = job.params
        source = Path(params["path"])
        errors_path = Path(params["errors"]) if params.get("errors") else result_path(job, ERRORS_NAME)
        try:
            report = run(actor=job.created_by, kind=params["kind"], source=source, filename=params.get("filename") or source.name,
                         mode=params.get("mode") or "all-or-nothing", errors_path=errors_path, progress=progress, job=job)
        finally:
            if params.get("cleanup"):
                shutil.rmtree(source.parent, ignore_errors=True)
        if not report.errors_file or params.get("errors"):
            job.result_file = ""
        job.full_report = report  # the CLI, running the job in-process, prints every error; the stored result keeps the first ones
        result = report.as_dict()
        result["error_count"] = len(result["errors"])
        result["errors"] = result["errors"][:JOB_ERRORS_SHOWN]
        result["detail"] = result["errors"]
        return result

    # past imports ---------------------------------------------------------------------------------------------
    def batch_list(self, *, actor, kind: str = ""):
        """The area's imports whose scope lies in the actor's view scope, newest first."""
        self.require_importer(actor)
        templates = [self.specs[kind].template] if kind in self.specs else [s.template for s in self.specs.values()]
        qs = scope_filter(ImportBatch.objects.filter(template__in=templates).select_related("created_by", "job"), actor)
        return qs.order_by("-created_at", "-id")

    def access_batch(self, actor, batch_id) -> ImportBatch:
        try:
            return self.batch_list(actor=actor).get(pk=int(batch_id))
        except (ImportBatch.DoesNotExist, TypeError, ValueError):
            raise NotFound() from None

    def batch_kind(self, batch: ImportBatch) -> str:
        return self.by_template.get(batch.template, "")

    def batch_kind_label(self, batch: ImportBatch) -> str:
        kind = self.batch_kind(batch)
        return str(self.labels[kind]) if kind else batch.template

    def errors_file(self, actor, batch_id) -> Path:
        """The error workbook of an import in scope, if the server wrote one (a CLI's --errors file is the user's own)."""
        batch = self.access_batch(actor, batch_id)
        if not batch.errors_file:
            raise NotFound()
        path = Path(batch.errors_file).resolve()
        root = Path(settings.ANJU_GENERATED_DIR).resolve()
        if root not in path.parents or not path.is_file():
            raise NotFound()
        return path

    def template(self, *, actor, kind: str, folder: Path) -> tuple[Path, str]:
        """Write the template of `kind` (headers, an example row, notes) into `folder`; returns the path and the download name."""
        require_perm(actor, self.view_perm)
        if kind not in self.specs:
            raise NotFound()
        spec = self.specs[kind]
        name = f"{spec.title}（导入模板）.xlsx"
        path = folder / "template.xlsx"
        write_template(path, spec=spec, example_rows=[self.example_rows[kind]], notes=[str(n) for n in self.template_notes[kind]])
        return path, name


def cli_import(inline, *, file, kind, mode, errors_out, username, as_json, title) -> None:
    """The body of an area's `anju <area> import` command: run the import as an inline job, print the summary (or one
    JSON object) and every error, and exit 0, or 2 when a row was rejected or the file could not be imported.
    `inline`: the area's job factory; `title`: the progress bar's."""
    import json
    import os
    import sys

    import click

    from anju.accounts.selectors import cli_actor
    from anju.cli import ProgressBar, _echo_error
    from anju.core.exceptions import describe_problem
    from anju.core.jobs import job_execute

    actor = cli_actor(username)
    job = inline(actor=actor, kind=kind, mode=mode, path=os.path.abspath(file), filename=os.path.basename(file),
                 errors=os.path.abspath(errors_out) if errors_out else "")
    bar = None if as_json else ProgressBar(title)
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
