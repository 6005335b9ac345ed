import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.config.settings")
django_application = get_wsgi_application()

from incidentdesk.statuspage.views.public import serve_public_documents  # noqa: E402

# Rendered public documents (status page, v2 JSON, feeds) are answered before Django's
# middleware; everything else goes through Django as usual.
application = serve_public_documents(django_application)
