"""Account endpoints: who is calling, and API tokens."""

from incidentdesk.accounts.models import ApiToken
from incidentdesk.incidents.models import Incident
from tests.conftest import ApiClient


def test_me_says_who_is_calling(rita, responder):
    response = rita.call("GET", "/me")
    assert response.status_code == 200
    assert response.json_body == {
        "username": responder.username,
        "email": responder.email,
        "name": responder.username,
        "role": "responder",
    }


def test_a_token_is_shown_once_then_listed_without_it(rita):
    created = rita.call("POST", "/tokens", {"name": "ci", "scope": "write"})
    assert created.status_code == 201, created.content
    plain = created.json_body["token"]
    assert plain.startswith("idk_") and plain.startswith(created.json_body["prefix"])
    listed = rita.call("GET", "/tokens").json_body
    assert {t["name"] for t in listed} == {"ci", "test"}
    assert all("token" not in t for t in listed)
    assert not ApiToken.objects.filter(digest__contains=plain).exists()  # only a digest is kept


def test_a_new_token_works_and_records_when_it_was_used(rita):
    plain = rita.call("POST", "/tokens", {"name": "ci"}).json_body["token"]
    token = ApiToken.objects.get(name="ci")
    assert token.last_used_at is None
    response = ApiClient(HTTP_AUTHORIZATION=f"Bearer {plain}").call("GET", "/me")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_gets_401(rita):
    created = rita.call("POST", "/tokens", {"name": "old"}).json_body
    other = ApiClient(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert other.call("GET", "/me").status_code == 200
    revoked = rita.call("DELETE", f"/tokens/{created['id']}")
    assert revoked.status_code == 200
    assert revoked.json_body["revoked_at"] is not None
    response = other.call("GET", "/me")
    assert response.status_code == 401
    assert "detail" in response.json_body


def test_revoking_someone_elses_token_is_403(rita, api_client, make_user):
    owner = make_user(username="owner")
    api_client(owner)
    theirs = ApiToken.objects.get(user=owner)
    response = rita.call("DELETE", f"/tokens/{theirs.pk}")
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoking_an_unknown_token_is_404(rita):
    assert rita.call("DELETE", "/tokens/999999").status_code == 404


def test_a_viewer_may_not_make_a_write_token(api_client, viewer):
    response = api_client(viewer, scope="read").call(
        "POST", "/tokens", {"name": "x", "scope": "write"}
    )
    assert response.status_code == 403  # a read-scoped token never writes


def test_a_read_scoped_token_reads_but_gets_403_on_writes(api_client, responder, incident):
    reader = api_client(responder, scope="read")
    assert reader.call("GET", "/incidents").status_code == 200
    before = Incident.objects.count()
    response = reader.call(
        "POST", "/incidents", {"title": "x", "severity": "major", "criteria": ["security"]}
    )
    assert response.status_code == 403
    assert "read-only" in response.json_body["detail"]
    response = reader.call("POST", f"/incidents/{incident.reference}/commands", {"text": "note hi"})
    assert response.status_code == 403
    assert Incident.objects.count() == before
