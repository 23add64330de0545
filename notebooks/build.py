"""Build the example notebooks from the cells below, execute them, and write them with their outputs.

    python notebooks/build.py              # all three
    python notebooks/build.py 01 03        # the ones whose name starts with 01 or 03

The notebooks are committed with their outputs so they read well on a code host; this
script is how they are made, so a change goes here and the notebooks are rebuilt.
Execution uses a ``python3`` kernel running this very interpreter (see :func:`kernel_env`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
#: Seconds allowed for one cell.
CELL_TIMEOUT = 120

# ---------------------------------------------------------------------------------------------
# 01: a net that does not learn
# ---------------------------------------------------------------------------------------------

NB01 = [
    ("md", r'''
# Debugging a net that does not learn

A 2-5-5-1 sigmoid net with binary cross-entropy, written by hand in numpy the way many people
write their first one: a `Layer` class, a `Network` class with a `train()` method, examples as
columns. It trains without an error message, and it does not learn.

This notebook asks `gradcheck` three questions about it, in order:

1. Are the analytic gradients right? (each parameter against a finite-difference derivative of the same loss)
2. If not, where do they first go wrong? (the first wrong parameter in backprop order)
3. What kind of mistake is it, and how is it fixed?

and then trains the fixed net to more than 95% accuracy on points it has never seen.
'''),
    ("code", r'''
import numpy as np
import matplotlib.pyplot as plt

import gradcheck
from gradcheck.plots import plot_errors, plot_heatmap

%matplotlib inline
plt.rcParams["figure.dpi"] = 90
'''),
    ("md", r'''
## The task: two interleaved half-moons

A 2-D binary task made with numpy alone: 400 points to train on and 400 other points, drawn
independently, to measure accuracy on. `X` is `(2, m)` and `Y` is `(1, m)`: one column per example.
'''),
    ("code", r'''
def two_moons(m, *, noise=0.15, seed=0):
    """m points on two interleaved half circles: X is (2, m), Y is (1, m) with labels 0 / 1."""
    rng = np.random.default_rng(seed)
    upper = np.arange(m) < m // 2
    t = rng.uniform(0.0, np.pi, m)
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    X = np.vstack([x, y]) + noise * rng.normal(size=(2, m))
    Y = (~upper).astype(float).reshape(1, m)
    return X, Y


X_train, Y_train = two_moons(400, seed=1)
X_test, Y_test = two_moons(400, seed=2)

fig, ax = plt.subplots(figsize=(5, 3.2))
ax.scatter(*X_train, c=Y_train.ravel(), cmap="coolwarm", s=8)
ax.set(title="training points", xlabel="$x_1$", ylabel="$x_2$");
'''),
    ("md", r'''
## The net, as it was written

Read it as its author would: the forward pass stores `z` and `a` of each layer, `backward()`
returns the six gradients, `train()` takes one example at a time. There are three mistakes in
`backward()`; try to spot them before gradcheck does.
'''),
    ("code", r'''
class Layer:
    def __init__(self, n_neurons, n_inputs):
        self.weights = np.random.rand(n_neurons, n_inputs)
        self.bias = np.random.rand(n_neurons, 1)


class Network:
    def __init__(self, layer1, layer2, layer3):
        self.layer1, self.layer2, self.layer3 = layer1, layer2, layer3

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_derivative(self, x):
        return x * (1 - x)

    def forward(self, X):
        self.z1 = self.layer1.weights @ X + self.layer1.bias
        self.a1 = self.sigmoid(self.z1)
        self.z2 = self.layer2.weights @ self.a1 + self.layer2.bias
        self.a2 = self.sigmoid(self.z2)
        self.z3 = self.layer3.weights @ self.a2 + self.layer3.bias
        self.a3 = self.sigmoid(self.z3)
        return self.a3

    def cost(self, X, Y):
        A = self.forward(X)
        m = Y.shape[1]
        return float(-(Y * np.log(A) + (1 - Y) * np.log(1 - A)).sum() / m)

    def backward(self, X, Y):
        A = self.forward(X)
        delta3 = A - Y
        dW3 = delta3 @ self.a2.T
        db3 = delta3
        delta2 = (self.layer3.weights.T @ delta3) * self.sigmoid_derivative(self.a2)
        dW2 = delta2 @ self.a1.T
        db2 = delta2
        delta1 = (self.layer2.weights.T @ delta2) * self.sigmoid_derivative(self.z1)
        dW1 = delta1 @ X.T
        db1 = delta1
        return dW1, db1, dW2, db2, dW3, db3

    def train(self, X, Y, epochs, learning_rate):
        for epoch in range(1, epochs + 1):
            for i in range(X.shape[1]):  # one example at a time
                x, y = X[:, i:i + 1], Y[:, i:i + 1]
                dW1, db1, dW2, db2, dW3, db3 = self.backward(x, y)
                self.layer1.weights -= learning_rate * dW1
                self.layer1.bias -= learning_rate * db1
                self.layer2.weights -= learning_rate * dW2
                self.layer2.bias -= learning_rate * db2
                self.layer3.weights -= learning_rate * dW3
                self.layer3.bias -= learning_rate * db3
            if epoch % 10 == 0:
                print(f"epoch {epoch:3d}   cost {self.cost(X, Y):.4f}")

    def predict(self, X):
        return (self.forward(X) > 0.5).astype(float)


def accuracy(net, X, Y):
    return float((net.predict(X) == Y).mean())
'''),
    ("code", r'''
np.random.seed(0)
net = Network(Layer(5, 2), Layer(5, 5), Layer(1, 5))
with np.errstate(all="ignore"):  # the cost ends in log(0)
    net.train(X_train, Y_train, epochs=30, learning_rate=0.5)
print(f"accuracy on the held-out points: {accuracy(net, X_test, Y_test):.1%}")
'''),
    ("md", r'''
It does not learn: the cost wanders and ends in `nan`, and the accuracy is a coin toss.

## Ask gradcheck

`gradcheck.check` takes the parameter arrays (by name, input layer first), a function returning
the loss at their current values, and a function returning the analytic gradients (a mapping, or a
sequence in the same order as the parameters). It perturbs every element of every array in
place, compares, and puts every array back bit for bit. The data `(X, Y)` let it confirm a factor
of the batch size and recognize the net as a standard dense net, so it can name the mistake.

A batch of 8 examples is enough; a batch of **one** would hide two of the three mistakes (that is
what the next notebook is about).
'''),
    ("code", r'''
np.random.seed(0)
net = Network(Layer(5, 2), Layer(5, 5), Layer(1, 5))
params = {
    "W1": net.layer1.weights, "b1": net.layer1.bias,
    "W2": net.layer2.weights, "b2": net.layer2.bias,
    "W3": net.layer3.weights, "b3": net.layer3.bias,
}
X, Y = X_train[:, :8], Y_train[:, :8]

report = gradcheck.check(params, lambda: net.cost(X, Y), lambda: net.backward(X, Y), data=(X, Y))
report
'''),
    ("md", r'''
Every gradient is wrong, and the report names three mistakes:

- **`bias_not_summed`**: `db = delta` keeps one column per example; the bias is shared by all
  examples, so its gradient is their sum: `db = delta.sum(axis=1, keepdims=True)`.
- **`missing_batch_mean`**: the cost is a mean over the `m` examples, the gradients are sums;
  every gradient is `m = 8` times too large.
- **`activation_derivative_wrong_input`** in layer 1: `sigmoid_derivative(x) = x * (1 - x)` expects
  the activation `a = sigmoid(z)`; layer 1 hands it `z1`.

The error plot shows it at a glance: parameters in backprop order (the loss end first), the
tolerance as a dashed line, the first bar above it is where the error starts; a hatched bar is a
gradient of the wrong shape.
'''),
    ("code", r'''
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
plot_errors(report, ax=ax1)
plot_heatmap(report, "W2", values="ratio", ax=ax2);
'''),
    ("md", r'''
On the right, `analytic / numeric` for `W2`, element by element: one flat colour, the same number
everywhere, and that number is the batch size. A constant factor is a convention mistake (here the
missing `1 / m`), not a wrong formula.

## Fix the gradients, check again
'''),
    ("code", r'''
class FixedNetwork(Network):
    def backward(self, X, Y):
        m = X.shape[1]
        A = self.forward(X)
        delta3 = (A - Y) / m                               # the cost is a mean: divide by m once, here
        dW3 = delta3 @ self.a2.T
        db3 = delta3.sum(axis=1, keepdims=True)            # the bias is shared: sum over the examples
        delta2 = (self.layer3.weights.T @ delta3) * self.sigmoid_derivative(self.a2)
        dW2 = delta2 @ self.a1.T
        db2 = delta2.sum(axis=1, keepdims=True)
        delta1 = (self.layer2.weights.T @ delta2) * self.sigmoid_derivative(self.a1)  # a1, not z1
        dW1 = delta1 @ X.T
        db1 = delta1.sum(axis=1, keepdims=True)
        return dW1, db1, dW2, db2, dW3, db3


def params_of(net):
    return {
        "W1": net.layer1.weights, "b1": net.layer1.bias,
        "W2": net.layer2.weights, "b2": net.layer2.bias,
        "W3": net.layer3.weights, "b3": net.layer3.bias,
    }


np.random.seed(0)
fixed = FixedNetwork(Layer(5, 2), Layer(5, 5), Layer(1, 5))
fixed_report = gradcheck.check(params_of(fixed), lambda: fixed.cost(X, Y), lambda: fixed.backward(X, Y), data=(X, Y))
fixed_report
'''),
    ("md", r'''
All gradients match. Trained exactly as before (the same initialization, the same learning rate,
one example at a time), the net now learns, but slowly:
'''),
    ("code", r'''
np.random.seed(0)
fixed = FixedNetwork(Layer(5, 2), Layer(5, 5), Layer(1, 5))
fixed.train(X_train, Y_train, epochs=30, learning_rate=0.5)
print(f"accuracy on the held-out points: {accuracy(fixed, X_test, Y_test):.1%}")
'''),
    ("md", r'''
## What gradcheck does not blame

The gradient is now right, so what is left is optimization, which a gradient check cannot judge:

- `np.random.rand` draws every weight and bias in `[0, 1)`: all positive, so every unit of a
  layer starts pushed the same way and the sigmoids start half-saturated. Weights drawn around 0
  with a spread of `1 / sqrt(n_inputs)` and zero biases break that symmetry.
- One example at a time with a fixed step is noisy; with the gradient averaged over the whole
  batch (which the fixed `backward` now computes correctly) a larger step is stable.
'''),
    ("code", r'''
class SensibleLayer(Layer):
    def __init__(self, n_neurons, n_inputs, rng):
        self.weights = rng.normal(0.0, 1.0 / np.sqrt(n_inputs), (n_neurons, n_inputs))
        self.bias = np.zeros((n_neurons, 1))


def train_full_batch(net, X, Y, *, epochs, learning_rate):
    arrays = list(params_of(net).values())
    for epoch in range(1, epochs + 1):
        for array, grad in zip(arrays, net.backward(X, Y)):
            array -= learning_rate * grad
        if epoch % 1000 == 0:
            print(f"epoch {epoch:5d}   cost {net.cost(X, Y):.4f}")


rng = np.random.default_rng(0)
good = FixedNetwork(SensibleLayer(5, 2, rng), SensibleLayer(5, 5, rng), SensibleLayer(1, 5, rng))
train_full_batch(good, X_train, Y_train, epochs=5000, learning_rate=3.0)
test_accuracy = accuracy(good, X_test, Y_test)
print(f"accuracy on the held-out points: {test_accuracy:.1%}")
'''),
    ("code", r'''
def plot_decision_boundary(net, X, Y, ax):
    x1, x2 = np.meshgrid(np.linspace(-1.6, 2.6, 240), np.linspace(-1.2, 1.7, 180))
    grid = np.vstack([x1.ravel(), x2.ravel()])
    p = net.forward(grid).reshape(x1.shape)
    ax.contourf(x1, x2, p, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.45)
    ax.contour(x1, x2, p, levels=[0.5], colors="k", linewidths=1.5)
    ax.scatter(*X, c=Y.ravel(), cmap="coolwarm", s=9, edgecolors="k", linewidths=0.2)
    ax.set(xlabel="$x_1$", ylabel="$x_2$")


fig, ax = plt.subplots(figsize=(6, 4))
plot_decision_boundary(good, X_test, Y_test, ax)
ax.set_title(f"fixed net on the held-out points: {test_accuracy:.1%} correct");
'''),
    ("md", r'''
The black line is where the net's output crosses 0.5.

## What to take away

- A net that "does not learn" may have a wrong gradient or a bad optimization setup; check the
  gradient first, because no amount of tuning fixes a wrong one.
- Check on a batch of several examples, with the data passed to `check(..., data=(X, Y))` so the
  mistakes can be named, not only found.
- Read the report from the loss end: the first wrong parameter in backprop order is where to look.
'''),
]

# ---------------------------------------------------------------------------------------------
# 02: property-based search
# ---------------------------------------------------------------------------------------------

NB02 = [
    ("md", r'''
# Property-based search: the smallest net on which a mistake shows

A gradient check answers for the net and the batch it is given. Some mistakes leave no trace on
the example their author happened to try:

- with **one example**, a bias gradient that is not summed over the batch has the right shape and
  the right values, and a sum over the batch equals the mean: a missing `1 / m` is invisible;
- with a **square** weight matrix, a transposed gradient has the right shape;
- with **positive** inputs, a relu mask that is wrong for negative values is never used.

`gradcheck.search` varies every keyword a factory of nets takes (layer widths, batch size, seeds,
inputs, and settings such as a regularization strength, a keep probability or a learning rate)
with [hypothesis](https://hypothesis.readthedocs.io), checks every net it builds, and shrinks the
first failure to the smallest net that still shows it. Then it probes that net's neighbours to say
what the failure depends on, and confirms the kind of mistake at a second net.
'''),
    ("code", r'''
import numpy as np

import gradcheck
from gradcheck.search import search
'''),
    ("md", r'''
## A net whose author tested it on one example

A sigmoid net with binary cross-entropy, any number of layers, examples as columns, written as
in the first notebook after its first report was acted on: the activation derivative is now right.
Two mistakes are left in `backward`; the author's own test, on a single example, passes.
'''),
    ("code", r'''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Net:
    def __init__(self, widths, seed=0):
        rng = np.random.default_rng(seed)
        self.W = [rng.normal(0, 1, (n_out, n_in)) for n_in, n_out in zip(widths[:-1], widths[1:])]
        self.b = [rng.normal(0, 0.5, (n_out, 1)) for n_out in widths[1:]]

    def forward(self, X):
        self.a = [X]
        for W, b in zip(self.W, self.b):
            self.a.append(sigmoid(W @ self.a[-1] + b))
        return self.a[-1]

    def cost(self, X, Y):
        A = self.forward(X)
        return float(-(Y * np.log(A) + (1 - Y) * np.log(1 - A)).sum() / X.shape[1])

    def backward(self, X, Y):
        A = self.forward(X)
        delta = A - Y
        dW, db = [], []
        for i in reversed(range(len(self.W))):
            dW.insert(0, delta @ self.a[i].T)
            db.insert(0, delta)
            if i > 0:
                delta = (self.W[i].T @ delta) * self.a[i] * (1 - self.a[i])
        return dW, db
'''),
    ("md", r'''
To be searched, the net needs a **factory**: a function of keywords (`widths`, a batch size,
`seed`, and any setting with a default) that returns what `gradcheck.check` takes (here a
`gradcheck.Problem`; a dict with the keys `params`, `loss`, `grads` and `data` works too). The
data go along so that the report can name the mistakes.
'''),
    ("code", r'''
def factory(net_class):
    """A factory of problems for nets of class net_class."""

    def build(widths, batch_size, seed):
        net = net_class(widths, seed)
        rng = np.random.default_rng(seed + 1)
        X = rng.normal(size=(widths[0], batch_size))
        Y = (rng.random((widths[-1], batch_size)) > 0.5).astype(float)
        params = {}
        for i, (W, b) in enumerate(zip(net.W, net.b), start=1):
            params[f"W{i}"], params[f"b{i}"] = W, b

        def grads():
            dW, db = net.backward(X, Y)
            return {name: g for i in range(len(dW)) for name, g in ((f"W{i + 1}", dW[i]), (f"b{i + 1}", db[i]))}

        return gradcheck.Problem(params=params, loss=lambda: net.cost(X, Y), grads=grads, data=(X, Y))

    return build


build = factory(Net)

# the author's own test: their 2-5-5-1 net on one example
gradcheck.check(build([2, 5, 5, 1], batch_size=1, seed=0))
'''),
    ("md", r'''
All gradients match, on the one example the author tried.

## Search

`search` tries nets of up to a few layers, batch sizes from 1 and seeds, shrinks the first
failure, and explains it. The seed makes the search replayable: the same seed, the same nets.
'''),
    ("code", r'''
result = search(build, seed=2024, max_examples=60)
print(result.explanation)
'''),
    ("code", r'''
print("smallest failing net:", {k: v for k, v in result.smallest.items()})
result.report
'''),
    ("md", r'''
The smallest failing net has a single unit in each layer and **two** examples: nothing about the
architecture matters, only the batch size. At that net the report names both mistakes:

- `bias_not_summed`: `db.insert(0, delta)` keeps one column per example;
  the fix is `delta.sum(axis=1, keepdims=True)`;
- `missing_batch_mean`: the cost is a mean, the gradients are sums; the fix is to divide
  `A - Y` by `m` once, at the top of `backward`.

Both were invisible at batch size 1, which is why the author's test passed, and both break
training the moment the net sees a batch.

## The fixed net
'''),
    ("code", r'''
class FixedNet(Net):
    def backward(self, X, Y):
        A = self.forward(X)
        delta = (A - Y) / X.shape[1]
        dW, db = [], []
        for i in reversed(range(len(self.W))):
            dW.insert(0, delta @ self.a[i].T)
            db.insert(0, delta.sum(axis=1, keepdims=True))
            if i > 0:
                delta = (self.W[i].T @ delta) * self.a[i] * (1 - self.a[i])
        return dW, db


fixed = search(factory(FixedNet), seed=2024, max_examples=60)
print(fixed.explanation)
'''),
    ("md", r'''
## The same property in your own test suite

The search is a hypothesis property; the strategies it uses are public, so the property can
live in a test file and run in CI with the rest of the tests:

```python
from hypothesis import given
from gradcheck import strategies as gst

@given(gst.problems(build))
def test_backprop_matches_finite_differences(problem):
    assert gradcheck.check(problem).ok
```

Below it runs once by hand, on the mistaken backward pass, with hypothesis' own report of the
shrunk failing example: the call of the factory that rebuilds it.
'''),
    ("code", r'''
from hypothesis import Phase, given, settings
from gradcheck import strategies as gst

@settings(max_examples=60, derandomize=True, database=None, deadline=None, phases=[Phase.generate, Phase.shrink])
@given(gst.problems(build))
def test_backprop_matches_finite_differences(problem):
    report = gradcheck.check(problem)
    assert report.ok, f"wrong gradients {report.wrong}: {report.kinds()}"


try:
    test_backprop_matches_finite_differences()
except AssertionError as failure:
    print(failure)
    print("\n".join(getattr(failure, "__notes__", [])))
'''),
]

# ---------------------------------------------------------------------------------------------
# 03: check your own layer
# ---------------------------------------------------------------------------------------------

NB03 = [
    ("md", r'''
# Check your own layer

Layers that are not in a textbook table (a normalization, an attention score, a custom activation)
are where hand-written backward passes go wrong most often. This notebook checks one such layer on
its own, **input gradient included**, and then inside a small net.

The layer is a layer normalization: each example (a row) is normalized over its features, then
scaled and shifted by learned `gamma` and `beta`. It follows a common convention for layer
objects: `forward(x)` caches what the backward pass needs, `backward(dout)` returns the gradient
with respect to the input and stores the parameters' gradients in `layer.grads`.
'''),
    ("code", r'''
import numpy as np
import matplotlib.pyplot as plt

import gradcheck
from gradcheck.plots import plot_errors, plot_heatmap

%matplotlib inline
plt.rcParams["figure.dpi"] = 90
'''),
    ("code", r'''
class LayerNorm:
    """y = gamma * (x - mean(x)) / std(x) + beta, per row of x (examples are rows)."""

    def __init__(self, n_features, *, eps=1e-5):
        self.params = {"gamma": np.ones(n_features), "beta": np.zeros(n_features)}
        self.grads = {}
        self.eps = eps

    def forward(self, x):
        self.mean = x.mean(axis=1, keepdims=True)
        self.std = np.sqrt(x.var(axis=1, keepdims=True) + self.eps)
        self.x_hat = (x - self.mean) / self.std
        return self.params["gamma"] * self.x_hat + self.params["beta"]

    def backward(self, dout):
        self.grads["gamma"] = (dout * self.x_hat).sum(axis=0)
        self.grads["beta"] = dout.sum(axis=0)
        return dout * self.params["gamma"] / self.std
'''),
    ("md", r'''
## The layer alone

A layer has no loss of its own. The standard trick gives it one: take a fixed random upstream
gradient `G` and let the loss be `sum(forward(x) * G)`. Its gradient with respect to anything is
exactly what `backward(G)` must return, so the check covers `gamma`, `beta` **and the input `x`**:
the input gradient is what the layers below receive, and a mistake there is invisible when only
the parameters are checked.

The input is listed first (it is the "lowest" quantity: backprop reaches it last), then the
layer's parameters. `gamma` and `beta` get random values, so that a mistake cannot hide behind
`gamma = 1` and `beta = 0`.
'''),
    ("code", r'''
rng = np.random.default_rng(0)
layer = LayerNorm(4)
layer.params["gamma"][:] = rng.normal(1.0, 0.3, 4)
layer.params["beta"][:] = rng.normal(0.0, 0.3, 4)
x = rng.normal(size=(3, 4))
G = rng.normal(size=(3, 4))


def layer_loss():
    return float((layer.forward(x) * G).sum())


def layer_grads():
    layer.forward(x)
    dx = layer.backward(G)
    return {"x": dx, **layer.grads}


report = gradcheck.check({"x": x, **layer.params}, layer_loss, layer_grads)
report
'''),
    ("md", r'''
`gamma` and `beta` are right; the input gradient is wrong. The report cannot name a catalogued
mistake (this is not a standard dense layer), but it says where to look: the gradients of the
parameters are right, so the mistake is in the formula for `dx`.

The heatmap of `|analytic - numeric|` for `x` shows every element off, and a look at the numbers
gives the hint: the true input gradient sums to zero over each row (shifting a row of `x` by a
constant does not change its normalized value), the analytic one does not.
'''),
    ("code", r'''
fig, ax = plt.subplots(figsize=(5.5, 3))
plot_heatmap(report, "x", ax=ax)

print("row sums of the analytic dx:", np.round(report["x"].analytic.sum(axis=1), 4))
print("row sums of the numeric dx: ", np.round(report["x"].numeric.sum(axis=1), 4))
'''),
    ("md", r'''
`backward` treated the mean and the standard deviation as constants. Both depend on `x`, and
their derivatives add two terms:

$$\frac{\partial L}{\partial x} = \frac{1}{\sigma}\Big(\hat g - \operatorname{mean}(\hat g) - \hat x \operatorname{mean}(\hat g\,\hat x)\Big), \qquad \hat g = \gamma \cdot \frac{\partial L}{\partial y}$$

with the means taken over the features of each row.
'''),
    ("code", r'''
class FixedLayerNorm(LayerNorm):
    def backward(self, dout):
        self.grads["gamma"] = (dout * self.x_hat).sum(axis=0)
        self.grads["beta"] = dout.sum(axis=0)
        g = dout * self.params["gamma"]
        return (g - g.mean(axis=1, keepdims=True) - self.x_hat * (g * self.x_hat).mean(axis=1, keepdims=True)) / self.std


layer.__class__ = FixedLayerNorm  # same parameters, new backward
gradcheck.check({"x": x, **layer.params}, layer_loss, layer_grads)
'''),
    ("md", r'''
The layer is right now, input gradient included.

The random-upstream trick is packaged as an adapter: `gradcheck.adapters.from_layer` takes any
object with `forward(x)` and `backward(dout)` (parameters in `.params` / `.grads`, or attributes
such as `W` and `dW`) and checks its parameters and its input, named `input`. Without `x=` it
makes up an input of a shape the layer accepts.
'''),
    ("code", r'''
from gradcheck.adapters import from_layer

gradcheck.check(from_layer(layer, x=x))
'''),
    ("md", r'''
## Inside a net

Now the layer sits in a small binary classifier: dense `W1, b1` → layer norm → `tanh` → dense
`W2, b2` → sigmoid, with the mean binary cross-entropy. The net's backward pass calls the layer's
`backward`, exactly as a training loop would. Here it runs with the original, mistaken layer.
'''),
    ("code", r'''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


class Net:
    def __init__(self, n_in, n_hidden, norm, *, seed=0):
        rng = np.random.default_rng(seed)
        self.norm = norm
        self.params = {
            "W1": rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_hidden)), "b1": rng.normal(0, 0.1, n_hidden),
            "gamma": norm.params["gamma"], "beta": norm.params["beta"],
            "W2": rng.normal(0, 1 / np.sqrt(n_hidden), (n_hidden, 1)), "b2": np.zeros(1),
        }

    def forward(self, X):
        p = self.params
        self.h1 = X @ p["W1"] + p["b1"]
        self.h2 = np.tanh(self.norm.forward(self.h1))
        return sigmoid(self.h2 @ p["W2"] + p["b2"])

    def loss(self, X, y):
        a = self.forward(X)
        return float(-(y * np.log(a) + (1 - y) * np.log(1 - a)).mean())

    def gradients(self, X, y):
        p, m = self.params, X.shape[0]
        a = self.forward(X)
        dz2 = (a - y) / m
        grads = {"W2": self.h2.T @ dz2, "b2": dz2.sum(axis=0)}
        dh2 = (dz2 @ p["W2"].T) * (1 - self.h2 ** 2)
        dh1 = self.norm.backward(dh2)
        grads.update(self.norm.grads)
        grads["W1"] = X.T @ dh1
        grads["b1"] = dh1.sum(axis=0)
        return grads


rng = np.random.default_rng(1)
X = rng.normal(size=(10, 3))
y = (rng.random((10, 1)) > 0.5).astype(float)

norm = LayerNorm(6)
norm.params["gamma"][:] = rng.normal(1.0, 0.3, 6)
net = Net(3, 6, norm)
net_report = gradcheck.check(net.params, lambda: net.loss(X, y), lambda: net.gradients(X, y))
net_report
'''),
    ("code", r'''
fig, ax = plt.subplots(figsize=(6, 3.4))
plot_errors(net_report, ax=ax);
'''),
    ("md", r'''
Read it from the loss end: `b2`, `W2`, `beta` and `gamma` are right, `b1` and `W1` are wrong. The
layer's own parameter gradients are right, so the gradient arriving at the layer is right too;
what goes wrong is what the layer hands down, its input gradient. Inside a net, a wrong input
gradient shows up one layer **below** the layer that has the mistake: that is why the layer is
worth checking on its own first, input gradient included.

With the fixed layer, the whole net passes:
'''),
    ("code", r'''
norm.__class__ = FixedLayerNorm
fixed_report = gradcheck.check(net.params, lambda: net.loss(X, y), lambda: net.gradients(X, y))
fixed_report
'''),
]

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_debug_a_net_that_does_not_learn": NB01,
    "02_property_based_search": NB02,
    "03_check_your_own_layer": NB03,
}


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A fresh (unexecuted) notebook from ``(kind, source)`` pairs."""
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        source = source.strip("\n")
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def kernel_env(directory: str | os.PathLike[str]) -> dict[str, str]:
    """Write a ``python3`` kernel spec running this interpreter under ``directory``; return env overrides.

    Put the returned variables into ``os.environ`` before executing: the notebooks then run in the
    same environment as the caller (a fresh venv, CI), whatever ``python`` is first on the PATH.
    """
    from ipykernel.kernelspec import write_kernel_spec

    target = Path(directory) / "kernels" / "python3"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_kernel_spec(str(target))
    existing = os.environ.get("JUPYTER_PATH")
    return {"JUPYTER_PATH": os.pathsep.join([str(directory)] + ([existing] if existing else []))}


def execute(nb: nbformat.NotebookNode, *, cwd: str | os.PathLike[str] = HERE, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Execute ``nb`` in place with a ``python3`` kernel running this interpreter; return it."""
    with tempfile.TemporaryDirectory() as tmp:
        saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION")}
        os.environ.update(kernel_env(tmp))
        os.environ.pop("MPLBACKEND", None)  # the kernel's inline backend draws the figures
        os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        try:
            client = NotebookClient(
                nb,
                timeout=timeout,
                kernel_name="python3",
                resources={"metadata": {"path": str(cwd)}},
                record_timing=False,
            )
            client.execute()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return nb


def main(argv: list[str]) -> int:
    wanted = [name for name in NOTEBOOKS if not argv or any(name.startswith(a) for a in argv)]
    for name in wanted:
        nb = execute(build(NOTEBOOKS[name]))
        path = HERE / f"{name}.ipynb"
        nbformat.write(nb, str(path))
        print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
