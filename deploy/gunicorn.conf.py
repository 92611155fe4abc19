"""gunicorn for a Teeka web node (deploy/systemd/teeka-web@.service).

Sync workers, 2 x cores + 1, as gunicorn advises and benchmarks/registration.py
measured (docs/performance.md), behind nginx, which buffers slow phones.

TEEKA_WEB_THREADS above 1 runs that many threads in each worker (gthread).
On a node too small for a door pool of its own (docs/operations.md) the
workers answer the waiting room's pages, and with one thread a worker a
waiting page (a millisecond) queues behind the journeys' steps; with 4, the
overload benchmark's waiting pages came back 28 to 35% sooner. But each
request costs more CPU with threads: a journey took 43 ms of the workers'
CPU against 35, the journeys a second fell from 39.5 to 32.2 and their
slowest step's p95 rose from 115 to 206 ms (benchmarks/journey.py, the same
hour). Each thread keeps its own database connection: size PgBouncer's pool
for workers x threads.
"""

import multiprocessing
import os

bind = os.environ.get("TEEKA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TEEKA_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("TEEKA_WEB_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
# A threaded worker takes no more connections than it has threads: the
# others wait in the kernel's queue for whichever worker frees a thread
# first, not behind a busy worker. nginx opens a connection a request.
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
