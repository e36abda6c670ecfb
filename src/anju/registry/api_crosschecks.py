"""Registry crosschecks API."""

from ninja import Router

router = Router(tags=["registry-crosschecks"])
