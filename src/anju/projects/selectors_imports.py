"""Reads of the project import area: who may import what, past imports in scope, templates and error workbooks.

Shared with the other program's area (`anju.imports.kinds.ImportArea`); these are the area's names for them.
"""

from __future__ import annotations

from anju.projects.services.imports import AREA, importable_kinds, require_importer  # noqa: F401  (re-exported for views and the API)

project_import_batch_list = AREA.batch_list
access_project_import_batch = AREA.access_batch
batch_kind = AREA.batch_kind
batch_kind_label = AREA.batch_kind_label
project_import_errors_file = AREA.errors_file
project_import_template = AREA.template
