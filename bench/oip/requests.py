#!/usr/bin/env python3
"""bench/oip/requests.py — the benchmark's requests as binary protobuf
files for `ghz --binary-file`, built from the contract in proto/ (compiled
with grpc_tools, as the end-to-end tests do), so that aia-server and
MLServer get byte-identical ModelInfer requests:

  infer-1.bin      ModelInferRequest: model MODEL, input "input-0" FP64
                   [1, 30] in contents.fp64_contents (the first row)
  infer-1000.bin   the same with 1,000 rows
  predict-1000.bin aia.v1.PredictRequest: model MODEL, 1,000 instances
                   (feature name → value), for aia's own Predict

  requests.py --rows ROWS.json --model NAME --out DIR
"""

import argparse
import importlib.resources
import json
import math
import os
import struct
import sys
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOGLEAPIS = "/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis"


def pool():
    from grpc_tools import protoc
    incs = [os.path.join(ROOT, "proto"), os.path.join(ROOT, "proto", "third_party"), "/usr/include", GOOGLEAPIS,
            str(importlib.resources.files("grpc_tools") / "_proto")]
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "set.pb")
        args = ["protoc"] + [f"-I{i}" for i in incs if os.path.isdir(i)] + [
            "--include_imports", f"--descriptor_set_out={out}", "inference/grpc_predict_v2.proto",
            "aia/v1/model.proto"]
        if protoc.main(args) != 0:
            sys.exit("requests.py: protoc failed: " + " ".join(args))
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    p = descriptor_pool.DescriptorPool()
    for f in fds.file:
        p.Add(f)
    return p


def write(path, msg):
    data = msg.SerializeToString()
    if b"{{" in data:
        sys.exit(f"requests.py: {path} would hold '{{{{', which ghz takes for a template action")
    with open(path, "wb") as f:
        f.write(data)


def no_braces(v):
    """v, moved by the fewest units in the last place that keep "{{" out of
    its 8 little-endian bytes. ghz reads its call data, binary included,
    through Go's text/template, and "{{" there starts an action; the values
    move by at most a few parts in 10^12."""
    b = struct.pack("<d", v)
    while b"{{" in b:
        pos = b.index(b"{{")
        step = math.ulp(v) * 256 ** pos
        v = v - step if v > 0 else v + step
        b = struct.pack("<d", v)
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.rows) as f:
        rows = [[no_braces(v) for v in r] for r in json.load(f)]
    p = pool()
    cls = lambda n: message_factory.GetMessageClass(p.FindMessageTypeByName(n))  # noqa: E731
    os.makedirs(a.out, exist_ok=True)
    for n in (1, 1000):
        req = cls("inference.ModelInferRequest")(model_name=a.model)
        t = req.inputs.add(name="input-0", datatype="FP64", shape=[n, len(rows[0])])
        t.contents.fp64_contents.extend(v for r in rows[:n] for v in r)
        write(os.path.join(a.out, f"infer-{n}.bin"), req)
    req = cls("aia.v1.PredictRequest")(model_id=a.model)
    for r in rows[:1000]:
        req.instances.add().update({f"f{i}": v for i, v in enumerate(r)})
    write(os.path.join(a.out, "predict-1000.bin"), req)


if __name__ == "__main__":
    main()
