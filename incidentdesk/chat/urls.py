from django.urls import path

from incidentdesk.chat.views import slack

# Included under /chat/.
urlpatterns = [
    path("slack/events", slack.events, name="chat_slack_events"),
    path("slack/commands", slack.commands, name="chat_slack_commands"),
    path("slack/interactions", slack.interactions, name="chat_slack_interactions"),
]
