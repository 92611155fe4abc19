#!/bin/bash
# Runs once, when docker-compose.yml's primary is first made: a user for the
# replica to stream with, and the line of pg_hba.conf that lets it.
set -e
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -c "CREATE ROLE replicator REPLICATION LOGIN PASSWORD 'replicator'"
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
