# Makes package pytorch's test fixtures with PyTorch: two MLPs trained on a
# small synthetic classification set, saved as safetensors (written here
# by hand from the format's specification, since Debian packages PyTorch but
# not the safetensors module), with the reference values netgeom must
# reproduce: the mean cross-entropy loss, the gradient's norm and the
# eigenvalues of the dense Hessian of the loss in the parameters
# (torch.autograd.functional.hessian, float64 throughout), and the loss on a
# 3 x 3 grid of a filter-normalised 2-D slice (Li et al. 2018: each row of
# each weight matrix of a Gaussian direction scaled to the norm of the
# model's row, biases zero) at alpha, beta in {-0.5, 0, 0.5}, alpha-major,
# with the raw Gaussian directions stored in netgeom's parameter layout
# (per layer W column-major, i.e. W.T flattened, then b).
#
# Made with Debian 12's python3-torch 1.13 (torch.__version__ 1.13.0a0) and
# python3-numpy 1.24.2:   /usr/bin/python3 make_fixtures.py
import json
import struct

import numpy as np
import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

N, D, C = 60, 4, 3
X = torch.randn(N, D)
teacher = torch.randn(D, C)
y = (X @ teacher + 0.3 * torch.randn(N, C)).argmax(dim=1)
np.save("x.npy", X.numpy())
np.save("y.npy", y.numpy().astype(np.int64))


def save_safetensors(path, tensors, dtype):
    """tensors: list of (name, float64 tensor); dtype 'F64' or 'F32'."""
    header, blobs, at = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors:
        arr = t.detach().numpy().astype("<f8" if dtype == "F64" else "<f4")
        raw = arr.tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def references(model):
    params = [p for p in model.parameters()]
    shapes = [p.shape for p in params]
    flat0 = torch.cat([p.detach().reshape(-1) for p in params])

    def loss_of(flat):
        at, ws = 0, []
        for s in shapes:
            n = int(np.prod(s))
            ws.append(flat[at:at + n].reshape(s))
            at += n
        h = X
        lin = [m for m in model if isinstance(m, torch.nn.Linear)]
        acts = [m for m in model if not isinstance(m, torch.nn.Linear)]
        for i in range(len(lin)):
            h = h @ ws[2 * i].T + ws[2 * i + 1]
            if i < len(acts):
                h = acts[i](h)
        return torch.nn.functional.cross_entropy(h, y)

    loss = loss_of(flat0)
    f = flat0.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_of(f), f)
    H = torch.autograd.functional.hessian(loss_of, flat0)
    ev = torch.linalg.eigvalsh(H).flip(0)

    # The slice: raw Gaussian directions per tensor, filter-normalised in
    # PyTorch's own layout (W is out x in: a filter is a row).
    gen = torch.Generator().manual_seed(7)
    raws, dirs = [], []
    for _ in range(2):
        raw, d = [], []
        for p in params:
            g = torch.randn(p.shape, generator=gen)
            raw.append(g.T.reshape(-1) if g.dim() == 2 else g)  # netgeom's layout
            if g.dim() == 2:
                g = g * (p.detach().norm(dim=1, keepdim=True) / g.norm(dim=1, keepdim=True))
            else:
                g = torch.zeros_like(g)
            d.append(g.reshape(-1))
        raws.append(torch.cat(raw).tolist())
        dirs.append(torch.cat(d))
    grid = [-0.5, 0.0, 0.5]
    slice_loss = [loss_of(flat0 + a * dirs[0] + b * dirs[1]).item() for a in grid for b in grid]
    return {"params": int(flat0.numel()), "loss": loss.item(), "grad_norm": grad.norm().item(),
            "eigenvalues": ev.tolist(), "slice": {"raw": raws, "range": 0.5, "points": 3, "train_loss": slice_loss}}


for name, act, dtype in [("tanh", torch.nn.Tanh, "F64"), ("relu", torch.nn.ReLU, "F32")]:
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(D, 8), act(), torch.nn.Linear(8, 6), act(), torch.nn.Linear(6, C))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for step in range(200 if name == "tanh" else 40):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    if dtype == "F32":  # the file holds float32 weights: the references are of those weights
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.float().double())
    save_safetensors(f"mlp_{name}.safetensors", list(model.state_dict().items()), dtype)
    ref = references(model)
    ref["torch"] = torch.__version__
    ref["activation"] = name
    ref["arch"] = [D, 8, 6, C]
    with open(f"mlp_{name}.json", "w") as f:
        json.dump(ref, f, indent=1)
    print(name, ref["params"], ref["loss"], ref["grad_norm"], ref["eigenvalues"][:3])
