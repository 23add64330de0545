import numpy as np

rng = np.random.default_rng(5)
Wx = rng.normal(size=(4, 3)) * 0.5
Wh = rng.normal(size=(4, 4)) * 0.5
Wy = rng.normal(size=(2, 4)) * 0.5
h0 = np.zeros((4, 1))


def loss_fn(xs, ys, h0):
    hs, loss = {-1: h0}, 0.0
    for t, x in enumerate(xs):
        hs[t] = np.tanh(Wx @ x + Wh @ hs[t - 1])
        loss += 0.5 * float(np.sum((Wy @ hs[t] - ys[t]) ** 2))
    dWx, dWh, dWy = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(Wy)
    dnext = np.zeros_like(h0)
    for t in reversed(range(len(xs))):
        e = Wy @ hs[t] - ys[t]
        dWy += e @ hs[t].T
        dh = Wy.T @ e + dnext
        draw = (1 - hs[t] ** 2) * dh
        dWx += draw @ xs[t].T
        dWh += draw @ hs[t - 1].T
        dnext = Wh.T @ draw
    return loss, dWy, dWx, dWh, hs[len(xs) - 1]


xs = [rng.normal(size=(3, 1)) for _ in range(4)]
ys = [rng.normal(size=(2, 1)) for _ in range(4)]
