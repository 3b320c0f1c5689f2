#!/usr/bin/env python3
"""Reference check of lib/llm/llama's forward pass (sh_test llama_reference_test).

Runs `llama_test --dump DIR`, which writes tiny llama GGUFs (one per weight
type) and the logits lib/llm/llama computed for a prompt batch and then
single tokens. Reads each GGUF with the PyPI `gguf` package (its own
dequantisation), runs a plain llama forward pass in float64 with numpy, and
requires every exact-path logit within 1e-4 (the fast int8-activation path
within a loose bound). Usage: llama_reference.py path/to/llama_test
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import gguf

TOL = 1e-4


def field(reader, key):
    f = reader.fields[key]
    v = f.parts[f.data[0]]
    if f.types[0] == gguf.GGUFValueType.STRING:
        return bytes(v).decode()
    return v[0].item()


def load(path):
    r = gguf.GGUFReader(path)
    hp = {
        "n_layer": field(r, "llama.block_count"),
        "n_head": field(r, "llama.attention.head_count"),
        "n_head_kv": field(r, "llama.attention.head_count_kv"),
        "n_rot": field(r, "llama.rope.dimension_count"),
        "base": float(field(r, "llama.rope.freq_base")),
        "eps": float(field(r, "llama.attention.layer_norm_rms_epsilon")),
    }
    assert field(r, "general.architecture") == "llama"
    w = {}
    for t in r.tensors:
        a = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float64)
        # numpy shape is (rows, cols): reversed GGUF dims; norms are 1-D.
        w[t.name] = a.reshape([int(d) for d in reversed(t.shape)]) if len(t.shape) > 1 else a.reshape(-1)
    return hp, w


def rmsnorm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope(x, pos, n_rot, base):
    """x: (n_heads, head_dim). llama.cpp's normal mode: adjacent pairs."""
    x = x.copy()
    i = np.arange(n_rot // 2)
    theta = pos * base ** (-2.0 * i / n_rot)
    c, s = np.cos(theta), np.sin(theta)
    x0, x1 = x[:, 0:n_rot:2].copy(), x[:, 1:n_rot:2].copy()
    x[:, 0:n_rot:2] = x0 * c - x1 * s
    x[:, 1:n_rot:2] = x0 * s + x1 * c
    return x


class Model:
    def __init__(self, path):
        self.hp, self.w = load(path)
        hp = self.hp
        self.head_dim = self.w["blk.0.attn_q.weight"].shape[0] // hp["n_head"]
        self.k = [[] for _ in range(hp["n_layer"])]
        self.v = [[] for _ in range(hp["n_layer"])]

    def step(self, token, pos):
        """One token at position pos (the cache holds [0, pos)); its logits."""
        hp, w, hd = self.hp, self.w, self.head_dim
        assert all(len(c) == pos for c in self.k)
        x = w["token_embd.weight"][token].copy()
        group = hp["n_head"] // hp["n_head_kv"]
        for l in range(hp["n_layer"]):
            p = "blk.%d." % l
            h = rmsnorm(x, w[p + "attn_norm.weight"], hp["eps"])
            q = (w[p + "attn_q.weight"] @ h).reshape(hp["n_head"], hd)
            k = (w[p + "attn_k.weight"] @ h).reshape(hp["n_head_kv"], hd)
            v = (w[p + "attn_v.weight"] @ h).reshape(hp["n_head_kv"], hd)
            q = rope(q, pos, hp["n_rot"], hp["base"])
            k = rope(k, pos, hp["n_rot"], hp["base"])
            self.k[l].append(k)
            self.v[l].append(v)
            K = np.stack(self.k[l])  # (pos + 1, n_head_kv, hd)
            V = np.stack(self.v[l])
            out = np.empty((hp["n_head"], hd))
            for hq in range(hp["n_head"]):
                kv = hq // group
                s = K[:, kv, :] @ q[hq] / np.sqrt(hd)
                e = np.exp(s - s.max())
                out[hq] = (e / e.sum()) @ V[:, kv, :]
            x = x + w[p + "attn_output.weight"] @ out.reshape(-1)
            h = rmsnorm(x, w[p + "ffn_norm.weight"], hp["eps"])
            g = w[p + "ffn_gate.weight"] @ h
            u = w[p + "ffn_up.weight"] @ h
            x = x + w[p + "ffn_down.weight"] @ (g / (1.0 + np.exp(-g)) * u)
        h = rmsnorm(x, w["output_norm.weight"], hp["eps"])
        out_w = w.get("output.weight", w["token_embd.weight"])
        return out_w @ h


def check(dir_, name):
    model = Model(os.path.join(dir_, name + ".gguf"))
    with open(os.path.join(dir_, name + ".json")) as f:
        evals = json.load(f)["evals"]
    worst, worst_fast, scale = 0.0, 0.0, 0.0
    for ev in evals:
        for i, tok in enumerate(ev["tokens"]):
            ref = model.step(tok, ev["pos"] + i)
        got = np.array(ev["logits"])
        fast = np.array(ev["logits_fast"])
        worst = max(worst, float(np.max(np.abs(got - ref))))
        worst_fast = max(worst_fast, float(np.max(np.abs(fast - ref))))
        scale = max(scale, float(np.max(np.abs(ref))))
    ok = worst <= TOL and worst_fast <= 0.05 * scale
    print("%-12s max |exact - ref| %.2e  max |fast - ref| %.2e  (max |logit| %.2f)  %s"
          % (name, worst, worst_fast, scale, "ok" if ok else "FAIL"))
    return ok


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: llama_reference.py path/to/llama_test")
    with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as d:
        subprocess.run([sys.argv[1], "--dump", d], check=True)
        names = sorted(n[:-5] for n in os.listdir(d) if n.endswith(".json"))
        if len(names) != 7:
            sys.exit("expected 7 dumped models, got %s" % names)
        results = [check(d, n) for n in names]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
