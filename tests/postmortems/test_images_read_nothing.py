"""An image in incident or postmortem text is never read from a local path nor fetched from a
URL by the server, on any renderer: each becomes a link to where it lives."""

import pytest
from django.urls import reverse

from incidentdesk.core.markdown import images_as_links, render_markdown
from incidentdesk.core.sources import ActionSource
from incidentdesk.postmortems.services import postmortem_edit
from tests.image_traps import finishes_quickly, image_traps


@pytest.fixture
def traps(tmp_path):
    with image_traps(tmp_path) as traps:
        yield traps


@pytest.mark.parametrize("form", ["markdown", "html", "pdf"])
def test_a_postmortem_export_reads_no_image_from_the_server_or_a_url(
    form, traps, started, responder, client
):
    postmortem = postmortem_edit(
        actor=responder,
        source=ActionSource.WEB,
        postmortem=started(),
        sections={"summary": traps.markdown},
    ).postmortem
    client.force_login(responder)
    url = reverse("postmortem_export", args=[postmortem.incident.reference])
    response = finishes_quickly(lambda: client.get(url, {"format": form}), traps.fifo)
    assert response.status_code == 200
    assert traps.requests == []
    body = response.content
    if form == "pdf":
        assert b"/Subtype /Image" not in body
        # Each image is a link annotation to its address instead.
        assert b"/etc/passwd" in body and traps.url.encode() in body
    elif form == "html":
        assert b"<img" not in body
        assert b'href="/etc/passwd"' in body and f'href="{traps.url}"'.encode() in body
    else:
        text = body.decode()
        assert "![" not in text
        assert "[users](/etc/passwd)" in text and f"[remote]({traps.url})" in text


def test_pages_and_feeds_show_an_image_as_a_link_to_it(traps):
    html = finishes_quickly(lambda: str(render_markdown(traps.markdown)), traps.fifo)
    assert "<img" not in html
    assert '<a href="/etc/passwd" rel="noopener noreferrer">[users]</a>' in html
    assert f'<a href="{traps.url}" rel="noopener noreferrer">[remote]</a>' in html
    assert traps.requests == []


@pytest.mark.parametrize(
    ("markdown", "written"),
    [
        ("See ![the graph](https://g.example/1.png).", "See [the graph](https://g.example/1.png)."),
        ("![x][ref]\n\n[ref]: /etc/passwd", "[x][ref]\n\n[ref]: /etc/passwd"),
        ("**bold**![x](/a)", "**bold**[x](/a)"),
        # Not images: left exactly as written.
        ("`![code](/a)` and\n\n    ![block](/b)", "`![code](/a)` and\n\n    ![block](/b)"),
        ("\\![escaped](/a)", "\\![escaped](/a)"),
        ("Wow![", "Wow!["),
    ],
)
def test_markdown_keeps_its_text_but_writes_images_as_links(markdown, written):
    assert images_as_links(markdown) == written
