"""gunicorn for a Teeka web node (deploy/systemd/teeka-web@.service).

2 x cores + 1 worker processes, as gunicorn advises, behind nginx, which
buffers slow phones. Each runs a few threads (gthread): on a node too small
for a door pool of its own (docs/operations.md), the workers answer the
waiting room's pages themselves, and with one thread a worker a waiting
page (a millisecond) queued behind the journeys' steps: 333 ms at p95 in
the overload benchmark's run 30 on two cores, where 50 are asked. With
threads it is answered beside them (docs/performance.md, "The waiting
room"). Each thread keeps its own database connection (DB_CONN_MAX_AGE):
PgBouncer's pool covers workers x threads of every node.
"""

import multiprocessing
import os

bind = os.environ.get("TEEKA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TEEKA_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("TEEKA_WEB_THREADS", 4))
# A worker takes no more connections than it has threads: the others wait in
# the kernel's queue for whichever worker frees a thread first, not behind a
# busy worker. nginx opens a connection a request (no keep-alive upstream).
worker_connections = threads
keepalive = 0
# A request that takes longer than this is stuck: the worker is replaced.
timeout = 60
# On SIGTERM, requests in flight get this long to finish (a node being
# stopped for an upgrade drops none); nginx sends new ones to the other nodes.
graceful_timeout = 30
# Replace each worker now and then, so that slow leaks never build up.
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
forwarded_allow_ips = os.environ.get("TEEKA_PROXY_ADDRESSES", "127.0.0.1")


def child_exit(server: object, worker: object) -> None:
    """A dead worker's live gauges leave Prometheus's shared files with it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
