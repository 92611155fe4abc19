"""Database helpers that Django's ORM does not offer."""

import functools
import logging
import random
import time
from collections.abc import Callable

from django.db import OperationalError, connection, migrations

logger = logging.getLogger(__name__)

# PostgreSQL's deadlock_detected and serialization_failure: the transaction
# was rolled back and may simply be run again.
CONFLICTS = {"40P01", "40001"}
CONFLICT_TRIES = 4


def is_conflict(error: Exception) -> bool:
    return getattr(getattr(error, "__cause__", None), "pgcode", None) in CONFLICTS


def retry_on_conflict(*, give_up: Callable[[], Exception]) -> Callable[[Callable], Callable]:
    """Runs a service's transaction again (up to CONFLICT_TRIES times, after
    a short random pause) when PostgreSQL rolled it back for a deadlock or a
    serialization failure; then raises give_up(), a refusal the caller shows
    as a message. Inside a caller's transaction it only re-raises: that
    transaction is lost, and the outermost service retries the whole."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for attempt in range(1, CONFLICT_TRIES + 1):
                try:
                    return function(*args, **kwargs)
                except OperationalError as error:
                    if not is_conflict(error) or connection.in_atomic_block:
                        raise
                    logger.warning("%s: %s, try %d", function.__name__, error, attempt)
                    if attempt == CONFLICT_TRIES:
                        raise give_up() from error
                    time.sleep(random.uniform(0.005, 0.05) * attempt)

        return wrapper

    return decorate


class CompositeForeignKey(migrations.operations.base.Operation):
    """A multi-column foreign key, so that e.g. a registration's area must lie in
    its district: (area_id, district_id) references area (id, district_id).

    Django 5.2 has no composite foreign keys, so this is plain SQL. It is applied
    on PostgreSQL only; the embedded SQLite default relies on the forms and
    services, which check the same thing.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(
        self, *, model_name: str, fields: list[str], to: str, to_fields: list[str], name: str
    ):
        self.model_name = model_name
        self.fields = fields
        self.to = to
        self.to_fields = to_fields
        self.name = name

    def state_forwards(self, app_label, state):
        pass

    def _tables(self, app_label, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        target = to_state.apps.get_model(*self.to.split("."))
        cols = [model._meta.get_field(f).column for f in self.fields]
        to_cols = [target._meta.get_field(f).column for f in self.to_fields]
        return model._meta.db_table, cols, target._meta.db_table, to_cols

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table, cols, to_table, to_cols = self._tables(app_label, to_state)
        q = schema_editor.quote_name
        schema_editor.execute(
            f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(self.name)} "
            f"FOREIGN KEY ({', '.join(map(q, cols))}) "
            f"REFERENCES {q(to_table)} ({', '.join(map(q, to_cols))})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = from_state.apps.get_model(app_label, self.model_name)._meta.db_table
        q = schema_editor.quote_name
        schema_editor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(self.name)}")

    def describe(self) -> str:
        return f"Composite foreign key {self.name}"

    def deconstruct(self):
        kwargs = {
            "model_name": self.model_name,
            "fields": self.fields,
            "to": self.to,
            "to_fields": self.to_fields,
            "name": self.name,
        }
        return self.__class__.__qualname__, [], kwargs
