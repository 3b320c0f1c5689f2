"""`aia llm generate|models|count` against a real aia-server whose remote
providers are played by tests/llm_upstream/upstream.py: --stream prints the
tokens as they arrive (the first before the stream ends) with usage on
stderr at the end; errors are "aia: STATUS: message" with exit status 1;
bad option values are usage errors (exit 2) before any call."""

import json
import subprocess
import time

import pytest

import aia_e2e as e2e
import llm_e2e as le


@pytest.fixture(scope="module")
def up():
    u = le.Upstream()
    yield u
    u.stop()


@pytest.fixture(scope="module")
def srv(up):
    s = le.start_server(up)
    yield s
    s.stop()


def test_generate_stream_prints_tokens_then_usage(srv):
    p = e2e.run_cli("llm", "generate", "--model", "openai/gpt-cli", "--stream", "Say hello", server=srv.address)
    assert p.returncode == 0, e2e.describe_proc(p)
    assert p.stdout == "Hello, world!\n", e2e.describe_proc(p)
    assert "finish STOP" in p.stderr and "prompt 5" in p.stderr and "(openai)" in p.stderr, p.stderr


def test_generate_stream_is_incremental(srv):
    argv = [str(e2e.cli_binary()), "--server", srv.address, "llm", "generate", "--model",
            "gemini-api/gemini-slow-cli", "--stream", "--temperature", "0.5", "--max-tokens", "100", "go"]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e2e.clean_env())
    first = proc.stdout.read(3)
    t_first = time.monotonic() - t0
    rest, err = proc.communicate(timeout=30)
    t_end = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert first == b"s0 " and t_first < 2.0, (first, t_first)
    assert t_end >= 4.0
    assert (first + rest).decode() == "".join("s%d " % i for i in range(50)) + "\n"


def test_generate_unary_and_json(srv):
    p = e2e.run_cli("llm", "generate", "--model", "gemini-api/gemini-2.5-flash", "--system", "be brief",
                    "hi", server=srv.address)
    assert p.returncode == 0 and p.stdout == "Hello, world!\n", e2e.describe_proc(p)
    assert "(gemini-api)" in p.stderr
    p = e2e.run_cli("--json", "llm", "generate", "--model", "openai/gpt-json", "hi", server=srv.address)
    assert p.returncode == 0, e2e.describe_proc(p)
    got = json.loads(p.stdout)
    assert got["text"] == "Hello, world!" and got["provider"] == "openai", got


@pytest.mark.parametrize("stream", [True, False])
def test_safety_stop_says_why(srv, stream):
    """A SAFETY stop is a finish, not an error: exit 0, the text so far on
    stdout, and the provider's message and the blocked category on stderr."""
    args = ["llm", "generate", "--model", "gemini-api/gemini-safety-cli"] + (["--stream"] if stream else []) + ["x"]
    p = e2e.run_cli(*args, server=srv.address)
    assert p.returncode == 0 and p.stdout == "Well, \n", e2e.describe_proc(p)
    assert ("finish SAFETY (The response was blocked: harassment.; blocked: HARASSMENT HIGH); tokens:"
            in p.stderr), p.stderr


def test_errors(srv):
    p = e2e.run_cli("llm", "generate", "--model", "text-bison", "--stream", "hi", server=srv.address)
    assert p.returncode == 1 and p.stderr.startswith("aia: NOT_FOUND: "), e2e.describe_proc(p)
    for bad in (["--temperature", "hot"], ["--top-p", "2"], ["--max-tokens", "0"], ["--stop", ""]):
        p = e2e.run_cli("llm", "generate", "--model", "openai/x", *bad, "hi", server=srv.address)
        assert p.returncode == 2, e2e.describe_proc(p)
    p = e2e.run_cli("llm", "generate", "--model", "openai/x", server=srv.address)
    assert p.returncode == 2, e2e.describe_proc(p)


def test_models_and_count(srv):
    p = e2e.run_cli("llm", "models", "--provider", "openai", server=srv.address)
    assert p.returncode == 0, e2e.describe_proc(p)
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["NAME", "PROVIDER", "AVAILABLE"], p.stdout
    assert len(lines) >= 2 and all(" openai " in line for line in lines[1:] if line.strip()), p.stdout
    p = e2e.run_cli("llm", "count", "--model", "gemini-api/gemini-2.5-flash", "one two three", server=srv.address)
    assert p.returncode == 0 and p.stdout == "3\n", e2e.describe_proc(p)
