"""Reads of the import area: past import batches in scope, and the blank roster template."""

from __future__ import annotations

from pathlib import Path

from django.db.models import QuerySet

from anju.accounts.roles import Perm
from anju.core.access import require_perm, scope_filter
from anju.imports.errors import write_template
from anju.imports.models import ImportBatch
from anju.registry import roster


def import_batch_list(*, actor, program: str = "") -> QuerySet[ImportBatch]:
    """Imports whose scope lies in the actor's view scope, newest first."""
    require_perm(actor, Perm.REGISTRY_IMPORT)
    qs = scope_filter(ImportBatch.objects.select_related("created_by", "job"), actor)
    if program:
        qs = qs.filter(template=roster.SPECS[program].template)
    return qs.order_by("-created_at")


def access_import_batch(actor, batch_id: int) -> ImportBatch:
    from anju.core.exceptions import NotFound

    try:
        return import_batch_list(actor=actor).get(pk=batch_id)
    except ImportBatch.DoesNotExist:
        raise NotFound() from None


def roster_template(*, actor, program: str, folder: Path) -> tuple[Path, str]:
    """Write the blank template of `program` into `folder`; returns the path and the download name."""
    require_perm(actor, Perm.REGISTRY_VIEW)
    spec = roster.SPECS[program]
    name = f"{spec.title}（导入模板）.xlsx"
    path = folder / "template.xlsx"
    write_template(path, spec=spec, example_rows=[roster.EXAMPLE_ROWS[program]], notes=[str(n) for n in roster.TEMPLATE_NOTES[program]])
    return path, name
