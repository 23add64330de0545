"""Nielsen style: ``weights`` and ``biases`` lists and a per-example ``backprop(x, y) -> (nabla_b, nabla_w)``.

The loss is the net's cost over a mini-batch (``cost.fn(a, y)`` when the net has a cost
object, else the quadratic cost ``0.5 * ||a - y||^2`` of ``network.py``), and the gradient is
the per-example ``backprop`` summed or averaged the way the net's own ``update_mini_batch``
does (it is run once with ``eta = 1`` to find out, and the net is put back); the loss is
reduced the same way. Examples are columns: ``x`` is ``(n_in, 1)``.

Example:
    >>> import numpy as np
    >>> from gradcheck.adapters import as_problem
    >>> class Network:
    ...     def __init__(self):
    ...         self.weights = [np.full((1, 2), 0.5)]
    ...         self.biases = [np.zeros((1, 1))]
    ...     def feedforward(self, a): return self.weights[0] @ a + self.biases[0]
    ...     def backprop(self, x, y):
    ...         d = self.feedforward(x) - y
    ...         return [d], [d @ x.T]
    >>> p = as_problem(Network(), data=[(np.ones((2, 1)), np.zeros((1, 1)))])
    >>> list(p.params)
    ['weights[0]', 'biases[0]']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import AdapterError
from ..problem import Problem
from ._access import Source, arg_names, call, is_fn, is_numeric_array
from ._losses import LOSSES
from ._state import restored_state
from ._values import REG_NAMES

NAME = "nielsen"
BATCH_GRAD_NAMES = ("batch_gradient", "mini_batch_gradient", "minibatch_gradient", "batch_backprop", "gradient_of_batch")
EXPECTED = "weights and biases lists of arrays, feedforward(a) and backprop(x, y) -> (nabla_b, nabla_w)"


def _arrays(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(is_numeric_array(a) for a in v)


def detect(src: Source) -> str | None:
    if _arrays(src.get("weights")) and _arrays(src.get("biases")) and is_fn(src.get("backprop")):
        return "weights and biases lists and backprop(x, y)"
    return None


def examples(data: Any, n_in: int, n_out: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Data as a list of ``(x (n_in, 1), y (n_out, 1))`` pairs, from pairs or from arrays."""
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], tuple):
        pairs = list(data)
    else:
        X, Y = (np.asarray(d) for d in data)
        if X.ndim == 2 and X.shape[0] == n_in and X.shape[1] != n_in:
            X = X.T  # columns are examples
        Y = Y.reshape(len(X), -1) if Y.size == len(X) * n_out or Y.ndim == 1 else (Y.T if Y.shape[0] == n_out else Y)
        pairs = list(zip(X, Y))
    out = []
    for x, y in pairs:
        x = np.asarray(x, dtype=float).reshape(n_in, 1)
        y = np.asarray(y)
        if y.size == 1 and n_out > 1:  # an integer label: one-hot, as in Nielsen's training data
            e = np.zeros((n_out, 1))
            e[int(y.reshape(()))] = 1.0
            y = e
        out.append((x, np.asarray(y, dtype=float).reshape(n_out, 1)))
    return out


def build(src: Source, data: Any, *, loss: str | None = None, **_: Any) -> Problem:
    net = src.obj
    W, B = list(src.get("weights")), list(src.get("biases"))
    params: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(zip(W, B)):
        params[f"weights[{i}]"] = w
        params[f"biases[{i}]"] = b
    if data is None:
        raise AdapterError("a Nielsen-style net needs data: a list of (x, y) examples, or arrays X, y")
    batch = examples(data, W[0].shape[1], W[-1].shape[0])
    feedforward = src.get("feedforward") or src.get("forward")
    own_l2 = _l2_in_update(src)  # update_mini_batch(mini_batch, eta, lmbda, n): its cost must carry the L2 term
    batch_cost_name, batch_cost = (None, None) if is_fn(feedforward) and loss is None and not own_l2 else _batch_cost(src)
    if not is_fn(feedforward) and batch_cost is None:
        raise AdapterError(
            "a Nielsen-style net needs feedforward(a), or a cost of a batch (cost(data), total_cost(data)), "
            "to compute its cost; neither was found"
        )
    one_cost, cost_desc, hint_loss = _cost(src, loss)
    if batch_cost is not None:
        cost_desc, hint_loss = f"the net's own {batch_cost_name}(data), a mean over the examples", None

    def summed() -> tuple[list[np.ndarray], list[np.ndarray]]:
        return _backprop_sum(net, batch)

    n = len(batch)
    batch_grad_name, batch_grad = src.first(BATCH_GRAD_NAMES, is_fn)
    by_update = None
    if batch_grad is not None:  # the net's own mini-batch gradient, taken as it is, against the mean cost
        def own() -> tuple[list[np.ndarray], list[np.ndarray]]:
            nb, nw = call(batch_grad, {"X": batch}, order=("X",), extra=_UpdateArgs(batch, src), what=batch_grad_name)
            return [np.asarray(d) for d in nb], [np.asarray(d) for d in nw]
        gradient, scale, grad_scale = own, 1.0 / n, 1.0
        how = f"{batch_grad_name}(mini_batch) over a mini-batch of {n}, as the net's own gradient, against the mean cost"
    else:
        reduction, by_update = _reduction(src, params, batch, summed)
        scale = 1.0 / n if reduction.startswith("averaged") else 1.0
        gradient, grad_scale = summed, scale
        how = f"backprop(x, y) {reduction} over the mini-batch of {n}"
        how += "" if "assumed" in reduction else " as update_mini_batch does"
    if by_update is not None:
        how = ("the change update_mini_batch makes with eta = 1 (" + ("backprop with its L2 weight decay" if own_l2 else
               "it matches neither the sum nor the mean of backprop") + ")")

    def loss_now() -> float:
        if batch_cost is not None:
            mean = call(batch_cost, {"X": batch}, order=("X",), extra=_UpdateArgs(batch, src), what=batch_cost_name)
            return float(mean) * scale * n
        return scale * sum(one_cost(np.asarray(feedforward(x)), y) for x, y in batch)

    def grads() -> dict[str, np.ndarray]:
        if by_update is not None:
            return by_update()
        nb, nw = gradient()
        out: dict[str, np.ndarray] = {}
        for i in range(len(nw)):
            out[f"weights[{i}]"] = nw[i] * grad_scale
            out[f"biases[{i}]"] = nb[i] * grad_scale
        return out

    X = np.hstack([x for x, _ in batch])
    Y = np.hstack([y for _, y in batch])
    hint: dict[str, Any] = {"layout": "cols", "reduction": "mean" if scale != 1.0 else "sum"}
    if hint_loss:
        hint["loss"] = hint_loss
    return Problem(
        params=params, loss=loss_now, grads=grads, data=(X, Y), hint=hint,
        meta={"recognized": f"Nielsen style: {len(W)} layers (weights[i], biases[i]), {how}; cost {cost_desc}"},
    )


def _cost(src: Source, loss: str | None) -> tuple[Any, str, str | None]:
    """The cost of one example ``(a, y) -> float``, its description, and its name for the diagnosis."""
    if loss is not None:
        if loss not in LOSSES:
            raise AdapterError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        return (lambda a, y: LOSSES[loss](a, y, 1)), f"the {loss} loss per example (--loss)", \
            {"bce": "bce", "bce-sum": "bce", "half-sse": "mse", "half-mse": "mse"}.get(loss)
    cost = src.get("cost")
    if isinstance(cost, str) and "cross" in cost.lower():
        return _cross_entropy, f"cross-entropy (cost = {cost!r})", "bce"
    fn: Any = getattr(cost, "fn", None) if cost is not None and not isinstance(cost, str) else None
    if is_fn(fn):
        label = getattr(cost, "__name__", type(cost).__name__)
        kind = "bce" if "cross" in label.lower() else ("mse" if "quadratic" in label.lower() else None)
        return (lambda a, y: float(np.sum(fn(a, y)))), f"{label}.fn(a, y)", kind
    return (lambda a, y: float(0.5 * np.sum((a - y) ** 2))), "the quadratic cost 0.5*||a - y||^2", "mse"


def _batch_cost(src: Source) -> tuple[str | None, Any]:
    """The net's own cost of a list of examples: ``cost(data)`` / ``total_cost(data, lmbda)``."""
    for name in ("total_cost", "cost", "batch_cost", "loss", "evaluate_cost", "cost_of"):
        fn = src.get(name)
        names = arg_names(fn) if is_fn(fn) else None
        if names and names[0] in _UpdateArgs.BATCH_NAMES:
            return name, fn
    return None, None


def _cross_entropy(a: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))))


def _backprop_sum(net: Any, batch: list) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``backprop(x, y)`` summed over the examples: ``(nabla_b, nabla_w)``."""
    nb = [np.zeros(b.shape) for b in net.biases]
    nw = [np.zeros(w.shape) for w in net.weights]
    for x, y in batch:
        db, dw = net.backprop(x, y)
        nb = [a + np.asarray(d) for a, d in zip(nb, db)]
        nw = [a + np.asarray(d) for a, d in zip(nw, dw)]
    return nb, nw


def _reduction(src: Source, params: dict[str, np.ndarray], batch: list, summed: Any) -> tuple[str, Any]:
    """How ``update_mini_batch`` reduces the per-example gradients: "averaged" or "summed"."""
    update = src.get("update_mini_batch")
    net = src.obj
    if not is_fn(update):
        return "averaged (assumed)", None

    def step_change() -> dict[str, np.ndarray]:
        with restored_state(net, params):
            values = {"lr": 1.0, "epochs": 1}
            call(update, values | {"X": batch}, order=(), extra=_UpdateArgs(batch, src), what="update_mini_batch")
            return {
                **{f"weights[{i}]": params[f"weights[{i}]"] - w for i, w in enumerate(net.weights)},
                **{f"biases[{i}]": params[f"biases[{i}]"] - b for i, b in enumerate(net.biases)},
            }

    try:
        change = step_change()
        nb, nw = summed()
    except AdapterError:
        return "averaged (assumed)", None
    except Exception:  # noqa: BLE001 - the update is only consulted; its failure is not the check's
        return "averaged (assumed)", None
    total = {**{f"weights[{i}]": w for i, w in enumerate(nw)}, **{f"biases[{i}]": b for i, b in enumerate(nb)}}
    n = len(batch)

    def close(k: float) -> bool:
        return all(np.allclose(change[name], total[name] * k, rtol=1e-6, atol=1e-12) for name in total)

    if close(1.0 / n):
        return "averaged", None
    if close(1.0):
        return "summed", None
    return "averaged", step_change


def _l2_in_update(src: Source) -> bool:
    """True when ``update_mini_batch`` takes an L2 strength that the check runs at a nonzero value."""
    update = src.get("update_mini_batch")
    names = [n for n in (arg_names(update) or []) if n.lower() in REG_NAMES] if is_fn(update) else []
    values = getattr(src, "values", None)
    return any(values is not None and values.values.get(n) for n in names)


class _UpdateArgs(Source):
    """Values for ``update_mini_batch(mini_batch, eta, lmbda, n)`` by argument name: the mini-batch, its
    size as ``n`` (so the weight decay ``lmbda / n`` is the one ``total_cost`` of the batch has), and the
    net-wide values of the other names (``lmbda``: see :mod:`gradcheck.adapters._values`)."""

    BATCH_NAMES = ("mini_batch", "batch", "minibatch", "data", "training_data", "test_data", "examples", "dataset")

    def __init__(self, batch: list, net: Source | None = None) -> None:
        values: dict[str, Any] = {name: batch for name in self.BATCH_NAMES}
        values.update({"lmbda": 0.0, "lmbda_": 0.0, "lambda_": 0.0, "reg": 0.0, "n": len(batch), "convert": False})
        super().__init__(values, net)
