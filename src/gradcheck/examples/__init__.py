"""Example nets that ship with gradcheck (``gradcheck demo`` runs them).

- :mod:`gradcheck.examples.seed_net`: a 2-5-5-1 sigmoid net with binary cross-entropy,
  written as a first hand-written net often is (a ``Layer`` class, a ``Network`` class whose
  gradient lives only in ``train()``, examples as columns), with two mistakes in it.
- :mod:`gradcheck.examples.seed_net_fixed`: the same net with both mistakes fixed.

Run one on a fresh machine::

    gradcheck check gradcheck.examples.seed_net:build
"""
