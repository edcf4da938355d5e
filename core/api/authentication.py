"""Token authentication: DRF's, with each token's user and permissions remembered for a few seconds.

Every API request needs the token's user and that user's permissions: two database queries,
which are most of what Django adds to an API read (and two network round trips each with a
database server). This process remembers both for `API_AUTH_CACHE_SECONDS` (5 by default), so a
client's stream of requests reads them once per interval. The trade-off: a deleted token, a
deactivated user or a permission taken away is honoured by other processes only once their entry
expires (at most that many seconds); in the process that made the change, at once, because any
change to tokens, users, groups or permissions empties this process's cache. 0 turns it off.
"""

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

MAX_ENTRIES = 10_000  # tokens remembered at once; past it the cache starts over


@dataclass(frozen=True)
class Principal:
    """A token's user as read from the database: its field values and its permissions."""

    fields: dict[str, Any]
    permissions: frozenset[str]
    expires: float  # time.monotonic()

    def user(self):
        """A fresh user object per request, so that no request sees another's changes to it."""
        user = get_user_model()(**self.fields)
        user._state.adding = False
        user._perm_cache = set(self.permissions)  # what ModelBackend caches per request
        return user


_principals: dict[str, Principal] = {}


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        principal = _principals.get(key)
        if principal is None or principal.expires <= time.monotonic():
            principal = _read_principal(key)
        return principal.user(), key  # request.auth: the token's key


def _read_principal(key: str) -> Principal:
    """The token's user and permissions from the database (DRF's errors when there is none)."""
    user = next(iter(get_user_model().objects.raw(token_user_sql(), [key])), None)
    if user is None:
        raise exceptions.AuthenticationFailed(_("Invalid token."))
    if not user.is_active:
        raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
    principal = Principal(
        fields={field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields},
        permissions=frozenset(user.get_all_permissions()),
        expires=time.monotonic() + settings.API_AUTH_CACHE_SECONDS,
    )
    if settings.API_AUTH_CACHE_SECONDS > 0:
        if len(_principals) >= MAX_ENTRIES:
            _principals.clear()
        _principals[key] = principal
    return principal


def forget_principals(**kwargs) -> None:
    _principals.clear()


@cache
def token_user_sql() -> str:
    """The user of the token given as the one parameter, every column read, in one hand-written
    query: DRF's ORM query for the same row takes 0.25 ms on SQLite, mostly in building it."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    user_key = Token._meta.get_field("user")
    columns = ", ".join(f"u.{quote(field.column)}" for field in user_model._meta.concrete_fields)
    # Identifiers from the models, quoted; the only value is a query parameter.
    return (
        f"SELECT {columns} FROM {quote(Token._meta.db_table)} t"  # noqa: S608
        f" JOIN {quote(user_model._meta.db_table)} u"
        f" ON u.{quote(user_model._meta.pk.column)} = t.{quote(user_key.column)}"
        f" WHERE t.{quote(Token._meta.pk.column)} = %s"
    )


def connect_signals() -> None:
    """Any change to who may do what empties the cache (called from CoreConfig.ready)."""
    user_model = get_user_model()
    for model in (Token, user_model, Group, Permission):
        post_save.connect(forget_principals, sender=model, dispatch_uid=f"forget-principals-save-{model.__name__}")
        post_delete.connect(forget_principals, sender=model, dispatch_uid=f"forget-principals-delete-{model.__name__}")
    for through in (
        user_model.user_permissions.through,
        user_model.groups.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(forget_principals, sender=through, dispatch_uid=f"forget-principals-m2m-{through.__name__}")
