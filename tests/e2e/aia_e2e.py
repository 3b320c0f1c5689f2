"""Helpers for AIA's end-to-end tests: locate the binaries, start a real
aia-server on a free port, load the aia.v1 contract into Python, call methods
generically, run the `aia` CLI and grpcurl, parse Prometheus text.

Binaries come from Bazel runfiles ($TEST_SRCDIR/aia/...) under `bazel test`,
or from the repository's bazel-bin/ when pytest runs directly. The server's
stderr goes to a file; every failure message carries its tail, and every
stop checks it for sanitizer reports (the suite also runs under
`bazel test --config=asan`).
"""

import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

WORKSPACE = os.environ.get("TEST_WORKSPACE", "aia")
HERE = Path(os.path.abspath(__file__)).parent

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "LeakSanitizer",
    "runtime error:",
    "ERROR: ThreadSanitizer",
    "WARNING: ThreadSanitizer",
    "UndefinedBehaviorSanitizer",
)

# Exit code grpcurl uses for a failed RPC: 64 + the gRPC status code.
GRPCURL_STATUS_OFFSET = 64


# --------------------------------------------------------------------------
# Locations


def repo_root():
    """The source tree (or the runfiles tree that mirrors it)."""
    srcdir = os.environ.get("TEST_SRCDIR")
    if srcdir and (Path(srcdir) / WORKSPACE).is_dir():
        return Path(srcdir) / WORKSPACE
    return HERE.parent.parent


def _artifact(rel):
    """A build output: runfiles first, then bazel-bin/ of the repository."""
    candidates = []
    srcdir = os.environ.get("TEST_SRCDIR")
    if srcdir:
        candidates.append(Path(srcdir) / WORKSPACE / rel)
    root = HERE.parent.parent
    candidates.append(root / "bazel-bin" / rel)
    for c in candidates:
        if c.exists():
            return c
    raise FileNotFoundError(
        f"{rel} not found in {[str(c) for c in candidates]}; "
        f"build it first: bazel build //{os.path.dirname(rel)}:{os.path.basename(rel)}")


def server_binary():
    return Path(os.environ.get("AIA_E2E_SERVER_BIN") or _artifact("server/aia-server"))


def cli_binary():
    return Path(os.environ.get("AIA_E2E_CLI_BIN") or _artifact("client/aia"))


def proto_root():
    return repo_root() / "proto"


def scratch_dir(prefix="aia-e2e-"):
    base = os.environ.get("TEST_TMPDIR") or None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


@functools.lru_cache(maxsize=None)
def find_tool(name):
    """Path of an external tool such as grpcurl: PATH, then $GOPATH/bin,
    `go env GOPATH`/bin, ~/go/bin and /root/go/bin. None if absent."""
    found = shutil.which(name)
    if found:
        return found
    dirs = []
    if os.environ.get("GOPATH"):
        dirs += [Path(p) / "bin" for p in os.environ["GOPATH"].split(os.pathsep) if p]
    go = shutil.which("go") or ("/usr/lib/go/bin/go" if os.path.exists("/usr/lib/go/bin/go") else None)
    if go:
        try:
            out = subprocess.run([go, "env", "GOPATH"], capture_output=True, text=True, timeout=20)
            for p in out.stdout.strip().split(os.pathsep):
                if p:
                    dirs.append(Path(p) / "bin")
        except (OSError, subprocess.TimeoutExpired):
            pass
    if os.environ.get("HOME"):
        dirs.append(Path(os.environ["HOME"]) / "go" / "bin")
    dirs.append(Path("/root/go/bin"))
    for d in dirs:
        p = d / name
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return None


def under_asan():
    return "ASAN_OPTIONS" in os.environ or os.environ.get("AIA_E2E_ASAN") == "1"


# --------------------------------------------------------------------------
# The contract, loaded from proto/ with grpc_tools.protoc


def _protoc_includes():
    import importlib.resources
    root = proto_root()
    incs = [
        root,
        root / "third_party",
        Path("/usr/include"),
        Path("/usr/share/grpc-proto"),
        Path("/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis"),
        Path(str(importlib.resources.files("grpc_tools") / "_proto")),
    ]
    return [str(p) for p in incs if p.is_dir()]


class Contract:
    """The aia.v1 protos (plus health and reflection) as a descriptor pool."""

    STD_PROTOS = [
        "grpc/health/v1/health.proto",
        "grpc/reflection/v1/reflection.proto",
        "grpc/reflection/v1alpha/reflection.proto",
    ]

    def __init__(self):
        from grpc_tools import protoc
        root = proto_root()
        own = sorted(
            str(p.relative_to(root))
            for p in root.rglob("*.proto")
            if "third_party" not in p.relative_to(root).parts)
        if not own:
            raise RuntimeError(f"no .proto files under {root}")
        out = scratch_dir("aia-e2e-protos-") / "contract.pb"
        args = ["grpc_tools.protoc"] + [f"-I{i}" for i in _protoc_includes()] + [
            "--include_imports", "--include_source_info",
            f"--descriptor_set_out={out}"] + own + self.STD_PROTOS
        rc = protoc.main(args)
        if rc != 0:
            raise RuntimeError(f"protoc failed ({rc}): {' '.join(args)}")
        self.own_files = own
        self.fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
        self.pool = descriptor_pool.DescriptorPool()
        for f in self.fds.file:
            self.pool.Add(f)
        self.files = {f.name: f for f in self.fds.file}

    def cls(self, full_name):
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))

    def new(self, full_name, **kw):
        return self.cls(full_name)(**kw)

    def services(self, package_prefix="aia.v1"):
        """{full service name: [Method]} for services in the package."""
        out = {}
        for f in self.fds.file:
            if f.name not in self.own_files:
                continue
            if package_prefix and not (f.package == package_prefix
                                       or f.package.startswith(package_prefix + ".")):
                continue
            for s in f.service:
                full = f"{f.package}.{s.name}"
                out[full] = [Method(full, m) for m in s.method]
        return out

    def methods(self, package_prefix="aia.v1"):
        return [m for ms in self.services(package_prefix).values() for m in ms]

    def enums(self, package_prefix="aia.v1"):
        """[(full name, EnumDescriptorProto)] including nested enums."""
        out = []

        def walk_msg(prefix, msg):
            for e in msg.enum_type:
                out.append((f"{prefix}.{msg.name}.{e.name}", e))
            for n in msg.nested_type:
                walk_msg(f"{prefix}.{msg.name}", n)

        for f in self.fds.file:
            if f.name in self.own_files and f.package.startswith(package_prefix):
                for e in f.enum_type:
                    out.append((f"{f.package}.{e.name}", e))
                for m in f.message_type:
                    walk_msg(f.package, m)
        return out


class Method:
    def __init__(self, service, mproto):
        self.service = service
        self.name = mproto.name
        self.full = f"{service}/{mproto.name}"          # aia.v1.ModelService/TrainModel
        self.path = "/" + self.full                      # /aia.v1.ModelService/TrainModel
        self.input_type = mproto.input_type.lstrip(".")
        self.output_type = mproto.output_type.lstrip(".")
        self.server_streaming = mproto.server_streaming
        self.client_streaming = mproto.client_streaming
        self.options = mproto.options

    def __repr__(self):
        return self.full


@functools.lru_cache(maxsize=None)
def contract():
    return Contract()


# --------------------------------------------------------------------------
# Generic calls


class Result:
    def __init__(self, code, details, responses, elapsed, trailing=None):
        self.code = code
        self.details = details or ""
        self.responses = responses
        self.elapsed = elapsed
        self.trailing = trailing

    @property
    def response(self):
        return self.responses[0] if self.responses else None

    def __repr__(self):
        return (f"Result(code={self.code.name if self.code else None}, details={self.details!r}, "
                f"responses={len(self.responses)}, elapsed={self.elapsed:.3f}s)")


def call_raw(channel, path, payload, streaming=False, timeout=5.0, metadata=None):
    """Call `path` with raw request bytes; responses stay raw bytes."""
    start = time.monotonic()
    responses = []
    try:
        if streaming:
            it = channel.unary_stream(path)(payload, timeout=timeout, metadata=metadata)
            for r in it:
                responses.append(r)
            code, details = it.code(), it.details()
        else:
            resp, c = channel.unary_unary(path).with_call(payload, timeout=timeout, metadata=metadata)
            responses.append(resp)
            code, details = c.code(), c.details()
    except grpc.RpcError as e:
        code, details = e.code(), e.details()
    return Result(code, details, responses, time.monotonic() - start)


def call(channel, method, request=None, timeout=5.0, metadata=None):
    """Call a contract Method with a message (default: empty request); decode
    the responses into messages."""
    c = contract()
    if request is None:
        request = c.new(method.input_type)
    payload = request if isinstance(request, bytes) else request.SerializeToString()
    res = call_raw(channel, method.path, payload, streaming=method.server_streaming,
                   timeout=timeout, metadata=metadata)
    out_cls = c.cls(method.output_type)
    res.responses = [out_cls.FromString(r) for r in res.responses]
    return res


def method_by_name(full):
    for m in contract().methods(""):
        if m.full == full:
            return m
    raise KeyError(full)


class Service:
    """Calls of one aia.v1 service by method name, for the per-service e2e
    helper modules (models_e2e, drift_e2e): rpc() returns the Result, ok()
    the response or fails the test with the server's log, expect_error()
    asserts the code and that the message names every needle."""

    def __init__(self, name, timeout):
        self.name = name
        self.timeout = timeout

    def method(self, name):
        return method_by_name(f"{self.name}/{name}")

    def rpc(self, channel, name, request=None, timeout=None, **fields):
        m = self.method(name)
        if request is None:
            request = contract().new(m.input_type, **fields)
        return call(channel, m, request, timeout=timeout or self.timeout)

    def ok(self, channel, name, request=None, timeout=None, server=None, **fields):
        res = self.rpc(channel, name, request, timeout=timeout, **fields)
        diag = server.diag(30) if server else ""
        assert res.code == grpc.StatusCode.OK, f"{name}({request or fields}) answered {res}{diag}"
        return res.response

    def expect_error(self, channel, name, code, *needles, request=None, server=None, **fields):
        res = self.rpc(channel, name, request, **fields)
        diag = server.diag(20) if server else ""
        assert res.code == code, f"{name}: expected {code.name}, got {res}{diag}"
        for n in needles:
            assert n in res.details, f"{name}: {code.name} message {res.details!r} does not name {n!r}"
        if os.environ.get("AIA_E2E_PRINT_ERRORS"):
            print(f"{name} {code.name}: {res.details}")
        return res.details


def get_health(channel, timeout=5.0, metadata=None):
    res = call(channel, method_by_name("aia.v1.SystemService/GetHealth"), timeout=timeout, metadata=metadata)
    return res


def service_statuses(channel):
    """{service name: ServingStatus enum name} from SystemService.GetHealth."""
    res = get_health(channel)
    assert res.code == grpc.StatusCode.OK, f"GetHealth failed: {res}"
    enum = contract().pool.FindEnumTypeByName("aia.v1.ServingStatus")
    return {s.service: enum.values_by_number[s.status].name for s in res.response.services}, res.response


def health_check(channel, service="", timeout=5.0):
    """grpc.health.v1.Health/Check through the contract pool; returns (code, status name)."""
    c = contract()
    req = c.new("grpc.health.v1.HealthCheckRequest", service=service)
    res = call_raw(channel, "/grpc.health.v1.Health/Check", req.SerializeToString(), timeout=timeout)
    if res.code != grpc.StatusCode.OK:
        return res.code, None
    resp = c.cls("grpc.health.v1.HealthCheckResponse").FromString(res.response)
    enum = c.pool.FindEnumTypeByName("grpc.health.v1.HealthCheckResponse.ServingStatus")
    return res.code, enum.values_by_number[resp.status].name


# --------------------------------------------------------------------------
# Server processes


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra=None):
    """The test's environment without AIA_* variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIA_")}
    if extra:
        env.update(extra)
    return env


def read_log(path):
    """A process's log file as text; "" before the process created it."""
    try:
        return Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return ""


def json_lines(lines):
    """The JSON objects among log lines (other lines are skipped)."""
    out = []
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def sanitizer_reports(text):
    return [m for m in SANITIZER_MARKERS if m in text]


def tail(text, n=60):
    lines = text.splitlines()
    return "\n".join(lines[-n:])


class Server:
    """One aia-server process. `args` replace the defaults entirely when
    `raw_args` is given; otherwise --listen/--data-dir/--log-format are added
    from the keyword arguments (None leaves a flag out)."""

    def __init__(self, workdir=None, listen="auto", data_dir="auto", log_format="json",
                 extra_args=(), env=None, cwd=None, raw_args=None):
        self.workdir = Path(workdir) if workdir else scratch_dir("aia-server-")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = None
        if listen == "auto":
            self.port = free_port()
            listen = f"127.0.0.1:{self.port}"
        elif listen:
            try:
                self.port = int(listen.rsplit(":", 1)[1])
            except (ValueError, IndexError):
                self.port = None
        self.listen = listen
        if data_dir == "auto":
            data_dir = str(self.workdir / "data")
        self.data_dir = data_dir
        self.log_format = log_format
        self.extra_args = list(extra_args)
        self.raw_args = raw_args
        self.env = clean_env(env)
        self.cwd = cwd or str(self.workdir)
        self.stderr_path = self.workdir / "server.stderr"
        self.stdout_path = self.workdir / "server.stdout"
        self.proc = None
        self.returncode = None
        self.checked = False
        self._channel = None

    # -- process

    def argv(self):
        if self.raw_args is not None:
            return [str(server_binary())] + list(self.raw_args)
        a = [str(server_binary())]
        if self.listen:
            a += ["--listen", self.listen]
        if self.data_dir:
            a += ["--data-dir", self.data_dir]
        if self.log_format:
            a += ["--log-format", self.log_format]
        return a + self.extra_args

    def start(self):
        self._err = open(self.stderr_path, "wb")
        self._out = open(self.stdout_path, "wb")
        self.proc = subprocess.Popen(self.argv(), stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd)
        return self

    @property
    def address(self):
        return self.listen

    @property
    def pid(self):
        return self.proc.pid

    def stderr_text(self):
        return read_log(self.stderr_path)

    def stdout_text(self):
        return read_log(self.stdout_path)

    def diag(self, n=60):
        rc = self.proc.poll() if self.proc else None
        return (f"\n--- aia-server {' '.join(self.argv())}\n--- pid {self.pid if self.proc else '-'}, "
                f"exit code {rc}\n--- stderr tail:\n{tail(self.stderr_text(), n)}\n--- end of stderr")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def channel(self):
        if self._channel is None:
            self._channel = grpc.insecure_channel(self.address)
        return self._channel

    def wait_ready(self, timeout=30.0):
        """Wait until Health/Check("") answers SERVING."""
        deadline = time.monotonic() + timeout
        last = None
        host, _, port = self.address.rpartition(":")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"aia-server exited with {self.proc.returncode} before serving{self.diag()}")
            # Wait for the port with plain connects first: a gRPC channel that
            # failed to connect backs off for a second before trying again.
            try:
                with socket.create_connection((host, int(port)), timeout=0.5):
                    pass
            except (OSError, ValueError) as e:
                last = e
                time.sleep(0.02)
                continue
            ch = grpc.insecure_channel(self.address)
            try:
                code, status = health_check(ch, "", timeout=1.0)
                last = (code, status)
                if code == grpc.StatusCode.OK and status == "SERVING":
                    return self
            except Exception as e:  # noqa: BLE001 - keep polling
                last = e
            finally:
                ch.close()
            time.sleep(0.05)
        raise AssertionError(f"aia-server not SERVING after {timeout}s (last health answer: {last}){self.diag()}")

    def wait_exit(self, timeout):
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=15.0, expect_rc=0):
        """Signal the server, wait for it, check the exit code and stderr."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            t0 = time.monotonic()
            rc = self.wait_exit(timeout)
            if rc is None:
                self.proc.kill()
                self.proc.wait()
                self.checked = True
                self._close_files()
                raise AssertionError(f"aia-server did not exit within {timeout}s of {sig.name}{self.diag()}")
            self.stop_seconds = time.monotonic() - t0
        self.returncode = self.proc.returncode
        self._close_files()
        self.checked = True
        self.check_sanitizers()
        if expect_rc is not None:
            assert self.returncode == expect_rc, (
                f"aia-server exited with {self.returncode} after {sig.name}, expected {expect_rc}{self.diag()}")
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_files()

    def _close_files(self):
        for f in ("_err", "_out"):
            fh = getattr(self, f, None)
            if fh is not None and not fh.closed:
                fh.close()

    def check_sanitizers(self):
        text = self.stderr_text()
        found = sanitizer_reports(text)
        assert not found, f"sanitizer report in aia-server stderr ({', '.join(found)}){self.diag(200)}"

    # -- logs

    def log_lines(self):
        return self.stderr_text().splitlines()

    def json_events(self):
        return json_lines(self.log_lines())

    def wait_for_event(self, pred, timeout=5.0, what="log event"):
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.json_events():
                if pred(ev):
                    return ev
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} in aia-server's log within {timeout}s{self.diag()}")
            time.sleep(0.05)


def start_server(retries=3, ready=True, **kw):
    """Start a server on a free port and wait until it serves; retries with
    another port if the chosen one was taken meanwhile."""
    last = None
    for _ in range(retries):
        s = Server(**kw)
        s.start()
        if not ready:
            return s
        try:
            return s.wait_ready()
        except AssertionError as e:
            last = e
            s.kill()
            if "already in use" in s.stderr_text() and kw.get("listen", "auto") == "auto":
                continue
            raise
    raise last


def run_server_expect_exit(args, timeout=15.0, env=None, cwd=None):
    """Run aia-server with `args`, expecting it to exit by itself (a refused
    configuration). Returns CompletedProcess; a server that keeps running is
    killed and reported."""
    cwd = cwd or str(scratch_dir("aia-server-cfg-"))
    argv = [str(server_binary())] + [str(a) for a in args]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           env=clean_env(env), cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        raise AssertionError(f"aia-server {' '.join(map(str, args))} kept running for {timeout}s "
                             f"instead of refusing to start; stderr:\n{tail(err)}") from None
    found = sanitizer_reports(p.stderr)
    assert not found, f"sanitizer report from aia-server {args}:\n{p.stderr}"
    return p


# --------------------------------------------------------------------------
# External clients


def run_cli(*args, server=None, input=None, timeout=30.0, env=None):
    """Run the `aia` CLI; `server` adds --server ADDR first."""
    argv = [str(cli_binary())]
    if server:
        argv += ["--server", server]
    argv += [str(a) for a in args]
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input,
                       env=clean_env(env), stdin=None if input is not None else subprocess.DEVNULL)
    p.elapsed = time.monotonic() - t0
    p.argv = argv
    found = sanitizer_reports(p.stderr)
    assert not found, f"sanitizer report from {' '.join(argv)}:\n{p.stderr}"
    return p


def describe_proc(p):
    return (f"\n$ {' '.join(map(str, p.args))}\nexit code {p.returncode}\n--- stdout:\n{tail(p.stdout, 40)}"
            f"\n--- stderr:\n{tail(p.stderr, 40)}")


def grpcurl_path():
    path = find_tool("grpcurl")
    if not path:
        import pytest
        pytest.fail("grpcurl not found on PATH, $GOPATH/bin, `go env GOPATH`/bin or /root/go/bin; "
                    "install it: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest")
    return path


def run_grpcurl(*args, timeout=30.0):
    argv = [grpcurl_path(), "-plaintext", "-max-time", "20"] + [str(a) for a in args]
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    p.elapsed = time.monotonic() - t0
    return p


# --------------------------------------------------------------------------
# Prometheus text exposition format (0.0.4)

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE_RE = re.compile(r"^(" + _NAME + r")(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+(-?\d+))?$")
_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"\s*(,|$)')


def _parse_labels(s, line):
    labels = {}
    pos = 0
    s = s.strip()
    while pos < len(s):
        m = _LABEL_RE.match(s, pos)
        if not m:
            raise ValueError(f"bad label set in metrics line: {line!r}")
        labels[m.group(1)] = m.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        pos = m.end()
    return labels


def parse_prometheus(text):
    """Validate `text` as Prometheus text format and return
    (samples [(name, labels, value)], types {family: type})."""
    samples, types = [], {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] == "TYPE":
                if len(parts) < 4 or parts[3].strip() not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    raise ValueError(f"bad TYPE line: {line!r}")
                types[parts[2]] = parts[3].strip()
            continue
        m = _SAMPLE_RE.match(line)
        if not m:
            raise ValueError(f"not a Prometheus sample line: {line!r}")
        name, labels, value = m.group(1), m.group(2), m.group(3)
        try:
            v = float(value)
        except ValueError:
            raise ValueError(f"bad sample value in {line!r}") from None
        samples.append((name, _parse_labels(labels, line) if labels else {}, v))
    return samples, types


def select(samples, name, **labels):
    return [(n, l, v) for n, l, v in samples
            if n == name and all(l.get(k) == str(val) for k, val in labels.items())]


def total(samples, name, **labels):
    return sum(v for _, _, v in select(samples, name, **labels))


def get_metrics(channel, timeout=5.0):
    """SystemService.GetMetrics → (content_type, text, samples, types)."""
    res = call(channel, method_by_name("aia.v1.SystemService/GetMetrics"), timeout=timeout)
    assert res.code == grpc.StatusCode.OK, f"GetMetrics failed: {res}"
    body = res.response
    text = body.data.decode("utf-8")
    samples, types = parse_prometheus(text)
    return body.content_type, text, samples, types


def run_threads(n, fn):
    """Run fn(i) in n threads; re-raise the first exception."""
    errors = []

    def wrap(i):
        try:
            fn(i)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]
