"""Fixtures for AIA's end-to-end tests (helpers live in aia_e2e.py).

`server`   one real aia-server per pytest process (each Bazel sh_test runs one
           test file in its own process), on a free port, JSON logs, stopped
           with SIGTERM at the end: it must exit 0 within 15 s with no
           sanitizer report in its stderr.
`channel`  a grpc channel to it.
`servers`  a factory for extra servers a test starts itself; whatever is still
           running at the end of the test is stopped and checked the same way.
"""

import os
import sys

import grpc
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import aia_e2e as e2e  # noqa: E402


def pytest_report_header(config):
    lines = []
    for what, fn in (("aia-server", e2e.server_binary), ("aia", e2e.cli_binary)):
        try:
            lines.append(f"{what}: {fn()}")
        except FileNotFoundError as e:
            lines.append(f"{what}: MISSING ({e})")
    lines.append(f"grpcurl: {e2e.find_tool('grpcurl')}")
    lines.append(f"sanitizers expected: {e2e.under_asan()}")
    return lines


@pytest.fixture(scope="session")
def contract():
    return e2e.contract()


@pytest.fixture(scope="session")
def server():
    s = e2e.start_server()
    yield s
    # Keep the scratch directory on AIA_TEST_KEEP=1 for debugging.
    s.stop()


@pytest.fixture(scope="session")
def channel(server):
    ch = grpc.insecure_channel(server.address)
    grpc.channel_ready_future(ch).result(timeout=10)
    yield ch
    ch.close()


@pytest.fixture
def servers():
    started = []

    def factory(**kw):
        s = e2e.start_server(**kw)
        started.append(s)
        return s

    factory.started = started
    yield factory
    errors = []
    for s in started:
        if s.checked:
            continue
        try:
            s.stop()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors))


@pytest.fixture
def alive(server, channel):
    """After the test: the shared server still answers GetHealth."""
    yield
    assert server.alive(), f"aia-server died during the test{server.diag()}"
    res = e2e.get_health(channel, timeout=5)
    assert res.code == grpc.StatusCode.OK, f"GetHealth after the test: {res}{server.diag()}"


@pytest.fixture(scope="session")
def gateway(server):
    """aia-gateway in front of the shared server; must exit 0 on SIGTERM."""
    import gateway_e2e

    g = gateway_e2e.Gateway(server.address).start()
    yield g
    g.stop()


@pytest.fixture
def gateways():
    """A factory for gateways a test starts itself (e.g. in front of its own
    server); each is stopped and checked at the end of the test."""
    import gateway_e2e

    started = []

    def factory(backend, *extra_args):
        g = gateway_e2e.Gateway(backend, extra_args).start()
        started.append(g)
        return g

    yield factory
    for g in started:
        g.stop()
