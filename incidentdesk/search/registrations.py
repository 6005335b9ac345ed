"""What the search domain registers with the domains below it, called from SearchConfig.ready().

Each part adds its own line here: the full-text index, similar incidents."""


def register() -> None:
    from incidentdesk.search import index_upkeep

    index_upkeep.register()
    from incidentdesk.search import similar_views

    similar_views.register()
