"""Inbox API: the signed-in user's messages."""

from ninja import Router

router = Router(tags=["inbox"])
