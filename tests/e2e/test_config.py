"""Configuration: flags > AIA_* environment > config file, embedded defaults,
and refusing to start (exit 2, a message naming the problem) on bad config."""

import os
import socket

import grpc
import pytest

import aia_e2e as e2e


def write_config(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def listening_address(s):
    ev = s.wait_for_event(lambda e: e.get("event") == "listening", timeout=10, what='"listening" event')
    return ev.get("address")


def port_is_closed(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start_unready(servers_fixture, expected_address, **kw):
    """Start a server whose listen address comes from env/file, then wait for
    readiness on the address we expect it to pick."""
    s = e2e.Server(**kw)
    s.listen = expected_address
    s.port = int(expected_address.rsplit(":", 1)[1])
    servers_fixture.started.append(s)
    s.start()
    return s.wait_ready()


def test_precedence_flag_over_env_over_file(servers, tmp_path):
    p1, p2, p3 = e2e.free_port(), e2e.free_port(), e2e.free_port()
    while len({p1, p2, p3}) < 3:
        p3 = e2e.free_port()
    a1, a2, a3 = (f"127.0.0.1:{p}" for p in (p1, p2, p3))
    d1, d2, d3 = (str(tmp_path / n) for n in ("data-file", "data-env", "data-flag"))
    cfg = write_config(tmp_path / "aia.conf", [
        "# written by the e2e suite",
        "",
        f"listen = {a1}",
        f"data_dir = {d1}",
        "   # an indented comment",
        "log_format = json",
        "threads = 2",
        "log_level = info",
    ])

    # 1. The file alone.
    s = start_unready(servers, a1, listen=None, data_dir=None, log_format=None,
                      extra_args=["--config", str(cfg)], workdir=tmp_path / "w1")
    assert listening_address(s) == a1, s.diag()
    assert os.path.isdir(d1), f"data_dir from the file ({d1}) not created{s.diag()}"
    s.stop()
    os.rename(d1, d1 + ".seen")

    # 2. Environment beats the file (log_format too: the file says text here).
    write_config(cfg, [f"listen = {a1}", f"data_dir = {d1}", "log_format = text"])
    s = start_unready(servers, a2, listen=None, data_dir=None, log_format=None,
                      extra_args=["--config", str(cfg)], workdir=tmp_path / "w2",
                      env={"AIA_LISTEN": a2, "AIA_DATA_DIR": d2, "AIA_LOG_FORMAT": "json"})
    assert listening_address(s) == a2, s.diag()
    assert os.path.isdir(d2), f"AIA_DATA_DIR ({d2}) not created{s.diag()}"
    assert not os.path.exists(d1), f"the file's data_dir was used although AIA_DATA_DIR is set{s.diag()}"
    assert port_is_closed(p1), f"something listens on the file's address {a1} too"
    s.stop()

    # 3. Flags beat both.
    s = start_unready(servers, a3, listen=a3, data_dir=d3, log_format="json",
                      extra_args=["--config", str(cfg)], workdir=tmp_path / "w3",
                      env={"AIA_LISTEN": a2, "AIA_DATA_DIR": d2 + "-unused", "AIA_LOG_FORMAT": "text"})
    assert listening_address(s) == a3, s.diag()
    assert os.path.isdir(d3), s.diag()
    assert not os.path.exists(d2 + "-unused"), s.diag()
    assert port_is_closed(p2) and port_is_closed(p1), "an overridden address is listened on"
    s.stop()


def test_config_file_named_by_env(servers, tmp_path):
    addr = f"127.0.0.1:{e2e.free_port()}"
    cfg = write_config(tmp_path / "env.conf", [f"listen = {addr}", "log_format = json"])
    s = start_unready(servers, addr, listen=None, log_format=None, env={"AIA_CONFIG": str(cfg)})
    assert listening_address(s) == addr


def test_embedded_defaults_data_dir_is_var_in_cwd(servers, tmp_path):
    s = servers(data_dir=None, cwd=str(tmp_path))
    assert (tmp_path / "var").is_dir(), f"no ./var created in {tmp_path}: {os.listdir(tmp_path)}{s.diag()}"


def test_listening_event_names_address(server):
    assert listening_address(server) == server.address


def test_text_log_format(servers):
    s = servers(log_format="text")
    err = s.stderr_text()
    assert s.address in err, f"text log should mention the listen address{s.diag()}"
    assert not err.lstrip().startswith("{"), f"--log-format text printed JSON{s.diag()}"


def test_single_thread_serves_while_a_stream_is_open(servers):
    """--threads 1: an open Watch stream does not block unary calls."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    s = servers(extra_args=["--threads", "1"])
    with grpc.insecure_channel(s.address) as ch:
        stream = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=""), timeout=20)
        assert next(stream).status == health_pb2.HealthCheckResponse.SERVING
        for _ in range(20):
            res = e2e.get_health(ch, timeout=3)
            assert res.code == grpc.StatusCode.OK, f"{res}{s.diag()}"
        stream.cancel()


def test_max_message_sizes(servers):
    s = servers(extra_args=["--max-recv-message-bytes", "1024", "--max-send-message-bytes", "1024"])
    m = e2e.method_by_name("aia.v1.SystemService/GetHealth")
    with grpc.insecure_channel(s.address) as ch:
        big = b"\x7a\xa0\x1f" + b"x" * 4000  # field 15, 4000 bytes: a valid (unknown-field) message
        res = e2e.call_raw(ch, m.path, big, timeout=5)
        assert res.code == grpc.StatusCode.RESOURCE_EXHAUSTED, f"4 kB request, 1 kB limit: {res}{s.diag(20)}"
        res = e2e.call_raw(ch, m.path, b"", timeout=5)
        assert res.code == grpc.StatusCode.OK, f"a small request under the limits: {res}{s.diag(20)}"
        metrics = e2e.method_by_name("aia.v1.SystemService/GetMetrics")
        res = e2e.call_raw(ch, metrics.path, b"", timeout=5)
        assert res.code == grpc.StatusCode.RESOURCE_EXHAUSTED, (
            f"GetMetrics' response is larger than the 1024-byte send limit: {res}{s.diag(20)}")
        assert e2e.health_check(ch, "") == (grpc.StatusCode.OK, "SERVING")


VALID_SETTINGS = {
    "threads": "3",
    "log_level": "debug",
    "shutdown_grace_ms": "1500",
    "max_recv_message_bytes": str(8 << 20),
    "max_send_message_bytes": str(8 << 20),
    "keepalive_time_ms": "10000",
    "keepalive_timeout_ms": "5000",
    "stream_queue_depth": "4",
}


def _exercise(s):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    with grpc.insecure_channel(s.address) as ch:
        assert e2e.get_health(ch).code == grpc.StatusCode.OK, s.diag()
        stream = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert next(stream).status == health_pb2.HealthCheckResponse.SERVING
        stream.cancel()


def test_every_flag_accepted(servers):
    args = []
    for k, v in VALID_SETTINGS.items():
        args += ["--" + k.replace("_", "-"), v]
    s = servers(extra_args=args)
    _exercise(s)
    s.stop()


def test_every_config_key_accepted(servers, tmp_path):
    addr = f"127.0.0.1:{e2e.free_port()}"
    lines = [f"listen = {addr}", f"data_dir = {tmp_path / 'data'}", "log_format = json"]
    lines += [f"{k} = {v}" for k, v in VALID_SETTINGS.items()]
    cfg = write_config(tmp_path / "all.conf", lines)
    s = start_unready(servers, addr, listen=None, data_dir=None, log_format=None,
                      extra_args=["--config", str(cfg)])
    _exercise(s)
    s.stop()


def test_every_env_var_accepted(servers, tmp_path):
    env = {"AIA_" + k.upper(): v for k, v in VALID_SETTINGS.items()}
    s = servers(env=env)
    _exercise(s)
    s.stop()


# --------------------------------------------------------------------------
# Refusing to start


def refuse(args, env=None, cwd=None):
    p = e2e.run_server_expect_exit(args, env=env, cwd=cwd)
    assert p.returncode == 2, f"expected exit 2 for a bad configuration{e2e.describe_proc(p)}"
    assert p.stderr.strip(), f"no message on stderr{e2e.describe_proc(p)}"
    return p


def test_unknown_config_key(tmp_path):
    addr = f"127.0.0.1:{e2e.free_port()}"
    cfg = write_config(tmp_path / "bad-key.conf", ["# line 1", f"listen = {addr}", "bogus_key = 1"])
    p = refuse(["--config", cfg, "--data-dir", tmp_path / "d"])
    assert "bogus_key" in p.stderr, e2e.describe_proc(p)
    assert "bad-key.conf" in p.stderr, f"message should name the file{e2e.describe_proc(p)}"
    assert any(t in p.stderr for t in ("bad-key.conf:3", "line 3")), (
        f"message should give line 3{e2e.describe_proc(p)}")
    assert port_is_closed(int(addr.rsplit(":", 1)[1]))


def test_config_line_without_equals(tmp_path):
    cfg = write_config(tmp_path / "syntax.conf", ["listen 127.0.0.1:1"])
    p = refuse(["--config", cfg, "--data-dir", tmp_path / "d"])
    assert "syntax.conf" in p.stderr, e2e.describe_proc(p)


def test_missing_config_file(tmp_path):
    missing = tmp_path / "nope.conf"
    p = refuse(["--config", missing, "--data-dir", tmp_path / "d"])
    assert str(missing) in p.stderr, e2e.describe_proc(p)


@pytest.mark.parametrize("addr", ["127.0.0.1:notaport", "127.0.0.1:99999", "justahost", "256.1.2.3:50051"])
def test_bad_listen_address(tmp_path, addr):
    p = refuse(["--listen", addr, "--data-dir", tmp_path / "d"])
    assert addr in p.stderr, f"message should name {addr!r}{e2e.describe_proc(p)}"


def test_bad_listen_address_from_env(tmp_path):
    p = refuse(["--data-dir", tmp_path / "d"], env={"AIA_LISTEN": "127.0.0.1:notaport"})
    assert "127.0.0.1:notaport" in p.stderr, e2e.describe_proc(p)


def test_uncreatable_data_dir(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    bad = blocker / "data"
    p = refuse(["--listen", f"127.0.0.1:{e2e.free_port()}", "--data-dir", bad])
    assert str(bad) in p.stderr, f"message should name {bad}{e2e.describe_proc(p)}"


def test_data_dir_is_a_file(tmp_path):
    f = tmp_path / "data-file"
    f.write_text("x")
    p = refuse(["--listen", f"127.0.0.1:{e2e.free_port()}", "--data-dir", f])
    assert str(f) in p.stderr, e2e.describe_proc(p)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_data_dir(tmp_path):
    d = tmp_path / "ro"
    d.mkdir(mode=0o500)
    p = refuse(["--listen", f"127.0.0.1:{e2e.free_port()}", "--data-dir", d])
    assert str(d) in p.stderr, e2e.describe_proc(p)


def test_unknown_flag(tmp_path):
    p = refuse(["--bogus-flag", "--data-dir", tmp_path / "d"])
    assert "bogus-flag" in p.stderr, e2e.describe_proc(p)


@pytest.mark.parametrize("flag,value", [
    ("--threads", "abc"),
    ("--threads", "-3"),
    ("--log-level", "loud"),
    ("--log-format", "xml"),
    ("--shutdown-grace-ms", "soon"),
    ("--max-recv-message-bytes", "lots"),
])
def test_bad_flag_value(tmp_path, flag, value):
    p = refuse([flag, value, "--listen", f"127.0.0.1:{e2e.free_port()}", "--data-dir", tmp_path / "d"])
    assert value in p.stderr or flag.lstrip("-") in p.stderr, e2e.describe_proc(p)


@pytest.mark.parametrize("key,value", [("AIA_THREADS", "abc"), ("AIA_LOG_LEVEL", "loud")])
def test_bad_env_value(tmp_path, key, value):
    p = refuse(["--listen", f"127.0.0.1:{e2e.free_port()}", "--data-dir", tmp_path / "d"], env={key: value})
    assert value in p.stderr or key in p.stderr, e2e.describe_proc(p)


def test_bad_value_in_config_file(tmp_path):
    cfg = write_config(tmp_path / "v.conf", ["threads = many"])
    p = refuse(["--config", cfg, "--listen", f"127.0.0.1:{e2e.free_port()}", "--data-dir", tmp_path / "d"])
    assert "v.conf" in p.stderr and "threads" in p.stderr, e2e.describe_proc(p)


def test_missing_flag_value(tmp_path):
    refuse(["--data-dir", tmp_path / "d", "--listen"])


def test_help_and_version():
    p = e2e.run_server_expect_exit(["--help"])
    assert p.returncode == 0, e2e.describe_proc(p)
    out = p.stdout + p.stderr
    for flag in ("--listen", "--data-dir", "--threads", "--log-format", "--config"):
        assert flag in out, f"--help does not mention {flag}{e2e.describe_proc(p)}"
    p = e2e.run_server_expect_exit(["--version"])
    assert p.returncode == 0, e2e.describe_proc(p)
    assert any(ch.isdigit() for ch in p.stdout + p.stderr), e2e.describe_proc(p)
