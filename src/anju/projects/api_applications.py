"""Projects API of the applications area."""

from ninja import Router

router = Router(tags=["projects-applications"])
