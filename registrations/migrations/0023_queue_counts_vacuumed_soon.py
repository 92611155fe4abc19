from django.db import migrations

# The queue's counts are read from their indexes alone (an index-only scan)
# only where vacuum has marked their pages all-visible; every change to a
# count (each registration, each allotting batch: thousands of rows) clears
# that mark on its page, and the status page's place statement then reads
# the table's page for each row it sums (943 pages instead of 39 at 1,000,000
# registrations, docs/performance.md). By default autovacuum waits for a
# fifth of a table to change (autovacuum_vacuum_scale_factor 0.2), or for a
# fifth to be inserted: for these small, busy tables that is hours of pages
# read twice. So: vacuum once a thousand rows changed or were added, whatever
# the table's size. A vacuum reads only the pages changed since the last one
# (the visibility map) and skips the indexes when few rows died, so once a
# naptime (a minute by default) is cheap for tables this size. Their
# updates are never HOT (the count is in an index), so fillfactor would not
# help and stays as it is.
TABLES = (
    "registrations_queueday",
    "registrations_queuehour",
    "registrations_districtqueueday",
)
SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "1000",
    "autovacuum_vacuum_insert_scale_factor": "0",
    "autovacuum_vacuum_insert_threshold": "1000",
}
FORWARD = "".join(
    f"ALTER TABLE {table} SET ({', '.join(f'{k} = {v}' for k, v in SETTINGS.items())});"
    for table in TABLES
)
BACKWARD = "".join(f"ALTER TABLE {table} RESET ({', '.join(SETTINGS)});" for table in TABLES)


def _on_postgresql(sql: str):
    """SQLite (`make run`) has no autovacuum and no such settings."""

    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0022_queue_counts_by_ration_card"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
