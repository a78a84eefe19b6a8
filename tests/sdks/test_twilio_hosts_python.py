"""``serve --twilio-hosts``: the official Python SDK and curl reach switchboard as
``https://*.twilio.com`` with only the environment ``switchboard env`` prints; the proxy refuses
every other host."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

CLIENT = Path(__file__).parent / "python" / "client.py"


def _phone(index: int) -> str:
    return f"+1500555{index:04d}"


@pytest.mark.parametrize(
    "location",
    [{}, {"TWILIO_EDGE": "sydney", "TWILIO_REGION": "au1"}],
    ids=["default-hosts", "edge-and-region"],
)
def test_python_sdk_unchanged_creates_fetches_and_lists(
    hosts_server: Any, location: dict[str, str]
) -> None:
    ours, theirs = "+15005550006", "+15558675310"
    run = hosts_server.run("python", [sys.executable, str(CLIENT), ours, theirs], extra=location)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["fetched"] == [got["message"], "Hello"]
    assert got["message"] in got["listed"]
    assert got["services"] == [got["service"]]
    assert got["fetched_service"] == [got["service"], "Twilio hosts"]
    # v1 links name the host the SDK called.
    host = "messaging.sydney.au1.twilio.com" if location else "messaging.twilio.com"
    assert got["service_url"] == f"https://{host}/v1/Services/{got['service']}"
    # It really is switchboard's store: the message is there over the plain HTTP port.
    with hosts_server.process.http() as http:
        stored = http.get(f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages/{got['message']}.json")
    assert stored.status_code == 200
    assert stored.json()["body"] == "Hello"


def _curl(hosts_server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    auth = f"{TEST_ACCOUNT_SID}:{TEST_AUTH_TOKEN}"
    return hosts_server.run(
        "curl", ["curl", "-sS", "-u", auth, "-w", "\n%{http_code}", *args], timeout=60
    )


def test_curl_through_the_proxy_with_the_ca(hosts_server: Any) -> None:
    settings = hosts_server.settings
    base = f"https://api.twilio.com/2010-04-01/Accounts/{TEST_ACCOUNT_SID}"
    created = _curl(
        hosts_server, "--proxy", settings["proxy_url"], "--cacert", settings["ca_certificate"],
        "-d", "PhoneNumber=+15005550006", f"{base}/IncomingPhoneNumbers.json",
    )  # fmt: skip
    assert created.stdout.rsplit("\n", 1)[1] == "201", created.stdout + created.stderr
    sent = _curl(
        hosts_server, "--proxy", settings["proxy_url"], "--cacert", settings["ca_certificate"],
        "-d", "From=+15005550006", "-d", "To=+15558675310", "-d", "Body=curl",
        f"{base}/Messages.json",
    )  # fmt: skip
    body, status = sent.stdout.rsplit("\n", 1)
    assert status == "201", sent.stdout + sent.stderr
    assert json.loads(body)["body"] == "curl"
    # And with nothing on the command line but what `switchboard env --sdk curl` exported.
    listed = _curl(hosts_server, f"{base}/Messages.json")
    body, status = listed.stdout.rsplit("\n", 1)
    assert status == "200", listed.stdout + listed.stderr
    assert [m["body"] for m in json.loads(body)["messages"]] == ["curl"]


def test_a_product_host_serves_only_its_own_paths(hosts_server: Any) -> None:
    """content.twilio.com has no /v1/Services: Twilio's 404, as on Twilio's own host."""
    listed = _curl(hosts_server, "https://content.twilio.com/v1/Services")
    body, status = listed.stdout.rsplit("\n", 1)
    assert status == "404"
    assert json.loads(body)["code"] == 20404
    # switchboard's own pages are not Twilio's: not served under Twilio's names.
    dashboard = _curl(hosts_server, "https://api.twilio.com/_sim/messages")
    assert dashboard.stdout.rsplit("\n", 1)[1] == "404"


def _proxy_exchange(proxy_url: str, request: bytes) -> bytes:
    host, port = httpx.URL(proxy_url).host, httpx.URL(proxy_url).port
    assert port is not None
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "target",
    ["example.com:443", "api.twilio.com:80", "api.twilio.com:8443", "127.0.0.1:443",
     "twilio.com:443", "api.twilio.com.example.com:443", "verify.twilio.com:443",
     "a.b.c.api.twilio.com:443"],
)  # fmt: skip
def test_connect_to_any_other_host_is_refused(hosts_server: Any, target: str) -> None:
    request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode()
    answer = _proxy_exchange(hosts_server.settings["proxy_url"], request)
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]
    assert b"only Twilio's API hosts" in answer


def test_absolute_form_requests_to_other_hosts_are_refused(hosts_server: Any) -> None:
    request = b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"
    answer = _proxy_exchange(hosts_server.settings["proxy_url"], request)
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]


def test_absolute_form_requests_to_twilio_are_served(hosts_server: Any) -> None:
    """Some clients send ``POST https://api.twilio.com/...`` to the proxy itself, no CONNECT."""
    proxy = hosts_server.settings["proxy_url"]
    with httpx.Client(proxy=proxy, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN)) as http:
        answer = http.get(f"http://api.twilio.com/2010-04-01/Accounts/{TEST_ACCOUNT_SID}.json")
    assert answer.status_code == 200
    assert answer.json()["sid"] == TEST_ACCOUNT_SID


def test_the_tls_listener_serves_twilio_names_only(hosts_server: Any) -> None:
    """For hosts-file users: TLS on its own port, the certificate chosen by SNI."""
    settings = hosts_server.settings
    host, port = settings["tls_address"].rsplit(":", 1)
    context = ssl.create_default_context(cafile=settings["ca_certificate"])
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="messaging.twilio.com") as tls,
    ):
        tls.sendall(b"GET /v1/Services HTTP/1.1\r\nHost: messaging.twilio.com\r\n"
                    b"Connection: close\r\n\r\n")  # fmt: skip
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401 ")  # Twilio's answer without credentials
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(raw, server_hostname="example.com")


def test_env_prints_exports_a_shell_can_eval_for_every_sdk(hosts_server: Any) -> None:
    from switchboard.cli.env import RECIPES

    settings = hosts_server.settings
    for sdk in RECIPES:
        lines = hosts_server.env_lines(sdk).splitlines()
        exports = [line for line in lines if not line.startswith("#")]
        assert exports, sdk
        assert all(line.startswith("export ") for line in exports), lines
        names = [line.removeprefix("export ").split("=", 1)[0] for line in exports]
        shown = subprocess.run(
            ["/bin/sh", "-c", 'eval "$1" && for n in $2; do printenv "$n"; done', "sh",
             "\n".join(lines), " ".join(names)],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
        assert settings["proxy_url"].rsplit(":", 1)[1] in shown, (sdk, shown)
        assert settings["ca_certificate"].rsplit("/", 1)[0] in shown, (sdk, shown)


def test_the_banner_names_the_proxy_and_the_ca(hosts_server: Any) -> None:
    log = hosts_server.process.log.read_text()
    assert f"Twilio proxy   {hosts_server.settings['proxy_url']}" in log
    assert hosts_server.settings["ca_certificate"] in log


def test_idle_tls_connections_do_not_hold_up_a_shutdown(hosts_server: Any) -> None:
    """An SDK's idle keep-alive connection never answers the server's TLS close: the server
    still stops at once on SIGTERM, not after asyncio's 30 s TLS shutdown wait."""
    settings = hosts_server.settings
    context = ssl.create_default_context(cafile=settings["ca_certificate"])
    request = b"GET /2010-04-01/Accounts.json HTTP/1.1\r\nHost: api.twilio.com\r\n\r\n"
    proxy = httpx.URL(settings["proxy_url"])
    assert proxy.port is not None
    tunnel = socket.create_connection((proxy.host, proxy.port), timeout=10)
    tunnel.sendall(b"CONNECT api.twilio.com:443 HTTP/1.1\r\n\r\n")
    assert tunnel.recv(1024).startswith(b"HTTP/1.1 200 ")
    tls_host, tls_port = settings["tls_address"].rsplit(":", 1)
    direct = socket.create_connection((tls_host, int(tls_port)), timeout=10)
    idle = [
        context.wrap_socket(tunnel, server_hostname="api.twilio.com"),
        context.wrap_socket(direct, server_hostname="api.twilio.com"),
    ]
    for connection in idle:
        connection.sendall(request)
        assert connection.recv(1024).startswith(b"HTTP/1.1 401 ")
    process = hosts_server.process.process
    hosts_server.process.stop()  # SIGTERM, then SIGKILL after 10 s
    assert process.returncode in (0, -15), "the server had to be killed"
    for connection in idle:
        connection.close()
