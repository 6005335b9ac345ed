from django.urls import path

from incidentdesk.chat.views import admin

# Included under /chat/ (the platforms' own endpoints are in urls.py).
urlpatterns = [
    path("", admin.chat_admin, name="chat_admin"),
    path("identities/<int:identity_id>/link", admin.identity_link, name="chat_identity_link"),
    path("identities/<int:identity_id>/unlink", admin.identity_unlink, name="chat_identity_unlink"),
    path("settings", admin.settings_update, name="chat_settings_update"),
]
