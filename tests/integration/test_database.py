"""`make test` runs the database tests twice: on SQLite, and with `--postgres` on a throwaway
PostgreSQL server through psycopg 3 (what DATABASE_URL=postgres://... gives in production)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.shared_db]


def test_the_run_uses_the_database_it_was_asked_for(request):
    expected = "postgresql" if request.config.getoption("--postgres") else "sqlite"
    assert connection.vendor == expected
    if expected == "postgresql":
        import psycopg

        assert connection.connection.__class__.__module__.startswith("psycopg")
        assert psycopg.__version__.startswith("3.")
