"""An image in a public message reaches subscribers' email as a link, never as an image, and
sending the email reads no file and fetches no URL."""

from incidentdesk.statuspage.services import publication_create
from tests.image_traps import finishes_quickly, image_traps
from tests.notifications.conftest import WEB


def test_an_email_shows_an_image_as_a_link_to_it(
    tmp_path, smtp, subscribe, declare, responder, django_capture_on_commit_callbacks
):
    subscribe(email="ann@example.com")
    with image_traps(tmp_path) as traps:

        def publish():
            with django_capture_on_commit_callbacks(execute=True):
                publication_create(
                    actor=responder,
                    source=WEB,
                    incident=declare(),
                    name="Payments are failing",
                    message=traps.markdown,
                    components={},
                )

        finishes_quickly(publish, traps.fifo)
        [message] = smtp.updates("ann@example.com")
        text = message.get_content()
        assert "![" not in text
        assert "[users](/etc/passwd)" in text and f"[remote]({traps.url})" in text
        assert traps.requests == []
