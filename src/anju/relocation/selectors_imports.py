"""Reads of the relocation import area: who may import, past imports in scope, templates and error workbooks.

Shared with the other program's area (`anju.imports.kinds.ImportArea`); these are the area's names for them.
"""

from __future__ import annotations

from anju.relocation.services.imports import AREA, importable_kinds, require_importer  # noqa: F401  (re-exported for views and the API)

relocation_import_batch_list = AREA.batch_list
access_relocation_import_batch = AREA.access_batch
batch_kind = AREA.batch_kind
batch_kind_label = AREA.batch_kind_label
relocation_import_errors_file = AREA.errors_file
relocation_import_template = AREA.template
