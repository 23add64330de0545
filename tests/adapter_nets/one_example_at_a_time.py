import numpy as np


class Net:
    def __init__(self):
        rng = np.random.default_rng(2)
        self.params = {"W1": rng.normal(size=(4, 3)), "b1": np.zeros(4), "W2": rng.normal(size=(2, 4)), "b2": np.zeros(2)}

    def forward_pass(self, x):
        p = self.params
        p["A0"] = x
        p["A1"] = np.tanh(p["W1"] @ x + p["b1"])
        p["A2"] = p["W2"] @ p["A1"] + p["b2"]
        return p["A2"]

    def backward_pass(self, y, output):
        p = self.params
        e = output - y
        d1 = (p["W2"].T @ e) * (1 - p["A1"] ** 2)
        return {"W2": np.outer(e, p["A1"]), "b2": e, "W1": np.outer(d1, p["A0"]), "b1": d1}


net = Net()
rng = np.random.default_rng(3)
X = rng.normal(size=(6, 3))
y = rng.normal(size=(6, 2))
