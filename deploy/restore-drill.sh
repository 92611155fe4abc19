#!/usr/bin/env bash
# Restore drill: a base backup and the WAL archive, restored to a point in time
# into a fresh cluster, whose row counts are then checked. Run it on a spare
# machine every month, and after any change to backups.
#
#   deploy/restore-drill.sh --base DIR --archive DIR --target-time '2026-11-28 19:30:00+00' \
#       --expect 'registrations_registration=1234,slots_appointment=567' \
#       [--workdir DIR] [--port 7435] [--database teeka]
#
# --base is what `pg_basebackup -Ft -z` wrote (base.tar.gz, pg_wal.tar.gz);
# --archive is where the primary's archive_command copies WAL segments
# (deploy/postgresql/primary.conf). The restored cluster replays the archive up
# to --target-time, is promoted, answers the counts, and is stopped and removed
# (unless --keep). Prints RESTORE ok|FAILED and exits 0 only when every count
# matches. As root it runs PostgreSQL as the postgres user.
set -euo pipefail

PORT=7435 DATABASE=teeka WORKDIR="" KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base) BASE_DIR="$2"; shift 2 ;;
    --archive) ARCHIVE="$2"; shift 2 ;;
    --target-time) TARGET="$2"; shift 2 ;;
    --expect) EXPECT="$2"; shift 2 ;;
    --workdir) WORKDIR="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --database) DATABASE="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
WORKDIR="${WORKDIR:-$(mktemp -d /tmp/teeka-restore.XXXXXX)}"
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  [ -f "$WORKDIR/postmaster.pid" ] && run "$PG_BIN/pg_ctl" -D "$WORKDIR" -m fast stop >/dev/null 2>&1
  [ -n "$KEEP" ] || rm -rf "$WORKDIR"
}
trap cleanup EXIT

mkdir -p "$WORKDIR" && chmod 700 "$WORKDIR"
tar -xzf "$BASE_DIR/base.tar.gz" -C "$WORKDIR"
mkdir -p "$WORKDIR/pg_wal" && tar -xzf "$BASE_DIR/pg_wal.tar.gz" -C "$WORKDIR/pg_wal"
rm -f "$WORKDIR/postmaster.pid" "$WORKDIR/standby.signal"
[ "$(id -u)" = 0 ] && chown -R postgres "$WORKDIR"

# What the primary's configuration said is overridden: another port, no
# archiving of its own (it must not write into the primary's archive), and
# the recovery target.
cat >>"$WORKDIR/postgresql.auto.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORKDIR'
archive_mode = off
hot_standby = on
restore_command = 'cp $ARCHIVE/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
CONF
touch "$WORKDIR/recovery.signal"
[ "$(id -u)" = 0 ] && chown postgres "$WORKDIR/postgresql.auto.conf" "$WORKDIR/recovery.signal"

started=$(date +%s)
run "$PG_BIN/pg_ctl" -D "$WORKDIR" -l "$WORKDIR/restore.log" -w -t 600 start >/dev/null
sql() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d "$DATABASE" -qtAc "$1"; }
for _ in $(seq 600); do
  [ "$(sql 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
  sleep 1
done
echo "restored to $TARGET and promoted in $(($(date +%s) - started)) s"

ok=yes
IFS=',' read -ra pairs <<<"$EXPECT"
for pair in "${pairs[@]}"; do
  table="${pair%%=*}" expected="${pair#*=}"
  got=$(sql "SELECT count(*) FROM $table")
  if [ "$got" = "$expected" ]; then echo "  $table: $got rows, as expected"
  else echo "  $table: $got rows, expected $expected"; ok=no; fi
done
if [ "$ok" = yes ]; then echo "RESTORE ok"; else echo "RESTORE FAILED"; exit 1; fi
