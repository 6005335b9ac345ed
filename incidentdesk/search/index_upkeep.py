"""After every `migrate` (and every test flush), the full-text index's triggers are checked:
SQLite rebuilds a table to alter it, which drops the triggers on it, so a later migration of
incidents or postmortems would silently stop the index from following writes. Missing pieces
are created again and the index rebuilt from the sources."""

import logging

from django.db import connections
from django.db.models.signals import post_migrate

from incidentdesk.search import index

logger = logging.getLogger(__name__)


def _repair(sender, using="default", **kwargs) -> None:
    connection = connections[using]
    if not index.supported(connection):
        return
    if index.install(connection):
        count = index.rebuild(connection)
        logger.warning("search: the index's triggers were missing; rebuilt %d rows", count)


def register() -> None:
    from django.apps import apps

    post_migrate.connect(
        _repair, sender=apps.get_app_config("search"), dispatch_uid="search.index_repair"
    )
