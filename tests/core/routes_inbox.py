"""Authorisation-walker routes of the inbox (see tests/test_authz_walker.py).

Every signed-in user has an inbox, so no permission guards it; "out of scope" is another user's message (404)."""

from __future__ import annotations

from tests.test_authz_walker import Route

WEB: dict = {
    "inbox:list": Route("/inbox/?state=unread"),
    "inbox:read": Route("/inbox/{ib_message_id}/read/", "POST", scoped=True),
    "inbox:read_all": Route("/inbox/read-all/", "POST"),
}

API: dict = {
    "GET /api/v1/inbox": Route("/api/v1/inbox?level=red"),
    "POST /api/v1/inbox/{message_id}/read": Route("/api/v1/inbox/{ib_message_id}/read", scoped=True),
    "POST /api/v1/inbox/read-all": Route("/api/v1/inbox/read-all"),
}


def objects(users: dict) -> tuple[dict, dict]:
    """A message to the walker's city clerk (the default allowed role), and one to somebody else."""
    from anju.core.models import Message

    def message(user) -> int:
        return Message.objects.create(recipient=user, subject="走查消息", link="/inbox/", level="red").pk

    return {"ib_message_id": message(users["city_clerk"])}, {"ib_message_id": message(users["leader"])}
