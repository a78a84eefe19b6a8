"""Build a copy of ``src`` with the hottest modules compiled by mypyc, for bench/inbound.py.

The experiment behind "the hot path compiled" in docs/performance.md: mypyc (it comes with mypy,
a test dependency) turns the type-checked modules the per-message path spends its own time in
into C extensions beside their ``.py`` files, and ``bench/inbound.py --src OUT/src`` then runs
the server from that copy, alternating with the plain tree:

    python bench/compiled.py --out /tmp/compiled            # about a minute of gcc
    python bench/inbound.py --count 20000 --src /tmp/compiled/src
    python bench/inbound.py --count 20000 --src src

It needs a C compiler and the Python headers. switchboard itself is never shipped compiled (the
figures did not justify it); this only reproduces them. ``--modules`` takes another list
(paths under ``src/switchboard``); mypyc refuses some modules outright (async generators, the
store's parts as multiple bases) and others fail at import once compiled (a generic slotted
dataclass in ``ports.py``, ``ClassVar`` fields in ``domain/jobs.py``), so the default is the
hot modules that compile and import.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The project's modules with the most own time a message in py-spy profiles of `serve` under
# bench/inbound.py (docs/performance.md), and the small ones they call on every message.
HOT_MODULES = (
    "signing.py",
    "webhooks/prepare.py",
    "webhooks/delivery.py",
    "webhooks/incoming.py",
    "outbox.py",
    "transport.py",
    "clock.py",
    "logs.py",
    "timeline.py",
    "wakeup.py",
    "api/params.py",
    "api/render.py",
    "api/access_log.py",
    "api/router.py",
    "api/http.py",
    "storage/rows.py",
    "storage/records.py",
    "storage/routing_cache.py",
    "storage/sqlite_executor.py",
    "services/inbound.py",
    "services/handset.py",
    "domain/sids.py",
    "domain/callbacks.py",
    "domain/connection.py",
)

SETUP = """\
import sys
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="switchboard-compiled-bench",
    ext_modules=mypycify(sys.argv[1:], opt_level="3", multi_file=True),
    script_args=["build_ext", "--inplace", "-j", "2"],
)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(HERE.parent / "src"), help="the tree to copy")
    parser.add_argument("--out", required=True, help="where the compiled copy goes (OUT/src)")
    parser.add_argument("--modules", nargs="+", default=list(HOT_MODULES))
    args = parser.parse_args()

    out = Path(args.out).resolve()
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(Path(args.src).resolve(), out / "src")
    # mypyc type-checks what it compiles, with the project's mypy settings.
    shutil.copy(HERE.parent / "pyproject.toml", out / "pyproject.toml")
    with tempfile.NamedTemporaryFile("w", suffix=".py", dir=out, delete=False) as setup_py:
        setup_py.write(SETUP)
    files = [f"src/switchboard/{module}" for module in args.modules]
    subprocess.run([sys.executable, setup_py.name, *files], cwd=out, check=True)
    compiled = sorted(out.glob("src/switchboard/**/*.so"))
    print(f"{len(compiled)} compiled modules under {out / 'src'}")


if __name__ == "__main__":
    main()
