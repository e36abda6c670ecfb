"""The validating half of a big roster import, run in a worker process so that it has a core of its own.

The worker reads the file, validates and encrypts each row and hands chunks back through a queue while the
importing process looks rows up and writes them. It never touches the database: the lookup tables (divisions,
reservoirs, sites, policy versions) and the users' header aliases come from the parent, pickled. It is started
with `spawn` (a fresh interpreter), which is safe in the multi-threaded server, where `fork` is not.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue as queue_module
import traceback

from django.utils import translation

from anju.core.exceptions import ValidationFailed

QUEUE_CHUNKS = 6
MSG_WORKER_FAILED = "import worker process failed"


def _worker(payload: bytes, out) -> None:
    """Entry point of the worker process. The arguments come pickled: their classes need Django set up first."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
    import django

    django.setup()
    args = pickle.loads(payload)  # noqa: S301 (from the parent process)
    from django.utils import translation as child_translation

    from anju.core.exceptions import ApplicationError
    from anju.imports.readers import read_table
    from anju.registry import roster
    from anju.registry.services.imports import _Validator, produce_chunks

    child_translation.activate(args["language"])
    try:
        table = read_table(args["path"], spec=roster.SPECS[args["program"]], filename=args["filename"], aliases=args["aliases"])
        validator = _Validator(args["ctx"], table.columns, table.fields)
        for chunk in produce_chunks(table, validator, encrypt_rows=True):
            out.put(("chunk", chunk))
        out.put(("skipped", dict(table.skipped)))
        out.put(("done", None))
    except ApplicationError as exc:
        out.put(("error", {"code": exc.code, "message": exc.message, "detail": exc.detail}))
    except BaseException:  # noqa: BLE001 (reported to the parent, which raises)
        out.put(("crash", traceback.format_exc(limit=8)))


def chunks_from_worker(*, path: str, filename: str, program: str, ctx, aliases: list, skipped: dict | None = None):
    """Yield the worker's chunks as `produce_chunks` would; its errors are raised here."""
    mp = multiprocessing.get_context("spawn")
    out = mp.Queue(maxsize=QUEUE_CHUNKS)
    args = {"path": path, "filename": filename, "program": program, "ctx": ctx, "aliases": aliases,
            "language": translation.get_language() or "zh-hans"}
    process = mp.Process(target=_worker, args=(pickle.dumps(args), out), name="anju-import-validate", daemon=True)
    process.start()
    try:
        while True:
            try:
                kind, payload = out.get(timeout=2)
            except queue_module.Empty:
                if not process.is_alive():
                    raise RuntimeError(f"{MSG_WORKER_FAILED} (exit code {process.exitcode})") from None
                continue
            if kind == "chunk":
                yield payload
            elif kind == "skipped":
                if skipped is not None:
                    skipped.update(payload)
            elif kind == "done":
                return
            elif kind == "error":
                raise ValidationFailed(payload["message"], code=payload["code"], detail=payload["detail"])
            else:
                raise RuntimeError(f"{MSG_WORKER_FAILED}:\n{payload}")
    finally:
        if process.is_alive():
            process.terminate()
        process.join(timeout=10)
        out.close()
