from django.db import migrations, models

# The blocks' days and hours are counted by ration card as well, so a quota
# category's place (a category is a set of ration cards and priority groups,
# quotas/standing.py) is summed from them as the block's place is, instead of
# a walk along the block's queue with a heap read a person. The districts'
# days stay as they are: nobody's category place is by district.
#
# The trigger keeps its three grouped upserts, in the same order (blocks'
# days, blocks' hours, districts' days), each in key order: only the blocks'
# keys gain the card, so a statement's changes fall into more rows there (up
# to one per card), not into more statements.
DAY_KEY = (
    "area_id, district_id, doses_received, priority, day, ration_card,"
    " last_vaccine, last_dose_date"
)
HOUR_KEY = (
    "area_id, district_id, doses_received, priority, day, hour, ration_card,"
    " last_vaccine, last_dose_date"
)
DISTRICT_KEY = "district_id, doses_received, priority, day, last_vaccine, last_dose_date"
CONFLICT = {
    "registrations_queueday": (
        "area_id, doses_received, priority, day, ration_card, last_vaccine, last_dose_date"
    ),
    "registrations_queuehour": (
        "area_id, doses_received, priority, day, hour, ration_card, last_vaccine, last_dose_date"
    ),
    "registrations_districtqueueday": DISTRICT_KEY,
}
# 0021's keys, for going back.
OLD_DAY_KEY = "area_id, district_id, doses_received, priority, day, last_vaccine, last_dose_date"
OLD_HOUR_KEY = (
    "area_id, district_id, doses_received, priority, day, hour, last_vaccine, last_dose_date"
)
OLD_CONFLICT = {
    "registrations_queueday": (
        "area_id, doses_received, priority, day, last_vaccine, last_dose_date"
    ),
    "registrations_queuehour": (
        "area_id, doses_received, priority, day, hour, last_vaccine, last_dose_date"
    ),
    "registrations_districtqueueday": DISTRICT_KEY,
}

ROWS = """
    SELECT area_id, district_id, doses_received, priority,
        (queue_at AT TIME ZONE 'UTC')::date AS day,
        extract(hour FROM queue_at AT TIME ZONE 'UTC')::smallint AS hour,
        ration_card, last_vaccine, last_dose_date, {n} AS n
    FROM {table} WHERE status = 'waiting' AND doses_received < 2
"""
NEW, OLD = ROWS.format(n=1, table="new_rows"), ROWS.format(n=-1, table="old_rows")
ALL = ROWS.format(n=1, table="registrations_registration")


def _changes(table: str, key: str, rows: str, conflict: dict) -> str:
    return f"""
    INSERT INTO {table} AS q ({key}, waiting)
    SELECT {key}, sum(n) FROM ({rows}) AS changes
    GROUP BY {key}
    HAVING sum(n) <> 0
    ORDER BY {key}
    ON CONFLICT ({conflict[table]}) DO UPDATE SET waiting = q.waiting + EXCLUDED.waiting;
"""


def _function(day_key: str, hour_key: str, conflict: dict) -> str:
    tables = (
        ("registrations_queueday", day_key),
        ("registrations_queuehour", hour_key),
        ("registrations_districtqueueday", DISTRICT_KEY),
    )

    def changes(rows: str) -> str:
        return "".join(_changes(table, key, rows, conflict) for table, key in tables)

    return f"""
CREATE OR REPLACE FUNCTION registrations_count_queue_days() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {changes(NEW)}
    ELSIF TG_OP = 'UPDATE' THEN
        {changes(NEW + " UNION ALL " + OLD)}
    ELSE
        {changes(OLD)}
    END IF;
    RETURN NULL;
END
$$;
"""


def _fill(day_key: str, hour_key: str) -> str:
    """The blocks' days and hours counted afresh from the people waiting."""
    return f"""
TRUNCATE registrations_queueday, registrations_queuehour;
INSERT INTO registrations_queueday ({day_key}, waiting)
SELECT {day_key}, count(*) FROM ({ALL}) AS w GROUP BY {day_key};
INSERT INTO registrations_queuehour ({hour_key}, waiting)
SELECT {hour_key}, count(*) FROM ({ALL}) AS w GROUP BY {hour_key};
"""


# Every writer of registrations is kept out from the first step until this
# commits (the new function is theirs then), and before the counts' tables are
# locked: a writer holds registrations before its counts, as here.
LOCK = "LOCK TABLE registrations_registration IN SHARE MODE;"
FORWARD = _function(DAY_KEY, HOUR_KEY, CONFLICT) + _fill(DAY_KEY, HOUR_KEY)
# Going back: 0021's function, and the counts without the card once the
# column is gone (the last step undone).
BACKWARD = _function(OLD_DAY_KEY, OLD_HOUR_KEY, OLD_CONFLICT) + (
    "TRUNCATE registrations_queueday, registrations_queuehour;"
)
REFILL_WITHOUT_CARD = _fill(OLD_DAY_KEY, OLD_HOUR_KEY)


def _on_postgresql(sql: str):
    """Other databases (SQLite for `make run`) count the queue directly."""

    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def _noop(apps, schema_editor) -> None:
    pass


def _card() -> models.CharField:
    return models.CharField(default="", max_length=9)


def _day_key(*card: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=("area_id", "doses_received", "priority", "day", *card, "last_vaccine",
                "last_dose_date"),
        include=("waiting",),
        name="queue_day_unique",
        nulls_distinct=False,
    )


def _hour_key(*card: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=("area_id", "doses_received", "priority", "day", "hour", *card,
                "last_vaccine", "last_dose_date"),
        name="queue_hour_unique",
        nulls_distinct=False,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0021_district_queue_days"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(LOCK), _on_postgresql(LOCK)),
        migrations.RunPython(_noop, _on_postgresql(REFILL_WITHOUT_CARD)),
        migrations.AddField(model_name="queueday", name="ration_card", field=_card()),
        migrations.AddField(model_name="queuehour", name="ration_card", field=_card()),
        migrations.RemoveConstraint(model_name="queueday", name="queue_day_unique"),
        migrations.AddConstraint(model_name="queueday", constraint=_day_key("ration_card")),
        migrations.RemoveConstraint(model_name="queuehour", name="queue_hour_unique"),
        migrations.AddConstraint(model_name="queuehour", constraint=_hour_key("ration_card")),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
