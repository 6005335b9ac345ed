import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_set_status
from incidentdesk.postmortems import services
from tests.conftest import is_transactional


@pytest.fixture(autouse=True)
def _built_in_terms_and_templates(request):
    """Transactional tests flush the tables, data migrations' rows included: put the built-in
    taxonomy terms and templates back for them."""
    if is_transactional(request):
        from incidentdesk.postmortems.defaults import (
            ensure_built_in_templates,
            ensure_built_in_terms,
        )
        from incidentdesk.postmortems.models import PostmortemTemplate, TaxonomyTerm

        request.getfixturevalue("transactional_db")
        ensure_built_in_terms(TaxonomyTerm)
        ensure_built_in_templates(PostmortemTemplate)


@pytest.fixture
def resolved(declare, responder):
    """A resolved major incident, ready for its postmortem."""

    def make(**fields):
        incident = declare(**fields)
        return incident_set_status(
            actor=responder, source=ActionSource.WEB, incident=incident, status="resolved"
        )

    return make


@pytest.fixture
def started(resolved, responder):
    """A draft postmortem of a resolved incident."""

    def make(**fields):
        return services.postmortem_start(
            actor=responder, source=ActionSource.WEB, incident=resolved(**fields)
        )

    return make
