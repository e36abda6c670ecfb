"""Job pages: list, detail with live progress, progress JSON for polling, result download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import render

from anju.core.exceptions import describe_problem
from anju.core.jobs import access_job, job_list, job_progress, job_result_file
from anju.core.models import Job
from anju.core.pagination import paginate


def job_payload(job: Job) -> dict:
    percent, message = job_progress(job)
    result = job.result
    if isinstance(result, dict) and "trace" in result:  # an internal error's traceback is for the log, not the user
        result = {k: v for k, v in result.items() if k != "trace"}
    return {
        "id": str(job.pk), "kind": job.kind, "title": job.title, "state": job.state, "state_label": job.get_state_display(),
        "progress": percent, "message": message, "error": job.error, "result": result,
        "has_file": bool(job.result_file) and job.state == Job.State.SUCCEEDED,
        "created_at": job.created_at.isoformat(), "finished": job.is_finished,
        "problems": _problems(result),
    }


def _problems(result) -> list[str]:
    """A failed job's detail as display lines (the page and its polling script show the same text)."""
    detail = result.get("detail") if isinstance(result, dict) else None
    return [describe_problem(item) for item in detail[:200]] if isinstance(detail, list) else []


@login_required
def job_index(request):
    state = request.GET.get("state", "")
    qs = job_list(actor=request.user, state=state if state in Job.State.values else "")
    return render(request, "core/job_list.html", {"page": paginate(request, qs), "states": Job.State.choices, "state": state})


@login_required
def job_detail(request, job_id):
    job = access_job(request.user, job_id)
    return render(request, "core/job_detail.html", {"job": job, "payload": job_payload(job)})


@login_required
def job_status(request, job_id):
    return JsonResponse(job_payload(access_job(request.user, job_id)))


@login_required
def job_download(request, job_id):
    path = job_result_file(request.user, job_id)
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)  # noqa: SIM115 (FileResponse closes it)
