"""The status page's views: public.py (the public site, served from memory), team.py (the
team's /statuspage/ screens and the incident page's panel writes), subscribe.py (subscribing and
confirming), subscribers.py (the admins' subscriber list), docs.py (public documentation)."""
