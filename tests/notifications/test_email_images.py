"""An image in a public message reaches subscribers' email as a link, never as an image, and
sending the email reads no file and fetches no URL."""

from incidentdesk.statuspage.services import publication_create
from tests.image_traps import (
    MARKDOWN_ELEMENTS,
    finishes_quickly,
    image_traps,
    raw_html,
    viewer_elements,
)
from tests.notifications.conftest import WEB


def _publish(message, declare, responder, capture_on_commit):
    """Publish `message` on the status page; subscribers' email is sent at commit."""
    with capture_on_commit(execute=True):
        publication_create(
            actor=responder,
            source=WEB,
            incident=declare(),
            name="Payments are failing",
            message=message,
            components={},
        )


def test_an_email_shows_an_image_as_a_link_to_it(
    tmp_path, smtp, subscribe, declare, responder, django_capture_on_commit_callbacks
):
    subscribe(email="ann@example.com")
    with image_traps(tmp_path) as traps:
        finishes_quickly(
            lambda: _publish(
                traps.markdown, declare, responder, django_capture_on_commit_callbacks
            ),
            traps.fifo,
        )
        [message] = smtp.updates("ann@example.com")
        text = message.get_content()
        assert "![" not in text
        assert "[users](/etc/passwd)" in text and f"[remote]({traps.url})" in text
        assert traps.requests == []


def test_an_email_gives_raw_html_as_text_and_loads_nothing(
    smtp, subscribe, declare, responder, django_capture_on_commit_callbacks
):
    subscribe(email="ann@example.com")
    url = "http://127.0.0.1:9/graph.png"
    _publish(raw_html(url), declare, responder, django_capture_on_commit_callbacks)
    [message] = smtp.updates("ann@example.com")
    text = message.get_content()
    assert viewer_elements(text) <= MARKDOWN_ELEMENTS
    assert f'\\<iframe src="{url}">' in text and "[passwd](file:///etc/passwd)" in text
