"""deploy/nginx's site, rendered for a run on one machine: an unprivileged
nginx with its own prefix, a throwaway TLS certificate, and Django's and the
door pool's gunicorns on local ports. Shared by the waiting room's nginx
tests and benchmarks/harness.py, so both run the site production runs.

    conf = write_site(tmp, http=..., https=..., web=..., door=...,
                      rates=("20r/s", "5r/s"))
    nginx -p tmp -c conf -g "daemon off;"
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# nginx's temporary files, each under the run's own folder (the defaults are
# the system's, which an unprivileged nginx may not write).
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def write_site(
    tmp: Path,
    *,
    http: int,
    https: int,
    web: int,
    door: int,
    rates: tuple[str, str],
    main: str = "error_log {tmp}/error.log;\nevents {{}}\n",
    logging: str = "access_log {tmp}/access.log;\n",
) -> Path:
    """Writes the certificate, deploy's site and an nginx.conf into `tmp` and
    returns the nginx.conf. `rates` are the pages' and the posts' limits per
    address; `main` and `logging` (formatted with `tmp`) are the main
    context's lines after the pid and the http context's logging."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-keyout", tmp / "tls.key", "-out", tmp / "tls.crt"],
        check=True, capture_output=True,
    )  # fmt: skip
    shutil.copy(ROOT / "deploy/nginx/teeka-proxy.conf", tmp)
    variables = {
        "TEEKA_SERVER_NAME": "127.0.0.1",
        "TEEKA_HTTP_PORT": f"127.0.0.1:{http}",
        "TEEKA_HTTPS_PORT": f"127.0.0.1:{https}",
        "TEEKA_WEB_1": f"127.0.0.1:{web}",
        "TEEKA_WEB_2": f"127.0.0.1:{web}",
        "TEEKA_DOOR_1": f"127.0.0.1:{door}",
        "TEEKA_DOOR_2": f"127.0.0.1:{door}",
        "TEEKA_STATIC_ROOT": str(tmp / "static"),
        "TEEKA_TLS_CERT": str(tmp / "tls.crt"),
        "TEEKA_TLS_KEY": str(tmp / "tls.key"),
        "TEEKA_NGINX_DIR": str(tmp),
        "TEEKA_OPERATORS_NET": "127.0.0.1",
        "TEEKA_RATE_PAGES": rates[0],
        "TEEKA_RATE_POSTS": rates[1],
    }
    # The same command as the site's header: only our variables, so nginx's
    # own ($host, $remote_addr) are left for nginx.
    rendered = subprocess.run(
        ["envsubst", " ".join(f"${name}" for name in variables)],
        input=(ROOT / "deploy/nginx/teeka.conf").read_text(),
        env={**os.environ, **variables}, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    (tmp / "teeka.conf").write_text(rendered)
    # The busy page nginx shows when no web node answers, written as a release
    # writes it: without it nginx answers such a request with its own 404 or
    # 403, and a benchmark counts the wrong failure.
    subprocess.run(
        [sys.executable, "manage.py", "write_error_pages", "--dir", tmp / "static" / "errors"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    # Started as root, nginx's workers run as nobody, who may not enter the
    # run's private folder to read that page: they run as the caller here.
    if os.geteuid() == 0:
        main = "user root;\n" + main
    temp_paths = "".join(f"{kind}_temp_path {tmp}/{kind};\n" for kind in TEMP_KINDS)
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"pid {tmp}/nginx.pid;\n{main.format(tmp=tmp)}"
        f"http {{\ninclude /etc/nginx/mime.types;\n{logging.format(tmp=tmp)}"
        f"{temp_paths}include {tmp}/teeka.conf;\n}}\n"
    )
    return conf
