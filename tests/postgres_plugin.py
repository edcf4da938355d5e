"""`pytest --postgres`: the session's database on a throwaway PostgreSQL server.

pytest-django loads the settings, which read DATABASE_URL, before any conftest: so this plugin
(named in pyproject.toml's addopts) starts the server and sets the variable first, and stops the
server when pytest ends.
"""

import os

import pytest

from tests.servers import postgres_server

POSTGRES_URL = pytest.StashKey[str]()


def pytest_addoption(parser):
    parser.addoption(
        "--postgres",
        action="store_true",
        help="create the test database on a throwaway PostgreSQL server (`make test` runs `-m shared_db` so)",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    if early_config.known_args_namespace.postgres:
        server = postgres_server()
        url = server.__enter__()
        early_config.add_cleanup(lambda: server.__exit__(None, None, None))
        os.environ["DATABASE_URL"] = url
        early_config.stash[POSTGRES_URL] = url
    yield
