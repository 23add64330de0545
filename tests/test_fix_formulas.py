"""Every formula a fix prints is Python, and applied to a correct net it gives the right gradient.

The general fixes of the catalogue list theirs in ``FORMULAS`` (with the net each is right for);
every catalogued mistake writes one for the net it is found in (``Mistake.formula``). Each is parsed,
then run in a namespace holding a reference net's quantities, without the names it assigns, and what
it computes is compared with the truth, taken from a backward pass written here independently of
gradcheck's and checked against ``MLP.gradients``.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.catalogue import CATALOGUE, FORMULAS, Formula
from gradcheck.diagnosis.mistakes import mistakes
from gradcheck.diagnosis.model.infer import infer_arch
from gradcheck.diagnosis.model.layer_check import infer_layer_arch
from gradcheck.nn import MLP


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _act(name, z):
    return {"sigmoid": _sigmoid, "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0), "identity": lambda v: v,
            "leaky_relu": lambda v: np.where(v > 0, v, 0.01 * v), "relu6": lambda v: np.minimum(np.maximum(v, 0), 6),
            "abs": np.abs, "hardtanh": lambda v: np.minimum(np.maximum(v, -1), 1),
            "softmax": lambda v: np.exp(v - v.max(1, keepdims=True)) / np.exp(v - v.max(1, keepdims=True)).sum(1, keepdims=True),
            }[name](z)


def _dact(name, z, a):
    return {"sigmoid": a * (1 - a), "tanh": 1 - a**2, "relu": (z > 0) * 1.0, "identity": np.ones_like(z),
            "leaky_relu": np.where(z > 0, 1.0, 0.01), "relu6": ((z > 0) & (z < 6)) * 1.0,
            "abs": np.where(z > 0, 1.0, -1.0), "hardtanh": ((z > -1) & (z < 1)) * 1.0}[name]


def reference(net: MLP, X, y, masks=None):
    """Rows-form forward and backward of ``net``: Z, A, dZ, dA (mean over the batch) per layer, and
    dA_post (the gradient of a hidden layer's activations after its dropout mask)."""
    L = net.n_layers
    Ws = [net.params[f"W{l}"].T if net.layout == "cols" else net.params[f"W{l}"] for l in range(1, L + 1)]
    bs = [net.params[f"b{l}"].reshape(-1) for l in range(1, L + 1)]
    A = {0: X.T if net.layout == "cols" else X}
    Z, pre = {}, {}
    m = A[0].shape[0]
    for l in range(1, L + 1):
        Z[l] = A[l - 1] @ Ws[l - 1] + bs[l - 1]
        pre[l] = _act(net.activations[l - 1], Z[l])
        A[l] = pre[l] * (masks[l] if masks and l in masks else 1.0)
    Y = net._rows_y(y, m)
    dZ, dA, post = {}, {}, {}
    dA[L] = (A[L] - Y) / m if net.loss_name == "mse" else (A[L] - Y) / (A[L] * (1 - A[L])) / m
    dZ[L] = (A[L] - Y) / m if net.loss_name != "mse" or net.activations[-1] == "identity" else None
    for l in range(L - 1, 0, -1):
        post[l] = dZ[l + 1] @ Ws[l].T
        dA[l] = post[l] * (masks[l] if masks and l in masks else 1.0)
        dZ[l] = dA[l] * _dact(net.activations[l - 1], Z[l], pre[l])
    grads = net.gradients(X, y)
    for l in range(1, L + 1 if not masks else 0):  # the truth written here agrees with gradcheck's reference net
        dW = A[l - 1].T @ dZ[l] + net.l2 * Ws[l - 1]
        assert np.allclose(dW.T if net.layout == "cols" else dW, grads[f"W{l}"])
    return dict(Ws=Ws, A=A, Z=Z, pre=pre, dZ=dZ, dA=dA, post=post, Y=Y, m=m)


def _u(net, v):
    """A rows-form array in the net's own layout."""
    return v.T if net.layout == "cols" else v


def _net_for(f: Formula) -> MLP:
    out = {"bce": "sigmoid", "softmax_ce": "softmax", "mse": "identity"}[f.loss]
    if f.layer == "output":
        acts = ["tanh", "tanh", f.activation]
    else:
        acts = [f.activation, f.activation, out]
    k = 3 if f.loss == "softmax_ce" else 1
    return MLP([3, 4, 4, k], activations=acts, loss=f.loss, layout=f.layout,
               l2=0.1 if _penalized(f) else 0.0, seed=3)


def _penalized(f: Formula) -> bool:
    """The formula is about a penalty's term: its net has an L2 penalty (0.1)."""
    return f.kind.startswith("regularization") or f.kind == "l1_penalty_gradient_wrong"


def _normalize(z, axis, eps=1e-5):
    return (z - z.mean(axis=axis, keepdims=True)) / np.sqrt(z.var(axis=axis, keepdims=True) + eps)


def _norm_namespace(f: Formula):
    """A normalization's input z, output xhat, deviation std and upstream gradient dxhat; the truth dz
    by central differences of sum(dxhat * normalize(z))."""
    axis = 0 if f.net == "batchnorm" else 1  # examples as rows: batch norm over them, layer norm over the features
    rng = np.random.default_rng(11)
    z, R = rng.normal(size=(6, 4)) * 2 + 1, rng.normal(size=(6, 4))
    eps, dz = 1e-6, np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += eps
        zm[idx] -= eps
        dz[idx] = ((R * _normalize(zp, axis)).sum() - (R * _normalize(zm, axis)).sum()) / (2 * eps)
    ns = dict(np=np, z=z, xhat=_normalize(z, axis), std=np.sqrt(z.var(axis=axis, keepdims=True) + 1e-5), dxhat=R)
    return ns, dict(dz=dz)


def _loss_of(net: str, Z, Y, y, ns):
    """The loss of a batch of outputs Z (rows) for the loss nets of FORMULAS; ``A`` is the input for "clip"."""
    m = Z.shape[0]
    if net == "clip":  # binary cross-entropy of probabilities A clipped to [lo, hi]
        Ac = np.clip(Z, ns["lo"], ns["hi"])
        return -np.mean(Y * np.log(Ac) + (1 - Y) * np.log(1 - Ac))
    if net == "huber":
        r = np.abs(Z - Y)
        return np.mean(np.where(r <= ns["delta"], 0.5 * r**2, ns["delta"] * (r - 0.5 * ns["delta"])))
    logp = Z - Z.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    if net == "smoothing":
        return -np.sum(((1 - ns["eps"]) * Y + ns["eps"] / ns["k"]) * logp) / m
    return -np.sum(ns["w"][y] * logp[np.arange(m), y]) / m  # class weights w


def _loss_namespace(f: Formula):
    """A loss of a batch of outputs (6 examples, rows) and the truth of the formula's target by central
    differences of that loss by Z (by the probabilities A before the clip, for "clip")."""
    rng = np.random.default_rng(12)
    m, k = 6, (1 if f.net in ("clip", "huber") else 3)
    Z, y = rng.normal(size=(m, k)) * 2, rng.integers(0, 3, size=m)
    Y = np.eye(3)[y] if k == 3 else rng.random((m, 1)).round()
    ns = dict(np=np, m=m, k=k, y=y, Y=Y, lo=0.1, hi=0.9, delta=0.8, eps=0.2, w=np.array([1.0, 3.0, 0.5]))
    if f.net == "clip":
        Z = np.array([[0.05], [0.3], [0.5], [0.95], [0.7], [0.02]])  # probabilities, three beyond [lo, hi]
        ns["A"] = Z
        Ac = np.clip(Z, ns["lo"], ns["hi"])
        ns["dA_clipped"] = -(Y / Ac - (1 - Y) / (1 - Ac)) / m
    else:
        ns["Z"] = Z
        ns["P"] = np.exp(Z - Z.max(1, keepdims=True)) / np.exp(Z - Z.max(1, keepdims=True)).sum(1, keepdims=True)
    eps, d = 1e-6, np.zeros_like(Z)
    for idx in np.ndindex(*Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[idx] += eps
        Zm[idx] -= eps
        d[idx] = (_loss_of(f.net, Zp, Y, y, ns) - _loss_of(f.net, Zm, Y, y, ns)) / (2 * eps)
    return ns, dict(dA=d, dZ=d)


def _rnn_pass(Wxh, Whh, Why, xs, ys, h0):
    """A vanilla RNN's states and the loss of the steps from ``start`` on, given the state before it."""
    def tail(h, start):
        total = 0.0
        for t in range(start, len(xs)):
            h = np.tanh(Wxh @ xs[t] + Whh @ h)
            total += 0.5 * float(np.sum((Why @ h - ys[t]) ** 2))
        return total
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(Wxh @ x + Whh @ hs[-1]))
    return hs, tail


def _fd(f, v, eps=1e-6):
    out = np.zeros_like(v)
    for idx in np.ndindex(*v.shape):
        vp, vm = v.copy(), v.copy()
        vp[idx] += eps
        vm[idx] -= eps
        out[idx] = (f(vp) - f(vm)) / (2 * eps)
    return out


def _rnn_namespace(f: Formula):
    """Step t = 2 of a 5-step vanilla RNN (squared error on every step): its output's gradient dy,
    the gradient dhnext carried back from step 3 into h_2, dhraw; the truth of dh (the whole
    gradient of h_2) and of the dhnext that step 2 carries into h_1, by central differences."""
    rng = np.random.default_rng(12)
    Wxh, Whh, Why = rng.normal(0, 0.6, (4, 2)), rng.normal(0, 0.5, (4, 4)), rng.normal(0, 0.6, (3, 4))
    xs, ys, h0 = rng.normal(size=(5, 2)), rng.normal(size=(5, 3)), rng.normal(0, 0.5, 4)
    hs, tail = _rnn_pass(Wxh, Whh, Why, xs, ys, h0)
    t = 2
    h = hs[t + 1]
    dh = _fd(lambda v: 0.5 * float(np.sum((Why @ v - ys[t]) ** 2)) + tail(v, t + 1), h)
    ns = dict(np=np, Wxh=Wxh, Whh=Whh, Why=Why, dy=Why @ h - ys[t], dhnext=_fd(lambda v: tail(v, t + 1), h),
              dhraw=(1 - h**2) * dh, h=h)
    # the part of h_1's gradient that comes through step 2: the loss of steps 2.. as a function of h_1
    return ns, dict(dh=dh, dhnext=_fd(lambda v: tail(v, t), hs[t]))


def _residual_namespace(f: Formula):
    """A block ``A = tanh(W @ A_prev + b) + A_prev`` (examples as columns) under the loss sum(R * A):
    dA = R, dZ = dA * (1 - tanh ** 2); the truth dA_prev by central differences."""
    rng = np.random.default_rng(14)
    W, b, A_prev, R = rng.normal(0, 0.6, (4, 4)), rng.normal(0, 0.2, (4, 1)), rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    T = np.tanh(W @ A_prev + b)
    ns = dict(np=np, W=W, dA=R, dZ=R * (1 - T**2), A_prev=A_prev)
    return ns, dict(dA_prev=_fd(lambda v: float(np.sum(R * (np.tanh(W @ v + b) + v))), A_prev))


def _namespace(f: Formula):
    """The names of a general formula at the layer it is about, and their true values."""
    if f.net in ("clip", "huber", "smoothing", "weights"):
        return _loss_namespace(f)
    if f.net == "residual":
        return _residual_namespace(f)
    if f.net == "rnn":
        return _rnn_namespace(f)
    if f.net != "mlp":
        return _norm_namespace(f)
    net = _net_for(f)
    X, y = net.random_data(6, seed=4)
    masks, keep_prob = None, 0.8
    if f.kind == "dropout_backward_wrong":
        mask = (np.random.default_rng(5).random((6, 4)) < keep_prob).astype(float)
        masks = {2: mask / keep_prob}
    r = reference(net, X, y, masks)
    L, m = net.n_layers, r["m"]
    l = L if f.layer == "output" else 2
    scale = m if f.deltas == "summed" else 1.0
    u = lambda v: _u(net, v)  # noqa: E731
    W = net.params[f"W{l}"]
    dW_data = u(r["A"][l - 1].T @ r["dZ"][l])
    ns = dict(np=np, sigmoid=_sigmoid, m=m, X=X, Y=u(r["Y"]), y=y, Z=u(r["Z"][l]), A=u(r["A"][l]),
              A_prev=u(r["A"][l - 1]), W=W.copy(), dact=u(_dact(f.activation, r["Z"][l], r["pre"][l])) if
              f.activation != "softmax" else None, slope=0.01, lambd=net.l2 * (m if f.penalty == "lambd/m" else 1),
              keep_prob=keep_prob, P=u(r["A"][L]), a=u(r["A"][L]), dW=dW_data.copy())
    truth = dict(dZ=u(r["dZ"][l] * scale) if r["dZ"][l] is not None else None,
                 dW=dW_data + net.l2 * W if _penalized(f) else dW_data,
                 db=u(r["dZ"][l].sum(axis=0, keepdims=True)), dact=ns["dact"], dW_penalty=net.l2 * W,
                 d_mean_square=2 * (ns["a"] - ns["Y"]) / ns["a"].size, d_half_mean_square=(ns["a"] - ns["Y"]) / m)
    if f.layout == "rows":
        truth["db"] = truth["db"].reshape(-1)
    if r["dA"].get(l) is not None:
        truth["dA"] = u(r["dA"][l] * scale)
    ns["dZ"] = truth["dZ"]
    ns["dA"] = truth.get("dA")
    if l >= 2:
        ns["dA_prev"] = truth["dA_prev"] = u(r["dA"][l - 1] * scale)
    if l < L:
        ns["W_next"], ns["dZ_next"] = net.params[f"W{l + 1}"], u(r["dZ"][l + 1] * scale)
    if f.kind == "target_shape_broadcast":  # targets of shape (m,); the output's shape is (m, 1)
        ns["y"], truth["y"] = r["Y"].reshape(-1), r["Y"]
        truth["y_column"] = truth["y"]
        assert ns["a"].shape == r["Y"].shape
    ns["t"], ns["lr"] = 0.5 * np.abs(dW_data).max(), 0.1  # a threshold that bites
    truth["dW_step"] = np.clip(dW_data, -ns["t"], ns["t"])
    truth["W"] = W - ns["lr"] * truth["dW_step"]
    if f.kind == "optimizer_state_in_gradient":  # a velocity from earlier steps, updated with this step's dW
        ns["momentum"], ns["v"] = 0.9, np.random.default_rng(6).normal(size=W.shape)
        truth["v"] = 0.9 * ns["v"] + dW_data
        truth["W"] = W - ns["lr"] * truth["v"]
    if masks:
        ns["mask"] = u(masks[l] * keep_prob)
        ns["dA"] = u(r["post"][l] * scale)  # the gradient as it arrives, before the mask
    return ns, truth


def _assigned(code: str) -> list[str]:
    tree = ast.parse(code)
    return [t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AugAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]


@pytest.mark.parametrize("f", FORMULAS, ids=lambda f: f"{f.kind}:{f.code}")
def test_a_general_fix_formula_is_right_on_the_net_it_names(f: Formula):
    assert f.code in CATALOGUE[f.kind].fix
    ast.parse(f.code)
    ns, truth = _namespace(f)
    targets = _assigned(f.code)
    read = {n.id for n in ast.walk(ast.parse(f.code)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    updates = {n.target.id for n in ast.parse(f.code).body if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
    for t in targets:
        if t not in read and t not in updates:
            ns.pop(t, None)  # the formula must compute it, not read it (an update such as dW += ... reads it)
    if f.target and not targets:
        ns.pop(f.target, None)
        value = eval(compile(ast.parse(f.code, mode="eval"), "<fix>", "eval"), ns)  # noqa: S307
        assert np.shape(value) == np.shape(truth[f.target]) and np.allclose(value, truth[f.target]), f.code
        return
    exec(compile(ast.parse(f.code), "<fix>", "exec"), ns)  # noqa: S102
    for t in targets:
        want = truth[f.target or t]
        assert want is not None and np.shape(ns[t]) == np.shape(want) and np.allclose(ns[t], want), f"{f.code}: {t}"


def test_every_general_formula_is_tried_and_every_kind_with_one_is_listed():
    kinds = {f.kind for f in FORMULAS}
    assert len(FORMULAS) >= 25
    for kind in ("missing_batch_mean", "bias_not_summed", "weights_not_transposed", "softmax_backward_wrong",
                 "regularization_missing", "dropout_backward_wrong", "missing_upstream_gradient"):
        assert kind in kinds


# -- the formulas written for a net at hand ------------------------------------------------------

NETS = [
    ([3, 4, 4, 1], "sigmoid", "bce", "cols"),
    ([3, 4, 4, 1], "tanh", "bce", "rows"),
    ([3, 4, 4, 3], "relu", "softmax_ce", "rows"),
    ([3, 5, 5, 2], "leaky_relu", "mse", "cols"),
    ([2, 3, 3, 2], "identity", "mse", "rows"),
]
#: Nets of the piecewise-linear families, with inputs scaled so that pre-activations reach the flat parts
#: (a relu6 net whose units all stay below 6 is a relu net) and the negative side of |z|.
PIECEWISE_NETS = [
    ([3, 4, 4, 1], "relu6", "mse", "cols", 8.0),
    ([3, 4, 4, 2], "abs", "mse", "rows", 1.0),
    ([3, 5, 5, 1], "hardtanh", "bce", "rows", 2.0),
]


def _indexed(net: MLP, X, y):
    r = reference(net, X, y)
    u = lambda v: _u(net, v)  # noqa: E731
    ns = dict(np=np, m=r["m"], Y=u(r["Y"]), X=u(r["A"][0]))
    grads = net.gradients(X, y)
    for l in range(net.n_layers + 1):
        ns[f"A{l}"] = u(r["A"][l])
        if l >= 1:
            ns[f"Z{l}"], ns[f"W{l}"], ns[f"dZ{l}"] = u(r["Z"][l]), net.params[f"W{l}"], u(r["dZ"][l])
            ns[f"dW{l}"] = grads[f"W{l}"]
            if r["dA"].get(l) is not None:
                ns[f"dA{l}"] = u(r["dA"][l])
    return ns


@pytest.mark.parametrize("widths,act,loss,layout", NETS)
def test_the_fix_written_for_a_mistake_is_right_on_the_net(widths, act, loss, layout):
    net = MLP(widths, activations=act, loss=loss, layout=layout, seed=7)
    X, y = net.random_data(5, seed=8)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    assert _formulas_run(net, X, y, arch) >= 5


@pytest.mark.parametrize("widths,act,loss,layout,scale", PIECEWISE_NETS)
def test_the_fix_written_for_a_piecewise_activation_is_right_on_the_net(widths, act, loss, layout, scale):
    net = MLP(widths, activations=act, loss=loss, layout=layout, seed=7)
    X, y = net.random_data(5, seed=8)
    X = scale * X
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    assert arch.activations[:-1] == [act, act]
    assert _formulas_run(net, X, y, arch) >= 5


def _formulas_run(net: MLP, X, y, arch) -> int:
    """Runs the formula of every mistake that writes one on the net's true quantities; how many ran."""
    truth = _indexed(net, X, y)
    tried = 0
    for mk in mistakes(arch, net.params):
        code = mk.formula(arch)
        if code is None:
            continue
        assert code in (mk.fix(arch) or ""), (mk.detail, mk.fix(arch))
        targets = _assigned(code)
        assert len(targets) == 1, code
        ns = {k: v for k, v in truth.items() if k != targets[0]}
        exec(compile(ast.parse(code), "<fix>", "exec"), ns)  # noqa: S102
        assert np.allclose(ns[targets[0]], truth[targets[0]]), f"{mk.detail}: {code}"
        tried += 1
    return tried


def test_the_input_gradient_fix_of_a_layer_check_is_right():
    rng = np.random.default_rng(0)
    net = MLP([3, 3], activations=["tanh"], loss="mse", layout="rows", seed=1)
    x, R = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    params = {"x": x, **net.params}
    arch = infer_layer_arch(params, lambda: float((np.tanh(x @ net.params["W1"] + net.params["b1"]) * R).sum()))
    a = np.tanh(x @ net.params["W1"] + net.params["b1"])
    dZ1 = R * (1 - a**2)
    mk = next(k for k in mistakes(arch, params) if k.kind == "weights_not_transposed" and k.layers == (1,))
    code = mk.formula(arch)
    assert code == "dx = dZ1 @ W1.T" and code in mk.fix(arch)
    ns = dict(np=np, dZ1=dZ1, W1=net.params["W1"])
    exec(code, ns)  # noqa: S102
    assert np.allclose(ns["dx"], dZ1 @ net.params["W1"].T)


def test_the_tanh_derivative_is_written_with_its_parentheses():
    net = MLP([2, 3, 1], activations="tanh", loss="bce", layout="cols", seed=0)
    X, y = net.random_data(4)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    fixes = [mk.fix(arch) for mk in mistakes(arch, net.params) if mk.kind == "wrong_activation_derivative"
             and mk.layers == (1,)]
    assert fixes and all("dZ1 = dA1 * (1 - A1 ** 2)" in f for f in fixes)
    assert not any("* 1 - A" in f for f in fixes)


def test_the_penalty_form_fixes_hold_the_right_gradients():
    from gradcheck.diagnosis.catalogue import fix_text

    rng = np.random.default_rng(9)
    W, lambd, m = rng.normal(size=(3, 4)), 0.3, 8
    summed = fix_text("penalty_sum", coefficient=lambd / m)
    code = "dW += lambd / m * W"
    assert code in summed
    ns = dict(np=np, W=W, lambd=lambd, m=m, dW=np.zeros_like(W))
    exec(code, ns)  # noqa: S102
    # the gradient of lambd / (2 m) * sum(W ** 2), by central differences
    eps, numeric = 1e-6, np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        numeric[idx] = lambd / (2 * m) * ((Wp**2).sum() - (Wm**2).sum()) / (2 * eps)
    assert np.allclose(ns["dW"], numeric)
    sign, per_tensor = CATALOGUE["l1_penalty_gradient_wrong"].fix, fix_text("penalty_per_tensor")
    for text, expr, penalty in ((sign, "lambd * W", lambda V: lambd / 2 * (V**2).sum()),
                                (sign, "lambd * np.sign(W)", lambda V: lambd * np.abs(V).sum()),
                                (per_tensor, "lambd * W", lambda V: lambd / 2 * (V**2).sum()),
                                (per_tensor, "lambd * W / np.linalg.norm(W)", lambda V: lambd * np.linalg.norm(V))):
        assert expr in text
        value = eval(expr, dict(np=np, W=W, lambd=lambd))  # noqa: S307
        for idx in np.ndindex(*W.shape):
            Wp, Wm = W.copy(), W.copy()
            Wp[idx] += eps
            Wm[idx] -= eps
            numeric[idx] = (penalty(Wp) - penalty(Wm)) / (2 * eps)
        assert np.allclose(value, numeric, atol=1e-6)


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_the_batch_mean_fix_is_written_in_the_nets_layout(layout):
    from gradcheck.diagnosis.findings import BATCH_MEAN_FORMULAS

    net = MLP([3, 4, 2], activations="tanh", loss="mse", layout=layout, seed=3)
    X, y = net.random_data(6, seed=4)
    g = {k: 6 * v for k, v in net.gradients(X, y).items()}
    (f,) = gradcheck.check(net.params, lambda: net.loss(X, y), g, data=(X, y)).findings
    assert (f.kind, f.params) == ("missing_batch_mean", ["W1", "b1", "W2", "b2"])
    code = BATCH_MEAN_FORMULAS[layout]
    assert code in f.fix and all(other not in f.fix for other in BATCH_MEAN_FORMULAS.values() if other != code)
    # the code is the formula of the catalogue for this layout, which the test above runs on its net
    assert any(fm.kind == "missing_batch_mean" and fm.code == code and fm.layout == layout for fm in FORMULAS)


@pytest.mark.parametrize("layout", ["rows", "cols", None])
def test_the_sign_fix_carries_the_delta_in_the_nets_layout(layout):
    from gradcheck.diagnosis.findings import CARRY_FORMULAS, factor_fix

    text = factor_fix("sign_flipped", -1.0, 1, layout=layout)
    assert text.startswith("The layers above layer 1 are right") and "A * (1 - A)" in text and "1 - A ** 2" in text
    carried = [code for code in CARRY_FORMULAS.values() if code in text]
    assert carried == ([CARRY_FORMULAS[layout]] if layout else list(CARRY_FORMULAS.values()))
    for code in carried:  # each a formula of the catalogue, run on the net of its layout above
        assert any(fm.code == code and (layout is None or fm.layout == layout) for fm in FORMULAS)
    # the derivatives it names are the catalogue's formulas for sigmoid and tanh, run above
    assert {("A * (1 - A)", "sigmoid"), ("1 - A ** 2", "tanh")} <= {(fm.code, fm.activation) for fm in FORMULAS}


# -- every fix with a formula is covered ------------------------------------------------------------

#: General fixes with an '=' that hold no formula to run, and why.
NO_FORMULA = {
    "gradient_accumulates": "'assign with = instead of +=' names an operator, it is no formula",
}

#: Fix templates with a formula, and what runs it: "formula" (filled from ``Mistake.formula``, run on
#: every net of NETS), a test of this file, or the codes it holds, each one a code of FORMULAS.
TEMPLATES = {
    "derivative": "formula", "derivative_at_input": "formula", "derivative_twice": "formula",
    "missing_upstream": "formula", "not_transposed_input": "formula", "not_transposed_all": "formula",
    "not_transposed_one": "formula", "reshape_one": "formula", "derivative_combined": "formula",
    "output_delta": "formula", "weight_input": "formula",
    "transposed_layer": "test_the_transposed_fix_is_the_product_in_the_nets_layout",
    "penalty_sum": ("dW += lambd / m * W",),
    "penalty_per_tensor": "test_the_penalty_form_fixes_hold_the_right_gradients",
    "sign_from_above": "test_the_sign_fix_carries_the_delta_in_the_nets_layout",
    "sign_output": "test_the_sign_fix_names_the_output_gradient_of_the_nets_loss",
    "bias_mean_inside": "test_the_bias_fixes_sum_the_deltas_on_the_net",
    "bias_average": "test_the_bias_fixes_sum_the_deltas_on_the_net",
    "bias_factor": "test_the_bias_fixes_sum_the_deltas_on_the_net",
    "skip": "test_the_skip_fix_is_right_on_a_residual_net",
    "rnn_carry": "test_the_recurrent_fixes_are_right_on_the_net",
    "rnn_previous_state": "test_the_recurrent_fixes_are_right_on_the_net",
    "rnn_transpose": "test_the_recurrent_fixes_are_right_on_the_net",
    "batch_mean_layout": "test_the_batch_mean_fix_is_written_in_the_nets_layout",
}


def _has_formula(text: str) -> bool:
    """An assignment, an update or a numpy call in a fix's text."""
    return any(s in text for s in (" = ", " += ", " -= ", "np.")) or "{formula}" in text


def test_every_catalogue_fix_with_a_formula_is_covered():
    from gradcheck.diagnosis.catalogue import FIXES

    with_formula = {f.kind for f in FORMULAS}
    for kind, bug in CATALOGUE.items():
        if _has_formula(bug.fix):
            assert kind in with_formula or kind in NO_FORMULA, f"{kind}: its fix has a formula no test runs"
    codes = {f.code for f in FORMULAS}
    for key, template in FIXES.items():
        if not _has_formula(template):
            continue
        how = TEMPLATES.get(key)
        assert how is not None, f"fix template {key!r} has a formula no test runs"
        if how == "formula":
            assert "{formula}" in template
        elif isinstance(how, tuple):
            assert all(code in template and code in codes for code in how), key
        else:
            assert how in globals(), how
    assert set(TEMPLATES) <= set(FIXES) and set(NO_FORMULA) <= set(CATALOGUE)


@pytest.mark.parametrize("widths,act,loss,layout", NETS)
def test_every_mistake_fix_with_a_formula_is_covered(widths, act, loss, layout):
    """A fix written for a net either comes from ``Mistake.formula`` (run above) or is run by a test here."""
    from gradcheck.diagnosis.mistakes.overwritten_input import OverwrittenInput
    from gradcheck.diagnosis.mistakes.softmax_axis import SoftmaxAxis

    tested = (OverwrittenInput, SoftmaxAxis)  # test_the_overwritten_cache_fix..., test_the_softmax_axis_fix...
    net = MLP(widths, activations=act, loss=loss, layout=layout, seed=7)
    X, y = net.random_data(5, seed=8)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    seen = 0
    for mk in mistakes(arch, net.params):
        text = mk.fix(arch)
        if text and _has_formula(text):
            assert mk.formula(arch) is not None or isinstance(mk, tested), (type(mk).__name__, text)
            seen += 1
    assert seen >= 5


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_the_softmax_axis_fixes_are_right_on_the_net(layout):
    from gradcheck.diagnosis.mistakes.softmax_axis import SoftmaxAxis

    net = MLP([3, 4, 3], activations=["tanh", "softmax"], loss="softmax_ce", layout=layout, seed=2)
    X, y = net.random_data(5, seed=3)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    fixes = {mk.how: mk.fix(arch) for mk in mistakes(arch, net.params) if isinstance(mk, SoftmaxAxis)}
    axis = 0 if layout == "cols" else 1
    r = reference(net, X, y)
    Z, P = _u(net, r["Z"][2]), _u(net, r["A"][2])
    code = f"P = np.exp(Z) / np.exp(Z).sum(axis={axis}, keepdims=True)"
    assert code in fixes["probabilities"]
    ns = dict(np=np, Z=Z)
    exec(code, ns)  # noqa: S102
    assert np.allclose(ns["P"], P)
    code = f"dZ = P * (dP - np.sum(P * dP, axis={axis}, keepdims=True))"
    assert code in fixes["jacobian"]
    dP = np.random.default_rng(4).normal(size=P.shape)
    ns = dict(np=np, P=P, dP=dP)
    exec(code, ns)  # noqa: S102
    eps, numeric = 1e-6, np.zeros_like(Z)  # the gradient of sum(dP * softmax(Z)) over the classes
    for idx in np.ndindex(*Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[idx] += eps
        Zm[idx] -= eps
        sp = np.exp(Zp) / np.exp(Zp).sum(axis=axis, keepdims=True)
        sm = np.exp(Zm) / np.exp(Zm).sum(axis=axis, keepdims=True)
        numeric[idx] = ((dP * sp).sum() - (dP * sm).sum()) / (2 * eps)
    assert np.allclose(ns["dZ"], numeric, atol=1e-6)


@pytest.mark.parametrize("act,layout", [("sigmoid", "cols"), ("tanh", "rows"), ("relu", "rows")])
def test_the_overwritten_cache_fix_is_right_on_the_net(act, layout):
    from gradcheck.diagnosis.mistakes.overwritten_input import OverwrittenInput

    net = MLP([3, 4, 4, 1], activations=[act, act, "sigmoid"], loss="bce", layout=layout, seed=5)
    X, y = net.random_data(6, seed=6)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    truth = _indexed(net, X, y)
    r = reference(net, X, y)
    tried = 0
    for mk in mistakes(arch, net.params):
        if not isinstance(mk, OverwrittenInput):
            continue
        l, text = mk.layer, mk.fix(arch)
        deriv = "deriv = " + {"sigmoid": "A{k} * (1 - A{k})", "tanh": "1 - A{k} ** 2", "relu": "(A{k} > 0)"}[act].format(k=l - 1)
        dw = f"dW{l} = dZ{l} @ A{l - 1}.T" if layout == "cols" else f"dW{l} = A{l - 1}.T @ dZ{l}"
        assert deriv in text and dw in text, text
        ns = {k: v for k, v in truth.items()}
        exec(deriv, ns)  # noqa: S102
        assert np.allclose(ns["deriv"], _u(net, _dact(act, r["Z"][l - 1], r["A"][l - 1])))
        ns = {k: v for k, v in truth.items()}
        exec(dw, ns)  # noqa: S102
        assert np.allclose(ns[f"dW{l}"], net.gradients(X, y)[f"W{l}"])
        tried += 1
    assert tried >= 2


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_the_bias_fixes_sum_the_deltas_on_the_net(layout):
    from gradcheck.diagnosis.findings import bias_fix

    net = MLP([3, 4, 2], activations=["tanh", "sigmoid"], loss="bce", layout=layout, seed=1)
    X, y = net.random_data(6, seed=2)
    r = reference(net, X, y)
    m, shape = r["m"], net.params["b2"].shape
    dZ_mean = _u(net, r["dZ"][2])            # the deltas with the 1/m
    per_example = dZ_mean.shape               # a bias gradient kept per example
    want = net.gradients(X, y)["b2"]
    for factor, dZ in ((1.0, dZ_mean), (m, dZ_mean * m), (3.0, dZ_mean * 3)):
        text = bias_fix("b2", per_example, shape, factor, m)
        assert ("3 x" in text) == (factor == 3.0), text
        code = next(part for part in text.replace(" if ", ";").split(": ")[1:] if part.startswith("db2 = "))
        code = code.split(";")[0].split(" (m = ")[0].rstrip(".")
        ast.parse(code)
        ns = dict(np=np, dZ=dZ, m=m)
        exec(code, ns)  # noqa: S102
        assert np.shape(ns["db2"]) == want.shape  # with the factor the text says must go too, the values match
        assert np.allclose(ns["db2"] / (factor if factor == 3.0 else 1.0), want), (factor, code)


#: The statements each recurrent fix holds, by layout (W @ v or v @ W).
RNN_STATEMENTS = {
    "cols": {"missing_recurrent_gradient": ("dh = Why.T @ dy + dh_next", "dh_next = Whh.T @ dh_raw",
                                            "dh_raw = (1 - h ** 2) * dh"),
             "weight_gradient_wrong_input": ("dWhh += np.outer(dh_raw, h_prev)",),
             "weights_not_transposed": ("dh_next = Whh.T @ dh_raw",)},
    "rows": {"missing_recurrent_gradient": ("dh = dy @ Why.T + dh_next", "dh_next = dh_raw @ Whh.T",
                                            "dh_raw = (1 - h ** 2) * dh"),
             "weight_gradient_wrong_input": ("dWhh += np.outer(h_prev, dh_raw)",),
             "weights_not_transposed": ("dh_next = dh_raw @ Whh.T",)},
}


@pytest.mark.parametrize("layout", ["cols", "rows"])
def test_the_recurrent_fixes_are_right_on_the_net(layout):
    """Each statement of a recurrent net's fix, in the net's names and layout, run at one step of a net."""
    from gradcheck.diagnosis.detectors.recurrent import MISTAKES, fix
    from gradcheck.diagnosis.model.rnn import RNN

    net = RNN("Wxh", "Whh", None, "Why", None, layout)
    ns, truth = _rnn_namespace(Formula("missing_recurrent_gradient", "", net="rnn"))
    u = (lambda W: W) if layout == "cols" else (lambda W: W.T.copy())  # the user's arrays in the layout
    h_prev = np.random.default_rng(13).normal(size=4)  # the outer product is checked against its definition
    env = dict(np=np, Wxh=u(ns["Wxh"]), Whh=u(ns["Whh"]), Why=u(ns["Why"]), dy=ns["dy"], dh_next=ns["dhnext"],
               dh_raw=ns["dhraw"], h=ns["h"], dh=truth["dh"], h_prev=h_prev, dWhh=np.zeros_like(u(ns["Whh"])))
    want = {"dh": truth["dh"], "dh_next": truth["dhnext"], "dh_raw": ns["dhraw"],
            "dWhh": u(np.outer(ns["dhraw"], h_prev))}
    assert set(RNN_STATEMENTS[layout]) == set(MISTAKES)
    for kind, codes in RNN_STATEMENTS[layout].items():
        for code in codes:
            assert code in fix(net, kind), (kind, fix(net, kind))
            run = dict(env)
            target, op = code.split()[:2]
            if op == "=":
                run.pop(target)
            exec(compile(code, "<fix>", "exec"), run)  # noqa: S102
            assert np.allclose(run[target], want[target], atol=1e-6), (layout, code)


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_the_skip_fix_is_right_on_a_residual_net(layout):
    """The fix written for a dropped skip path, in the net's layout and names, run on a residual net:
    tanh layer 1, a block ``A2 = relu(Z2) + A1``, sigmoid output, cross-entropy; the truth of dA1
    by central differences of the loss as a function of A1."""
    from gradcheck.diagnosis.mistakes.skip import SkipDropped

    rng = np.random.default_rng(15)
    m = 6
    u = (lambda v: v) if layout == "rows" else (lambda v: v.T.copy())  # rows form <-> the net's layout
    params = {}
    for l, (n_in, n_out) in enumerate(((3, 4), (4, 4), (4, 1)), start=1):
        params[f"W{l}"] = u(rng.normal(0, 0.7, (n_in, n_out)))
        params[f"b{l}"] = rng.normal(0, 0.2, n_out) if layout == "rows" else rng.normal(0, 0.2, (n_out, 1))
    X, Y = rng.normal(size=(m, 3)), (rng.random((m, 1)) < 0.5).astype(float)

    def rows(l):
        return u(params[f"W{l}"]), params[f"b{l}"].reshape(-1)

    def layer1():
        W, b = rows(1)
        return np.tanh(X @ W + b)

    def above(A1):  # the loss from layer 1's output on
        (W2, b2), (W3, b3) = rows(2), rows(3)
        A2 = np.maximum(A1 @ W2 + b2, 0) + A1
        a = 1 / (1 + np.exp(-(A2 @ W3 + b3)))
        return float(-np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a)))

    arch = infer_arch(params, lambda: above(layer1()), (u(X), u(Y)))
    assert arch is not None and arch.skips == {2: 1}, arch
    (W2, b2), (W3, b3) = rows(2), rows(3)
    A1 = layer1()
    Z2 = A1 @ W2 + b2
    a = 1 / (1 + np.exp(-((np.maximum(Z2, 0) + A1) @ W3 + b3)))
    dA2 = (a - Y) / m @ W3.T
    dZ2 = dA2 * (Z2 > 0)
    mk = next(k for k in mistakes(arch, params) if isinstance(k, SkipDropped))
    code = mk.formula(arch)
    assert code in mk.fix(arch) and code.startswith("dA1 = ")
    ns = dict(np=np, W2=params["W2"], dZ2=u(dZ2), dA2=u(dA2))
    exec(compile(ast.parse(code), "<fix>", "exec"), ns)  # noqa: S102
    assert np.allclose(ns["dA1"], u(_fd(above, A1)), atol=1e-6), code


# -- every formula a finding prints, diagnosed by check on a net where the mistake is present ------------

#: Nets for the end-to-end run: each hidden activation with the losses whose output deltas differ.
DIAGNOSED_NETS = [(["sigmoid", "sigmoid", "sigmoid"], "bce", 1), (["tanh", "tanh", "identity"], "mse", 1),
                  (["relu", "relu", "softmax"], "softmax_ce", 3)]


def _user_grads(net: MLP, arch, rows) -> dict:
    """Rows-form ``[(dW, db), ...]`` in the net's own layout and shapes."""
    out = {}
    for (w, b), (dW, db) in zip(arch.layers, rows):
        out[w] = dW.T.copy() if net.layout == "cols" else dW.copy()
        out[b] = np.asarray(db).reshape(net.params[b].shape).copy()
    return out


def _loss_from(net: MLP, X, y, l: int, quantity: str = "Z"):
    """The loss as a function of layer ``l``'s pre-activation ``Z{l}`` (or activation ``A{l}``) in the net's
    layout (written here: a forward pass from that layer on and the net's loss), checked against
    ``net.loss`` at the net's own value."""
    r = reference(net, X, y)
    L, m, Y = net.n_layers, r["m"], r["Y"]
    bs = [net.params[f"b{k}"].reshape(-1) for k in range(1, L + 1)]

    def loss(V):
        A = _u(net, V)
        for k in range(l, L + 1):
            if k > l or quantity == "Z":
                Z = A if k == l else A @ r["Ws"][k - 1] + bs[k - 1]
                A = _act(net.activations[k - 1], Z)
        if net.loss_name == "mse":
            return float(0.5 * np.sum((A - Y) ** 2) / m)
        if net.loss_name == "bce":
            return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)
        return float(-np.sum(Y * np.log(A)) / m)

    assert np.isclose(loss(_u(net, r[quantity][l])), net.loss(X, y))
    return loss


def _numeric_truth(net: MLP, X, y, target: str) -> np.ndarray:
    """The central-difference value of ``target`` (``dW{l}``, ``dZ{l}`` or ``dA{l}``), in the net's layout."""
    if target.startswith("dW"):
        name = target[1:]

        def of_w(W):
            params = dict(net.params)
            params[name] = W
            saved, net.params = net.params, params
            try:
                return net.loss(X, y)
            finally:
                net.params = saved

        return _fd(of_w, net.params[name].copy())
    l, quantity = int(target[2:]), target[1]
    return _fd(_loss_from(net, X, y, l, quantity), _u(net, reference(net, X, y)[quantity][l]))


@pytest.mark.parametrize("layout", ["rows", "cols"])
@pytest.mark.parametrize("acts,loss,k", DIAGNOSED_NETS, ids=lambda v: str(v))
def test_the_formula_of_every_diagnosed_mistake_is_right_in_the_nets_layout(acts, loss, k, layout):
    """Each catalogued mistake injected into a net of either layout, named by ``gradcheck.check``; the
    formula its finding prints (the mistake's ``formula``, in the finding's fix) run on the net's true
    quantities gives the central-difference gradient. Both layouts run every kind that writes one."""
    net = MLP([3, 4, 4, k], activations=acts, loss=loss, layout=layout, seed=3)
    X, y = net.random_data(6, seed=4)
    arch = infer_arch(net.params, lambda: net.loss(X, y), (X, y))
    assert arch.layout == layout
    from gradcheck.diagnosis.mistakes import backward

    truth = _indexed(net, X, y)
    Xr, Yr = arch.x_rows(X), arch.y_rows(y, 6, k)
    kinds = set()
    for mk in mistakes(arch, net.params):
        code = mk.formula(arch)
        if code is None:
            continue
        grads = _user_grads(net, arch, backward(arch, net.params, Xr, Yr, mk))
        findings = gradcheck.check(net.params, lambda: net.loss(X, y), grads, data=(X, y)).findings
        named = [f for f in findings if f.kind == mk.kind and code in f.fix]
        if not named:
            continue  # another mistake gives the same gradients here and is named first; its own formula runs
        (target,) = _assigned(code)
        ns = {n: v for n, v in truth.items() if n != target}
        exec(compile(ast.parse(code), "<fix>", "exec"), ns)  # noqa: S102
        want = _numeric_truth(net, X, y, target)
        assert np.shape(ns[target]) == want.shape and np.allclose(ns[target], want, atol=1e-6), (mk.detail, code)
        kinds.add(mk.kind)
    expected = {"missing_upstream_gradient", "weights_not_transposed", "weight_gradient_wrong_input",
                "wrong_weights_in_backprop", "extra_activation_derivative"}
    expected |= {"softmax_backward_wrong"} if loss == "softmax_ce" else {"wrong_activation_derivative"}
    assert expected <= kinds, expected - kinds


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_the_transposed_fix_is_the_product_in_the_nets_layout(layout):
    net = MLP([3, 4, 4, 1], activations=["tanh", "tanh", "sigmoid"], loss="bce", layout=layout, seed=3)
    X, y = net.random_data(6, seed=4)
    grads = net.gradients(X, y)
    grads["W2"] = grads["W2"].T.copy()
    (f,) = gradcheck.check(net.params, lambda: net.loss(X, y), grads, data=(X, y)).findings
    assert (f.kind, f.params) == ("transposed", ["W2"])
    code = {"cols": "dW2 = dZ2 @ A1.T", "rows": "dW2 = A1.T @ dZ2"}[layout]
    assert code in f.fix and {"cols": "dW2 = A1.T @ dZ2", "rows": "dW2 = dZ2 @ A1.T"}[layout] not in f.fix
    ns = {n: v for n, v in _indexed(net, X, y).items() if n != "dW2"}
    exec(code, ns)  # noqa: S102
    assert np.allclose(ns["dW2"], _numeric_truth(net, X, y, "dW2"), atol=1e-6)
    # a parameter of no recognized net: the general fix, which names both layouts and claims neither
    rng = np.random.default_rng(5)
    W, C = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    (g,) = gradcheck.check({"W": W}, lambda: float(np.sum(np.sin(W) * C)), {"W": (np.cos(W) * C).T}).findings
    assert g.kind == "transposed" and g.fix == CATALOGUE["transposed"].fix, g.fix


@pytest.mark.parametrize("layout", ["rows", "cols"])
@pytest.mark.parametrize("acts,loss,k,code", [
    (["tanh", "tanh", "sigmoid"], "bce", 1, "dZ3 = (A3 - Y) / m"),
    (["relu", "relu", "softmax"], "softmax_ce", 3, "dZ3 = (A3 - Y) / m"),
    (["tanh", "tanh", "identity"], "mse", 1, "dA3 = (A3 - Y) / m"),
], ids=lambda v: str(v))
def test_the_sign_fix_names_the_output_gradient_of_the_nets_loss(acts, loss, k, code, layout):
    """Every gradient flipped: the fix is the recognized net's own output gradient (dZ for sigmoid/softmax +
    cross-entropy, where dA = A - Y is wrong; dA for MSE), run on the net against central differences."""
    net = MLP([3, 4, 4, k], activations=acts, loss=loss, layout=layout, seed=3)
    X, y = net.random_data(6, seed=4)
    flipped = {n: -g for n, g in net.gradients(X, y).items()}
    (f,) = gradcheck.check(net.params, lambda: net.loss(X, y), flipped, data=(X, y)).findings
    assert f.kind == "sign_flipped" and f.params == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert code in f.fix and "dA = A - Y" not in f.fix, f.fix
    (target,) = _assigned(code)
    ns = {n: v for n, v in _indexed(net, X, y).items() if n != target}
    exec(code, ns)  # noqa: S102
    assert np.allclose(ns[target], _numeric_truth(net, X, y, target), atol=1e-6)


@pytest.mark.parametrize("layout", ["rows", "cols"])
def test_a_factor_of_zero_is_no_division_and_no_mse_convention(layout):
    """Every gradient zero (a relu mask at a sigmoid output whose z are all negative) on a BCE net: the fix
    says to compute the gradient, neither to divide by 0 nor to mind an MSE loss the net does not have."""
    net = MLP([3, 4, 4, 1], activations="sigmoid", loss="bce", layout=layout, seed=3)
    X, y = net.random_data(6, seed=4)
    zeros = {n: np.zeros_like(g) for n, g in net.gradients(X, y).items()}
    findings = gradcheck.check(net.params, lambda: net.loss(X, y), zeros, data=(X, y)).findings
    assert findings and {f.kind for f in findings} <= {"constant_factor", "zero_gradient"}
    for f in findings:
        assert "divided by 0" not in f.fix and "np.mean((a - y) ** 2)" not in f.fix, f.fix
