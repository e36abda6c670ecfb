"""Reads of the relocation import area: who may import, past imports in scope, templates and error workbooks."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from anju.accounts.roles import Perm
from anju.core.access import require_perm, scope_filter
from anju.core.exceptions import NotFound
from anju.imports.errors import write_template
from anju.imports.models import ImportBatch
from anju.relocation.imports import EXAMPLE_ROWS, KIND_BY_TEMPLATE, KIND_LABELS, SPECS, TEMPLATE_NOTES
from anju.relocation.services.imports import importable_kinds, require_importer  # noqa: F401  (re-exported for views and the API)


def relocation_import_batch_list(*, actor, kind: str = "") -> QuerySet[ImportBatch]:
    """Relocation imports whose scope lies in the actor's view scope, newest first."""
    require_importer(actor)
    templates = [SPECS[kind].template] if kind in SPECS else [s.template for s in SPECS.values()]
    qs = scope_filter(ImportBatch.objects.filter(template__in=templates).select_related("created_by", "job"), actor)
    return qs.order_by("-created_at", "-id")


def access_relocation_import_batch(actor, batch_id) -> ImportBatch:
    try:
        return relocation_import_batch_list(actor=actor).get(pk=int(batch_id))
    except (ImportBatch.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def batch_kind(batch: ImportBatch) -> str:
    return KIND_BY_TEMPLATE.get(batch.template, "")


def batch_kind_label(batch: ImportBatch) -> str:
    kind = batch_kind(batch)
    return str(KIND_LABELS[kind]) if kind else batch.template


def relocation_import_errors_file(actor, batch_id) -> Path:
    """The error workbook of an import in scope, if the server wrote one (a CLI's --errors file is the user's own)."""
    batch = access_relocation_import_batch(actor, batch_id)
    if not batch.errors_file:
        raise NotFound()
    path = Path(batch.errors_file).resolve()
    root = Path(settings.ANJU_GENERATED_DIR).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound()
    return path


def relocation_import_template(*, actor, kind: str, folder: Path) -> tuple[Path, str]:
    """Write the template of `kind` (headers, an example row, notes) into `folder`; returns the path and the download name."""
    require_perm(actor, Perm.RELOCATION_VIEW)
    if kind not in SPECS:
        raise NotFound()
    spec = SPECS[kind]
    name = f"{spec.title}（导入模板）.xlsx"
    path = folder / "template.xlsx"
    write_template(path, spec=spec, example_rows=[EXAMPLE_ROWS[kind]], notes=[str(n) for n in TEMPLATE_NOTES[kind]])
    return path, name
