"""Database helpers that Django's ORM does not offer."""

import functools
import logging
import random
import time
from collections.abc import Callable, Sequence

from django.db import OperationalError, connection, migrations
from django.db.models import Model

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


class Selected:
    """Rows of `model` with the rows of some of its foreign keys, as
    `select_related()` gives them, for a statement written out: on a
    citizen's page the ORM's building of a statement cost several times the
    statement's own running (0.7 ms of CPU of 1.1 for the account page's
    people, every time).

    `columns` is the select list: every column of the model, then of each
    related model (named `{fk: alias}`), each table under its alias; `tables`
    the FROM clause that joins them; `build(row)` makes the objects from a row (with
    the database's converters, as the ORM applies them) and returns the
    model's object and what the row has after those columns.
    """

    def __init__(self, model: type[Model], alias: str, related: dict[str, str] | None = None):
        self.model, self.alias, self.related = model, alias, related or {}
        self._statements: dict[str, str] = {}  # template -> statement

    @functools.cached_property
    def _parts(self) -> list[tuple[type[Model], str, str | None, list]]:
        parts = [(self.model, self.alias, None)]
        for name, alias in self.related.items():
            parts.append((self.model._meta.get_field(name).related_model, alias, name))
        return [
            (model, alias, name, list(model._meta.concrete_fields)) for model, alias, name in parts
        ]

    @functools.cached_property
    def columns(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(
            f"{alias}.{quote(field.column)}"
            for _, alias, _, fields in self._parts
            for field in fields
        )

    @functools.cached_property
    def tables(self) -> str:
        """The FROM clause: the model's table and each related one joined on
        its foreign key (an outer join where the key may be empty)."""
        quote = connection.ops.quote_name
        clause = f"{quote(self.model._meta.db_table)} {self.alias}"
        for name, alias in self.related.items():
            key = self.model._meta.get_field(name)
            join = "LEFT JOIN" if key.null else "JOIN"
            target = quote(key.target_field.column)
            clause += (
                f" {join} {quote(key.related_model._meta.db_table)} {alias}"
                f" ON {alias}.{target} = {self.alias}.{quote(key.column)}"
            )
        return clause

    @functools.cached_property
    def _converters(self) -> list[list[tuple[int, list, object]]]:
        """Per part, (index, converters, column) of each field that has any."""
        found = []
        for _, alias, _, fields in self._parts:
            part = []
            for index, field in enumerate(fields):
                column = field.get_col(alias)
                converters = connection.ops.get_db_converters(column)
                converters += field.get_db_converters(connection)
                if converters:
                    part.append((index, converters, column))
            found.append(part)
        return found

    def build(self, row: Sequence) -> tuple[Model, Sequence]:
        start, objects = 0, []
        for (model, _, name, fields), converters in zip(self._parts, self._converters, strict=True):
            values = list(row[start : start + len(fields)])
            start += len(fields)
            for index, functions, column in converters:
                for convert in functions:
                    values[index] = convert(values[index], column, connection)
            made = model.from_db(connection.alias, [f.attname for f in fields], values)
            if name is not None:
                # An empty key's outer join gives no row: None, as the ORM has it.
                related = made if made.pk is not None else None
                self.model._meta.get_field(name).set_cached_value(objects[0], related)
            objects.append(made)
        return objects[0], row[start:]

    def all(self, template: str, params: Sequence) -> list[tuple[Model, Sequence]]:
        """`build()` of every row of `template`, a statement whose select list
        starts with `{columns}` and whose FROM clause is `{tables}` (filled
        in once per template and process)."""
        sql = self._statements.get(template)
        if sql is None:
            sql = template.format(columns=self.columns, tables=self.tables)
            self._statements[template] = sql
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [self.build(row) for row in cursor.fetchall()]


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
