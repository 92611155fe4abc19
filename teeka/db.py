"""Database helpers that Django's ORM does not offer."""

from django.db import migrations


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
