"""Check the HTTP stacks the other official SDKs are built on against ``serve --twilio-hosts``.

For each stack found on this machine (Java's HttpClient, Go's net/http, PHP's curl, Ruby's
Net::HTTP), a small program in this folder makes an authenticated Messages create to
``https://api.twilio.com`` with no knowledge of switchboard, in a shell that has evaluated
``switchboard env --sdk NAME`` and nothing else; the message must then be in switchboard's
store. A stack whose toolchain is missing is reported as such, not as a failure.

    python scripts/sdk-stacks/check.py                 # every stack, a table
    python scripts/sdk-stacks/check.py --stack go --markdown

Exit status: 0 when every stack that ran passed, 1 otherwise. The Debian packages:
``apt-get install default-jdk-headless golang-go php-cli php-curl ruby``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, free_port

HERE = Path(__file__).resolve().parent
OURS, THEIRS = "+15005550006", "+15558675310"


@dataclass(frozen=True)
class Stack:
    name: str  # the SDK name `switchboard env --sdk` takes
    label: str
    tool: str  # the program that must be on PATH
    command: tuple[str, ...]  # run in HERE, then: from, to, body

    def version(self) -> str:
        flag = {"java": "-version", "go": "version", "php": "-v", "ruby": "-v"}[self.tool]
        run = subprocess.run([self.tool, flag], capture_output=True, text=True, check=False)
        return (run.stdout or run.stderr).splitlines()[0].strip()


STACKS = (
    Stack("java", "Java HttpClient (java.net.http)", "java", ("java", "Send.java")),
    Stack("go", "Go net/http (DefaultClient)", "go", ("go", "run", "send.go")),
    Stack("php", "PHP curl extension", "php", ("php", "send.php")),
    Stack("ruby", "Ruby Net::HTTP (proxy found as Faraday does)", "ruby", ("ruby", "send.rb")),
)


@dataclass(frozen=True)
class Result:
    stack: Stack
    outcome: str  # "pass", "FAIL" or "missing"
    seconds: float = 0.0
    detail: str = ""


class Server:
    """``switchboard serve --twilio-hosts`` on free ports and a throwaway database."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SWITCHBOARD_ACCOUNT_SID": TEST_ACCOUNT_SID,
            "SWITCHBOARD_AUTH_TOKEN": TEST_AUTH_TOKEN,
        }
        command = [sys.executable, "-m", "switchboard", "serve", "--quiet", "--twilio-hosts",
                   "--port", str(self.port), "--proxy-port", "0",
                   "--database", str(folder / "switchboard.db")]  # fmt: skip
        self.log = (folder / "serve.log").open("wb")
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=self.log)
        self.http = httpx.Client(base_url=self.url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.http.get("/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"switchboard did not start; see {folder / 'serve.log'}")

    def env_lines(self, sdk: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "switchboard", "env", "--sdk", sdk, "--url", self.url],
            env=self.env, capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def run_stack(server: Server, stack: Stack, home: Path) -> Result:
    if shutil.which(stack.tool) is None:
        return Result(stack, "missing", detail=f"`{stack.tool}` is not installed")
    body = f"Hello from {stack.name}"
    # The client's environment: no proxy or CA variable of the caller's, Twilio's usual
    # credential variables, and what `switchboard env` printed.
    env = {
        key: value for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and key not in {"SSL_CERT_FILE", "JAVA_TOOL_OPTIONS"}
    }  # fmt: skip
    env |= {
        "TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "SWITCHBOARD_ENV": server.env_lines(stack.name),
        "HOME": str(home),  # Go's build cache and the like, kept out of the user's home
        "GOFLAGS": "-mod=mod",
    }
    started = time.monotonic()
    run = subprocess.run(
        ["/bin/sh", "-c", 'eval "$SWITCHBOARD_ENV" && exec "$@"', "sh", *stack.command,
         OURS, THEIRS, body],
        cwd=HERE, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    output = (run.stdout + run.stderr).strip()
    if run.returncode != 0 or not run.stdout.startswith("201"):
        return Result(stack, "FAIL", seconds, output[-1500:])
    listed = server.http.get(
        f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json", params={"To": THEIRS}
    ).json()["messages"]
    if body not in [message["body"] for message in listed]:
        return Result(stack, "FAIL", seconds, "201, but the message is not in switchboard")
    return Result(stack, "pass", seconds, stack.version())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", choices=[s.name for s in STACKS])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    chosen = [s for s in STACKS if not args.stack or s.name in args.stack]
    with tempfile.TemporaryDirectory(prefix="sdk-stacks-") as folder:
        server = Server(Path(folder))
        try:
            server.http.post(
                f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/IncomingPhoneNumbers.json",
                data={"PhoneNumber": OURS},
            ).raise_for_status()
            results = [run_stack(server, stack, Path(folder)) for stack in chosen]
        finally:
            server.stop()
    if args.markdown:
        print("| stack | `switchboard env --sdk` | result | seconds | version |")
        print("|---|---|---|---|---|")
        for r in results:
            version = r.detail if r.outcome == "pass" else ""
            cells = [r.stack.label, f"`{r.stack.name}`", r.outcome, f"{r.seconds:.1f}", version]
            print(f"| {' | '.join(cells)} |")
    for r in results:
        if not args.markdown or r.outcome != "pass":
            print(f"{r.stack.name:5} {r.outcome:7} {r.seconds:5.1f} s  {r.detail}")
    return 1 if any(r.outcome == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
