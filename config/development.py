"""Development mode's signing key: random, made once per checkout and kept in a git-ignored file,
so that sessions and cursors survive a restart while no two checkouts share a key."""

import os
from pathlib import Path

from django.core.management.utils import get_random_secret_key


def development_secret_key(path: Path) -> str:
    if not path.exists():
        # Written whole under a name of its own, then linked into place: a process starting at the
        # same time sees either no file or a complete one, and every process keeps the first key.
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            file.write(get_random_secret_key())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
