import pytest

from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.postmortems.feedback import feedback_give
from incidentdesk.postmortems.meetings import meeting_schedule
from incidentdesk.postmortems.models import Feedback
from incidentdesk.postmortems.review import review_report
from incidentdesk.postmortems.services import postmortem_review

WEB = ActionSource.WEB


def _give(postmortem, actor, response=4, pm=3, improve=""):
    return feedback_give(
        actor=actor,
        source=WEB,
        postmortem=postmortem,
        response_rating=response,
        postmortem_rating=pm,
        improve=improve,
    )


def test_feedback_is_one_per_person_and_can_be_changed(started, responder):
    postmortem = started()
    _give(postmortem, responder, 2, 2, "More context")
    changed = _give(postmortem, responder, 5, 4, "Clearer owners")
    assert Feedback.objects.count() == 1
    assert (changed.response_rating, changed.postmortem_rating) == (5, 4)
    assert changed.improve == "Clearer owners"


@pytest.mark.parametrize(("value", "field"), [(0, "response_rating"), ("six", "response_rating")])
def test_ratings_outside_one_to_five_are_refused(started, responder, value, field):
    with pytest.raises(ValidationError) as error:
        _give(started(), responder, response=value)
    assert error.value.field == field and not Feedback.objects.exists()


def test_a_responder_who_took_no_part_cannot_give_feedback(started, make_user):
    outsider = make_user(username="outsider")
    with pytest.raises(PermissionDenied):
        _give(started(), outsider)
    assert not Feedback.objects.exists()


def test_a_viewer_who_took_no_part_cannot_give_feedback(started, viewer):
    with pytest.raises(PermissionDenied) as error:
        _give(started(), viewer)
    assert "took part" in error.value.message and not Feedback.objects.exists()


def test_a_viewer_who_took_part_may_rate_the_process(started, viewer, manager, client):
    postmortem = started()
    meeting_schedule(
        actor=manager,
        source=WEB,
        postmortem=postmortem,
        starts_at="2026-03-04 10:00",
        duration_minutes=30,
        attendees=[viewer.username],
    )
    client.force_login(viewer)
    ref = postmortem.incident.reference
    assert 'id="feedback"' in client.get(f"/incidents/{ref}/postmortem").content.decode()
    response = client.post(
        f"/incidents/{ref}/postmortem/feedback",
        {"response_rating": "3", "postmortem_rating": "4", "improve": "Invite support sooner"},
    )
    assert response.status_code == 302
    assert Feedback.objects.get(user=viewer).improve == "Invite support sooner"


def test_the_feedback_form_is_not_offered_to_a_viewer_who_took_no_part(started, viewer, client):
    ref = started().incident.reference
    client.force_login(viewer)
    assert 'id="feedback"' not in client.get(f"/incidents/{ref}/postmortem").content.decode()


def test_the_review_averages_feedback(started, responder, manager):
    postmortem = started()
    postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )  # the manager takes part as a reviewer
    _give(postmortem, responder, 4, 3, "Shorter meeting")
    _give(postmortem, manager, 5, 4)
    feedback = review_report()["feedback"]
    assert (feedback["response_average"], feedback["postmortem_average"]) == (4.5, 3.5)
    assert [c["text"] for c in feedback["comments"]] == ["Shorter meeting"]


def test_feedback_from_the_page_prefills_the_form(started, responder, client):
    ref = started().incident.reference
    client.force_login(responder)
    response = client.post(
        f"/incidents/{ref}/postmortem/feedback",
        {"response_rating": "4", "postmortem_rating": "5", "improve": "Earlier review"},
    )
    assert response.status_code == 302
    page = client.get(f"/incidents/{ref}/postmortem").content.decode()
    assert ">Earlier review</textarea>" in page and "Update my feedback" in page


def test_feedback_through_the_api(started, responder, api_client):
    ref = started().incident.reference
    client = api_client(responder)
    ok = client.call(
        "PUT",
        f"/incidents/{ref}/postmortem/feedback",
        {"response_rating": 3, "postmortem_rating": 4},
    )
    assert ok.status_code == 200 and ok.json_body["postmortem_rating"] == 4
    bad = client.call(
        "PUT",
        f"/incidents/{ref}/postmortem/feedback",
        {"response_rating": 9, "postmortem_rating": 4},
    )
    assert bad.status_code == 422 and bad.json_body["field"] == "response_rating"


def test_giving_feedback_is_on_the_timeline_without_the_ratings(started, responder):
    postmortem = started()
    _give(postmortem, responder, 1, 5, "Private words")
    entry = postmortem.incident.timeline.order_by("-id").first()
    assert entry.body == "Feedback on the process given" and entry.author == responder
    assert "1" not in entry.body and "Private" not in entry.body


def test_the_api_takes_ratings_as_numbers_only(started, responder, api_client):
    ref = started().incident.reference
    body = {"response_rating": True, "postmortem_rating": 4}
    response = api_client(responder).call("PUT", f"/incidents/{ref}/postmortem/feedback", body)
    assert response.status_code == 422 and response.json_body["field"] == "response_rating"
    assert not Feedback.objects.exists()
