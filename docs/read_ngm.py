#!/usr/bin/env python3
"""Read (and write) netgeom's .ngm model files without netgeom.

An independent implementation of the format specified in docs/checkpoint.md,
in Python 3 with the standard library only. It was written from that spec
(and models/checkpoint.go) and checked against the Go code as that page says.

    python3 docs/read_ngm.py MODEL.ngm                 # header, layers, first weights
    python3 docs/read_ngm.py MODEL.ngm --input 0.1,-0.2,0.3,0.5   # plus the logits
    python3 docs/read_ngm.py MODEL.ngm --input=-1,0.5,2,0        # (= when X starts with -)
    python3 docs/read_ngm.py MODEL.ngm --json          # the same as JSON
    python3 docs/read_ngm.py MODEL.ngm --rewrite OUT.ngm   # re-encode (new JSON, new hash)

As a library: read_ngm(path) -> (header, params); encode_ngm(header, params)
-> bytes; layer_blocks(header) -> where each tensor lies in params;
forward(header, params, x) -> the network's outputs (logits) at one input.
"""

import argparse
import hashlib
import json
import math
import struct
import sys

MAGIC = b"NGMLP\r\n\x1a"
VERSION = 1
PREFIX = 48  # magic 8 + version 4 + header length 4 + SHA-256 32
MAX_HEADER = 16 << 20
FORMAT = "netgeom-mlp"

# Names as netgeom accepts them (case-insensitive, surrounding space ignored);
# writers use the canonical (first) spelling.
KIND_NAMES = {
    "dense": "dense", "d": "dense", "additive": "dense",
    "product": "product", "p": "product", "mul": "product", "multiplicative": "product",
    "attention": "attention", "a": "attention", "attn": "attention",
}
LOSS_NAMES = {
    "cross-entropy": "cross-entropy", "crossentropy": "cross-entropy", "ce": "cross-entropy",
    "xent": "cross-entropy", "softmax": "cross-entropy",
    "squared-error": "squared-error", "squared": "squared-error", "mse": "squared-error",
    "se": "squared-error",
}


class NGMError(Exception):
    """A malformed model file."""


def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


ACTIVATIONS = {
    "tanh": math.tanh,
    "erf": math.erf,
    "relu": lambda x: x if x > 0 else 0.0,
    "linear": lambda x: x,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "hard-tanh": lambda x: max(-1.0, min(1.0, x)),
    "sin": math.sin,
    "gelu": lambda x: x * 0.5 * (1.0 + math.erf(x / math.sqrt(2.0))),
    "swish": lambda x: x * _sigmoid(x),
}
ACTIVATION_ALIASES = {"logistic": "sigmoid", "hardtanh": "hard-tanh"}


def _canon(table, what, name):
    key = str(name).strip().lower()
    if key in table:
        return table[key]
    raise NGMError("unknown %s %r" % (what, name))


def activation_name(name):
    key = str(name).strip().lower()
    key = ACTIVATION_ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        raise NGMError("unknown activation %r" % name)
    return key


def kinds_of(header):
    """The layers' kinds, one per layer (all dense when 'kinds' is absent or empty)."""
    L = len(header["widths"]) - 1
    s = header.get("kinds", "")
    if not s:
        return ["dense"] * L
    ks = [_canon(KIND_NAMES, "layer kind", f) for f in s.split(",")]
    if len(ks) != L:
        raise NGMError("%d layer kinds for %d layers" % (len(ks), L))
    return ks


def layer_blocks(header):
    """Where every tensor of every layer lies in the flat parameter vector.

    Returns a list, one entry per layer l = 1..L, of dicts with the layer's
    kind, the offset and size of its block, and its tensors as
    (name, rows, cols, offset): each a rows x cols column-major matrix (cols
    = 1 for a bias) whose element (i, j) is params[offset + i + j*rows].
    """
    widths = header["widths"]
    if not isinstance(widths, list) or len(widths) < 2:
        raise NGMError("widths %r: want at least two" % (widths,))
    for w in widths:
        if not isinstance(w, int) or isinstance(w, bool) or w < 1:
            raise NGMError("width %r: widths must be integers >= 1" % (w,))
    kinds = kinds_of(header)
    D = header.get("token_dim", 0)
    if not isinstance(D, int) or D < 0:
        raise NGMError("token_dim %r: want an integer >= 0" % (D,))
    blocks, off = [], 0
    for l in range(1, len(widths)):
        n_in, n_out, kind = widths[l - 1], widths[l], kinds[l - 1]
        if kind == "dense":
            shapes = [("W", n_out, n_in), ("b", n_out, 1)]
        elif kind == "product":
            shapes = [("W", n_out, n_in), ("b", n_out, 1), ("V", n_out, n_in), ("c", n_out, 1)]
        else:
            if n_in != n_out:
                raise NGMError("layer %d is attention but maps %d to %d features" % (l, n_in, n_out))
            if D < 1 or n_out % D != 0:
                raise NGMError("layer %d is attention over width %d: token_dim %d does not divide it" % (l, n_out, D))
            shapes = [("Wq", D, D), ("Wk", D, D), ("Wv", D, D)]
        start, tensors = off, []
        for name, r, c in shapes:
            tensors.append((name, r, c, off))
            off += r * c
        blocks.append({"layer": l, "kind": kind, "offset": start, "size": off - start, "tensors": tensors})
    return blocks


def num_params(header):
    b = layer_blocks(header)
    return b[-1]["offset"] + b[-1]["size"]


def decode_ngm(raw, name="model"):
    """Parse and verify the bytes of a model file; return (header, params)."""
    def fail(msg):
        raise NGMError("%s: %s" % (name, msg))
    if len(raw) < PREFIX:
        fail("%d bytes: shorter than the %d-byte fixed prefix" % (len(raw), PREFIX))
    if raw[:8] != MAGIC:
        fail("not a netgeom model file (starts with %r)" % raw[:8])
    version, hlen = struct.unpack_from("<II", raw, 8)
    if version != VERSION:
        fail("format version %d; this reader reads %d" % (version, VERSION))
    if hlen > MAX_HEADER:
        fail("header length %d exceeds %d" % (hlen, MAX_HEADER))
    body = raw[PREFIX:]
    if hlen > len(body):
        fail("truncated: the header needs %d bytes, %d follow" % (hlen, len(body)))
    digest = hashlib.sha256(body).digest()
    if digest != raw[16:48]:
        fail("SHA-256 mismatch: stored %s, computed %s" % (raw[16:48].hex(), digest.hex()))
    try:
        header = json.loads(body[:hlen].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail("header: %s" % e)
    if not isinstance(header, dict):
        fail("header is not a JSON object")
    if header.get("format") != FORMAT:
        fail("header format %r; expected %r" % (header.get("format"), FORMAT))
    activation_name(header.get("activation", ""))
    _canon(LOSS_NAMES, "loss", header.get("loss", ""))
    try:
        P = num_params(header)
    except NGMError as e:
        fail("header: %s" % e)
    if header.get("params") != P:
        fail("header says %r parameters; its architecture has %d" % (header.get("params"), P))
    if len(body) - hlen != 8 * P:
        fail("%d bytes of parameters; %d float64s need %d" % (len(body) - hlen, P, 8 * P))
    params = list(struct.unpack_from("<%dd" % P, body, hlen))
    for i, v in enumerate(params):
        if not math.isfinite(v):
            fail("parameter %d is %r" % (i, v))
    return header, params


def read_ngm(path):
    with open(path, "rb") as f:
        return decode_ngm(f.read(), path)


def encode_ngm(header, params):
    """The bytes of a model file: header (a dict) and params (floats).

    Sets 'params' from len(params) and checks it against the architecture.
    The JSON is compact UTF-8; key order is the dict's.
    """
    header = dict(header)
    header["params"] = len(params)
    header["format"] = FORMAT
    if num_params(header) != len(params):
        raise NGMError("%d parameters for an architecture of %d" % (len(params), num_params(header)))
    if not all(math.isfinite(v) for v in params):
        raise NGMError("non-finite parameter")
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    if len(js) > MAX_HEADER:
        raise NGMError("header of %d bytes exceeds %d" % (len(js), MAX_HEADER))
    body = js + struct.pack("<%dd" % len(params), *params)
    return MAGIC + struct.pack("<II", VERSION, len(js)) + hashlib.sha256(body).digest() + body


def _matvec(params, off, rows, cols, x):
    """W x for the rows x cols column-major matrix at params[off:]."""
    y = [0.0] * rows
    for j in range(cols):
        xj = x[j]
        base = off + j * rows
        for i in range(rows):
            y[i] += params[base + i] * xj
    return y


def forward(header, params, x):
    """The outputs z of the network at one input x (a list of widths[0] floats).

    Dense hidden layers apply the activation, the last dense layer is
    linear; product layers multiply their two affine factors (no
    activation); attention layers are single-head self-attention over tokens
    of dimension token_dim (token t = coordinates t*D .. t*D + D - 1).
    """
    phi = ACTIVATIONS[activation_name(header["activation"])]
    blocks = layer_blocks(header)
    L = len(blocks)
    if len(x) != header["widths"][0]:
        raise NGMError("input has %d numbers; the network takes %d" % (len(x), header["widths"][0]))
    h = [float(v) for v in x]
    for blk in blocks:
        t = {name: (r, c, off) for name, r, c, off in blk["tensors"]}
        if blk["kind"] in ("dense", "product"):
            r, c, off = t["W"]
            u = _matvec(params, off, r, c, h)
            ob = t["b"][2]
            u = [u[i] + params[ob + i] for i in range(r)]
            if blk["kind"] == "dense":
                h = u if blk["layer"] == L else [phi(v) for v in u]
            else:
                r, c, off = t["V"]
                w = _matvec(params, off, r, c, h)
                oc = t["c"][2]
                h = [u[i] * (w[i] + params[oc + i]) for i in range(r)]
        else:
            D = header["token_dim"]
            T = len(h) // D
            X = [h[k * D:(k + 1) * D] for k in range(T)]
            Q = [_matvec(params, t["Wq"][2], D, D, xk) for xk in X]
            K = [_matvec(params, t["Wk"][2], D, D, xk) for xk in X]
            V = [_matvec(params, t["Wv"][2], D, D, xk) for xk in X]
            s = 1.0 / math.sqrt(D)
            out = []
            for i in range(T):  # query i: softmax over keys j
                S = [s * sum(K[j][d] * Q[i][d] for d in range(D)) for j in range(T)]
                m = max(S)
                e = [math.exp(v - m) for v in S]
                z = sum(e)
                y = [sum(V[j][d] * e[j] / z for j in range(T)) for d in range(D)]
                if header.get("residual", False):
                    y = [y[d] + X[i][d] for d in range(D)]
                out.extend(y)
            h = out
    return h


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--input", help="comma-separated input vector: also print the logits there")
    ap.add_argument("--weights", type=int, default=5, help="how many leading weights to print per layer")
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("--rewrite", metavar="OUT", help="write the model back out through encode_ngm")
    a = ap.parse_args(argv)
    try:
        header, params = read_ngm(a.model)
        blocks = layer_blocks(header)
        out = {
            "model": a.model,
            "sha256_ok": True,
            "arch": "-".join(str(w) for w in header["widths"]),
            "kinds": kinds_of(header),
            "activation": header["activation"],
            "loss": header["loss"],
            "params": len(params),
            "sum_params": math.fsum(params),
            "layers": [{
                "layer": b["layer"], "kind": b["kind"], "offset": b["offset"], "size": b["size"],
                "first": params[b["offset"]:b["offset"] + min(a.weights, b["size"])],
            } for b in blocks],
        }
        if a.input is not None:
            out["input"] = [float(v) for v in a.input.split(",")]
            out["logits"] = forward(header, params, out["input"])
        if a.rewrite:
            with open(a.rewrite, "wb") as f:
                f.write(encode_ngm(header, params))
            out["rewritten"] = a.rewrite
    except (NGMError, OSError, ValueError, KeyError) as e:
        print("read_ngm: %s" % e, file=sys.stderr)
        return 1
    if a.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return 0
    print("%s: %s %s (%s), %s loss, %d parameters, SHA-256 ok, sum %.17g" % (
        a.model, out["arch"], header["activation"], ",".join(out["kinds"]), header["loss"],
        len(params), out["sum_params"]))
    for b in out["layers"]:
        print("  layer %d %-9s params [%d, %d): first %s" % (
            b["layer"], b["kind"], b["offset"], b["offset"] + b["size"],
            " ".join("%.17g" % v for v in b["first"])))
    if "logits" in out:
        print("  logits at %s: %s" % (a.input, " ".join("%.17g" % v for v in out["logits"])))
    if a.rewrite:
        print("  rewrote %s" % a.rewrite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
