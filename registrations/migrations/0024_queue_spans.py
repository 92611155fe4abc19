import importlib

from django.db import migrations, models

# The plain place (in the block or town and in the district) is summed from
# counts whose rows do not multiply as the queue fills: at 10,000,000
# registrations every (day, ration card, ...) row of the blocks' days is
# there, and the place statement read 100 pages where it read 25 at 100,000
# (docs/performance.md, the status page). registrations_queuespan keeps, in
# one table, without the ration card:
#   - each block's or town's weeks (span 10080 minutes, `day` the Monday),
#   - each district's weeks, days (1440) and ten minutes (10, `minute` the
#     minute of the day it starts), `area_id` NULL;
# by dose, priority group and (a second dose) vaccine and day of the first. A
# first dose is due for everyone, so its rows keep no vaccine (the seed has
# people waiting for a first dose with a vaccine set, which split them in two).
# A place is then the weeks ahead, the days of the person's week before theirs,
# the hours (block) or ten minutes (district) of their day before theirs, and
# the people of their own hour or ten minutes counted along the queue index.
#
# It replaces the districts' days (registrations_districtqueueday), and the
# blocks' hours lose their index by district, which only the district's place
# read: the trigger keeps three grouped upserts, in the same order (blocks'
# days, blocks' hours, spans), each in key order.
DAY_KEY = (
    "area_id, district_id, doses_received, priority, day, ration_card,"
    " last_vaccine, last_dose_date"
)
HOUR_KEY = (
    "area_id, district_id, doses_received, priority, day, hour, ration_card,"
    " last_vaccine, last_dose_date"
)
SPAN_KEY = (
    "district_id, area_id, doses_received, span, priority, day, minute,"
    " last_vaccine, last_dose_date"
)
CONFLICT = {
    "registrations_queueday": (
        "area_id, doses_received, priority, day, ration_card, last_vaccine, last_dose_date"
    ),
    "registrations_queuehour": (
        "area_id, doses_received, priority, day, hour, ration_card, last_vaccine, last_dose_date"
    ),
}
WEEK, DAY, TEN_MINUTES = 10080, 1440, 10

ROWS = """
    SELECT area_id, district_id, doses_received, priority,
        (queue_at AT TIME ZONE 'UTC')::date AS day,
        extract(hour FROM queue_at AT TIME ZONE 'UTC')::smallint AS hour,
        ration_card, last_vaccine, last_dose_date, {n} AS n
    FROM {table} WHERE status = 'waiting' AND doses_received < 2
"""
NEW, OLD = ROWS.format(n=1, table="new_rows"), ROWS.format(n=-1, table="old_rows")
SPAN_ROWS = """
    SELECT area_id, district_id, doses_received, priority,
        (queue_at AT TIME ZONE 'UTC')::date AS day,
        date_trunc('week', queue_at AT TIME ZONE 'UTC')::date AS week,
        (extract(hour FROM queue_at AT TIME ZONE 'UTC')::int * 60
         + extract(minute FROM queue_at AT TIME ZONE 'UTC')::int / 10 * 10)::smallint AS minute,
        CASE WHEN doses_received = 0 THEN '' ELSE last_vaccine END AS last_vaccine,
        CASE WHEN doses_received = 0 THEN NULL ELSE last_dose_date END AS last_dose_date,
        {n} AS n
    FROM {table} WHERE status = 'waiting' AND doses_received < 2
"""
SPAN_NEW = SPAN_ROWS.format(n=1, table="new_rows")
SPAN_OLD = SPAN_ROWS.format(n=-1, table="old_rows")
ALL = SPAN_ROWS.format(n=1, table="registrations_registration")

# Each waiting person counts in four rows: their block's week, their
# district's week, day and ten minutes.
SPANS = f"""
    SELECT district_id, area_id, doses_received, {WEEK} AS span, priority, week AS day,
        0 AS minute, last_vaccine, last_dose_date, n FROM changes
    UNION ALL SELECT district_id, NULL, doses_received, {WEEK}, priority, week,
        0, last_vaccine, last_dose_date, n FROM changes
    UNION ALL SELECT district_id, NULL, doses_received, {DAY}, priority, day,
        0, last_vaccine, last_dose_date, n FROM changes
    UNION ALL SELECT district_id, NULL, doses_received, {TEN_MINUTES}, priority, day,
        minute, last_vaccine, last_dose_date, n FROM changes
"""


def _changes(table: str, key: str, rows: str) -> str:
    return f"""
    INSERT INTO {table} AS q ({key}, waiting)
    SELECT {key}, sum(n) FROM ({rows}) AS changes
    GROUP BY {key}
    HAVING sum(n) <> 0
    ORDER BY {key}
    ON CONFLICT ({CONFLICT[table]}) DO UPDATE SET waiting = q.waiting + EXCLUDED.waiting;
"""


def _span_changes(rows: str) -> str:
    return f"""
    WITH changes AS ({rows})
    INSERT INTO registrations_queuespan AS q ({SPAN_KEY}, waiting)
    SELECT {SPAN_KEY}, sum(n) FROM ({SPANS}) AS spans
    GROUP BY {SPAN_KEY}
    HAVING sum(n) <> 0
    ORDER BY {SPAN_KEY}
    ON CONFLICT ({SPAN_KEY}) DO UPDATE SET waiting = q.waiting + EXCLUDED.waiting;
"""


def _counted(rows: str, span_rows: str) -> str:
    return (
        _changes("registrations_queueday", DAY_KEY, rows)
        + _changes("registrations_queuehour", HOUR_KEY, rows)
        + _span_changes(span_rows)
    )


FUNCTION = f"""
CREATE OR REPLACE FUNCTION registrations_count_queue_days() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_counted(NEW, SPAN_NEW)}
    ELSIF TG_OP = 'UPDATE' THEN
        {_counted(NEW + " UNION ALL " + OLD, SPAN_NEW + " UNION ALL " + SPAN_OLD)}
    ELSE
        {_counted(OLD, SPAN_OLD)}
    END IF;
    RETURN NULL;
END
$$;
"""
FILL = f"""
INSERT INTO registrations_queuespan ({SPAN_KEY}, waiting)
WITH changes AS MATERIALIZED ({ALL})
SELECT {SPAN_KEY}, sum(n) FROM ({SPANS}) AS spans GROUP BY {SPAN_KEY};
"""
# As 0023, for the new table: vacuumed once a thousand rows changed.
SOON = (
    "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,"
    " autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000"
)
FORWARD = FUNCTION + FILL + f"ALTER TABLE registrations_queuespan SET ({SOON});"

# Going back: 0022's function (three upserts, the districts' days among them),
# and the districts' days refilled from the blocks' days, as 0021 did.
_0022 = importlib.import_module("registrations.migrations.0022_queue_counts_by_ration_card")
BACKWARD = _0022._function(_0022.DAY_KEY, _0022.HOUR_KEY, _0022.CONFLICT)
DISTRICT_KEY = "district_id, doses_received, priority, day, last_vaccine, last_dose_date"
REFILL_DISTRICT_DAYS = f"""
INSERT INTO registrations_districtqueueday ({DISTRICT_KEY}, waiting)
SELECT {DISTRICT_KEY}, sum(waiting) FROM registrations_queueday
GROUP BY {DISTRICT_KEY}
HAVING sum(waiting) <> 0;
ALTER TABLE registrations_districtqueueday SET ({SOON});
"""

# Every writer of registrations is kept out from the first step until this
# commits (the new function is theirs then), and before the counts' tables are
# locked: a writer holds registrations before its counts, as here.
LOCK = "LOCK TABLE registrations_registration IN SHARE MODE;"


def _on_postgresql(sql: str):
    """Other databases (SQLite for `make run`) count the queue directly."""

    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def _noop(apps, schema_editor) -> None:
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0023_queue_counts_vacuumed_soon"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(LOCK), _on_postgresql(LOCK)),
        migrations.CreateModel(
            name="QueueSpan",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("district_id", models.IntegerField()),
                ("doses_received", models.PositiveSmallIntegerField()),
                ("priority", models.PositiveSmallIntegerField()),
                ("day", models.DateField()),
                ("last_vaccine", models.CharField(max_length=20)),
                ("last_dose_date", models.DateField(null=True)),
                ("waiting", models.IntegerField(default=0)),
                ("area_id", models.IntegerField(null=True)),
                ("span", models.PositiveSmallIntegerField()),
                ("minute", models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "district_id",
                            "area_id",
                            "doses_received",
                            "span",
                            "priority",
                            "day",
                            "minute",
                            "last_vaccine",
                            "last_dose_date",
                        ),
                        include=("waiting",),
                        name="queue_span_unique",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.RunPython(_noop, _on_postgresql(REFILL_DISTRICT_DAYS)),
        migrations.DeleteModel(name="DistrictQueueDay"),
        migrations.RemoveIndex(model_name="queuehour", name="queue_hour_district"),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
