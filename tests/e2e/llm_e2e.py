"""Helpers for the LLMService end-to-end tests (test_llm*.py,
test_cli_llm.py): the test upstream (tests/llm_upstream/upstream.py) on a
free port, an aia-server pointed at it for every remote provider (Vertex AI
with the committed throwaway service-account key and the upstream's token
endpoint, the Gemini API with the upstream's test key, an OpenAI-compatible
server), typed calls to aia.v1.LLMService, and a tiny random llama GGUF
(written with the PyPI `gguf` package) for the local provider.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc

import aia_e2e as e2e

SERVICE = "aia.v1.LLMService"
CONTRACT = e2e.contract()
GEMINI_TEST_KEY = "test-api-key"  # what upstream.py accepts
SA_EMAIL = "aia-test@aia-test.iam.gserviceaccount.com"


def upstream_dir():
    return e2e.repo_root() / "tests" / "llm_upstream"


class Upstream:
    """upstream.py as a subprocess; `stats()` reads what it saw."""

    def __init__(self):
        self.dir = e2e.scratch_dir("aia-llm-upstream-")
        port_file = self.dir / "port"
        self.log = open(self.dir / "upstream.stderr", "wb")
        self.proc = subprocess.Popen([sys.executable, str(upstream_dir() / "upstream.py"), "--port-file",
                                      str(port_file)], stdout=subprocess.DEVNULL, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not port_file.exists():
            assert self.proc.poll() is None, f"upstream.py exited: {e2e.read_log(self.dir / 'upstream.stderr')}"
            assert time.monotonic() < deadline, "upstream.py did not write its port in 15 s"
            time.sleep(0.05)
        self.port = int(port_file.read_text().strip())
        self.url = f"http://127.0.0.1:{self.port}"

    def stats(self):
        with urllib.request.urlopen(self.url + "/_stats", timeout=5) as r:
            return json.loads(r.read())

    def key_file(self):
        """A service-account key file whose token_uri is this upstream."""
        path = self.dir / "sa.json"
        if not path.exists():
            pem = (upstream_dir() / "test_key.pem").read_text()
            path.write_text(json.dumps({"type": "service_account", "client_email": SA_EMAIL, "private_key": pem,
                                        "token_uri": self.url + "/token"}))
        return path

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def server_args(up, models_dir=None, extra=()):
    a = ["--vertex-base-url", up.url, "--vertex-project", "aia-test", "--vertex-region", "europe-west4",
         "--vertex-credentials", str(up.key_file()), "--gemini-api-base-url", up.url,
         "--openai-base-url", up.url]
    if models_dir:
        a += ["--llm-models-dir", str(models_dir)]
    return a + list(extra)


def server_env():
    """API keys come from the environment only."""
    return {"GEMINI_API_KEY": GEMINI_TEST_KEY, "OPENAI_API_KEY": "", "OPENAI_BASE_URL": "",
            "GOOGLE_APPLICATION_CREDENTIALS": "", "GOOGLE_CLOUD_PROJECT": ""}


def start_server(up, models_dir=None, extra=()):
    return e2e.start_server(extra_args=server_args(up, models_dir, extra), env=server_env())


def method(name):
    return e2e.method_by_name(f"{SERVICE}/{name}")


def request(kind, model, prompt="Say hello", system=None, config=None, **kw):
    msg = CONTRACT.new(f"aia.v1.{kind}", model=model, **kw)
    c = msg.contents.add(role="user")
    c.parts.add(text=prompt)
    if system is not None:
        msg.system_instruction.parts.add(text=system)
    for k, v in (config or {}).items():
        if k == "stop_sequences":
            msg.generation_config.stop_sequences.extend(v)
        else:
            getattr(msg.generation_config, k).value = v
    return msg


def stream(channel, model, timeout=30.0, metadata=None, **kw):
    return e2e.call(channel, method("StreamGenerate"), request("StreamGenerateRequest", model, **kw),
                    timeout=timeout, metadata=metadata)


def generate(channel, model, timeout=30.0, metadata=None, **kw):
    return e2e.call(channel, method("Generate"), request("GenerateRequest", model, **kw), timeout=timeout,
                    metadata=metadata)


def open_stream(channel, model, timeout=30.0, metadata=None, **kw):
    """A live StreamGenerate call (for timing and cancel): it yields decoded
    messages and has the call's cancel(), code() and details()."""
    out_cls = CONTRACT.cls("aia.v1.StreamGenerateResponse")
    req = request("StreamGenerateRequest", model, **kw).SerializeToString()
    it = channel.unary_stream(method("StreamGenerate").path, response_deserializer=out_cls.FromString)(
        req, timeout=timeout, metadata=metadata)
    return it, out_cls


def text_of(responses):
    return "".join(r.text for r in responses)


def finish_name(value):
    return CONTRACT.pool.FindEnumTypeByName("aia.v1.FinishReason").values_by_number[value].name


def ratings_of(msg):
    """A message's safety_ratings as {category name: (probability name, blocked)}."""
    cat = CONTRACT.pool.FindEnumTypeByName("aia.v1.HarmCategory").values_by_number
    prob = CONTRACT.pool.FindEnumTypeByName("aia.v1.HarmProbability").values_by_number
    return {cat[r.category].name: (prob[r.probability].name, r.blocked) for r in msg.safety_ratings}


# ---- a tiny local model --------------------------------------------------------

N_LAYER, N_EMBD, N_HEAD, N_HEAD_KV, HEAD_DIM, N_FF = 2, 64, 4, 2, 16, 96
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
          "{% endif %}")


def _byte_alphabet():
    """GPT-2's byte-to-unicode alphabet."""
    printable = [b for b in range(256) if 33 <= b <= 126 or 161 <= b <= 172 or b >= 174]
    out, k = {}, 0
    for b in range(256):
        if b in printable:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + k)
            k += 1
    return [out[b] for b in range(256)]


def write_tiny_gguf(path, n_ctx=512, seed=7, ascii_only=True):
    """A random 2-layer llama GGUF with a byte-level BPE vocabulary and a
    ChatML template. The output rows of the control tokens (and, with
    `ascii_only`, of the bytes outside printable ASCII) are zero, so greedy
    decoding (whose best logit is positive in practice) never ends the turn
    by itself: generation stops at max_output_tokens. Without `ascii_only`
    the model writes arbitrary bytes, invalid UTF-8 included."""
    import numpy as np
    import gguf

    rng = np.random.default_rng(seed)
    tokens = SPECIAL + _byte_alphabet() + ["\u0120t", "he"]
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(N_LAYER)
    w.add_context_length(n_ctx)
    w.add_embedding_length(N_EMBD)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("gpt2")
    w.add_token_list(tokens)
    w.add_token_types([3 if i < len(SPECIAL) else 1 for i in range(len(tokens))])
    w.add_token_merges(["\u0120 t", "h e"])
    w.add_eos_token_id(0)
    w.add_chat_template(CHATML)

    def mat(rows, cols):
        return rng.uniform(-0.15, 0.15, size=(rows, cols)).astype(np.float32)

    def norm(n):
        return np.ones(n, dtype=np.float32)

    w.add_tensor("token_embd.weight", mat(len(tokens), N_EMBD))
    w.add_tensor("output_norm.weight", norm(N_EMBD))
    out = mat(len(tokens), N_EMBD)
    out[:len(SPECIAL)] = 0
    for b in (list(range(0, 32)) + list(range(127, 256))) if ascii_only else ():
        out[len(SPECIAL) + b] = 0
    w.add_tensor("output.weight", out)
    for layer in range(N_LAYER):
        p = f"blk.{layer}."
        w.add_tensor(p + "attn_norm.weight", norm(N_EMBD))
        w.add_tensor(p + "attn_q.weight", mat(N_HEAD * HEAD_DIM, N_EMBD))
        w.add_tensor(p + "attn_k.weight", mat(N_HEAD_KV * HEAD_DIM, N_EMBD))
        w.add_tensor(p + "attn_v.weight", mat(N_HEAD_KV * HEAD_DIM, N_EMBD))
        w.add_tensor(p + "attn_output.weight", mat(N_EMBD, N_HEAD * HEAD_DIM))
        w.add_tensor(p + "ffn_norm.weight", norm(N_EMBD))
        w.add_tensor(p + "ffn_gate.weight", mat(N_FF, N_EMBD))
        w.add_tensor(p + "ffn_up.weight", mat(N_FF, N_EMBD))
        w.add_tensor(p + "ffn_down.weight", mat(N_EMBD, N_FF))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return Path(path)


def models_dir_with_tiny():
    """tiny.gguf (ASCII output) and wild.gguf (any bytes)."""
    d = e2e.scratch_dir("aia-llm-models-")
    write_tiny_gguf(d / "tiny.gguf")
    write_tiny_gguf(d / "wild.gguf", seed=7, ascii_only=False)
    return d


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout}s")


def code_of(res):
    return res.code if res.code else grpc.StatusCode.OK
