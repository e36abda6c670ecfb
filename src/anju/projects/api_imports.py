"""Projects API of the imports area."""

from ninja import Router

router = Router(tags=["projects-imports"])
