"""A fuzz of the command line over user files and options (hypothesis): for every case the exit code is
the one the case calls for (0 right, 1 wrong, 2 a usage or input error; never 0 for a wrong gradient),
``--json`` prints one schema-valid JSON document whatever happened, no traceback reaches the user, and
the command returns within a bound. The files mix correct and wrong gradients with what careless or
hostile user code does: print, write to file descriptor 1, warn, raise, call sys.exit, return nothing,
fail to import, name parameters with rich markup or at great length."""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
import time
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from gradcheck.cli import main

from .jsoncheck import parse_valid

#: Each case must return within this many seconds (the --timeout given is well below it).
BOUND = 120.0

NET = '''
import os, sys, warnings
import numpy as np
{top}

NAMES = {names!r}
calls = [0]


def build(seed=0, batch_size=6):
    {in_factory}
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 2))
    params = {{NAMES[0]: rng.normal(size=(3, 4)), NAMES[1]: np.zeros(4), NAMES[2]: rng.normal(size=(4, 2))}}

    def loss():
        calls[0] += 1
        if calls[0] > 3:
            {in_loss}
        h = np.tanh(X @ params[NAMES[0]] + params[NAMES[1]])
        return float(0.5 * ((h @ params[NAMES[2]] - y) ** 2).sum() / len(X))

    def grads():
        h = np.tanh(X @ params[NAMES[0]] + params[NAMES[1]])
        d = (h @ params[NAMES[2]] - y) / len(X)
        dz = (d @ params[NAMES[2]].T) * (1 - h ** 2)
        return {{NAMES[0]: X.T @ dz, NAMES[1]: dz.sum(0), NAMES[2]: {factor} * (h.T @ d)}}

    return {returns}
'''

#: behaviour -> (top of the module, first line of the factory, inside the loss after 3 calls, return, ends in 2)
BEHAVIOURS = {
    "plain": ("", "pass", "pass", 'dict(params=params, loss=loss, grads=grads, data=(X, y))', False),
    "prints": ("", "print('building the net')", "print('loss called')", 'dict(params=params, loss=loss, grads=grads)', False),
    "writes_fd1": ("", "os.write(1, b'fd 1 at build\\n')", "os.write(1, b'fd 1 in loss\\n')",
                   'dict(params=params, loss=loss, grads=grads)', False),
    "warns": ("", "warnings.warn('deprecated thing')", "warnings.warn('in the loss', RuntimeWarning)",
              'dict(params=params, loss=loss, grads=grads)', False),
    "raises_in_factory": ("", "raise ValueError('bad config')", "pass", 'dict(params=params, loss=loss, grads=grads)', True),
    "exits_in_factory": ("", "sys.exit(0)", "pass", 'dict(params=params, loss=loss, grads=grads)', True),
    "exits_in_loss": ("", "pass", "sys.exit(0)", 'dict(params=params, loss=loss, grads=grads)', True),
    "raises_in_loss": ("", "pass", "raise RuntimeError('boom')", 'dict(params=params, loss=loss, grads=grads)', True),
    "returns_none": ("", "pass", "pass", "None", True),
    "returns_int": ("", "pass", "pass", "1", True),
    "import_error": ("import a_module_that_is_not_there", "pass", "pass", 'dict(params=params, loss=loss, grads=grads)', True),
    "syntax_error": ("def broken(:", "pass", "pass", 'dict(params=params, loss=loss, grads=grads)', True),
}

NAME_SETS = [("W1", "b1", "W2"), ("W[/]", "[bold]b[/bold]", "x[red]"),
             ("encoder.block_with_a_long_name.linear.weight" * 3, "encoder.bias", "head.weight")]

#: option -> (valid values, invalid values)
OPTIONS = {
    "--rtol": (["1e-5", "1e-3", "0.1"], ["0", "-1", "nan", "inf", "0.5", "abc"]),
    "--atol": (["0", "1e-8", "1e-6"], ["-1", "nan"]),
    "--mode": (["auto", "full", "sampled", "fast"], ["magic"]),
    "--method": (["central", "richardson"], ["forward"]),
    "--seed": (["0", "7"], ["x"]),
    "--sample": (["1", "5"], ["0", "-3"]),
    "--batch-size": (["1", "4"], ["0"]),
}


#: Behaviours that leave a net to check (the others end in exit code 2), listed first: hypothesis
#: draws (and shrinks towards) the first ones most.
HEALTHY = [b for b, spec in BEHAVIOURS.items() if not spec[4]]


@st.composite
def cases(draw):
    healthy = draw(st.booleans())  # half the cases are nets to check with valid options
    behaviour = draw(st.sampled_from(HEALTHY if healthy else list(BEHAVIOURS)))
    factor = draw(st.sampled_from(["3.0", "1.0", "-1.0"]))
    names = draw(st.sampled_from(NAME_SETS))
    target = draw(st.sampled_from(["{path}:build", "{path}"] if healthy else ["{path}:build", "{path}", "{path}:missing"]))
    chosen = draw(st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.just(True) if healthy else st.booleans(), max_size=3))
    argv, bad = [], False
    for flag, valid in chosen.items():
        good, wrong = OPTIONS[flag]
        argv += [flag, draw(st.sampled_from(good if valid else wrong))]
        bad |= not valid
    unknown = not healthy and draw(st.booleans()) and draw(st.booleans())  # now and then a flag that does not exist
    if unknown:
        argv.append("--frobnicate")
    as_json = draw(st.booleans())
    return behaviour, factor, names, target, argv + (["--json"] if as_json else []), bad or unknown, as_json


def _expected(behaviour: str, factor: str, target: str, bad_option: bool) -> int:
    if bad_option or BEHAVIOURS[behaviour][4] or target.endswith(":missing"):
        return 2
    return 0 if float(factor) == 1.0 else 1


@given(cases())
@example(("plain", "3.0", NAME_SETS[0], "{path}:build", ["--json"], False, True))
@example(("writes_fd1", "-1.0", NAME_SETS[1], "{path}", ["--json", "--mode", "fast"], False, True))
@example(("prints", "1.0", NAME_SETS[2], "{path}:build", ["--method", "richardson"], False, False))
@example(("exits_in_loss", "1.0", NAME_SETS[0], "{path}:build", ["--json"], False, True))
@example(("warns", "3.0", NAME_SETS[1], "{path}:build", ["--mode", "sampled", "--sample", "1"], False, False))
def test_the_command_under_any_file_and_options(case):
    behaviour, factor, names, target, argv, bad_option, as_json = case
    top, in_factory, in_loss, returns, _ = BEHAVIOURS[behaviour]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usernet.py"
        path.write_text(NET.format(top=top, names=list(names), in_factory=in_factory, in_loss=in_loss,
                                   factor=factor, returns=returns))
        out, err = io.StringIO(), io.StringIO()
        start = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", target.format(path=path), "--timeout", "60", "--no-color", *argv])
        took = time.monotonic() - start
    expected = _expected(behaviour, factor, target, bad_option)
    context = f"{case}\nstdout: {out.getvalue()[:3000]}\nstderr: {err.getvalue()[:3000]}"
    assert took < BOUND, context
    assert code == expected, context
    assert "Traceback" not in err.getvalue(), context
    if as_json:
        doc = parse_valid(out.getvalue())
        assert doc["ok"] is (code == 0), context
        assert isinstance(doc.get("error"), dict) is (code == 2), context
        if code == 1:
            assert names[2] in doc["wrong"], context
    else:
        assert ("fd 1" not in out.getvalue()) and ("loss called" not in out.getvalue()), context
        if code == 0:
            assert "all gradients match" in out.getvalue(), context
    assert math.isfinite(took)
