"""Fixtures for the Matrix platform: one real Synapse for the session (tests/chat/synapse.py),
its users, and a `MatrixPlatform` acting as the bot.

A test module uses them with `pytest_plugins = ["tests.chat.matrix_fixtures"]`.
"""

import pytest

from incidentdesk.chat.platforms.matrix import MatrixPlatform
from tests.chat.synapse import MatrixWorld, running_synapse


@pytest.fixture(scope="session")
def synapse(tmp_path_factory) -> MatrixWorld:
    with running_synapse(tmp_path_factory.mktemp("synapse")) as server:
        yield MatrixWorld(
            server=server,
            bot=server.register("incidentbot"),
            alice=server.register("alice"),
            bob=server.register("bob"),
        )


@pytest.fixture
def matrix(synapse: MatrixWorld) -> MatrixPlatform:
    """The platform as the bot, with a reader of its own (nothing remembered between tests)."""
    return MatrixPlatform(
        homeserver_url=synapse.server.url, bot_user=synapse.bot.user_id, token=synapse.bot.token
    )
