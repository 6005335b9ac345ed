import pytest

from incidentdesk.statuspage import public_site
from incidentdesk.statuspage.public_site import refresh_or_raise

# The real SMTP server and webhook receiver on loopback, and subscribing and publishing through
# the services: the notification engine's fixtures, shared by the subscribers' tests here.
from tests.notifications.conftest import (  # noqa: F401 - fixtures
    components,
    mail_settings,
    publish,
    receiver,
    smtp,
    subscribe,
)
from tests.statuspage.schemas.sample import build_page


@pytest.fixture
def page(manager):
    """The sample page, rendered, served by a document cache that starts and ends empty."""
    public_site.cache.reset()
    built = build_page(manager)
    refresh_or_raise()
    yield built
    public_site.cache.reset()
