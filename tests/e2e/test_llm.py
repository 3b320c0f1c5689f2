"""LLMService end to end: the real aia-server against the test upstream
(tests/llm_upstream/upstream.py) for vertex, gemini-api and openai, and a
tiny random GGUF for the local provider. Streams arrive incrementally and in
order with the final usage and finish reason; upstream errors keep their
meaning (404 → NOT_FOUND with the upstream's message, 429 →
RESOURCE_EXHAUSTED, a truncated stream → UNAVAILABLE); a client cancel
reaches the upstream; the per-caller limit holds; CountTokens,
ListLLMModels, validation naming the field, and token usage in
GetMetrics."""

import threading
import time

import grpc
import pytest

import aia_e2e as e2e
import llm_e2e as le

OK = grpc.StatusCode.OK
LIMIT = 2  # --llm-max-concurrent-per-caller of this module's server
SLOW_END = 4.0  # upstream "slow": 50 chunks 100 ms apart


@pytest.fixture(scope="module")
def up():
    u = le.Upstream()
    yield u
    u.stop()


@pytest.fixture(scope="module")
def srv(up):
    s = le.start_server(up, le.models_dir_with_tiny(),
                        ["--llm-max-concurrent-per-caller", str(LIMIT), "--llm-local-threads", "1"])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ch(srv):
    c = grpc.insecure_channel(srv.address)
    grpc.channel_ready_future(c).result(timeout=10)
    yield c
    c.close()


def check_hello(res, provider, srv):
    assert res.code == OK, f"{res}{srv.diag(30)}"
    assert le.text_of(res.responses) == "Hello, world!", [r.text for r in res.responses]
    last = res.responses[-1]
    assert le.finish_name(last.finish_reason) == "FINISH_REASON_STOP", last
    for r in res.responses[:-1]:
        assert r.finish_reason == 0 and not r.HasField("usage"), r
    assert last.usage.prompt_tokens > 0 and last.usage.output_tokens > 0, last.usage
    assert last.usage.total_tokens >= last.usage.prompt_tokens + last.usage.output_tokens, last.usage
    assert last.provider == provider, last


@pytest.mark.parametrize("model,provider", [
    ("openai/gpt-test", "openai"),
    ("gemini-api/gemini-2.5-flash", "gemini-api"),
    ("gemini-2.5-flash", "vertex"),
])
def test_stream_each_remote_provider(ch, srv, up, model, provider):
    res = le.stream(ch, model)
    check_hello(res, provider, srv)
    assert len(res.responses) >= 2, "one message per chunk, not one for the whole answer"
    if provider == "vertex":
        assert up.stats()["token_requests"] >= 1, "vertex authenticates with the service-account key"


@pytest.mark.parametrize("model", ["openai/slow-incremental", "gemini-api/gemini-slow-incremental"])
def test_stream_is_incremental(ch, model):
    it, _ = le.open_stream(ch, model)
    t0 = time.monotonic()
    got = []
    t_first = None
    for r in it:
        if t_first is None:
            t_first = time.monotonic() - t0
        got.append(r)
    t_end = time.monotonic() - t0
    assert it.code() == OK, it.details()
    assert t_first is not None and t_first < 2.0, f"first chunk after {t_first}s"
    assert t_end >= SLOW_END, f"stream of 50 chunks 100 ms apart ended after {t_end:.2f}s"
    assert len(got) >= 10, f"only {len(got)} messages: chunks were held back"
    assert le.text_of(got) == "".join("s%d " % i for i in range(50))


def test_generate_unary(ch, srv):
    res = le.generate(ch, "openai/gpt-unary")
    assert res.code == OK, f"{res}{srv.diag(30)}"
    r = res.response
    assert r.text == "Hello, world!" and r.provider == "openai", r
    assert le.finish_name(r.finish_reason) == "FINISH_REASON_STOP"
    assert r.usage.prompt_tokens > 0 and r.usage.output_tokens > 0, r.usage


def test_response_id_and_safety_ratings_reach_the_client(ch, srv):
    """Gemini's responseId and candidates' safetyRatings come back in the
    last stream message and in Generate's answer; OpenAI's chunk id too."""
    res = le.stream(ch, "gemini-2.5-flash-ratings")
    assert res.code == OK, f"{res}{srv.diag(30)}"
    last = res.responses[-1]
    assert last.response_id.startswith("resp-") and len(last.response_id) == 17, last
    ratings = le.ratings_of(last)
    assert ratings.get("HARM_CATEGORY_HARASSMENT") == ("HARM_PROBABILITY_NEGLIGIBLE", False), ratings
    assert len(ratings) == 4, ratings
    assert last.finish_message == "", "no message for a normal STOP"
    g = le.generate(ch, "gemini-api/gemini-2.5-flash-ratings")
    assert g.code == OK and g.response.response_id == last.response_id, g
    assert len(g.response.safety_ratings) == 4, g.response
    o = le.generate(ch, "openai/gpt-ids")
    assert o.code == OK and o.response.response_id == "chatcmpl-test", o.response


@pytest.mark.parametrize("model,message", [
    ("gemini-2.5-flash-safety", "The response was blocked: harassment."),
    ("gemini-2.5-flash-blocked-prompt", "The prompt was blocked: harassment."),
])
def test_safety_block_says_which_category_and_why(ch, srv, model, message):
    """A response stopped for SAFETY, and a prompt blocked before any
    candidate, finish FINISH_REASON_SAFETY (not an error, not truncated)
    with the provider's message and the blocked category's rating."""
    for res in (le.stream(ch, model), le.generate(ch, model)):
        assert res.code == OK, f"{res}{srv.diag(30)}"
        end = res.responses[-1]
        assert le.finish_name(end.finish_reason) == "FINISH_REASON_SAFETY", end
        assert end.finish_message == message, end
        assert le.ratings_of(end)["HARM_CATEGORY_HARASSMENT"] == ("HARM_PROBABILITY_HIGH", True), end


def test_labels_reach_vertex_only(ch, up):
    """Request labels go to Vertex AI as its `labels` member; the Gemini API
    (which refuses the member) and other providers get none; a label Vertex
    would refuse is INVALID_ARGUMENT naming it, before any upstream call."""
    labels = {"team": "fraud-ml", "cost_center": "cc-42", "région": "été"}
    assert le.generate(ch, "gemini-2.5-flash-labels", labels=labels).code == OK
    assert up.stats()["labels"]["gemini-2.5-flash-labels"] == labels
    assert le.generate(ch, "gemini-api/gemini-api-labels", labels=labels).code == OK
    assert up.stats()["labels"]["gemini-api-labels"] is None
    assert le.generate(ch, "openai/gpt-labels", labels=labels).code == OK
    for bad, why in [({"Team": "x"}, 'labels["Team"]: key holds a character other than lowercase letters'),
                     ({"1st": "x"}, 'labels["1st"]: key does not start with a letter'),
                     ({"team": "A B"}, 'labels["team"]: value holds a character'),
                     ({"k": "v" * 64}, 'labels["k"]: value is longer than 63 bytes')]:
        res = le.stream(ch, "gemini-2.5-flash-bad-labels", labels=bad)
        assert res.code == grpc.StatusCode.INVALID_ARGUMENT and why in res.details, res
    assert "gemini-2.5-flash-bad-labels" not in up.stats()["labels"]


def test_retired_model_is_not_found_with_upstream_message(ch):
    res = le.stream(ch, "text-bison")
    assert res.code == grpc.StatusCode.NOT_FOUND, res
    assert "Publisher Model `text-bison` was not found" in res.details, res.details
    assert not res.responses


def test_upstream_429_is_resource_exhausted(ch):
    res = le.stream(ch, "openai/err-429", timeout=60)
    assert res.code == grpc.StatusCode.RESOURCE_EXHAUSTED, res
    assert "429" in res.details, res.details


def test_truncated_stream_is_unavailable(ch):
    res = le.stream(ch, "openai/truncated-e2e", timeout=60)
    assert res.code == grpc.StatusCode.UNAVAILABLE, res
    assert le.text_of(res.responses) in ("", "Hello", "Hello, "), "the text before the cut, in order"


def test_unknown_model_is_not_found(ch):
    res = le.stream(ch, "no-route-model")
    assert res.code == grpc.StatusCode.NOT_FOUND, res


def test_cancel_reaches_upstream(ch, up):
    model = "openai/slow-cancel"
    it, _ = le.open_stream(ch, model)
    first = next(it)
    assert first.text
    t0 = time.time()
    it.cancel()
    seen = le.wait_for(lambda: up.stats()["disconnects"].get("slow-cancel"), 3.0,
                       "the upstream saw no disconnect")
    assert seen - t0 < 3.0
    requests_before = up.stats()["requests"].get("slow-cancel", 0)
    time.sleep(0.5)
    assert up.stats()["requests"].get("slow-cancel", 0) == requests_before, "a cancelled call is not retried"


def test_per_caller_limit(ch, srv):
    md = (("x-aia-caller", "alice"),)
    held = []
    try:
        for _ in range(LIMIT):
            it, _ = le.open_stream(ch, "openai/slow-held", metadata=md)
            next(it)
            held.append(it)
        res = le.stream(ch, "openai/gpt-third", metadata=md)
        assert res.code == grpc.StatusCode.RESOURCE_EXHAUSTED, res
        assert "alice" in res.details or "caller" in res.details, res.details
        other = le.stream(ch, "openai/gpt-bob", metadata=(("x-aia-caller", "bob"),))
        assert other.code == OK, f"another caller is not limited by alice's calls: {other}"
    finally:
        for it in held:
            it.cancel()
    res = le.wait_for(lambda: (lambda r: r if r.code == OK else None)(
        le.stream(ch, "openai/gpt-after", metadata=md)), 5.0, "alice's slots were not freed after cancel")
    assert le.text_of(res.responses) == "Hello, world!"


def test_count_tokens(ch):
    req = le.request("CountTokensRequest", "gemini-api/gemini-2.5-flash", prompt="one two three four")
    res = e2e.call(ch, le.method("CountTokens"), req, timeout=30)
    assert res.code == OK, res
    assert res.response.total_tokens == 4 and res.response.model == "gemini-api/gemini-2.5-flash", res.response
    req = le.request("CountTokensRequest", "openai/gpt-test")
    res = e2e.call(ch, le.method("CountTokens"), req, timeout=30)
    assert res.code == grpc.StatusCode.UNIMPLEMENTED, res


def list_models(ch, **kw):
    res = e2e.call(ch, le.method("ListLLMModels"), le.CONTRACT.new("aia.v1.ListLLMModelsRequest", **kw))
    assert res.code == OK, res
    return res.response


def test_list_models_filter_and_pages(ch):
    full = list_models(ch, page_size=1000)
    names = [m.name for m in full.models]
    assert names == sorted(names) and len(names) >= 4, names
    assert {m.provider for m in full.models} >= {"vertex", "gemini-api", "openai", "local"}, names
    assert not full.next_page_token
    assert any(m.provider == "local" and "tiny" in m.name and m.available for m in full.models), names
    only = list_models(ch, provider="openai", page_size=1000)
    assert only.models and all(m.provider == "openai" for m in only.models)
    walked, token = [], ""
    while True:
        page = list_models(ch, page_size=2, page_token=token)
        assert len(page.models) <= 2
        walked += [m.name for m in page.models]
        token = page.next_page_token
        if not token:
            break
    assert walked == names
    res = e2e.call(ch, le.method("ListLLMModels"), le.CONTRACT.new("aia.v1.ListLLMModelsRequest", provider="nope"))
    assert res.code == grpc.StatusCode.INVALID_ARGUMENT and "provider" in res.details, res


@pytest.mark.parametrize("build,field", [
    (lambda: le.CONTRACT.new("aia.v1.StreamGenerateRequest", model="openai/x"), "contents"),
    (lambda: _with_role("assistant"), "contents[0].role"),
    (lambda: le.request("StreamGenerateRequest", "openai/x", config={"top_p": 2.0}), "generation_config.top_p"),
    (lambda: le.request("StreamGenerateRequest", "openai/x", config={"max_output_tokens": 0}),
     "generation_config.max_output_tokens"),
])
def test_validation_names_the_field(ch, build, field):
    res = e2e.call(ch, le.method("StreamGenerate"), build())
    assert res.code == grpc.StatusCode.INVALID_ARGUMENT, res
    assert res.details.startswith(field), res.details


def _with_role(role):
    m = le.request("StreamGenerateRequest", "openai/x")
    m.contents[0].role = role
    return m


def test_local_tiny_model_stream_and_generate(ch, srv):
    cfg = {"temperature": 0.0, "max_output_tokens": 8}
    res = le.stream(ch, "local/tiny", config=cfg, timeout=60)
    assert res.code == OK, f"{res}{srv.diag(30)}"
    last = res.responses[-1]
    assert last.provider == "local" and le.finish_name(last.finish_reason) == "FINISH_REASON_MAX_TOKENS", last
    assert last.usage.output_tokens == 8 and last.usage.prompt_tokens > 0, last.usage
    g = le.generate(ch, "local/tiny", config=cfg, timeout=60)
    assert g.code == OK, g
    assert g.response.text == le.text_of(res.responses), "greedy decoding is deterministic"


def test_concurrent_streams(ch):
    results = [None] * 6
    md = [(("x-aia-caller", f"c{i}"),) for i in range(6)]

    def run(i):
        results[i] = le.stream(ch, "openai/bursty-concurrent" if i % 2 else "gemini-api/bursty-concurrent",
                               metadata=md[i])

    ts = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for r in results:
        assert r.code == OK, r
        assert le.text_of(r.responses) == "".join("b%d " % i for i in range(200))


def test_usage_in_metrics(ch):
    le.stream(ch, "openai/gpt-metrics", metadata=(("x-aia-caller", "metrics-caller"),))
    body = e2e.call(ch, e2e.method_by_name("aia.v1.SystemService/GetMetrics")).response.data.decode()
    assert "aia_llm_tokens_total" in body, body[-2000:]
    assert "metrics-caller" in body


def test_slow_reader_gets_every_token_coalesced(up):
    """With a one-message stream queue and a client that reads slowly, the
    bursty upstream's 200 chunks arrive whole and in order, in fewer
    messages: refused sends keep their text for the next message, and the
    final message still comes."""
    s = le.start_server(up, extra=["--stream-queue-depth", "1"])
    try:
        c = grpc.insecure_channel(s.address, options=[("grpc.max_receive_message_length", 1 << 20)])
        got = []
        for model in ("openai/bursty-lagging-reader", "gemini-api/bursty-lagging-reader"):
            it, _ = le.open_stream(c, model)
            msgs = []
            for r in it:
                msgs.append(r)
                time.sleep(0.02)
            assert it.code() == OK, it.details()
            assert le.text_of(msgs) == "".join("b%d " % i for i in range(200)), model
            assert le.finish_name(msgs[-1].finish_reason) == "FINISH_REASON_STOP" and msgs[-1].HasField("usage")
            got.append(len(msgs))
        c.close()
        assert min(got) < 200, f"messages per stream {got}: nothing was coalesced"
    finally:
        s.stop()


def test_generate_deadline_reaches_upstream(ch, up):
    """Generate collects a stream on a worker; the client's deadline cancels
    the upstream request too."""
    res = le.generate(ch, "openai/slow-deadline", timeout=0.8)
    assert res.code == grpc.StatusCode.DEADLINE_EXCEEDED, res
    le.wait_for(lambda: up.stats()["disconnects"].get("slow-deadline"), 3.0, "the upstream saw no disconnect")


def test_shutdown_ends_streams_unavailable(up):
    """SIGTERM while a stream runs: the stream ends (UNAVAILABLE, the server
    is shutting down) well before the upstream would have finished, and the
    server exits 0 with every call released."""
    s = le.start_server(up, extra=["--shutdown-grace-ms", "200"])
    c = grpc.insecure_channel(s.address)
    it, _ = le.open_stream(c, "openai/slow-shutdown")
    assert next(it).text
    t0 = time.monotonic()
    s.stop()
    try:
        for _ in it:
            pass
    except grpc.RpcError:
        pass
    assert it.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED), (it.code(), it.details())
    assert time.monotonic() - t0 < SLOW_END
    c.close()


def test_local_model_bytes_reach_the_client_as_utf8(ch, srv):
    """A model that writes arbitrary bytes: every message still decodes
    (proto3 strings are UTF-8; an invalid byte arrives as U+FFFD), over
    StreamGenerate and Generate alike."""
    cfg = {"temperature": 0.0, "max_output_tokens": 48}
    res = le.stream(ch, "local/wild", config=cfg, timeout=60)
    assert res.code == OK, f"{res}{srv.diag(30)}"
    assert res.responses[-1].usage.output_tokens == 48
    g = le.generate(ch, "local/wild", config=cfg, timeout=60)
    assert g.code == OK, g
    assert g.response.text == le.text_of(res.responses)
