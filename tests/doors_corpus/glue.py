"""Small per-net glue for test_truth.py: what each net's loss and gradients really are.

Each function takes the loaded user module and returns a list of checks
``(params, loss, grads)``: ``params`` maps the names the user reads in the file to the
live arrays, ``loss()`` the net's own objective at their current contents, ``grads()``
the gradients the net computes (for a training step, ``(old - new) / lr`` at the rate the
step used, with every parameter put back). Nothing here imports gradcheck.
"""

from __future__ import annotations

import numpy as np


def _strip_d(grads):
    """{"dW1": ..., "dA1": ...} -> {"W1": ...}: the gradients of parameters only."""
    return {k[1:]: v for k, v in grads.items() if k[:2] in ("dW", "db")}


def _step_gradient(params, step, lr, restore=None):
    """Run one training step, read (old - new) / lr, put every array back."""
    saved = {k: v.copy() for k, v in params.items()}
    step()
    now = restore() if restore else params
    grads = {k: (saved[k] - now[k]) / lr for k in params}
    for k, v in params.items():
        v[...] = saved[k]
    return grads


def dlai_dropout(mod):
    params, X, Y, kp = mod.parameters, mod.X, mod.Y, mod.keep_prob

    def loss():
        return mod.compute_cost(mod.forward_propagation_with_dropout(X, params, kp)[0], Y)

    def grads():
        _, cache = mod.forward_propagation_with_dropout(X, params, kp)
        return _strip_d(mod.backward_propagation_with_dropout(X, Y, cache, kp))

    return [(params, loss, grads)]


def dlai_l2(mod):
    params, X, Y, lambd = mod.parameters, mod.X, mod.Y, mod.lambd

    def loss():
        return mod.compute_cost_with_regularization(mod.forward_propagation(X, params)[0], Y, params, lambd)

    def grads():
        _, cache = mod.forward_propagation(X, params)
        return _strip_d(mod.backward_propagation_with_regularization(X, Y, cache, lambd))

    return [(params, loss, grads)]


def cs231n_reg(mod):
    net = mod.net
    return [(net.params, lambda: net.loss(mod.X, mod.y, reg=mod.reg)[0], lambda: net.loss(mod.X, mod.y, reg=mod.reg)[1])]


def cs231n_fc(mod):
    model = mod.model
    return [(model.params, lambda: model.loss(mod.X, mod.y)[0], lambda: model.loss(mod.X, mod.y)[1])]


def nielsen_l2(mod):
    net, data, eta = mod.net, mod.training_data, 0.5
    names = [f"weights[{i}]" for i in range(len(net.weights))] + [f"biases[{i}]" for i in range(len(net.biases))]
    params = dict(zip(names, net.weights + net.biases))

    def grads():
        w, b = list(net.weights), list(net.biases)
        net.update_mini_batch(list(data), eta, mod.lmbda, mod.n)
        new = dict(zip(names, net.weights + net.biases))
        net.weights, net.biases = w, b
        return {k: (params[k] - new[k]) / eta for k in names}

    return [(params, lambda: net.total_cost(data, mod.lmbda), grads)]


def layer_objects_cols(mod):
    net = mod.net
    layers = {"layer1": net.layer1, "layer2": net.layer2, "layer3": net.layer3}
    params = {f"{n}.{a}": getattr(l, a) for n, l in layers.items() for a in ("weights", "bias")}

    def grads():
        g = net.backward(mod.inputs, mod.labels)
        return {f"layer{i}.{a}": g[f"d{k}{i}"] for i in (1, 2, 3) for a, k in (("weights", "W"), ("bias", "b"))}

    return [(params, lambda: net.get_cost_value(net.forward(mod.inputs), mod.labels), grads)]


def layer_objects_rows(mod):
    model = mod.model
    params = {f"layers[{i}].{a}": getattr(l, a) for i, l in enumerate(model.layers) for a in ("W", "b")}

    def grads():
        g = model.backward(mod.X, mod.y)
        return {f"layers[{i}].{a}": g[f"d{a}{i + 1}"] for i in range(2) for a in ("W", "b")}

    return [(params, lambda: model.loss(mod.X, mod.y), grads)]


def backward_updates(mod):
    net = mod.net
    params = {"W1": net.W1, "b1": net.b1, "W2": net.W2, "b2": net.b2}
    return [(params, lambda: net.loss(mod.X, mod.y),
             lambda: _step_gradient(params, lambda: net.backward(mod.X, mod.y), net.learning_rate))]


def layers_update_in_backward(mod):
    net, lr = mod.net, 0.1
    params = {f"layers[{i}].{a}": getattr(l, a) for i, l in enumerate(net.layers) if hasattr(l, "weights")
              for a in ("weights", "bias")}
    return [(params, lambda: net.loss(mod.x_train, mod.y_train),
             lambda: _step_gradient(params, lambda: net.train_step(mod.x_train, mod.y_train, lr), lr))]


def train_inverse_epoch(mod):
    net = mod.net
    params = {f"layer{i}.{a}": getattr(getattr(net, f"layer{i}"), a) for i in (1, 2, 3) for a in ("weights", "bias")}
    # the first epoch of train() steps with lr = 1 / 1
    return [(params, lambda: net.get_cost_value(net.forward(mod.inputs), mod.labels),
             lambda: _step_gradient(params, lambda: net.train(mod.inputs, mod.labels, 1), 1.0))]


def train_decay(mod):
    model = mod.model
    params = {"W1": model.W1, "b1": model.b1, "W2": model.W2, "b2": model.b2}
    # the first epoch (epoch 0) of train() steps with lr = lr0
    return [(params, lambda: model.loss(mod.X, mod.y),
             lambda: _step_gradient(params, lambda: model.train(mod.X, mod.y, 1), model.lr0))]


def stateful_tutorial(mod):
    nn = mod.nn
    params = {"weights1": nn.weights1, "weights2": nn.weights2}

    def loss():
        nn.feedforward()
        return float(np.sum((nn.y - nn.output) ** 2))

    def step():
        nn.feedforward()
        nn.backprop()

    return [(params, loss, lambda: _step_gradient(params, step, 1.0))]


def _per_example(mod, example_loss):
    dnn = mod.dnn
    params = {k: dnn.params[k] for k in ("W1", "b1", "W2", "b2")}
    checks = []
    for x, y in zip(mod.x_train[:3], mod.y_train[:3]):
        checks.append((params, lambda x=x, y=y: example_loss(dnn.forward_pass(x), y),
                       lambda x=x, y=y: dnn.backward_pass(y, dnn.forward_pass(x))))
    return checks


def per_example_ce(mod):
    return _per_example(mod, lambda out, y: float(-np.sum(y * np.log(out))))


def per_example_mse(mod):
    return _per_example(mod, lambda out, y: float(np.mean((out - y) ** 2)))


def char_rnn(mod):
    names = ["Wxh", "Whh", "Why", "bh", "by"]
    params = {n: getattr(mod, n) for n in names}

    def run():
        return mod.lossFun(mod.inputs, mod.targets, mod.hprev)

    return [(params, lambda: run()[0], lambda: dict(zip(names, run()[1:6])))]


def layer_library(mod):
    model, X = mod.model, mod.X
    R = np.random.default_rng(0).normal(size=model.forward(X).shape)
    params = {f'layers[{i}].parameters["{k}"]': v for i, l in enumerate(model.layers) for k, v in l.parameters.items()}
    params["input"] = X

    def grads():
        model.forward(X)
        dX = model.backward(R)
        g = {f'layers[{i}].parameters["{k}"]': v for i, l in enumerate(model.layers) for k, v in l.gradients.items()}
        g["input"] = dX
        return g

    return [(params, lambda: float(np.sum(model.forward(X) * R)), grads)]


def notebook(mod):
    params, X, Y = mod.parameters, mod.X, mod.Y

    def grads():
        _, cache = mod.forward_propagation_n(X, Y, params)
        return _strip_d(mod.backward_propagation_n(X, Y, cache))

    return [(params, lambda: mod.forward_propagation_n(X, Y, params)[0], grads)]


def arch_functions(mod):
    params, X, Y, layers = mod.param_values, mod.X, mod.Y, mod.NN_LAYERS

    def loss():
        return mod.binary_cross_entropy(mod.model_forward(X, params, layers)[0], Y)

    def grads():
        Y_hat, memory = mod.model_forward(X, params, layers)
        return _strip_d(mod.model_backward(Y_hat, Y, memory, params, layers))

    return [(params, loss, grads)]


def activations_dict(mod):
    params, X, Y, acts = mod.params_dict, mod.X, mod.Y, mod.ACTIVATIONS

    def loss():
        return mod.compute_loss(mod.forward_pass(X, params, acts)[0], Y)

    def grads():
        probs, store = mod.forward_pass(X, params, acts)
        return _strip_d(mod.backprop(probs, Y, store, params, acts))

    return [(params, loss, grads)]


def keep_prob_upper(mod):
    params, X, Y, kp = mod.parameters, mod.X, mod.Y, mod.KEEP_PROB

    def loss():
        return mod.cost_function(mod.L_forward(X, params, kp)[0], Y)

    def grads():
        AL, caches = mod.L_forward(X, params, kp)
        return _strip_d(mod.L_backward(AL, Y, caches, params, kp))

    return [(params, loss, grads)]


def train_passes_epsilon(mod):
    model = mod.model
    params = {f"{a}[{i}]": getattr(model, a)[i] for a in ("W", "b") for i in range(len(model.W))}
    # one pass of train() at its default epsilon
    return [(params, lambda: model.calculate_loss(mod.X, mod.y),
             lambda: _step_gradient(params, lambda: model.train(mod.X, mod.y, num_passes=1, epsilon=0.01), 0.01))]


def fit_max_iter(mod):
    model = mod.model
    params = {k: getattr(model, k) for k in ("W1", "b1", "W2", "b2")}
    return [(params, lambda: model.loss(mod.X, mod.y),
             lambda: _step_gradient(params, lambda: model.fit(mod.X, mod.y, max_iter=1, step_size=0.2), 0.2))]


def sweeps_step(mod):
    net = mod.net
    params = {k: getattr(net, k) for k in ("W1", "b1", "W2", "b2")}
    return [(params, lambda: net.cost(mod.X, mod.Y),
             lambda: _step_gradient(params, lambda: net.train(mod.X, mod.Y, sweeps=1, step=0.5), 0.5))]


def layer_unnamed_arg(mod):
    net, X = mod.net, mod.X
    layers = net.layers

    def forward():
        a = X
        for layer in layers:
            a = layer.forward(a)
        return a

    R = np.random.default_rng(0).normal(size=forward().shape)
    params = {f"layers[{i}].{k}": getattr(l, k) for i, l in enumerate(layers) for k in ("W", "b") if hasattr(l, k)}
    params["input"] = X

    def grads():
        forward()
        d = R
        for layer in reversed(layers):
            d = layer.backward(d)
        g = {f"layers[{i}].{k}": getattr(l, "d" + k) for i, l in enumerate(layers) for k in ("W", "b") if hasattr(l, k)}
        g["input"] = d
        return g

    return [(params, lambda: float(np.sum(forward() * R)), grads)]


def output_lists(mod):
    net, X, y = mod.net, mod.X, mod.y
    params = {f"{name}[{i}]": v for name in ("weights", "biases") for i, v in enumerate(getattr(net, name))}

    def grads():
        gw, gb = net.backward(net.forward(X), y)
        return {**{f"weights[{i}]": v for i, v in enumerate(gw)}, **{f"biases[{i}]": v for i, v in enumerate(gb)}}

    return [(params, lambda: net.loss(net.forward(X), y), grads)]


def loss_delta_layers(mod):
    net, X, Y = mod.net, mod.X, mod.Y
    params = {f"layers[{i}].{k}": getattr(l, k) for i, l in enumerate(net.layers) for k in ("W", "bias")}

    def grads():
        net.zero_grad()
        _, delta = net.cost_function(net.forward_pass(X), Y)
        net.backward_pass(delta)
        return {f"layers[{i}].{k}": getattr(l, "g" + k).copy() for i, l in enumerate(net.layers) for k in ("W", "bias")}

    return [(params, lambda: net.cost_function(net.forward_pass(X), Y)[0], grads)]


GLUE = {
    "dlai_dropout": dlai_dropout,
    "dlai_l2": dlai_l2,
    "cs231n_reg": cs231n_reg,
    "cs231n_fc": cs231n_fc,
    "nielsen_l2": nielsen_l2,
    "layer_objects_cols": layer_objects_cols,
    "layer_objects_rows": layer_objects_rows,
    "backward_updates": backward_updates,
    "layers_update_in_backward": layers_update_in_backward,
    "train_inverse_epoch": train_inverse_epoch,
    "train_decay": train_decay,
    "stateful_tutorial": stateful_tutorial,
    "per_example_mse": per_example_mse,
    "per_example": per_example_ce,
    "char_rnn": char_rnn,
    "layer_library": layer_library,
    "notebook_gradcheck": notebook,
    "arch_functions": arch_functions,
    "activations_dict": activations_dict,
    "keep_prob_upper": keep_prob_upper,
    "train_passes_epsilon": train_passes_epsilon,
    "fit_max_iter": fit_max_iter,
    "sweeps_step": sweeps_step,
    "layer_unnamed_arg": layer_unnamed_arg,
    "output_lists": output_lists,
    "loss_delta_layers": loss_delta_layers,
}


def glue_for(file: str):
    """The glue of a net file: the longest GLUE key its name starts with."""
    keys = [k for k in GLUE if file.startswith(k)]
    return GLUE[max(keys, key=len)] if keys else None
