from django.urls import path

from incidentdesk.chat import transcript_page
from incidentdesk.incidents import urls as _incident_urls  # noqa: F401  (registers `ref`)

# Included at the root, next to the incident's own pages.
urlpatterns = [
    path(
        "incidents/<ref:reference>/transcript",
        transcript_page.transcript,
        name="chat_transcript",
    ),
]
