"""Projects API of the rates area."""

from ninja import Router

router = Router(tags=["projects-rates"])
