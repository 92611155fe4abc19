"""Sessions read from the cache (Redis) and kept in the database, which stay
up when Redis does not.

Django's cached_db store falls back to the database when a cache read fails,
then writes the cache without a guard, so a Redis outage turned every
signed-in page into an error. Here every cache call is guarded: a failure is
logged and the database answers.

One risk remains: a session ended (signed out) while Redis cannot be reached
stays in Redis. So a copy in the cache lives at most CACHE_SECONDS; an
active session is written back well within that (the idle keep-alive writes
about once a minute), and a miss costs one database read.
"""

import logging

from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore
from django.db import connections, router

logger = logging.getLogger(__name__)

# The longest a session signed out during a Redis outage can outlive it.
CACHE_SECONDS = 10 * 60


class SessionStore(CachedDbStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        # (key, data) as last written by this request, so that the
        # middleware's save after a view that saved already (sign-in writes
        # the session in the transaction that used the code) writes nothing.
        self._written: tuple[str, dict] | None = None

    def load(self) -> dict:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("session cache read failed; reading the database", exc_info=True)
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_set(data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key: str) -> bool:
        # Only asked whether a new random key is taken: the INSERT that
        # creates the session answers that itself (a taken key is a
        # CreateError, and create() draws another), so no query first.
        return False

    def cycle_key(self) -> None:
        """A new key for the same data (at sign-in): the session is written
        once, under its new key, at the next save (one INSERT; the sign-in
        saves it in the transaction that used the code), instead of created
        at once and written again at the end."""
        data, old_key = self._session, self.session_key
        self._session_key = None
        self._session_cache = data
        self.modified = True
        if old_key:
            self.delete(old_key)

    def save(self, must_create: bool = False) -> None:
        """One statement, in the caller's transaction if there is one (no
        savepoint): a new session's INSERT says itself whether its random key
        was taken."""
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        if not must_create and self._written == (self.session_key, data):
            return None
        row = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=row)
        if must_create:
            with connections[using].cursor() as cursor:
                cursor.execute(
                    "INSERT INTO django_session (session_key, session_data, expire_date)"
                    " VALUES (%s, %s, %s) ON CONFLICT (session_key) DO NOTHING",
                    [row.session_key, row.session_data, row.expire_date],
                )
                if cursor.rowcount != 1:
                    raise CreateError
        else:
            updated = (
                self.model.objects.using(using)
                .filter(session_key=row.session_key)
                .update(session_data=row.session_data, expire_date=row.expire_date)
            )
            if not updated:
                # Ended (signed out, expired) while this request ran.
                raise UpdateError
        self._written = (self.session_key, dict(data))
        # At once, even inside a transaction (a sign-in's): should it roll
        # back, the page fails and its cookie is never sent, so no one holds
        # the key of the copy, which expires by itself.
        self._cache_set(data, self.get_expiry_age())
        return None

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key is None:
            return
        # One written DELETE (Django's own reads the row first, then deletes
        # it; the ORM's delete() builds a collector and a statement each time).
        using = router.db_for_write(self.model)
        with connections[using].cursor() as cursor:
            cursor.execute("DELETE FROM django_session WHERE session_key = %s", [session_key])
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            logger.error("session cache delete failed; the copy expires by itself", exc_info=True)

    def _cache_set(self, data: dict, expiry_age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, min(expiry_age, CACHE_SECONDS))
        except Exception:
            logger.warning("session cache write failed", exc_info=True)
