"""Diagnosis: where a wrong gradient first goes wrong, and what kind of mistake it is.

:func:`diagnose` runs after the numeric comparison (``gradcheck.check`` calls it) and fills
``report.findings`` and ``report.localization``. It is one pipeline (:mod:`.pipeline`):

1. **Evidence** (:mod:`.evidence`), built once: the report, the parameters, the user's effective
   gradients (repaired where a shape relation explains them), the batch size, the layers
   (:mod:`gradcheck.layers`), and the standard dense net behind the loss when one is recognized
   (:mod:`.model`: given as a hint, or inferred from the parameter shapes, the data and the loss).
2. **Localization** (:mod:`.localize`): the first wrong parameter in backprop order, and what the
   pattern of right and wrong parameters says about where the mistake sits.
3. **Detectors** (:data:`.pipeline.DETECTORS`, in order): each reads the evidence and the names
   no earlier detector explained, and returns its findings. On a recognized dense net the
   gradient is recomputed under every catalogued mistake (:mod:`.mistakes`); the one that
   reproduces the user's analytic gradient is named with confidence ``"confirmed"``. Otherwise
   the generic signatures run: zeros, a mistake in the loss's own derivative read off the output
   deltas (:mod:`.model.output_delta`: a clip, a Huber threshold, label smoothing or a class weight
   left out), a constant ratio (m, 1/m, -1, other), a transpose, an L2 term; confidence
   ``"likely"``. What fits nothing is ``unknown``.

Every kind a finding can carry is in the catalogue (:mod:`.catalogue`, listed by ``gradcheck bugs``).

**Adding a mistake of the dense net**: a class in ``mistakes/`` deriving from
:class:`~.mistakes.base.Mistake` that overrides the one step of the backward pass it gets wrong
(:class:`~.model.dense.Backprop`: ``derivative``, ``output_delta``, ``propagate``, ``dropout``,
``local``, ``layer_input``, ``input_gradient``), its ``formula``/``fix`` for the net at hand (text
from :mod:`.catalogue`), and a generator of its instances listed once in :func:`.mistakes.mistakes`;
the recompute detector then names it. **Adding a detector** (a mistake the dense net does not
model): a module in ``detectors/`` with ``detect(ev, unexplained) -> Explanation`` and one line in
:data:`.pipeline.DETECTORS` where it belongs in the order; ``detectors/normalization.py`` is one
(batch-norm and layer-norm backward passes without their mean and variance paths). Either way: the
kind's entry in :mod:`.catalogue` (title, explanation, signature, fix; every formula in a fix is
tested), a line in the README's "What it names" table, and a test on a real net where the mistake
is present that checks the kind and the parameters named. Thresholds come from :mod:`.thresholds`.

The architecture hint is a dict; every key is optional and narrows the search::

    hint = {
        "layout": "cols",                   # "cols": X is (n_in, m), W (n_out, n_in), b (n_out, 1)
                                            # "rows": X is (m, n_in), W (n_in, n_out), b (n_out,)
        "activations": ["sigmoid", "sigmoid", "sigmoid"],   # one per layer (or one name for the hidden layers)
        "loss": "bce",                      # "bce", "mse" or "softmax_ce"
        "l2": 0.0,                          # penalty l2 / 2 * sum(W ** 2) (fitted from the loss when absent)
        "reduction": "mean",                # "mean" or "sum" over the batch (fitted when absent)
        "batch_size": 8,                    # the number of examples, when no data are given
        "layers": [("W1", "b1"), ("W2", "b2")],  # pairing of weights and biases (inferred when absent)
        "dropout": {1: D1, 2: D2},          # fixed dropout masks of hidden layers, in the layout of
        "keep_prob": 0.8,                   #   their activations; the forward pass uses A * D / keep_prob
    }

The data ``(X, y)`` are needed for semantic naming (``check(..., data=(X, y))``);
``gradcheck.nn.MLP.hint`` is a complete hint. A layer check (the layers' input checked as a
parameter named ``input``, ``x`` or ``X`` through ``sum(out * R)``) needs no data: the stack of
dense layers and ``R`` are recovered from the loss (:func:`gradcheck.diagnosis.model.infer.infer_layer_arch`).

Example:
    >>> import numpy as np, gradcheck
    >>> from gradcheck.nn import MLP
    >>> net = MLP([2, 3, 1], activations="sigmoid", loss="bce", layout="cols")
    >>> X, y = net.random_data(8)
    >>> g = lambda: {k: 8 * v for k, v in net.gradients(X, y).items()}   # summed, not averaged
    >>> report = gradcheck.check(net.params, lambda: net.loss(X, y), g, data=(X, y))
    >>> report.kinds()
    ['missing_batch_mean']
"""

from __future__ import annotations

from .evidence import Evidence, Explanation, build_evidence
from .pipeline import DETECTORS, Detector, diagnose

__all__ = ["DETECTORS", "Detector", "Evidence", "Explanation", "build_evidence", "diagnose"]
