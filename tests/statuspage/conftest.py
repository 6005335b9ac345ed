import pytest

from incidentdesk.statuspage import public_site
from incidentdesk.statuspage.public_site import refresh_or_raise
from tests.statuspage.schemas.sample import build_page


@pytest.fixture
def page(manager):
    """The sample page, rendered, served by a document cache that starts and ends empty."""
    public_site.cache.reset()
    built = build_page(manager)
    refresh_or_raise()
    yield built
    public_site.cache.reset()
