"""The public status page: every address serves a document rendered when data changed.

Included last by config/urls.py, so internal pages (the dashboard, /incidents, and
/incidents/INC-… references) match first."""

from django.urls import path, re_path

from incidentdesk.statuspage.views.public import public_document

V2_FILES = (
    r"summary|status|components|incidents|incidents/unresolved"
    r"|scheduled-maintenances|scheduled-maintenances/upcoming|scheduled-maintenances/active"
)

urlpatterns = [
    path("", public_document, name="status_home"),
    path("history", public_document, name="status_history"),
    path("history/page/<int:number>", public_document, name="status_history_page"),
    path("history.atom", public_document, name="status_feed_atom"),
    path("history.rss", public_document, name="status_feed_rss"),
    re_path(r"^incidents/(?P<public_id>[a-z0-9]{1,16})$", public_document, name="status_incident"),
    re_path(rf"^api/v2/(?P<file>{V2_FILES})\.json$", public_document, name="status_api_v2"),
    # The summary again, where Statuspage consumers look: the page's base URL + index.json.
    path("index.json", public_document, name="status_index_json"),
    # The page's logo, when it has one (statuspage/appearance.py).
    re_path(r"^logo\.(?:png|jpg|webp)$", public_document, name="status_logo"),
    # Anything else under /api/v2/ gets a JSON 404, not the desk's page.
    re_path(r"^api/v2/", public_document),
]
