from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "incidentdesk.postmortems"
    label = "postmortems"
