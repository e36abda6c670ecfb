"""Subsidies API: bankfiles."""

from ninja import Router

router = Router(tags=["subsidies-bankfiles"])
