"""Inbox API: the signed-in user's messages (another user's message answers 404)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from anju.core.api_base import ERRORS, Pagination
from anju.core.inbox import access_message, inbox_list, message_mark_read, messages_mark_all_read

router = Router(tags=["inbox"])


class InboxMessageOut(Schema):
    id: int
    subject: str
    body: str
    link: str
    level: str = Field(..., description="red、yellow，或空串（通知）")
    source: str
    division_code: str
    created_at: datetime
    read_at: datetime | None
    resolved_at: datetime | None = Field(None, description="引起该消息的情况已消除（如预警已解除）的时间")


class InboxMessageFilter(Schema):
    state: Literal["", "unread", "read"] = Field("", description="unread 未读，read 已读；空为全部")
    level: Literal["", "red", "yellow", "info"] = Field("", description="red 红色，yellow 黄色，info 通知；空为全部")


class InboxMessageReadAllOut(Schema):
    marked: int = Field(..., description="本次标为已读的条数")


@router.get("", response={200: list[InboxMessageOut], **ERRORS}, summary="我的消息（未读在前）")
@paginate(Pagination)
def inbox_messages_list(request, filters: Query[InboxMessageFilter]):
    return inbox_list(actor=request.auth, state=filters.state, level=filters.level)


@router.post("/{message_id}/read", response={200: InboxMessageOut, **ERRORS}, summary="标为已读")
def inbox_message_read(request, message_id: int):
    return message_mark_read(actor=request.auth, message=access_message(request.auth, message_id))


@router.post("/read-all", response={200: InboxMessageReadAllOut, **ERRORS}, summary="全部标为已读")
def inbox_messages_read_all(request):
    return {"marked": messages_mark_all_read(actor=request.auth)}
