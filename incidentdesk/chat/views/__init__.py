"""The chat platforms' HTTP doors. Each platform's endpoints are in its own module
(`slack.py`); what they share, from the raw request to the acknowledgement, is `inbound.py`."""
