# A half-finished setup function: it was meant to build a net for a given seed, but for now
# it only returns a constant.
import numpy as np


def build(seed=0):
    np.random.seed(seed)
    return 1
