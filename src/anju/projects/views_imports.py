"""Project import pages: upload (a job with live progress on the core job page), past imports, error workbooks and
the templates of each kind.

The pages are the same in both program areas (anju.imports.kinds_web); here: the area, its form and its templates.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from anju.imports import kinds_web
from anju.projects.forms_imports import ProjectImportForm
from anju.projects.services.imports import AREA


@login_required
@require_http_methods(["GET", "POST"])
def import_index(request):
    return kinds_web.index_page(request, AREA, form_class=ProjectImportForm, template="projects/imports/index.html")


@login_required
def import_template(request, kind: str):
    return kinds_web.template_download(request.user, AREA, kind)


@login_required
def import_batch(request, batch_id: int):
    return kinds_web.batch_page(request, AREA, batch_id, template="projects/imports/batch.html")


@login_required
def import_errors(request, batch_id: int):
    return kinds_web.errors_download(request.user, AREA, batch_id)
