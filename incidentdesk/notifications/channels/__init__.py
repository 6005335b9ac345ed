"""Notification channel kinds, one folder each (`email/`, `webhook/`; chat and others add their
own): the class that sends a batch of deliveries, and what that kind adds to every message
(footers, headers, signatures). The protocol is in `base.py`; kinds are registered in
`notifications/apps.py` (the built-in ones) or by the app that brings them."""
