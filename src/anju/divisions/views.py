"""Division pages: browse the tree in scope, one division's children with counts, upload NBS files."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from anju.accounts.roles import Perm
from anju.core.access import require_perm
from anju.core.jobs import job_submit
from anju.core.pagination import paginate
from anju.divisions.forms import DivisionFilterForm, DivisionUploadForm
from anju.divisions.jobs import upload_dir
from anju.divisions.models import Level
from anju.divisions.selectors import access_division, division_ancestors, division_children, division_list


@login_required
def division_index(request):
    form = DivisionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    if not filters.get("q") and not filters.get("level"):
        root = request.user.view_scope
        require_perm(request.user, Perm.DIVISIONS_VIEW)
        if root is not None:
            return redirect("divisions:detail", code=root.prefix)
    page = paginate(request, division_list(actor=request.user, q=filters.get("q") or "", level=filters.get("level")))
    return render(request, "divisions/list.html", {"form": form, "page": page})


@login_required
def division_detail(request, code: str):
    division = access_division(request.user, code)
    children = division_children(actor=request.user, division=division)
    child_level = Level(division.level + 1).label if division.level < Level.VILLAGE else None
    return render(request, "divisions/detail.html", {
        "division": division, "ancestors": division_ancestors(division), "children": children,
        "child_level": child_level, "form": DivisionFilterForm(),
    })


@login_required
def division_children_partial(request, code: str):
    """Children rows for the lazily expanded tree on the home page."""
    division = access_division(request.user, code)
    return render(request, "divisions/_tree_children.html", {"children": division_children(actor=request.user, division=division)})


@login_required
@require_http_methods(["GET", "POST"])
def division_load(request):
    require_perm(request.user, Perm.DIVISIONS_LOAD)
    form = DivisionUploadForm(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        folder = upload_dir(uuid.uuid4())
        for f in form.cleaned_data["files"]:
            with open(folder / f.name, "wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
        params = {"root": form.cleaned_data["root"].strip(), "source": "web", "dir": str(folder), "cleanup": True}
        job = job_submit(actor=request.user, kind="divisions.load", params=params)
        return redirect("jobs:detail", job_id=job.pk)
    return render(request, "divisions/load.html", {"form": form})
