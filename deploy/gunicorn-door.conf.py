"""gunicorn for the waiting room's door pool (teeka/door_wsgi.py,
deploy/systemd/teeka-door@.service), beside each web node.

The door answers waiting pages (a Redis script and a page from a skeleton:
no Django handler, no database) and hands everyone else to Django's workers
through nginx. Each page takes a millisecond or two of CPU, but on a web
node whose CPUs the journeys keep busy a worker can wait for a time slice
mid-page: in the overload benchmark on two cores, with 2 workers nginx saw
the door's pages take 588 ms at p95 (12 ms of the door's own), with 6, 194
ms (docs/performance.md).
"""

import os

bind = os.environ.get("TEEKA_DOOR_BIND", "127.0.0.1:8100")
workers = int(os.environ.get("TEEKA_DOOR_WORKERS", 6))
worker_class = "sync"
# A waiting page takes a millisecond; one that takes 10 s is stuck (a Redis
# that hangs is given up on long before: teeka.redis_breaker).
timeout = 10
graceful_timeout = 10
max_requests = 100000
max_requests_jitter = 10000
# nginx logs every request, the door's among them.
accesslog = None
forwarded_allow_ips = os.environ.get("TEEKA_PROXY_ADDRESSES", "127.0.0.1")
# No control socket: the web node's gunicorn on the same machine has the
# default path, and the door needs none (systemd restarts and reloads it).
control_socket_disable = True
