"""The personal inbox: messages to one user (a warning raised on a project they answer for, a deadline), sent in bulk
by the service that raised them, resolved by it when the cause ends, and read only by their recipient.

`inbox_send` and `inbox_resolve` trust their caller (a service that has checked its own permission and scope); the
reads and marks take the signed-in user and only ever touch that user's own messages: another user's message looks
exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.exceptions import AuthenticationRequired, NotFound
from anju.core.models import Message

STATES = {"": _("全部"), "unread": _("未读"), "read": _("已读")}
LEVELS = {"": _("全部"), "red": _("红色"), "yellow": _("黄色"), "info": _("通知")}

_CHUNK = 500  # sources per IN (...) lookup, under SQLite's parameter limit


@dataclass(frozen=True)
class Outgoing:
    """One message to send: to whom (a user id), what, where to act, how urgent, and what raised it."""

    recipient_id: int
    subject: str
    body: str = ""
    link: str = ""
    level: str = ""
    source: str = ""
    division_code: str = ""


def _require_user(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise AuthenticationRequired()


# --- sending (trusted: called by services) -------------------------------------------------------------------------

def inbox_send(messages: Iterable[Outgoing]) -> int:
    """Create the messages in bulk (inside the caller's transaction: COPY or executemany, one warning round may send
    tens of thousands); returns how many."""
    from anju.core.bulk import bulk_insert, db_value

    now = db_value()(timezone.now())
    rows = [(m.recipient_id, m.subject[:200], m.body, m.link[:300], m.level[:10], m.source[:100], m.division_code[:12], now, None, None)
            for m in messages]
    return bulk_insert(Message._meta.db_table, ["recipient_id", "subject", "body", "link", "level", "source", "division_code", "created_at",
                                                "read_at", "resolved_at"], rows, native=True)


def inbox_resolve(sources: Iterable[str], *, at=None) -> int:
    """Mark the unresolved messages raised by these sources resolved (the cause has ended); returns how many."""
    at = at or timezone.now()
    wanted, n = sorted(set(sources)), 0
    for start in range(0, len(wanted), _CHUNK):
        n += Message.objects.filter(source__in=wanted[start:start + _CHUNK], resolved_at__isnull=True).update(resolved_at=at)
    return n


# --- reading (the recipient only) ----------------------------------------------------------------------------------

def inbox_list(*, actor, state: str = "", level: str = "") -> QuerySet[Message]:
    """The actor's own messages, unread first, then newest first; `state` unread/read, `level` red/yellow/info."""
    _require_user(actor)
    qs = Message.objects.filter(recipient_id=actor.pk)
    if state == "unread":
        qs = qs.filter(read_at__isnull=True)
    elif state == "read":
        qs = qs.filter(read_at__isnull=False)
    if level == "info":
        qs = qs.filter(level="")
    elif level in ("red", "yellow"):
        qs = qs.filter(level=level)
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(unread_first, "-created_at", "-id")


def access_message(actor, message_id) -> Message:
    """One of the actor's own messages, or NotFound (unknown, malformed, or another user's)."""
    _require_user(actor)
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < pk < 2**63:
        raise NotFound()
    message = Message.objects.filter(pk=pk).first()
    if message is None:
        raise NotFound()
    if message.recipient_id != actor.pk:
        raise NotFound()
    return message


def unread_count(user) -> int:
    """The badge: how many of the user's messages are unread (0 for an anonymous visitor)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


# --- marking (the recipient only) ----------------------------------------------------------------------------------

def message_mark_read(*, actor, message: Message) -> Message:
    """Mark one of the actor's messages read (already read: left as it was). Personal state, so not audited."""
    message = access_message(actor, message.pk)
    if message.read_at is None:
        with transaction.atomic():
            now = timezone.now()
            Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
            message.read_at = now
    return message


def messages_mark_all_read(*, actor) -> int:
    """Mark every unread message of the actor read; returns how many."""
    _require_user(actor)
    with transaction.atomic():
        return Message.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())


def message_link_safe(link: str) -> str:
    """The message's link if it is a path on this site ("/projects/3/"), else "" (never send a user off-site)."""
    link = (link or "").strip()
    if link.startswith("/") and not link.startswith("//") and "\\" not in link and "\x00" not in link:
        return link
    return ""


__all__ = ["Outgoing", "inbox_send", "inbox_resolve", "inbox_list", "access_message", "unread_count", "message_mark_read",
           "messages_mark_all_read", "message_link_safe", "STATES", "LEVELS"]
