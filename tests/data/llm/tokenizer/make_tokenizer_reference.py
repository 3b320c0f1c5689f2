#!/usr/bin/env python3
"""Reference token ids for lib/llm/tokenizer from Hugging Face `tokenizers`.

Reads the vocabulary, token types, merges and special ids out of a GGUF
(SmolLM2-135M-Instruct) with the `gguf` package, writes them as plain-text
fixtures, rebuilds the tokenizer in `tokenizers` the way SmolLM2's
tokenizer.json declares it (BPE; pre-tokenizer Digits(individual) then
ByteLevel without prefix space; the 17 control tokens as special added
tokens) and encodes every string of tokenizer_corpus.json.

    pip install gguf tokenizers
    python3 tests/data/llm/tokenizer/make_tokenizer_reference.py MODEL.gguf tests/data/llm/tokenizer

Outputs (in the output directory):
  smollm2_vocab.txt    one token a line: "<type>\\t<token>" (id = line number - 1)
  smollm2_merges.txt   one merge a line, in rank order
  smollm2_special.txt  "bos N", "eos N", "pad N", "unk N"
  tokenizer_expected.txt  one case a line: "<text as hex>\\t<ids separated by spaces>":
                       tokenizer_corpus.json's texts, then 300 seeded random
                       strings over a pool of tricky characters
"""
import json
import os
import random
import sys

from gguf import GGUFReader
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers


def field_strings(r, key):
    f = r.fields[key]
    return [bytes(f.parts[i]).decode("utf-8") for i in f.data]


def field_ints(r, key):
    f = r.fields[key]
    return [int(f.parts[i][0]) for i in f.data]


def field_int(r, key):
    f = r.fields[key]
    return int(f.parts[f.data[0]][0])


# Characters the pre-tokenizer treats differently: letters of several
# scripts, ASCII and other digits, apostrophes and contraction letters,
# punctuation, several kinds of whitespace, multi-byte symbols, and the
# control-token markup.
POOL = (list("abcdefstmdlrvEXY'\"0123456789.,;!?-_()[]{}<>|/\\")
        + [" ", " ", " ", "\n", "\t", "\r", "\u00a0", "\u3000"]
        + list("éÜßжЯ中文日本ع٣½Ⅻ😀👍🏽\u200d\u0301")
        + ["<|im_start|>", "<|im_end|>", "'s", "'ll", "'RE", "  ", "\n\n"])


def random_corpus(n, seed=7):
    rng = random.Random(seed)
    return ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def main():
    model, outdir = sys.argv[1], sys.argv[2]
    r = GGUFReader(model)
    tokens = field_strings(r, "tokenizer.ggml.tokens")
    types = field_ints(r, "tokenizer.ggml.token_type")
    merges = field_strings(r, "tokenizer.ggml.merges")
    special = {k: field_int(r, f"tokenizer.ggml.{k}_token_id")
               for k in ("bos", "eos", "padding", "unknown")}
    for t in tokens:
        assert "\n" not in t and "\t" not in t and t, repr(t)

    with open(os.path.join(outdir, "smollm2_vocab.txt"), "w", encoding="utf-8") as f:
        for ty, t in zip(types, tokens):
            f.write(f"{ty}\t{t}\n")
    with open(os.path.join(outdir, "smollm2_merges.txt"), "w", encoding="utf-8") as f:
        for m in merges:
            f.write(m + "\n")
    with open(os.path.join(outdir, "smollm2_special.txt"), "w") as f:
        for name, key in (("bos", "bos"), ("eos", "eos"), ("pad", "padding"), ("unk", "unknown")):
            f.write(f"{name} {special[key]}\n")

    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ")) for m in merges]
    tok = Tokenizer(models.BPE(vocab, pairs, unk_token=None, fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == 3])

    with open(os.path.join(outdir, "tokenizer_corpus.json"), encoding="utf-8") as f:
        corpus = json.load(f)
    corpus += random_corpus(300)
    with open(os.path.join(outdir, "tokenizer_expected.txt"), "w") as f:
        for text in corpus:
            ids = tok.encode(text, add_special_tokens=False).ids
            assert tok.decode(ids, skip_special_tokens=False) == text, text
            f.write(text.encode("utf-8").hex() + "\t" + " ".join(map(str, ids)) + "\n")


if __name__ == "__main__":
    main()
