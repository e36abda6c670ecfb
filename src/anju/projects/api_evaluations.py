"""Projects API of the evaluations area."""

from ninja import Router

router = Router(tags=["projects-evaluations"])
