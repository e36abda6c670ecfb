"""Projects API of the inspections area."""

from ninja import Router

router = Router(tags=["projects-inspections"])
