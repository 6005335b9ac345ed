import pytest

from incidentdesk.postmortems.models import Postmortem


@pytest.fixture
def signed_in(client, responder):
    client.force_login(responder)
    return client


def test_the_page_says_why_it_is_locked_before_resolution(declare, signed_in):
    incident = declare()
    page = signed_in.get(f"/incidents/{incident.reference}/postmortem")
    assert page.status_code == 200
    assert "opens once the incident is resolved" in page.content.decode()


def test_the_incident_page_links_to_the_postmortem(declare, signed_in):
    incident = declare()
    page = signed_in.get(f"/incidents/{incident.reference}").content.decode()
    assert f"/incidents/{incident.reference}/postmortem" in page


def test_start_edit_and_see_warnings_and_facts_on_the_page(resolved, signed_in):
    ref = resolved().reference
    response = signed_in.post(f"/incidents/{ref}/postmortem/start", {"template": "blameless"})
    assert response.status_code == 302 and Postmortem.objects.count() == 1
    response = signed_in.post(
        f"/incidents/{ref}/postmortem/edit",
        {"part": "section", "key": "summary", "text": "Bob broke checkout."},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0].endswith("/postmortem#section-summary")
    assert "a person is the subject of a causal verb" in page
    again = signed_in.get(f"/incidents/{ref}/postmortem").content.decode()
    assert "a person is the subject of a causal verb" not in again  # shown once
    assert "Time to recover" in page and "Bob broke checkout." in page
    signed_in.post(
        f"/incidents/{ref}/postmortem/edit", {"part": "taxonomy", "taxonomy": "missing_test"}
    )
    signed_in.post(
        f"/incidents/{ref}/postmortem/edit",
        {"part": "five_whys", "why": ["Why did it fail?", ""], "because": ["A lock.", ""]},
    )
    postmortem = Postmortem.objects.get()
    assert postmortem.taxonomy_tree == "MISSING_TEST"
    assert postmortem.five_whys == [{"why": "Why did it fail?", "because": "A lock."}]


def test_a_bad_taxonomy_on_the_page_is_an_error_at_the_field_not_a_500(resolved, signed_in):
    ref = resolved().reference
    signed_in.post(f"/incidents/{ref}/postmortem/start")
    response = signed_in.post(
        f"/incidents/{ref}/postmortem/edit",
        {"part": "taxonomy", "taxonomy": "COSMIC_RAYS"},
        follow=True,
    )
    assert response.status_code == 422
    assert 'id="err-taxonomy">Unknown term' in response.content.decode()


def test_the_preview_renders_markdown_and_flags_blame(resolved, signed_in):
    ref = resolved().reference
    response = signed_in.post(
        f"/incidents/{ref}/postmortem/preview",
        {"text": "**Bold** move: we should have waited"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "<strong>Bold</strong>" in body and "counterfactual" in body


def test_review_buttons_move_the_postmortem(resolved, signed_in, client, manager):
    ref = resolved().reference
    signed_in.post(f"/incidents/{ref}/postmortem/start")
    signed_in.post(
        f"/incidents/{ref}/postmortem/edit", {"part": "taxonomy", "taxonomy": "MISSING_TEST"}
    )
    signed_in.post(
        f"/incidents/{ref}/postmortem/review", {"status": "in_review", "reviewers": "manny"}
    )
    client.force_login(manager)
    client.post(f"/incidents/{ref}/postmortem/review", {"status": "published"})
    assert Postmortem.objects.get().status == "published"


def test_export_downloads_markdown_and_html(resolved, signed_in):
    ref = resolved().reference
    signed_in.post(f"/incidents/{ref}/postmortem/start")
    md = signed_in.get(f"/incidents/{ref}/postmortem/export?format=markdown")
    assert md["Content-Type"].startswith("text/markdown") and b"# Postmortem" in md.content
    html = signed_in.get(f"/incidents/{ref}/postmortem/export?format=html")
    assert html["Content-Disposition"].endswith('-postmortem.html"') and b"<style>" in html.content


def test_a_viewer_sees_no_edit_forms_and_cannot_start(resolved, client, viewer):
    ref = resolved().reference
    client.force_login(viewer)
    page = client.get(f"/incidents/{ref}/postmortem").content.decode()
    assert "Start the postmortem" not in page
    response = client.post(f"/incidents/{ref}/postmortem/start")
    assert response.status_code == 403 and not Postmortem.objects.exists()


def test_a_published_postmortem_is_shown_read_only(resolved, signed_in, client, manager):
    ref = resolved().reference
    signed_in.post(f"/incidents/{ref}/postmortem/start")
    signed_in.post(
        f"/incidents/{ref}/postmortem/edit", {"part": "section", "key": "lessons", "text": "*Lag*"}
    )
    signed_in.post(
        f"/incidents/{ref}/postmortem/edit", {"part": "taxonomy", "taxonomy": "MISSING_TEST"}
    )
    signed_in.post(
        f"/incidents/{ref}/postmortem/review", {"status": "in_review", "reviewers": "manny"}
    )
    client.force_login(manager)
    client.post(f"/incidents/{ref}/postmortem/review", {"status": "published"})
    page = client.get(f"/incidents/{ref}/postmortem").content.decode()
    assert "<em>Lag</em>" in page and "Published" in page
    assert 'name="text"' not in page and 'name="taxonomy"' not in page  # no editors left
