"""Property-based REST fuzzing: schemathesis generates requests for every
operation of aia-gateway's /openapi.json (valid and invalid path, query and
body values) and sends them through the real gateway to the real server.

No answer may be a server error, except 501 from RPCs whose issue has not
landed, which must carry the server's "is not implemented yet" message.
Streams are read only up to their first line (a watch may rightly run for
ever), and the server must still be healthy afterwards.
"""

import json

import hypothesis
import pytest
import requests
import schemathesis

import aia_e2e as e2e

# Examples per operation: ~45 operations, so ~1,000 requests in all.
MAX_EXAMPLES = 25
SESSION = requests.Session()


@pytest.fixture(scope="module")
def api_operations(gateway):
    schema = schemathesis.openapi.from_url(gateway.url + "/openapi.json")
    ops = [result.ok() for result in schema.get_all_operations()]  # ok() raises on an invalid operation
    assert len(ops) >= 40, f"only {len(ops)} operations in /openapi.json"
    return ops


def first_line(response):
    """The status and the first line of the body, without waiting for a
    stream to end."""
    for line in response.iter_lines():
        if line:
            return line
    return b""


def check_response(case, gateway):
    # Sent with requests directly: schemathesis' own call() reads the whole
    # body, which never ends for an unbounded watch.
    kwargs = case.as_transport_kwargs(base_url=gateway.url)
    with SESSION.request(**kwargs, stream=True, timeout=10) as response:
        status = response.status_code
        # A successful stream may rightly send nothing for a long time (an
        # alert stream waits for alerts): only error bodies are read.
        line = first_line(response) if status >= 400 else b""
    where = f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}"
    if status == 501:
        body = json.loads(line)
        body = body.get("error", body)
        assert "is not implemented yet" in body["message"], f"{where}: 501 without the server's message: {body}"
    else:
        assert status < 500, f"{where}: HTTP {status}: {line[:500]!r}"


def test_no_server_errors(api_operations, gateway):
    """Each operation's examples run as one Hypothesis test (schemathesis'
    pytest plugin does not work with pytest 9, so the strategies are driven
    directly); failures are collected across operations."""
    failures = []
    sent = {"n": 0}
    for op in api_operations:
        @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck), print_blob=False)
        @hypothesis.given(case=op.as_strategy())
        def run(case):
            sent["n"] += 1
            check_response(case, gateway)

        try:
            run()
        except AssertionError as e:
            failures.append(f"{op.method.upper()} {op.path}: {e}")
    assert not failures, "\n\n".join(failures)
    # Operations without parameters have few distinct examples; the rest fill up.
    assert sent["n"] >= 5 * len(api_operations), f"only {sent['n']} requests for {len(api_operations)} operations"
    print(f"{sent['n']} requests over {len(api_operations)} operations")


def test_server_still_healthy(server, channel, gateway):
    """After the fuzzing (this file's tests run in order)."""
    assert server.alive(), server.diag()
    assert e2e.get_health(channel).code.name == "OK"
    assert gateway.get("/health").status_code == 200
