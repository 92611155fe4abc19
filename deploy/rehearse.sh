#!/usr/bin/env bash
# The production topology on one machine, from Debian's packages, under load
# and under faults; then it stops everything it started.
#
#   apt-get install nginx-light pgbouncer redis-sentinel openssl gettext-base \
#       postgresql   # (PostgreSQL's server binaries; the system cluster is not used)
#   make venv && deploy/rehearse.sh            # as root (the servers run as postgres/nobody)
#
# What runs, all on 127.0.0.1, in a temporary directory, on ports from
# REHEARSAL_PORT_BASE (7400) up:
#   nginx (deploy/nginx/teeka.conf, TLS with a self-signed certificate)
#     -> two gunicorn web nodes (deploy/gunicorn.conf.py)
#     -> two waiting room door pools beside them (deploy/gunicorn-door.conf.py)
#   two Celery workers (worker1, worker2) and one beat
#   PgBouncer (deploy/pgbouncer/pgbouncer.ini, session mode)
#     -> PostgreSQL primary (deploy/postgresql/primary.conf, WAL archived)
#     -> a streaming replica made with pg_basebackup (deploy/postgresql/replica.conf)
#   Redis master and two replicas (deploy/redis/redis.conf), three Sentinels
#
# Then deploy/rehearse_load.py drives citizens and an official through nginx
# for REHEARSAL_SECONDS (200) while this script, in turn: stops web node 1
# (SIGTERM, as systemd does) and starts it again; kills worker 1 (SIGKILL) in
# the middle of an allocation run and starts it again; kills the Redis master
# and times until the application answers again through the new one; pauses
# the replica's replay until it lags past TEEKA_REPLICA_MAX_LAG_SECONDS and
# checks that the dashboard's reads went to the primary, then resumes it.
# Finally it allots what is left, checks the allotment with SQL, runs the
# restore drill (deploy/restore-drill.sh) against the base backup and the WAL
# archive, and prints
#   RESULT requests=<n> errors=<n> lost_registrations=<n> allotted_exact=<yes|no>
#          redis_failover_s=<n> replica_fallback=<yes|no>
# The system PostgreSQL (5432) and Redis (6379) are not touched.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
BASE="${REHEARSAL_PORT_BASE:-7400}"
SECONDS_OF_LOAD="${REHEARSAL_SECONDS:-200}"
REGISTRATIONS="${REHEARSAL_REGISTRATIONS:-30000}"
PG_PRIMARY=$((BASE + 32)) PG_REPLICA=$((BASE + 33)) PGB=$((BASE + 34))
REDIS=($((BASE + 79)) $((BASE + 80)) $((BASE + 81)))
SENTINEL=($((BASE + 91)) $((BASE + 92)) $((BASE + 93)))
WEB=($((BASE + 1)) $((BASE + 2)))
DOOR=($((BASE + 3)) $((BASE + 4)))
HTTPS=$((BASE + 43)) HTTP=$((BASE + 44))
MAX_LAG=10
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

for tool in "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$PG_BIN/pg_basebackup" nginx pgbouncer \
    redis-server redis-sentinel redis-cli openssl envsubst psql runuser; do
  command -v "$tool" >/dev/null || { echo "missing $tool: see the apt-get line at the top" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root: the servers are started as postgres and nobody" >&2; exit 2; }
for port in "$PG_PRIMARY" "$PG_REPLICA" "$PGB" "${REDIS[@]}" "${SENTINEL[@]}" "${WEB[@]}" "${DOOR[@]}" "$HTTPS" "$HTTP"; do
  if ss -Hltn "sport = :$port" | grep -q .; then echo "port $port is taken: set REHEARSAL_PORT_BASE" >&2; exit 2; fi
done

T="$(mktemp -d /tmp/teeka-rehearsal.XXXXXX)"
chmod 755 "$T"
mkdir -p "$T"/{pg,archive,backups,redis,nginx,var,logs,prom1,prom2}
chown postgres "$T"/{pg,archive,backups,redis,logs}
PIDS=()
log() { printf '%s %s\n' "$(date -u +%T)" "$*"; }
as_pg() { runuser -u postgres -- "$@"; }
# setpriv, unlike runuser, execs: the process started is the server itself
# (so its pid is the one to kill). Not a function: start_bg must run a command.
AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups)
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- Stopping everything, whatever happens ---------------------------------------
stop_all() {
  set +e
  log "stopping everything this rehearsal started"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  sleep 3
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for dir in "$T/pg/primary" "$T/pg/replica" "$T/pg/restored"; do
    [ -f "$dir/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1
  done
  [ -f "$T/pg/pgbouncer.pid" ] && kill "$(cat "$T/pg/pgbouncer.pid")" 2>/dev/null
  for port in "${SENTINEL[@]}" "${REDIS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" -a "$REDIS_PASSWORD" --no-auth-warning shutdown nosave >/dev/null 2>&1
  done
  sleep 1
  if [ -n "${KEEP_REHEARSAL_DIR:-}" ]; then log "kept $T"; else rm -rf "$T"; fi
}
REDIS_PASSWORD="$(openssl rand -hex 16)"
trap stop_all EXIT

start_bg() {  # name, command...: runs it in the background, logs to $T/logs/name.log
  # (an external command, not a function, so that $! is the process itself)
  local name="$1"; shift
  "$@" >"$T/logs/$name.log" 2>&1 &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}
wait_for() {  # seconds, description, command...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "timed out waiting for $what" >&2; return 1; }
    sleep 0.2
  done
}

# --- PostgreSQL: primary, base backup, replica --------------------------------------
log "PostgreSQL primary on $PG_PRIMARY"
as_pg "$PG_BIN/initdb" -D "$T/pg/primary" -U postgres -A trust -N >/dev/null
# deploy/postgresql/primary.conf, then what differs on one shared machine.
cat >>"$T/pg/primary/postgresql.conf" <<EOF
include '$ROOT/deploy/postgresql/primary.conf'
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY
unix_socket_directories = '$T/pg'
max_connections = 100
shared_buffers = 128MB
effective_cache_size = 512MB
maintenance_work_mem = 64MB
max_wal_size = 1GB
min_wal_size = 80MB
wal_keep_size = 256MB
archive_command = 'test ! -f $T/archive/%f && cp %p $T/archive/%f'
archive_timeout = 30
EOF
echo "host replication postgres 127.0.0.1/32 trust" >>"$T/pg/primary/pg_hba.conf"
as_pg "$PG_BIN/pg_ctl" -D "$T/pg/primary" -l "$T/logs/pg-primary.log" -w start >/dev/null
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
"${PSQL[@]}" -p "$PG_PRIMARY" -c "CREATE DATABASE teeka"

# --- Redis: a master, two replicas, three Sentinels -----------------------------------
log "Redis on ${REDIS[*]}, Sentinels on ${SENTINEL[*]}"
for i in 0 1 2; do
  mkdir -p "$T/redis/$i"
  sed -e "s/^bind .*/bind 127.0.0.1/" -e "s/^port .*/port ${REDIS[$i]}/" \
      -e "s/CHANGE-ME/$REDIS_PASSWORD/" -e "s/^maxmemory .*/maxmemory 256mb/" \
      "$ROOT/deploy/redis/redis.conf" >"$T/redis/$i/redis.conf"
  printf 'dir %s\nappendfilename "appendonly.aof"\n' "$T/redis/$i" >>"$T/redis/$i/redis.conf"
  [ "$i" = 0 ] || echo "replicaof 127.0.0.1 ${REDIS[0]}" >>"$T/redis/$i/redis.conf"
  chown -R postgres "$T/redis/$i"
  start_bg "redis$i" "${AS_PG[@]}" redis-server "$T/redis/$i/redis.conf"
done
for i in 0 1 2; do
  sed -e "s/^bind .*/bind 127.0.0.1/" -e "s/^port .*/port ${SENTINEL[$i]}/" \
      -e "s/^sentinel monitor teeka .*/sentinel monitor teeka 127.0.0.1 ${REDIS[0]} 2/" \
      -e "s/CHANGE-ME/$REDIS_PASSWORD/" \
      "$ROOT/deploy/redis/sentinel.conf" >"$T/redis/sentinel$i.conf"
  echo "dir $T/redis" >>"$T/redis/sentinel$i.conf"
  chown postgres "$T/redis/sentinel$i.conf"
  start_bg "sentinel$i" "${AS_PG[@]}" redis-sentinel "$T/redis/sentinel$i.conf"
done
rcli() { redis-cli -h 127.0.0.1 -a "$REDIS_PASSWORD" --no-auth-warning "$@"; }
master_port() { redis-cli -h 127.0.0.1 -p "${SENTINEL[0]}" sentinel get-master-addr-by-name teeka | tail -1; }
wait_for 30 "Redis replicas in sync" bash -c \
  "[ \"\$(redis-cli -h 127.0.0.1 -p ${REDIS[0]} -a $REDIS_PASSWORD --no-auth-warning info replication | grep -c 'state=online')\" = 2 ]"
wait_for 30 "Sentinels to see the master" bash -c "[ \"\$(redis-cli -h 127.0.0.1 -p ${SENTINEL[0]} sentinel get-master-addr-by-name teeka | tail -1)\" = ${REDIS[0]} ]"

# --- The application's environment (deploy/teeka.env.example, for this machine) ------
export DEBUG=false SECRET_KEY="$(openssl rand -hex 32)" ID_HASH_KEY="$(openssl rand -hex 16)"
export ALLOWED_HOSTS=127.0.0.1,localhost CSRF_TRUSTED_ORIGINS="https://127.0.0.1:$HTTPS"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGB/teeka" DB_CONN_MAX_AGE=60
export REPLICA_DATABASE_URL="postgres://postgres@127.0.0.1:$PGB/teeka_replica"
export TEEKA_REPLICA_MAX_LAG_SECONDS=$MAX_LAG TEEKA_REPLICA_CHECK_SECONDS=2
export REDIS_URL="redis://:$REDIS_PASSWORD@teeka/0"
export REDIS_SENTINELS="127.0.0.1:${SENTINEL[0]},127.0.0.1:${SENTINEL[1]},127.0.0.1:${SENTINEL[2]}"
export REDIS_SENTINEL_MASTER=teeka TEEKA_PROXY_COUNT=1
export TEEKA_METRICS_TOKEN="$(openssl rand -hex 24)"
export TEEKA_VAR_DIR="$T/var" SMS_FILE_PATH="$T/var/sms-outbox.jsonl"
# The big allocation starts when the rehearsal says (fault 2), not on beat.
export ALLOCATE_EVERY_MINUTES=60 DASHBOARD_REFRESH_MINUTES=1 LOG_LEVEL=WARNING
# Many citizens behind one address (this machine): the per-address code limits.
export TEEKA_OTP_IP_SENDS=1000000 TEEKA_OTP_IP_TRIES=1000000
export PYTHONPATH="$ROOT"
manage() { (cd "$ROOT" && "$PY" manage.py "$@"); }

# --- PgBouncer (deploy/pgbouncer/pgbouncer.ini with this machine's addresses) ---------
log "PgBouncer on $PGB"
sed -e "s/host=10.0.1.10 port=5432/host=127.0.0.1 port=$PG_PRIMARY/" \
    -e "s/host=10.0.1.11 port=5432/host=127.0.0.1 port=$PG_REPLICA/" \
    -e "s/^listen_addr = .*/listen_addr = 127.0.0.1/" -e "s/^listen_port = .*/listen_port = $PGB/" \
    -e "s|^unix_socket_dir = .*|unix_socket_dir =|" -e "s/^auth_type = .*/auth_type = trust/" \
    -e "s|^auth_file = .*|auth_file = $T/userlist.txt|" -e "s/^default_pool_size = .*/default_pool_size = 20/" \
    "$ROOT/deploy/pgbouncer/pgbouncer.ini" >"$T/pgbouncer.ini"
printf 'logfile = %s\npidfile = %s\n' "$T/logs/pgbouncer.log" "$T/pg/pgbouncer.pid" >>"$T/pgbouncer.ini"
echo '"postgres" ""' >"$T/userlist.txt"
chown postgres "$T/pgbouncer.ini" "$T/userlist.txt"
as_pg pgbouncer -d "$T/pgbouncer.ini"

# --- Schema, reference data, demo data, static files -----------------------------------
log "migrate, geography, $REGISTRATIONS demo registrations"
manage migrate --noinput >/dev/null
manage load_geography >/dev/null
manage seed_demo --registrations "$REGISTRATIONS" --seed 18 --days 7
manage collectstatic --noinput >/dev/null
manage write_error_pages >/dev/null
STAFF_PASSWORD="$(openssl rand -hex 12)"
DJANGO_SUPERUSER_PASSWORD="$STAFF_PASSWORD" manage createsuperuser --noinput \
  --username rehearsal-state --email ops@example.invalid >/dev/null
"${PSQL[@]}" -p "$PG_PRIMARY" -d teeka -c "SELECT a.district_id || '|' || a.id || '|' || min(l.id)
  FROM districts_area a JOIN districts_locality l ON l.area_id = a.id
  GROUP BY a.district_id, a.id ORDER BY a.id LIMIT 60" >"$T/places.txt"

log "base backup (WAL archived since)"
as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY" -U postgres -D "$T/backups/base" \
  -Ft -z -X stream -c fast
log "streaming replica on $PG_REPLICA (pg_basebackup -R)"
as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY" -U postgres -D "$T/pg/replica" \
  -R -X stream -C -S rehearsal_replica -c fast
cat >>"$T/pg/replica/postgresql.conf" <<EOF
include '$ROOT/deploy/postgresql/replica.conf'
port = $PG_REPLICA
shared_buffers = 128MB
effective_cache_size = 512MB
archive_mode = off
EOF
as_pg "$PG_BIN/pg_ctl" -D "$T/pg/replica" -l "$T/logs/pg-replica.log" -w start >/dev/null
replica_sql() { "${PSQL[@]}" -p "$PG_REPLICA" -d teeka -c "$1"; }
primary_sql() { "${PSQL[@]}" -p "$PG_PRIMARY" -d teeka -c "$1"; }
wait_for 60 "the replica to stream" bash -c "[ \"\$(psql -h 127.0.0.1 -U postgres -p $PG_REPLICA -d teeka -qtAc 'SELECT count(*) FROM pg_stat_wal_receiver')\" = 1 ]"

# --- Web nodes, workers, beat, nginx ----------------------------------------------------
start_web() {  # 1 or 2
  local i="$1" port="${WEB[$(($1 - 1))]}"
  rm -rf "$T/prom$i" && mkdir -p "$T/prom$i"
  start_bg "web$i" env TEEKA_BIND="127.0.0.1:$port" PROMETHEUS_MULTIPROC_DIR="$T/prom$i" \
    TEEKA_WEB_WORKERS=2 "$ROOT/.venv/bin/gunicorn" teeka.wsgi -c "$ROOT/deploy/gunicorn.conf.py" \
    --chdir "$ROOT"
}
start_worker() {  # 1 or 2; PGAPPNAME names its database sessions, to find it by its lock
  start_bg "worker$1" env PGAPPNAME="teeka-worker$1" "$ROOT/.venv/bin/celery" -A teeka \
    --workdir "$ROOT" worker --hostname="worker$1@%h" --concurrency=1 --loglevel=INFO \
    --without-mingle --without-gossip
}
start_door() {  # 1 or 2: the waiting room's door beside web node 1 or 2
  start_bg "door$1" env TEEKA_DOOR_BIND="127.0.0.1:${DOOR[$(($1 - 1))]}" \
    "$ROOT/.venv/bin/gunicorn" teeka.door_wsgi -c "$ROOT/deploy/gunicorn-door.conf.py" --chdir "$ROOT"
}
log "web nodes on ${WEB[*]}, doors on ${DOOR[*]}, two workers, one beat"
start_web 1; start_web 2
start_door 1; start_door 2
start_worker 1; start_worker 2
start_bg beat "$ROOT/.venv/bin/celery" -A teeka --workdir "$ROOT" beat --loglevel=INFO \
  --schedule="$T/var/celerybeat-schedule"
for port in "${WEB[@]}"; do
  wait_for 60 "web node $port" curl -fsS --max-time 5 -H "X-Forwarded-Proto: https" "http://127.0.0.1:$port/healthz"
done

log "nginx on https://127.0.0.1:$HTTPS (self-signed)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/nginx/tls.key" -out "$T/nginx/tls.crt" 2>/dev/null
cp "$ROOT/deploy/nginx/teeka-proxy.conf" "$T/nginx/"
TEEKA_SERVER_NAME=127.0.0.1 TEEKA_HTTP_PORT="127.0.0.1:$HTTP" TEEKA_HTTPS_PORT="127.0.0.1:$HTTPS" \
TEEKA_WEB_1="127.0.0.1:${WEB[0]}" TEEKA_WEB_2="127.0.0.1:${WEB[1]}" \
TEEKA_DOOR_1="127.0.0.1:${DOOR[0]}" TEEKA_DOOR_2="127.0.0.1:${DOOR[1]}" \
TEEKA_STATIC_ROOT="$T/var/static" TEEKA_TLS_CERT="$T/nginx/tls.crt" TEEKA_TLS_KEY="$T/nginx/tls.key" \
TEEKA_NGINX_DIR="$T/nginx" TEEKA_OPERATORS_NET=127.0.0.1 TEEKA_RATE_PAGES=200r/s TEEKA_RATE_POSTS=100r/s \
  envsubst '$TEEKA_SERVER_NAME $TEEKA_HTTP_PORT $TEEKA_HTTPS_PORT $TEEKA_WEB_1 $TEEKA_WEB_2 $TEEKA_DOOR_1 $TEEKA_DOOR_2
    $TEEKA_STATIC_ROOT $TEEKA_TLS_CERT $TEEKA_TLS_KEY $TEEKA_NGINX_DIR $TEEKA_OPERATORS_NET
    $TEEKA_RATE_PAGES $TEEKA_RATE_POSTS' <"$ROOT/deploy/nginx/teeka.conf" >"$T/nginx/teeka.conf"
cat >"$T/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/logs/nginx-error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log $T/logs/nginx-access.log;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    include $T/nginx/teeka.conf;
}
EOF
nginx -t -c "$T/nginx/nginx.conf" -p "$T/nginx" 2>"$T/logs/nginx-test.log" || { cat "$T/logs/nginx-test.log"; exit 1; }
start_bg nginx nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -g "daemon off;"
CURL=(curl -sS --max-time 5 --cacert "$T/nginx/tls.crt")
wait_for 20 "nginx" "${CURL[@]}" -f "https://127.0.0.1:$HTTPS/healthz"
metrics() {  # database, why: the sum over both web nodes of the replica pages counter
  local total=0 port n
  for port in "${WEB[@]}"; do
    n=$(curl -s --max-time 5 -H "X-Forwarded-Proto: https" -H "Authorization: Bearer $TEEKA_METRICS_TOKEN" \
      "http://127.0.0.1:$port/metrics" | awk -v db="$1" \
      -v why="$2" '$1 ~ "^teeka_replica_pages_total" && $1 ~ "database=\"" db "\"" \
        && $1 ~ "why=\"" why "\"" {s += $2} END {printf "%d", s}')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}

# --- Load, and the faults ------------------------------------------------------------------
log "load for $SECONDS_OF_LOAD s through nginx"
start_bg load "$PY" "$ROOT/deploy/rehearse_load.py" --url "https://127.0.0.1:$HTTPS" \
  --ca "$T/nginx/tls.crt" --sms-file "$SMS_FILE_PATH" --places "$T/places.txt" \
  --seconds "$SECONDS_OF_LOAD" --staff-password "$STAFF_PASSWORD" --out "$T/load.json"
LOAD_STARTED=$(date +%s)
at() { local wait=$((LOAD_STARTED + $1 - $(date +%s))); [ "$wait" -le 0 ] || sleep "$wait"; }

at 20
log "fault 1: web node 1 stopped (SIGTERM: requests in flight finish)"
kill -TERM "$PID_web1"; wait "$PID_web1" 2>/dev/null || true
at 40
log "web node 1 started again"
start_web 1

at 50
log "fault 2: allocation for every district; worker 1 killed (SIGKILL) while it holds one"
(cd "$ROOT" && "$ROOT/.venv/bin/celery" -A teeka call slots.tasks.allocate_all_districts >/dev/null)
KILLED_MID_RUN=no
for _ in $(seq 300); do
  held=$(primary_sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
    WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'teeka-worker1'")
  if [ "$held" -gt 0 ]; then
    pkill -KILL -P "$PID_worker1"; kill -KILL "$PID_worker1"; KILLED_MID_RUN=yes; break
  fi
  sleep 0.2
done
log "worker 1 killed mid-run: $KILLED_MID_RUN"
sleep 5
log "worker 1 started again (as systemd's Restart=always would)"
start_worker 1

at 80
log "fault 3: the Redis master (${REDIS[0]}) killed"
OLD_MASTER=$(master_port)
KILLED_AT=$(date +%s.%N)
kill -KILL "$PID_redis0"  # the server itself (setpriv execs)
wait_for 60 "a new master" bash -c "[ \"\$(redis-cli -h 127.0.0.1 -p ${SENTINEL[0]} sentinel get-master-addr-by-name teeka | tail -1)\" != $OLD_MASTER ]"
PROMOTED_AT=$(date +%s.%N)
# The new master takes writes once a replica follows it (min-replicas-to-write).
wait_for 60 "a write on the new master" bash -c "redis-cli -h 127.0.0.1 -p \$(redis-cli -h 127.0.0.1 -p ${SENTINEL[0]} sentinel get-master-addr-by-name teeka | tail -1) -a $REDIS_PASSWORD --no-auth-warning set rehearsal:failover 1 | grep -q OK"
WRITABLE_AT=$(date +%s.%N)
wait_for 60 "the application on the new master" "${CURL[@]}" -f "https://127.0.0.1:$HTTPS/healthz"
FOLLOWED_AT=$(date +%s.%N)
REDIS_FAILOVER_S=$(elapsed "$KILLED_AT" "$FOLLOWED_AT")
log "new master $(master_port) named after $(elapsed "$KILLED_AT" "$PROMOTED_AT") s, writable after $(elapsed "$KILLED_AT" "$WRITABLE_AT") s; the application answered through it after $REDIS_FAILOVER_S s"
sleep 5
log "the old master started again (Sentinel makes it a replica)"
start_bg redis0b "${AS_PG[@]}" redis-server "$T/redis/0/redis.conf"

at 115
log "fault 4: the replica's replay paused until it lags more than $MAX_LAG s"
BEFORE_REPLICA=$(metrics replica fresh)
replica_sql "SELECT pg_wal_replay_pause()" >/dev/null
wait_for 60 "replica lag" bash -c "[ \"\$(psql -h 127.0.0.1 -U postgres -p $PG_REPLICA -d teeka -qtAc \
  \"SELECT coalesce(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0) > $((MAX_LAG + 3))\")\" = t ]"
LAGGING_REPLICA=$(metrics replica fresh) LAGGING_PRIMARY=$(metrics default lagging)
sleep 12
LAGGED_REPLICA=$(metrics replica fresh) LAGGED_PRIMARY=$(metrics default lagging)
replica_sql "SELECT pg_wal_replay_resume()" >/dev/null
log "while lagging: replica reads $LAGGING_REPLICA -> $LAGGED_REPLICA, primary reads $LAGGING_PRIMARY -> $LAGGED_PRIMARY"
sleep 12
BACK_REPLICA=$(metrics replica fresh)
log "after catching up: replica reads $LAGGED_REPLICA -> $BACK_REPLICA (before the pause: $BEFORE_REPLICA)"
REPLICA_FALLBACK=no
if [ "$BEFORE_REPLICA" -gt 0 ] && [ "$LAGGED_REPLICA" = "$LAGGING_REPLICA" ] \
   && [ "$LAGGED_PRIMARY" -gt "$LAGGING_PRIMARY" ] && [ "$BACK_REPLICA" -gt "$LAGGED_REPLICA" ]; then
  REPLICA_FALLBACK=yes
fi

log "waiting for the load to end"
wait "$PID_load" || true

# --- What came of it -------------------------------------------------------------------------
log "final allocation (through the workers, on the new Redis master)"
(cd "$ROOT" && "$ROOT/.venv/bin/celery" -A teeka call slots.tasks.allocate_all_districts >/dev/null)
busy() {  # an allocation run holds a district, or tasks wait in the queue
  [ "$(primary_sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" != 0 ] ||
    [ "$(rcli -p "$(master_port)" llen celery)" != 0 ]
}
quiet=0
for _ in $(seq 300); do  # settled: nothing running or waiting for 5 s in a row
  if busy; then quiet=0; else quiet=$((quiet + 1)); fi
  [ "$quiet" -ge 5 ] && break
  sleep 1
done
LEFT=$(manage allocate --dry-run | awk '$1 == "total" {print $2}')
EXACT_SQL=$(primary_sql "
  SELECT (SELECT count(*) FROM slots_session WHERE booked > capacity)
       + (SELECT count(*) FROM slots_session s WHERE booked <> (SELECT count(*) FROM slots_appointment a
            WHERE a.session_id = s.id AND a.status IN ('booked', 'attended')))
       + (SELECT count(*) FROM (SELECT registration_id, dose FROM slots_appointment
            WHERE status IN ('booked', 'attended') GROUP BY 1, 2 HAVING count(*) > 1) twice)
       + (SELECT count(*) FROM registrations_registration r WHERE r.status = 'allotted'
            AND NOT EXISTS (SELECT 1 FROM slots_appointment a WHERE a.registration_id = r.id
            AND a.status = 'booked'))")
ALLOTTED=$(primary_sql "SELECT count(*) FROM slots_appointment WHERE status = 'booked'")
log "allotted $ALLOTTED; a dry run would allot $LEFT more; SQL found $EXACT_SQL broken rules"
ALLOTTED_EXACT=no
[ "$LEFT" = 0 ] && [ "$EXACT_SQL" = 0 ] && [ "$KILLED_MID_RUN" = yes ] && ALLOTTED_EXACT=yes

"$PY" - "$T/load.json" >"$T/names.txt" <<'EOF'
import json, sys
print("\n".join(json.load(open(sys.argv[1]))["registered"]))
EOF
LOST=$("${PSQL[@]}" -p "$PG_PRIMARY" -d teeka <<EOF
CREATE TEMP TABLE confirmed (name text);
\copy confirmed FROM '$T/names.txt'
SELECT count(*) FROM confirmed c
 WHERE NOT EXISTS (SELECT 1 FROM registrations_registration r WHERE r.name = c.name);
EOF
)
read -r REQUESTS ERRORS CONFIRMED < <("$PY" -c "
import json; r = json.load(open('$T/load.json'))
print(r['requests'], r['errors'], len(r['registered']))")
"$PY" -c "
import collections, json; r = json.load(open('$T/load.json'))
for (what, detail), n in collections.Counter((e[1], e[2][:40]) for e in r['error_list']).most_common(8):
    print(f'  error: {n} x {what}: {detail}')
for e in r['error_list'][:5]: print('  first errors at', e)"
log "$CONFIRMED registrations confirmed to citizens, $LOST of them not in the database"

# --- Restore drill: point in time, into a fresh cluster ------------------------------------
log "restore drill: counts now, then a mistake, then a restore to before it"
kill -TERM "$PID_beat" "$PID_worker1" "$PID_worker2" 2>/dev/null || true  # quiet, for exact counts
wait "$PID_beat" "$PID_worker1" "$PID_worker2" 2>/dev/null || true
COUNTS=$(primary_sql "SELECT 'registrations_registration=' || (SELECT count(*) FROM registrations_registration)
  || ',slots_appointment=' || (SELECT count(*) FROM slots_appointment)
  || ',teeka_outboundsms=' || (SELECT count(*) FROM teeka_outboundsms)")
TARGET=$(primary_sql "SELECT clock_timestamp()")
sleep 2
primary_sql "DELETE FROM teeka_outboundsms" >/dev/null  # the mistake
# The segment holding the mistake is closed, and archived before the drill.
LAST_WAL=$(primary_sql "SELECT pg_walfile_name(pg_switch_wal())")
wait_for 120 "the WAL archive" test -f "$T/archive/$LAST_WAL"
RESTORE=no
if "$ROOT/deploy/restore-drill.sh" --base "$T/backups/base" --archive "$T/archive" \
    --target-time "$TARGET" --expect "$COUNTS" --workdir "$T/pg/restored" --port $((BASE + 35)); then
  RESTORE=yes
fi

echo
echo "RESULT requests=$REQUESTS errors=$ERRORS lost_registrations=$LOST allotted_exact=$ALLOTTED_EXACT redis_failover_s=$REDIS_FAILOVER_S replica_fallback=$REPLICA_FALLBACK"
echo "(restore drill: $RESTORE; last WAL $LAST_WAL; worker killed mid-run: $KILLED_MID_RUN)"
