"""Findings carried through the admin's forms, signed: the preview and the repair act on exactly
the item state the scan saw, and a tampered or stale form is refused."""

from django.core import signing

from core.errors import InvalidInput

from .findings import Finding

SALT = "jobs.repairs"
MAX_AGE = 3600  # seconds: an older list of findings must be scanned again


def finding_token(finding: Finding) -> str:
    return signing.dumps(finding.to_dict(), salt=SALT, compress=True)


def finding_from_token(token: str) -> Finding:
    return Finding.from_dict(_load(token))


def plans_token(confirmed: list[tuple[Finding, str]]) -> str:
    """What a confirmation page shows: each finding with the action its preview showed."""
    return signing.dumps([[finding.to_dict(), action] for finding, action in confirmed], salt=SALT, compress=True)


def plans_from_token(token: str) -> list[tuple[Finding, str]]:
    return [(Finding.from_dict(data), action) for data, action in _load(token)]


def _load(token: str):
    try:
        return signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidInput("These findings are more than an hour old: open Stale key repairs again.")
    except signing.BadSignature:
        raise InvalidInput("The form's findings were altered or are not from this site.")
