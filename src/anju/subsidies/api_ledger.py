"""Subsidies API: ledger."""

from ninja import Router

router = Router(tags=["subsidies-ledger"])
