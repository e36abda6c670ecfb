"""Subsidies API: reference."""

from ninja import Router

router = Router(tags=["subsidies-reference"])
