"""Detector: on a recognized vanilla recurrent net, the mistake of backpropagation through time.

The net (:func:`~gradcheck.diagnosis.model.rnn.infer_rnn`) is recognized from the parameter shapes,
the data and the loss; its gradient is then recomputed under each mistake of :data:`MISTAKES` and
the one that reproduces the user's gradient of every parameter is named, on the parameters it
changes. The starting state ``h_0`` may be zeros or a vector the loss reads (its closure, globals,
``self``).

Example:
    >>> sorted(MISTAKES)
    ['missing_recurrent_gradient', 'weight_gradient_wrong_input', 'weights_not_transposed']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...layers import forward_order
from ...report import Finding
from ..catalogue import fix_text
from ..discover import loss_states
from ..evidence import Evidence, Explanation
from ..findings import differs, join_names
from ..model.rnn import RNN, backward, batch, infer_rnn
from ..thresholds import recompute_rtol

__all__ = ["MISTAKES", "detect", "fix"]

#: kind -> (the options of :func:`~gradcheck.diagnosis.model.rnn.backward` that make the mistake,
#: what was done), in the order tried.
MISTAKES: dict[str, tuple[dict[str, bool], str]] = {
    "missing_recurrent_gradient": (
        {"carry": False},
        "the hidden state's gradient at each step leaves out the gradient carried back from the next step "
        "(backpropagation through time truncated to one step)",
    ),
    "weight_gradient_wrong_input": (
        {"own_state": True},
        "the recurrent weights' gradient is formed with the step's own new state h_t instead of the previous one "
        "h_(t-1)",
    ),
    "weights_not_transposed": (
        {"transposed": False},
        "the gradient carried back to the previous step goes through the recurrent weights instead of their transpose",
    ),
}


def fix(net: RNN, kind: str) -> str:
    """The fix of ``kind`` written in the net's own names and layout.

    >>> print(fix(RNN("Wxh", "Whh", "bh", "Why", "by", "cols"), "missing_recurrent_gradient"))
    Add the gradient carried back from the next step to each step's hidden-state gradient: dh = Why.T @ dy + dh_next, then, after the step's own gradients, dh_next = Whh.T @ dh_raw (dh_raw = (1 - h ** 2) * dh).
    """
    cols = net.layout == "cols"
    values = {
        "dh": f"dh = {net.wy}.T @ dy + dh_next" if cols else f"dh = dy @ {net.wy}.T + dh_next",
        "carry": f"dh_next = {net.wh}.T @ dh_raw" if cols else f"dh_next = dh_raw @ {net.wh}.T",
        "dwh": f"d{net.wh} += np.outer(dh_raw, h_prev)" if cols else f"d{net.wh} += np.outer(h_prev, dh_raw)",
        "wh": net.wh,
        "derivative": net.derivative_text(),
    }
    return fix_text({"missing_recurrent_gradient": "rnn_carry", "weight_gradient_wrong_input": "rnn_previous_state",
                     "weights_not_transposed": "rnn_transpose"}[kind], **values)


def detect(ev: Evidence, unexplained: list[str]) -> Explanation:
    """The recurrent net's mistake that reproduces the user's gradients, or nothing."""
    if ev.data is None or not unexplained:
        return Explanation()
    net = infer_rnn(ev.params, ev.problem.loss, ev.data, states=loss_states(ev.params, ev.problem.loss),
                    seed=ev.report.seed or 0)
    if net is None:
        return Explanation()
    found = batch(net, ev.params, ev.data)
    if found is None:
        return Explanation()
    user = {n: ev.grads[n] for n in net.names if ev.grads.get(n) is not None}
    if not any(n in unexplained for n in user):
        return Explanation()
    low = any(np.finfo(np.asarray(ev.params[n]).dtype).bits < 64 for n in net.names)
    tol = recompute_rtol(low)
    ref = backward(net, ev.params, found[0], found[1])
    for kind, (options, detail) in MISTAKES.items():
        cand = backward(net, ev.params, found[0], found[1], **options)
        if any(differs(np.asarray(g), cand[n], tol) for n, g in user.items()):
            continue
        reached = [n for n in user if n in unexplained and differs(cand[n], ref[n], tol)]
        if reached:
            return Explanation([_finding(ev, net, kind, detail, reached)], set(user) & set(unexplained))
    return Explanation()


def _finding(ev: Evidence, net: RNN, kind: str, detail: str, names: list[str]) -> Finding:
    names = forward_order(names)
    msg = (f"{detail}. Recomputing the gradient through time with this mistake reproduces your gradients of "
           f"{join_names(net.names)}; the net is {net.describe()}")
    evidence: dict[str, Any] = {"mistake": detail, "architecture": net.describe(),
                                "roles": {"Wx": net.wx, "Wh": net.wh, "bh": net.bh, "Wy": net.wy, "by": net.by}}
    return Finding(kind=kind, params=names, message=msg, fix=fix(net, kind), evidence=evidence,
                   layer=ev.layer(names), confidence="confirmed")
