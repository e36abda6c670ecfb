"""Housekeeping's daily round applies the change requests whose effective date has come."""

from __future__ import annotations

import datetime as dt

from anju.core.housekeeping import DAILY, housekeeping_once
from anju.registry.models import ChangeRequest
from anju.registry.services import requests as svc

from .test_requests_workflow import enrolment_of, make_actors, make_family


def test_daily_round_applies_due_requests(tree, make_user):
    actors = make_actors(make_user)
    household = make_family()
    person = enrolment_of(household, "李四").person
    cr = svc.change_request_create(actor=actors["township"], kind="correct", program="reservoir", person=person, submit=True,
                                   payload={"changes": {"ethnicity": "苗族"}}, effective_on=dt.date.today() - dt.timedelta(days=1))
    cr = svc.change_request_approve(actor=actors["county"], request=cr, today=dt.date.today() - dt.timedelta(days=1))
    assert "registry.requests.apply_due" in DAILY
    assert housekeeping_once(purge=False).daily == {}
    result = housekeeping_once(purge=True)
    assert result.daily["registry.requests.apply_due"]["applied"] == [cr.pk]
    cr.refresh_from_db()
    person.refresh_from_db()
    assert cr.state == ChangeRequest.State.EFFECTIVE and person.ethnicity == "苗族"
