"""Which days of which districts changed since the last refresh of the
summaries, written by the database itself (triggers), so that a refresh
recounts only those (dashboard.summaries.refresh).

Triggers rather than application code: the allocator, imports and check-in
write these tables in raw SQL as well as through the ORM, and a trigger sees
every one of them. They are statement-level with transition tables: the
allocator's batch of 20,000 people costs one INSERT of its few distinct
(day, district) pairs, a registration one single-row INSERT. A change is
visible to a refresh only once its transaction has committed, so none is
lost between a refresh reading the changes and counting.

The day of a registration is its India date (settings.TIME_ZONE, as the
summaries' TruncDate); the table has no index and no key: a refresh takes
all its rows at once.
"""

from django.conf import settings
from django.db import migrations

ZONE = settings.TIME_ZONE.replace("'", "")

FUNCTIONS = f"""
CREATE TABLE dashboard_change (day date NOT NULL, district_id integer NOT NULL);

-- A registration counts on the day it registered, in its district; its
-- appointments count under its priority group and gender too.
CREATE FUNCTION dashboard_registration_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO dashboard_change
        SELECT DISTINCT (registered_at AT TIME ZONE '{ZONE}')::date, district_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO dashboard_change
        SELECT DISTINCT (registered_at AT TIME ZONE '{ZONE}')::date, district_id FROM old_rows;
    ELSE
        INSERT INTO dashboard_change
        SELECT (registered_at AT TIME ZONE '{ZONE}')::date, district_id FROM old_rows
        UNION
        SELECT (registered_at AT TIME ZONE '{ZONE}')::date, district_id FROM new_rows
        UNION
        -- A new priority group or gender moves the person's appointments.
        SELECT s.date, s.district_id
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        JOIN slots_appointment a ON a.registration_id = o.id
        JOIN slots_session s ON s.id = a.session_id
        WHERE n.priority <> o.priority OR n.gender <> o.gender;
    END IF;
    RETURN NULL;
END $$;

-- An appointment counts on its session's day, in the session's district.
CREATE FUNCTION dashboard_appointment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO dashboard_change
        SELECT DISTINCT s.date, s.district_id
        FROM (SELECT DISTINCT session_id FROM new_rows) a JOIN slots_session s ON s.id = a.session_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO dashboard_change
        SELECT DISTINCT s.date, s.district_id
        FROM (SELECT DISTINCT session_id FROM old_rows) a JOIN slots_session s ON s.id = a.session_id;
    END IF;
    RETURN NULL;
END $$;

-- A session moved to another day, district or centre (so perhaps another
-- block) moves its appointments: its old and its new day and district.
CREATE FUNCTION dashboard_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_change
    SELECT o.date, o.district_id FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.date, o.district_id, o.centre_id) IS DISTINCT FROM (n.date, n.district_id, n.centre_id)
    UNION
    SELECT n.date, n.district_id FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.date, o.district_id, o.centre_id) IS DISTINCT FROM (n.date, n.district_id, n.centre_id);
    RETURN NULL;
END $$;

-- A centre moved to another block: every day of its sessions.
CREATE FUNCTION dashboard_centre_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_change
    SELECT DISTINCT s.date, s.district_id
    FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.area_id <> o.area_id
    JOIN slots_session s ON s.centre_id = o.id;
    RETURN NULL;
END $$;
"""


def _triggers(table: str, function: str, events: tuple[str, ...]) -> str:
    transition = {
        "INSERT": "NEW TABLE AS new_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
    }
    return "".join(
        f"CREATE TRIGGER dashboard_{table}_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING {transition[event]} FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
        for event in events
    )


ALL = ("INSERT", "UPDATE", "DELETE")
FORWARD = (
    FUNCTIONS
    + _triggers("registrations_registration", "dashboard_registration_changed", ALL)
    + _triggers("slots_appointment", "dashboard_appointment_changed", ALL)
    + _triggers("slots_session", "dashboard_session_changed", ("UPDATE",))
    + _triggers("slots_centre", "dashboard_centre_changed", ("UPDATE",))
)

BACKWARD = """
DROP TRIGGER dashboard_registrations_registration_insert ON registrations_registration;
DROP TRIGGER dashboard_registrations_registration_update ON registrations_registration;
DROP TRIGGER dashboard_registrations_registration_delete ON registrations_registration;
DROP TRIGGER dashboard_slots_appointment_insert ON slots_appointment;
DROP TRIGGER dashboard_slots_appointment_update ON slots_appointment;
DROP TRIGGER dashboard_slots_appointment_delete ON slots_appointment;
DROP TRIGGER dashboard_slots_session_update ON slots_session;
DROP TRIGGER dashboard_slots_centre_update ON slots_centre;
DROP FUNCTION dashboard_registration_changed, dashboard_appointment_changed,
    dashboard_session_changed, dashboard_centre_changed;
DROP TABLE dashboard_change;
"""


def forward(apps, schema_editor) -> None:
    # PostgreSQL only; the embedded SQLite recounts everything each time.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("registrations", "0013_ration_card"),
        ("slots", "0013_appointment_share_of"),
    ]

    operations = [migrations.RunPython(forward, backward)]
