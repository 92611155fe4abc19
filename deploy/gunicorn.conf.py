"""gunicorn for a Teeka web node (deploy/systemd/teeka-web@.service).

Sync workers, 2 x cores + 1, as gunicorn advises and benchmarks/registration.py
measured (docs/performance.md), behind nginx, which buffers slow phones.
"""

import multiprocessing
import os

bind = os.environ.get("TEEKA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TEEKA_WEB_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
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
