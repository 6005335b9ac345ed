"""The search pages: /search and the similar incidents."""

urlpatterns: list = []
