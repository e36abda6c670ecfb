"""The personal inbox: sending and resolving, the list (unread first, filters), marking read one by one or all at once,
the badge count; pages and API; a user never sees or marks another user's message."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from anju.core.exceptions import AuthenticationRequired, NotFound
from anju.core.inbox import (
    Outgoing,
    access_message,
    inbox_list,
    inbox_resolve,
    inbox_send,
    message_link_safe,
    message_mark_read,
    messages_mark_all_read,
    unread_count,
)
from anju.core.models import Message


@pytest.fixture
def people(make_user):
    return {"me": make_user("county_clerk", "429921", username="i_me"), "other": make_user("county_clerk", "429921", username="i_other"),
            "admin": make_user("sysadmin", "4299", username="i_admin")}


@pytest.fixture
def box(people):
    me, other = people["me"], people["other"]
    inbox_send([Outgoing(me.pk, "黄色预警一", "内容一", "/projects/1/", "yellow", "projects.warning:1", "429921101201"),
                Outgoing(me.pk, "红色预警二", "内容二", "/projects/2/", "red", "projects.warning:2", "429921101201"),
                Outgoing(me.pk, "通知三"),
                Outgoing(other.pk, "别人的", "", "/projects/3/", "red", "projects.warning:3")])
    msgs = {m.subject: m for m in Message.objects.all()}
    Message.objects.filter(pk=msgs["黄色预警一"].pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    return msgs


def test_send_list_and_badge(people, box):
    me = people["me"]
    assert unread_count(me) == 3 and unread_count(people["other"]) == 1 and unread_count(None) == 0
    message_mark_read(actor=me, message=box["通知三"])
    subjects = [m.subject for m in inbox_list(actor=me)]
    assert subjects == ["红色预警二", "黄色预警一", "通知三"]  # unread first, newest first
    assert [m.subject for m in inbox_list(actor=me, state="unread")] == ["红色预警二", "黄色预警一"]
    assert [m.subject for m in inbox_list(actor=me, state="read")] == ["通知三"]
    assert [m.subject for m in inbox_list(actor=me, level="red")] == ["红色预警二"]
    assert [m.subject for m in inbox_list(actor=me, level="info")] == ["通知三"]
    assert unread_count(me) == 2
    with pytest.raises(AuthenticationRequired):
        inbox_list(actor=None)


def test_mark_read_and_all_read(people, box):
    me = people["me"]
    m = message_mark_read(actor=me, message=box["红色预警二"])
    first = m.read_at
    assert first is not None
    assert message_mark_read(actor=me, message=box["红色预警二"]).read_at == first  # already read: left as it was
    assert messages_mark_all_read(actor=me) == 2
    assert unread_count(me) == 0 and unread_count(people["other"]) == 1  # the other user's stays unread


def test_resolve_by_source(people, box):
    assert inbox_resolve(["projects.warning:1", "projects.warning:9"]) == 1
    box["黄色预警一"].refresh_from_db()
    assert box["黄色预警一"].resolved_at is not None
    assert inbox_resolve(["projects.warning:1"]) == 0  # resolved once


def test_another_users_message_is_not_found(people, box):
    me, theirs = people["me"], box["别人的"]
    with pytest.raises(NotFound):
        access_message(me, theirs.pk)
    with pytest.raises(NotFound):
        message_mark_read(actor=me, message=theirs)
    for bad in ("x", -1, 0, 2**70):
        with pytest.raises(NotFound):
            access_message(me, bad)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_links_stay_on_the_site():
    assert message_link_safe("/projects/3/") == "/projects/3/"
    for bad in ("https://evil.example/", "//evil.example/", "/\\evil", "javascript:alert(1)", ""):
        assert message_link_safe(bad) == ""


def test_pages(people, box, login):
    me = login(people["me"])
    page = me.get("/inbox/")
    text = page.content.decode()
    assert page.status_code == 200 and "红色预警二" in text and "别人的" not in text and "3 条未读" in text
    assert "红色预警二" not in me.get("/inbox/?level=yellow").content.decode()
    assert me.get("/inbox/?state=zzz&level=%00").status_code == 200
    opened = me.post(f"/inbox/{box['红色预警二'].pk}/read/", {"open": "1"})
    assert opened.status_code == 302 and opened.url == "/projects/2/"
    assert me.post(f"/inbox/{box['通知三'].pk}/read/").url == "/inbox/"
    assert me.post(f"/inbox/{box['别人的'].pk}/read/").status_code == 404
    assert me.get(f"/inbox/{box['通知三'].pk}/read/").status_code == 405
    done = me.post("/inbox/read-all/", follow=True)
    assert "已将 1 条消息标为已读" in done.content.decode() and unread_count(people["me"]) == 0
    box["别人的"].refresh_from_db()
    assert box["别人的"].read_at is None
    assert login(people["admin"]).get("/inbox/").status_code == 200  # every signed-in user has an inbox


def test_api(people, box, api):
    me = api(people["me"])
    body = me.get("/api/v1/inbox").json()
    assert body["count"] == 3 and [m["subject"] for m in body["items"]] == ["通知三", "红色预警二", "黄色预警一"]  # newest first
    item = body["items"][1]
    assert (item["level"], item["link"], item["source"], item["read_at"]) == ("red", "/projects/2/", "projects.warning:2", None)
    assert me.get("/api/v1/inbox?state=unread&level=yellow").json()["count"] == 1
    assert me.get("/api/v1/inbox?level=blue").status_code == 422
    read = me.post(f"/api/v1/inbox/{box['红色预警二'].pk}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    theirs = me.post(f"/api/v1/inbox/{box['别人的'].pk}/read")
    assert theirs.status_code == 404 and theirs.json()["code"] == "not_found"
    all_read = me.post("/api/v1/inbox/read-all", data=json.dumps({}), content_type="application/json")
    assert all_read.json() == {"marked": 2}
    assert me.get("/api/v1/inbox?state=unread").json()["count"] == 0
    assert api(people["other"]).get("/api/v1/inbox").json()["count"] == 1
