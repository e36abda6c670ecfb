"""Projects API of the warnings area."""

from ninja import Router

router = Router(tags=["projects-warnings"])
