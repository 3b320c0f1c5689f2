"""LLMService's REST paths through the real aia-gateway in front of the real
aia-server (remote providers played by tests/llm_upstream/upstream.py):
POST /mlops/llm/stream as NDJSON and as Server-Sent Events (Accept:
text/event-stream), POST /mlops/llm/generate, POST /mlops/llm/count-tokens,
GET /mlops/llm/models; errors as HTTP statuses with the server's message."""

import json
import time

import pytest

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


@pytest.fixture(scope="module")
def gw(srv):
    import gateway_e2e

    g = gateway_e2e.Gateway(srv.address).start()
    yield g
    g.stop()


def body(model, prompt="Say hello", **kw):
    return {"model": model, "contents": [{"role": "user", "parts": [{"text": prompt}]}], **kw}


def test_stream_as_ndjson(gw):
    with gw.request("POST", "/mlops/llm/stream", json=body("openai/gpt-rest"), stream=True, timeout=30) as r:
        assert r.status_code == 200, r.text
        lines = [json.loads(line) for line in r.iter_lines() if line]
    results = [x["result"] for x in lines]
    assert "".join(x.get("text", "") for x in results) == "Hello, world!", results
    last = results[-1]
    assert last["finish_reason"] == "FINISH_REASON_STOP" and last["provider"] == "openai", last
    assert last["usage"]["prompt_tokens"] > 0 and last["usage"]["output_tokens"] > 0, last


def test_stream_as_sse_arrives_incrementally(gw):
    t0 = time.monotonic()
    with gw.request("POST", "/mlops/llm/stream", json=body("gemini-api/gemini-slow-rest"),
                    headers={"accept": "text/event-stream"}, stream=True, timeout=30) as r:
        assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream", r.text
        events, t_first, buf = [], None, ""
        for piece in r.iter_content(chunk_size=None, decode_unicode=True):
            if t_first is None:
                t_first = time.monotonic() - t0
            buf += piece
        t_end = time.monotonic() - t0
    events = [e for e in buf.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events), buf[:500]
    msgs = [json.loads(e[len("data: "):]) for e in events]
    assert "".join(m.get("text", "") for m in msgs) == "".join("s%d " % i for i in range(50))
    assert msgs[-1]["finish_reason"] == "FINISH_REASON_STOP"
    assert t_first < 2.0 and t_end >= le_slow_end(), (t_first, t_end)


def le_slow_end():
    return 4.0


@pytest.mark.parametrize("model,status,text", [
    ("text-bison", 404, "Publisher Model `text-bison` was not found"),
    ("openai/err-429", 429, "429"),
    ("no-route-model", 404, ""),
])
def test_stream_errors_as_http_statuses(gw, model, status, text):
    r = gw.request("POST", "/mlops/llm/stream", json=body(model), timeout=60)
    assert r.status_code == status, r.text
    assert text in r.text, r.text


def test_validation_is_400(gw):
    r = gw.request("POST", "/mlops/llm/stream", json=body("openai/x", generation_config={"top_p": 3}), timeout=30)
    assert r.status_code == 400 and "generation_config.top_p" in r.text, r.text


def test_generate_count_and_models(gw):
    r = gw.request("POST", "/mlops/llm/generate", json=body("openai/gpt-rest-unary"), timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "Hello, world!" and r.json()["provider"] == "openai", r.json()
    r = gw.request("POST", "/mlops/llm/count-tokens", json=body("gemini-api/gemini-2.5-flash", prompt="a b c"),
                   timeout=30)
    assert r.status_code == 200 and r.json()["total_tokens"] == 3, r.text
    r = gw.get("/mlops/llm/models", params={"provider": "gemini-api"})
    assert r.status_code == 200, r.text
    models = r.json()["models"]
    assert models and all(m["provider"] == "gemini-api" for m in models), models
    r = gw.get("/mlops/llm/models", params={"provider": "nope"})
    assert r.status_code == 400 and "provider" in r.text, r.text
