"""Projects API of the projects area."""

from ninja import Router

router = Router(tags=["projects-projects"])
