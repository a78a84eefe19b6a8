"""``switchboard env``'s lines (cli/env.py): what each stack reads, quoted for ``eval``."""

from __future__ import annotations

import subprocess

import pytest

from switchboard.cli.env import RECIPES, env_lines

SETTINGS = {
    "proxy_url": "http://127.0.0.1:8081",
    "ca_certificate": "/home/a user/app/switchboard-ca/ca.pem",
    "ca_bundle": "/home/a user/app/switchboard-ca/bundle.pem",
    "java_truststore": "/home/a user/app/switchboard-ca/truststore.p12",
    "java_truststore_password": "changeit",
}

EXPECTED = {
    "python": {"HTTPS_PROXY": "http://127.0.0.1:8081", "REQUESTS_CA_BUNDLE": SETTINGS["ca_bundle"]},
    "node": {"HTTP_PROXY": "http://127.0.0.1:8081",
             "NODE_EXTRA_CA_CERTS": SETTINGS["ca_certificate"]},
    "go": {"HTTPS_PROXY": "http://127.0.0.1:8081", "SSL_CERT_FILE": SETTINGS["ca_bundle"]},
    "csharp": {"HTTPS_PROXY": "http://127.0.0.1:8081", "SSL_CERT_FILE": SETTINGS["ca_bundle"]},
    "php": {"HTTPS_PROXY": "http://127.0.0.1:8081",
            "PHP_INI_SCAN_DIR": ":/home/a user/app/switchboard-ca/php"},
    "ruby": {"https_proxy": "http://127.0.0.1:8081", "SSL_CERT_FILE": SETTINGS["ca_bundle"]},
    "curl": {"HTTPS_PROXY": "http://127.0.0.1:8081", "CURL_CA_BUNDLE": SETTINGS["ca_bundle"]},
}  # fmt: skip


def _evaluated(lines: list[str], names: list[str]) -> dict[str, str]:
    script = 'eval "$1"; shift; for n; do printf "%s\\0" "$(printenv "$n")"; done'
    out = subprocess.run(
        ["/bin/sh", "-c", script, "sh", "\n".join(lines), *names],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    return dict(zip(names, out.split("\0")[:-1], strict=True))


@pytest.mark.parametrize("sdk", sorted(EXPECTED))
def test_a_shell_evaluates_the_exports_to_the_stack_settings(sdk: str) -> None:
    lines = env_lines(sdk, SETTINGS)
    assert _evaluated(lines, list(EXPECTED[sdk])) == EXPECTED[sdk]
    assert all(line.startswith(("export ", "# ")) for line in lines)
    assert any("never system-wide" in line for line in lines)


def test_java_gets_system_properties_and_its_own_bypass_list() -> None:
    lines = env_lines("java", SETTINGS)
    options = _evaluated(lines, ["JAVA_TOOL_OPTIONS"])["JAVA_TOOL_OPTIONS"]
    assert "-Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=8081" in options
    assert f"-Djavax.net.ssl.trustStore={SETTINGS['java_truststore']}" in options
    assert any("-Dhttp.nonProxyHosts" in line for line in lines)
    assert not any("NO_PROXY" in line for line in lines)


def test_every_sdk_has_a_recipe() -> None:
    assert set(RECIPES) == {"python", "node", "java", "go", "csharp", "php", "ruby", "curl"}
