"""Several workers advancing escalations at the same moment: each due step runs once (each page
locked by one worker; on SQLite writers take turns), and none is skipped."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import PageNotice
from incidentdesk.oncall.paging import escalations_advance, page_create
from tests.together import together

PAGES = 8


@pytest.mark.django_db(transaction=True)
def test_workers_advancing_at_once_run_every_due_step_exactly_once(make_policy, crew, responder):
    make_policy(
        [
            {"target": "person", "person": "ada", "wait_minutes": 5},
            {"target": "person", "person": "bob", "wait_minutes": 0},
            {"target": "person", "person": "cy", "wait_minutes": 5},
        ]
    )
    pages = [
        page_create(actor=responder, source=ActionSource.WEB, policy="Ops", summary=f"Disk {n}")
        for n in range(PAGES)
    ]
    moment = timezone.now() + timedelta(minutes=6)
    answers = together(lambda: escalations_advance(now=moment), 4)
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    assert sum(answers) == 2 * PAGES  # bob's step and, without waiting, cy's
    for page in pages:
        notices = PageNotice.objects.filter(page=page).order_by("step")
        assert [(n.step, n.user.username) for n in notices] == [(0, "ada"), (1, "bob"), (2, "cy")]
