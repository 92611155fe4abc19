"""What deploy/ installs is valid as installed: nginx accepts its site once
rendered the documented way, and the busy page nginx shows exists in both
languages."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
NGINX_VARIABLES = {
    "TEEKA_SERVER_NAME": "teeka.example.org",
    "TEEKA_HTTP_PORT": "127.0.0.1:18080",
    "TEEKA_HTTPS_PORT": "127.0.0.1:18443",
    "TEEKA_WEB_1": "127.0.0.1:18001",
    "TEEKA_WEB_2": "127.0.0.1:18002",
    "TEEKA_DOOR_1": "127.0.0.1:18101",
    "TEEKA_DOOR_2": "127.0.0.1:18102",
    "TEEKA_OPERATORS_NET": "10.0.0.0/8",
    "TEEKA_RATE_PAGES": "20r/s",
    "TEEKA_RATE_POSTS": "5r/s",
}


@pytest.mark.skipif(not shutil.which("nginx"), reason="no nginx here (.ci/run installs it)")
def test_nginx_accepts_the_site_rendered_as_its_header_says(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=teeka.example.org", "-keyout", tmp_path / "tls.key",
         "-out", tmp_path / "tls.crt"],
        check=True, capture_output=True,
    )  # fmt: skip
    shutil.copy(ROOT / "deploy/nginx/teeka-proxy.conf", tmp_path)
    variables = {
        **NGINX_VARIABLES,
        "TEEKA_STATIC_ROOT": str(tmp_path / "static"),
        "TEEKA_TLS_CERT": str(tmp_path / "tls.crt"),
        "TEEKA_TLS_KEY": str(tmp_path / "tls.key"),
        "TEEKA_NGINX_DIR": str(tmp_path),
    }
    # The same command as the file's header: only our variables, so nginx's
    # own ($host, $remote_addr) are left for nginx.
    rendered = subprocess.run(
        ["envsubst", " ".join(f"${name}" for name in variables)],
        input=(ROOT / "deploy/nginx/teeka.conf").read_text(),
        env={**os.environ, **variables}, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "${TEEKA_" not in rendered and "$remote_addr" in rendered
    (tmp_path / "teeka.conf").write_text(rendered)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path}/teeka.conf; }}\n"
    )
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def test_the_busy_page_for_nginx_is_written_in_hindi_and_english(tmp_path, settings):
    settings.TEEKA_HELPLINE = "104"
    call_command("write_error_pages", "--dir", str(tmp_path))
    hindi = (tmp_path / "503.hi.html").read_text(encoding="utf-8")
    english = (tmp_path / "503.en.html").read_text(encoding="utf-8")
    assert '<html lang="hi">' in hindi and "व्यस्त" in hindi
    assert '<html lang="en">' in english and "busy" in english
    assert 'href="tel:104"' in hindi and 'href="tel:104"' in english
