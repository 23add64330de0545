"""Held-out user-style nets: written apart from the diagnosis and never tuned against.

Each case is a function returning a dict with ``params``, ``loss``, ``grads``, ``data``
and the expectation: ``kind`` (None for a correct net) and ``first_wrong``.
"""
