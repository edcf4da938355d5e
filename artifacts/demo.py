"""Demo data for `manage.py seed_demo`."""


def seed() -> str:
    """Write the demo items; return a one-line summary."""
    return "no demo data yet"
