"""The admin's lists at 10,000,000 registrations (docs/performance.md,
"Lists"): the fully vaccinated newest first (reg_fully_vaccinated, which the
status filter finds through the new check that fully vaccinated means both
doses), and a block or town newest first (reg_area_registered, in place of
reg_area_locality: a village is found by district and village in
reg_district_person). Built concurrently on PostgreSQL and the check
validated without stopping writes, like reg_registered: on a live table of
millions of people a plain CREATE INDEX or ADD CONSTRAINT would stop
registrations and allotting for as long as it takes."""

from django.db import migrations, models

TABLE = "registrations_registration"
INDEXES = {
    "reg_fully_vaccinated": f"{TABLE} (registered_at) WHERE doses_received = 2",
    "reg_area_registered": f"{TABLE} (area_id, registered_at)",
}
CHECK = "fully_vaccinated_had_two_doses"
NEW = [
    models.Index(
        condition=models.Q(doses_received=2), fields=["registered_at"], name="reg_fully_vaccinated"
    ),
    models.Index(fields=["area", "registered_at"], name="reg_area_registered"),
]
OLD = models.Index(fields=["area", "locality"], name="reg_area_locality")
CONSTRAINT = models.CheckConstraint(
    condition=models.Q(("status", "completed"), _negated=True) | models.Q(doses_received=2),
    name=CHECK,
)


def forward(apps, schema_editor) -> None:
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS reg_area_locality")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [CHECK])
        if cursor.fetchone() is None:
            # NOT VALID takes the table's lock for a moment; VALIDATE then
            # reads every row while registrations and allotting go on.
            cursor.execute(
                f"ALTER TABLE {TABLE} ADD CONSTRAINT {CHECK}"
                " CHECK (status <> 'completed' OR doses_received = 2) NOT VALID"
            )
        cursor.execute(f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT {CHECK}")


def backward(apps, schema_editor) -> None:
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS reg_area_locality"
        f" ON {TABLE} (area_id, locality_id)"
    )
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {CHECK}")


class ConcurrentlyOnPostgreSQL(migrations.SeparateDatabaseAndState):
    """The database_operations on PostgreSQL; on SQLite (`make run`, a small
    database) the state_operations' own plain statements."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        for operation in self.state_operations:
            after = from_state.clone()
            operation.state_forwards(app_label, after)
            operation.database_forwards(app_label, schema_editor, from_state, after)
            from_state = after

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        states = [to_state]
        for operation in self.state_operations:
            states.append(states[-1].clone())
            operation.state_forwards(app_label, states[-1])
        for index in reversed(range(len(self.state_operations))):
            self.state_operations[index].database_backwards(
                app_label, schema_editor, states[index + 1], states[index]
            )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("registrations", "0019_import_reading"),
    ]

    operations = [
        ConcurrentlyOnPostgreSQL(
            state_operations=[
                migrations.RemoveIndex(model_name="registration", name=OLD.name),
                *(migrations.AddIndex(model_name="registration", index=index) for index in NEW),
                migrations.AddConstraint(model_name="registration", constraint=CONSTRAINT),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
