"""aia-gateway processes for the REST end-to-end tests.

A Gateway listens on 127.0.0.1:0 (the kernel picks the port; the address
comes from its "listening" log event), forwards to a real aia-server, and
logs JSON to a file. `stop()` sends SIGTERM and expects exit 0.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import requests

import aia_e2e as e2e


def gateway_binary():
    return Path(os.environ.get("AIA_E2E_GATEWAY_BIN") or e2e._artifact("gateway/aia-gateway"))


class Gateway:
    def __init__(self, backend, extra_args=(), workdir=None):
        self.workdir = Path(workdir) if workdir else e2e.scratch_dir("aia-gateway-")
        self.backend = backend
        self.argv = [str(gateway_binary()), "--listen", "127.0.0.1:0", "--backend", backend,
                     "--log-format", "json", "--backend-max-backoff", "200ms", *extra_args]
        self.stderr_path = self.workdir / "gateway.stderr"
        self.proc = None
        self.address = None
        self.returncode = None

    def start(self, timeout=15.0):
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=self._err,
                                     stdin=subprocess.DEVNULL, env=e2e.clean_env(), cwd=str(self.workdir))
        ev = self.wait_for_event(lambda e: e.get("event") == "listening", timeout, "listening event")
        self.address = ev["address"]
        return self

    @property
    def url(self):
        return f"http://{self.address}"

    def get(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.get(self.url + path, **kw)

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.request(method, self.url + path, **kw)

    def stderr_text(self):
        return e2e.read_log(self.stderr_path)

    def json_events(self):
        return e2e.json_lines(self.stderr_text().splitlines())

    def diag(self, n=40):
        rc = self.proc.poll() if self.proc else None
        return (f"\n--- aia-gateway {' '.join(self.argv)}\n--- exit code {rc}\n--- stderr tail:\n"
                f"{e2e.tail(self.stderr_text(), n)}\n--- end of gateway stderr")

    def wait_for_event(self, pred, timeout=5.0, what="log event"):
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.json_events():
                if pred(ev):
                    return ev
            if self.proc.poll() is not None and what == "listening event":
                raise AssertionError(f"aia-gateway exited with {self.proc.returncode}{self.diag()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} in aia-gateway's log within {timeout}s{self.diag()}")
            time.sleep(0.05)

    def stop(self, timeout=15.0):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"aia-gateway did not exit within {timeout}s of SIGTERM{self.diag()}")
        self.returncode = self.proc.returncode
        self._err.close()
        assert self.returncode == 0, f"aia-gateway exited with {self.returncode}{self.diag()}"
        return self.returncode
