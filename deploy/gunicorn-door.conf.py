"""gunicorn for the waiting room's door pool (teeka/door_wsgi.py,
deploy/systemd/teeka-door@.service), beside each web node.

The door answers waiting pages (a Redis script and a page from a skeleton:
no Django handler, no database) and hands everyone else to Django's workers
through nginx. A few sync workers are plenty: each page takes well under a
millisecond, and they keep the waiting pages from queueing behind the
journeys in the web node's workers.
"""

import os

bind = os.environ.get("TEEKA_DOOR_BIND", "127.0.0.1:8100")
workers = int(os.environ.get("TEEKA_DOOR_WORKERS", 2))
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
