"""Starts a real `annctl serve` on a free loopback port over a small generated store."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))


def annctl():
    """The binary tools/test built (debug), or a release one, or $ANNCTL."""
    for path in (os.environ.get("ANNCTL"), os.path.join(ROOT, ".build/debug/annctl"),
                 os.path.join(ROOT, ".build/release/annctl")):
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail("no annctl binary: run `swift build` (or tools/test) first, or set ANNCTL")


class Server:
    """An `annctl serve` child process; `url` is the port it bound."""

    def __init__(self, store, *extra, listen="tcp://127.0.0.1:0"):
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen([annctl(), "serve", "--db", store, "--listen", listen,
                                         "--workers", "2", "--contexts", "16", *extra],
                                        stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.time() + 15
        self.url = None
        while time.time() < deadline and self.url is None:
            if self.process.poll() is not None:
                pytest.fail(f"annctl serve exited with {self.process.returncode}: {self.log()}")
            match = re.search(r"listening on (tcp://127\.0\.0\.1:\d+)", self.log())
            self.url = match.group(1) if match else None
            time.sleep(0.05)
        if self.url is None:
            self.stop()
            pytest.fail(f"annctl serve did not start in time: {self.log()}")

    def log(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture(scope="session")
def workdir():
    path = tempfile.mkdtemp(prefix="annclient-tests-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def demo(workdir):
    """A generated demo catalogue (2,000 items, 200 users, 16-d) imported into a store."""
    data = os.path.join(workdir, "data")
    store = os.path.join(workdir, "store")
    run = lambda *a: subprocess.run([annctl(), *a], check=True, stdout=subprocess.DEVNULL, timeout=120)
    run("generate", "demo", "--out", data, "--items", "2000", "--users", "200", "--dim", "16", "--seed", "5")
    run("import", "--db", store, "--items", f"{data}/items.npy", "--item-ids", f"{data}/item_ids.txt",
        "--users", f"{data}/users.npy", "--user-ids", f"{data}/user_ids.txt",
        "--item-features", f"{data}/item_features.jsonl", "--histories", f"{data}/histories.tsv", "--quiet")
    histories = {}
    with open(f"{data}/histories.tsv") as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 2 and parts[0] != "user":
                histories.setdefault(parts[0], set()).add(int(parts[1]))
    return {"store": store, "data": data, "histories": histories}


@pytest.fixture(scope="session")
def server(demo):
    s = Server(demo["store"])
    yield s
    assert s.stop() == 0, s.log()
