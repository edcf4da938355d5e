"""Findings carried through the admin's forms, signed: the preview and the repair act on exactly
the item state the scan saw, and a tampered or stale form is refused. Each purpose signs with its
own salt, so a token made for one is refused as the other (a 400), never decoded as it."""

from django.core import signing

from core.errors import InvalidInput

from .findings import Finding

FINDING_SALT = "jobs.repairs.finding"
PLANS_SALT = "jobs.repairs.plans"
MAX_AGE = 3600  # seconds: an older list of findings must be scanned again


def finding_token(finding: Finding) -> str:
    return signing.dumps(finding.to_dict(), salt=FINDING_SALT, compress=True)


def finding_from_token(token: str) -> Finding:
    return Finding.from_dict(_load(token, FINDING_SALT))


def plans_token(confirmed: list[tuple[Finding, str]]) -> str:
    """What a confirmation page shows: each finding with the action its preview showed."""
    return signing.dumps([[finding.to_dict(), action] for finding, action in confirmed], salt=PLANS_SALT, compress=True)


def plans_from_token(token: str) -> list[tuple[Finding, str]]:
    return [(Finding.from_dict(data), action) for data, action in _load(token, PLANS_SALT)]


def _load(token: str, salt: str):
    try:
        return signing.loads(token, salt=salt, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidInput("These findings are more than an hour old: open Stale key repairs again.")
    except signing.BadSignature:
        raise InvalidInput("The form's findings were altered or are not from this site.")
