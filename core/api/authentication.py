"""Token authentication: DRF's own, with the token, its user and the user's permissions kept in
Django's cache (shared by every process when CACHE_URL names a Redis server).

Every API request needs the token's user and that user's permissions: three SQL queries through
DRF and Django's ModelBackend. A client's stream of requests reads them once: the token (with its
user, as DRF reads it) is stored after ModelBackend has answered the user's permissions, so the
copy read back answers permission checks from ModelBackend's own cache on that user object.

Any change to a token, a user, a group or a permission saved through Django, in any process,
replaces the cache's generation, at once and again when its transaction commits (so that no
process keeps what it read before the commit): every process then misses on its next request and
reads the database. API_AUTH_CACHE_SECONDS bounds what no signal announces (QuerySet.update(),
SQL run by hand).
"""

import hashlib
from uuid import uuid4

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from rest_framework import authentication
from rest_framework.authtoken.models import Token

GENERATION = "auth:generation"


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        entry = "auth:token:" + hashlib.sha256(key.encode()).hexdigest()  # no key in the cache's names
        found = cache.get_many([GENERATION, entry])
        generation = found.get(GENERATION) or _new_generation()
        cached = found.get(entry)
        if cached is not None and cached[0] == generation:
            token = cached[1]
        else:
            _, token = super().authenticate_credentials(key)
            token.user.get_all_permissions()  # read now, kept on the user object that is cached
            if settings.API_AUTH_CACHE_SECONDS > 0:
                cache.set(entry, (generation, token), settings.API_AUTH_CACHE_SECONDS)
        return token.user, token


def _new_generation() -> str:
    generation = uuid4().hex
    if not cache.add(GENERATION, generation, timeout=None):
        generation = cache.get(GENERATION) or generation
    return generation


def _replace_generation() -> None:
    cache.set(GENERATION, uuid4().hex, timeout=None)


def forget_tokens(action: str = "post", **_kwargs) -> None:
    """Every cached token is stale from now on, in every process sharing the cache."""
    if action.startswith("post"):  # m2m_changed also announces what it is about to do
        _replace_generation()
        transaction.on_commit(_replace_generation)


def connect_signals() -> None:
    """Called from CoreConfig.ready."""
    user_model = get_user_model()
    for model in (Token, user_model, Group, Permission):
        post_save.connect(forget_tokens, sender=model, dispatch_uid=f"forget-tokens-save-{model.__name__}")
        post_delete.connect(forget_tokens, sender=model, dispatch_uid=f"forget-tokens-delete-{model.__name__}")
    for through in (user_model.user_permissions.through, user_model.groups.through, Group.permissions.through):
        m2m_changed.connect(forget_tokens, sender=through, dispatch_uid=f"forget-tokens-m2m-{through.__name__}")
