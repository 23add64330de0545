"""The gradcheck command: exit codes, JSON and text output, one-paragraph errors, help, demo, bugs.

Most tests call ``main()`` in-process (fast); a few run the installed console script to check the
wiring and that no traceback reaches the user.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from gradcheck.bugs import CATALOGUE
from gradcheck.cli import main


def _script() -> list[str]:
    exe = shutil.which("gradcheck")
    return [exe] if exe else [sys.executable, "-m", "gradcheck"]


def _write(tmp_path, body, name="net.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


MAPPING_NET = """
    import numpy as np

    def build(seed=0, batch_size=5, factor=1.0):
        rng = np.random.default_rng(seed)
        X, y = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 1))
        W = rng.normal(size=(3, 1))
        loss = lambda: float(((X @ W - y) ** 2).mean())
        grads = lambda: {"W": factor * 2 * X.T @ (X @ W - y) / len(X)}
        return {"params": {"W": W}, "loss": loss, "grads": grads, "data": (X, y)}

    def build_wrong(seed=0):
        return build(seed, factor=3.0)
"""


def test_check_ok_and_wrong_exit_codes(tmp_path, capsys):
    path = _write(tmp_path, MAPPING_NET)
    assert main(["check", f"{path}:build", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "all gradients match" in out and "recognized: a mapping" in out
    assert main(["check", f"{path}:build_wrong", "--no-color"]) == 1
    out = capsys.readouterr().out
    assert "WRONG" in out and "constant_factor" in out


def test_json_only_json_with_schema_and_fields(tmp_path, capsys):
    path = _write(tmp_path, textwrap.dedent(MAPPING_NET) + "\nprint('hello from the user module')\n")
    assert main(["check", f"{path}:build_wrong", "--json"]) == 1
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["schema_version"] >= 1 and data["ok"] is False and data["first_wrong"] == "W"
    assert data["target"].endswith(":build_wrong") and data["recognized"]
    assert [p["name"] for p in data["params"]] == ["W"] and data["params"][0]["ok"] is False
    assert data["findings"][0]["kind"] == "constant_factor"
    assert "hello from the user module" in err


def test_options_reach_the_check(tmp_path, capsys):
    path = _write(tmp_path, MAPPING_NET)
    assert main(["check", f"{path}:build", "--json", "--sample", "2", "--seed", "3", "--method", "richardson"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["mode"], data["seed"], data["method"]) == ("sampled", 3, "richardson")
    assert data["params"][0]["n_checked"] == 2
    assert main(["check", f"{path}:build", "--json", "--fast", "--rtol", "1e-3", "--atol", "1e-6"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["mode"], data["rtol"], data["atol"]) == ("fast", 1e-3, 1e-6)
    assert main(["check", f"{path}:build", "--json", "--batch-size", "2"]) == 0


def test_user_prints_during_the_check_are_hidden_and_counted(tmp_path, capsys):
    path = _write(tmp_path, """
        import numpy as np
        W = np.array([1.0, 2.0])
        def grads():
            print("computing grads")
            return {"W": 2 * W}
        problem = {"params": {"W": W}, "loss": lambda: float(W @ W), "grads": grads}
    """)
    assert main(["check", f"{path}:problem", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "computing grads" not in out and "your code printed 2 line(s)" in out


def test_module_target_without_a_name(tmp_path, capsys):
    path = _write(tmp_path, """
        import numpy as np
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
        params = {"W": rng.normal(size=(2, 1))}
        def loss_fn(params, X, y):
            return float(0.5 * ((X @ params["W"] - y) ** 2).mean())
        def grad_fn(params, X, y):
            return {"W": X.T @ (X @ params["W"] - y)}          # the 1/m is missing
    """)
    assert main(["check", path, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["convention"] == "functions" and data["first_wrong"] == "W"
    assert "missing_batch_mean" in [f["kind"] for f in data["findings"]]


@pytest.mark.parametrize(
    "body, spec_suffix, message",
    [
        (None, ":build", "file not found"),
        ("def build(:\n    pass\n", ":build", "line 1: syntax error"),
        ("import no_such_module_qq\n", ":build", "No module named 'no_such_module_qq'"),
        ("def build():\n    return 1\n", ":biuld", "did you mean build"),
        ("def build():\n    raise RuntimeError('no data file')\n", ":build", "build() raised RuntimeError: no data file"),
        ("def build():\n    return 3.5\n", ":build", "build() returned the number 3.5, not a net"),
        ("class Net:\n    pass\nnet = Net()\n", ":net", "does not recognize a Net object"),
        ("def build(widths):\n    return None\n", ":build", "needs the argument(s) widths"),
        (
            "import numpy as np\nW = np.ones(2)\np = {'params': {'W': W}, 'loss': lambda: float(W @ W),"
            " 'grads': lambda: {'W': np.ones(2) @ np.ones(3)}}\n",
            ":p",
            "your code raised ValueError",
        ),
        ("import numpy as np\np = {'params': {'W': np.arange(3)}, 'loss': lambda: 0.0, 'grads': {'W': 0}}\n", ":p", "dtype int"),
    ],
    ids=["missing-file", "syntax", "import", "attribute", "factory-raises", "wrong-return", "no-adapter",
         "factory-args", "user-code-raises", "bad-params"],
)
def test_input_errors_exit_2_with_one_paragraph(tmp_path, capsys, monkeypatch, body, spec_suffix, message):
    monkeypatch.setenv("COLUMNS", "80")
    path = str(tmp_path / "user_net.py")
    if body is not None:
        _write(tmp_path, body, "user_net.py")
    assert main(["check", path + spec_suffix]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("gradcheck: error:") and message in " ".join(err.split())
    assert "Traceback" not in err and "\n\n" not in err.strip()
    assert all(len(line) <= 80 for line in err.splitlines() if " " in line)  # wrapped; a long path alone may overflow


def test_json_error_and_debug_traceback(tmp_path, capsys):
    path = _write(tmp_path, "def build():\n    raise RuntimeError('boom')\n")
    assert main(["check", f"{path}:build", "--json"]) == 2
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert data["ok"] is False and data["error"]["type"] == "TargetError" and "boom" in data["error"]["message"]
    assert main(["check", f"{path}:build", "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["check", "x.py:y", "--sample", "0"], ["check", "x.py:y", "--input-shape", "a,b"]])
def test_bad_option_values(argv, capsys):
    assert main(argv) == 2
    assert "gradcheck: error:" in capsys.readouterr().err


def test_argparse_usage_errors_exit_2(capsys):
    assert main(["check"]) == 2
    assert "required: TARGET" in capsys.readouterr().err
    assert main(["check", "x.py:y", "--method", "magic"]) == 2
    assert "invalid choice: 'magic'" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["--version"]) == 0


def test_convention_flag_and_lr(tmp_path, capsys):
    path = _write(tmp_path, """
        import numpy as np
        X = np.eye(2)
        y = np.zeros((1, 2))
        class Net:
            def __init__(self):
                self.W = np.array([[0.5, -0.5]])
            def cost(self, X, y):
                return float(0.5 * ((self.W @ X - y) ** 2).sum())
            def train(self, X, y, epochs):
                for epoch in range(1, epochs + 1):
                    self.W -= 0.1 * (self.W @ X - y) @ X.T
        net = Net()
    """)
    assert main(["check", f"{path}:net", "--json"]) == 1  # lr = 1 assumed, the step uses 0.1
    capsys.readouterr()
    assert main(["check", f"{path}:net", "--json", "--lr", "0.1", "--convention", "train-step"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["convention"] == "train-step" and "lr = 0.1 as given" in data["recognized"]
    assert main(["check", f"{path}:net", "--convention", "cs231n"]) == 2
    assert "convention 'cs231n': expected" in capsys.readouterr().err


def test_bugs_lists_the_catalogue(capsys):
    assert main(["bugs", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert all(kind in out for kind in CATALOGUE)
    assert main(["bugs", "missing_batch_mean"]) == 0
    assert "fix:" in capsys.readouterr().out
    assert main(["bugs", "--json"]) == 0
    assert {b["kind"] for b in json.loads(capsys.readouterr().out)["bugs"]} == set(CATALOGUE)
    assert main(["bugs", "missing_mean"]) == 2
    assert "did you mean missing_batch_mean" in " ".join(capsys.readouterr().err.split())


def test_demo_json_tells_the_story(capsys):
    assert main(["demo", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    buggy, fixed = data["steps"]
    assert data["as_expected"] and not buggy["ok"] and fixed["ok"]
    assert buggy["first_wrong"] == "layer3.bias"
    kinds = {f["kind"]: f["params"] for f in buggy["findings"]}
    assert "missing_batch_mean" in kinds
    assert kinds["activation_derivative_wrong_input"][:2] == ["layer1.weights", "layer1.bias"]


def test_search_subcommand(tmp_path, capsys):
    path = _write(tmp_path, """
        import numpy as np
        def build(batch_size, seed=0):
            rng = np.random.default_rng(seed)
            X, y, w = rng.normal(size=(batch_size, 2)), rng.normal(size=batch_size), rng.normal(size=2)
            return {"params": {"w": w}, "loss": lambda: float(((X @ w - y) ** 2).mean()),
                    "grads": lambda: {"w": 2 * X.T @ (X @ w - y)}}
    """)
    assert main(["search", f"{path}:build", "--max-examples", "10", "--seed", "1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is True


# -- the installed console script -------------------------------------------------------------


def test_console_script_help_on_each_command():
    for cmd in (["--help"], ["check", "--help"], ["demo", "--help"], ["bugs", "--help"], ["search", "--help"]):
        proc = subprocess.run(_script() + cmd, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert "usage: gradcheck" in proc.stdout
    proc = subprocess.run(_script() + ["check", "--help"], capture_output=True, text=True, timeout=60)
    for flag in ("--method", "--mode", "--rtol", "--atol", "--seed", "--fast", "--sample", "--json", "--no-color",
                 "--convention", "--lr", "--debug"):
        assert flag in proc.stdout


def test_console_script_broken_file_no_traceback(tmp_path):
    path = _write(tmp_path, "import numpy as np\nW = np.ones((2, 3)) @ np.ones((2, 3))\n")
    proc = subprocess.run(_script() + ["check", f"{path}:W"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and "net.py line 2" in " ".join(proc.stderr.split())


def test_python_dash_m_demo_text():
    proc = subprocess.run([sys.executable, "-m", "gradcheck", "demo", "--no-color"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.index("The net as written") < out.index("missing_batch_mean") < out.index("The fixed net")
    assert "activation_derivative_wrong_input" in out and "all gradients match" in out


def test_arrays_untouched_after_cli_check(tmp_path, monkeypatch):
    """The check runs on the user's very arrays and puts every bit back."""
    import gradcheck
    import gradcheck.examples.seed_net as seed_net
    from gradcheck.cli import load_problem

    problem = load_problem("gradcheck.examples.seed_net:build")
    before = {k: v.tobytes() for k, v in problem.params.items()}
    gradcheck.check(problem)
    assert {k: v.tobytes() for k, v in problem.params.items()} == before
    assert np.all(np.isfinite(seed_net.make_data()[0]))


def test_progress_bar_appears_only_after_the_delay(monkeypatch, capsys):
    import gradcheck.cli as cli

    class Tty:
        def isatty(self):
            return True

        def write(self, s):
            sys.__stderr__.write("")
            return len(s)

        def flush(self):
            pass

    monkeypatch.setattr(cli, "PROGRESS_AFTER", 3600.0)
    bar = cli._Progress("checking")
    bar(1, 10)
    assert bar.bar is None  # a fast check shows nothing
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(sys, "stderr", Tty())
    bar = cli._Progress("checking")
    bar(1, 10)
    bar(10, 10)
    assert bar.bar is not None and bar.bar.tasks[0].completed == 10
    bar.close()


CS231N_TOY = """
    import numpy as np

    input_size, hidden_size, num_classes, num_inputs = 4, 6, 3, 5

    class TwoLayerNet:
        def __init__(self, input_size, hidden_size, num_classes, std=0.5):
            rng = np.random.RandomState(0)
            self.params = {"W1": std * rng.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                           "W2": std * rng.randn(hidden_size, num_classes), "b2": np.zeros(num_classes)}

        def loss(self, X, y=None):
            W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
            h = np.maximum(0, X @ W1 + b1)
            s = h @ W2 + b2
            p = np.exp(s - s.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            N = len(X)
            d = p.copy()
            d[np.arange(N), y] -= 1                       # the / N is missing
            dh = d @ W2.T
            dh[h <= 0] = 0
            return -np.log(p[np.arange(N), y]).mean(), {"W1": X.T @ dh, "b1": dh.sum(0), "W2": h.T @ d, "b2": d.sum(0)}

    def init_toy_model():
        return TwoLayerNet(input_size, hidden_size, num_classes)

    def init_toy_data():
        rng = np.random.RandomState(1)
        return rng.randn(num_inputs, input_size), np.array([0, 1, 2, 2, 1])
"""


@pytest.mark.parametrize("suffix", ["", ":init_toy_model", ":TwoLayerNet"])
def test_cs231n_notebook_style_module(tmp_path, capsys, suffix):
    """A class built from module-level sizes, data from init_toy_data()."""
    path = _write(tmp_path, CS231N_TOY)
    assert main(["check", path + suffix, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["convention"] == "cs231n" and "data from init_toy_data()" in data["recognized"]
    assert data["first_wrong"] == "b2" and "missing_batch_mean" in [f["kind"] for f in data["findings"]]


def test_target_naming_one_of_the_nets_functions_reads_the_module(capsys):
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "functions_buggy.py"
    assert main(["check", f"{path}:grad_fn", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["convention"] == "functions"


def test_loss_flag_for_a_net_without_a_loss(tmp_path, capsys):
    path = _write(tmp_path, """
        import numpy as np
        training_inputs = np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=float)
        training_outputs = np.array([[0, 1, 1, 0]]).T
        class Net:
            def __init__(self):
                self.synaptic_weights = np.random.default_rng(1).normal(size=(3, 1))
            def think(self, inputs):
                return 1 / (1 + np.exp(-(inputs @ self.synaptic_weights)))
            def train(self, training_inputs, training_outputs, training_iterations):
                for _ in range(training_iterations):
                    out = self.think(training_inputs)
                    self.synaptic_weights += training_inputs.T @ ((training_outputs - out) * out * (1 - out))
        net = Net()
    """)
    assert main(["check", f"{path}:net"]) == 2
    assert "--loss" in capsys.readouterr().err
    assert main(["check", f"{path}:net", "--loss", "half-sse", "--json"]) == 0
    assert "the half-sse loss (--loss) of think(X)" in json.loads(capsys.readouterr().out)["recognized"]


# -- nets from outside testers ------------------------------------------------------------------

INT_CS231N = """
    import numpy as np
    class TwoLayerNet:
        def __init__(self):
            r = np.random.RandomState(1)
            self.params = {"W1": r.randn(4, 5), "b1": np.zeros(5, dtype=int), "W2": r.randn(5, 3), "b2": np.zeros(3)}
        def loss(self, X, y=None):
            h = np.maximum(0, X @ self.params["W1"] + self.params["b1"])
            s = h @ self.params["W2"] + self.params["b2"]
            return float((s ** 2).sum()), {"W2": h.T @ (2 * s), "b2": (2 * s).sum(0), "W1": X.T @ ((2 * s) @ self.params["W2"].T * (h > 0)), "b1": ((2 * s) @ self.params["W2"].T * (h > 0)).sum(0)}
    net = TwoLayerNet()
    X = np.random.RandomState(2).randn(5, 4)
    y = np.array([0, 1, 2, 2, 1])
"""

INT_FUNCTIONS = """
    import numpy as np
    params = {"W1": np.array([[1, 2], [3, 4]]), "b1": np.zeros(2, dtype=int)}
    X = np.ones((5, 2)); y = np.ones((5, 2))
    def loss_fn(params, X, y): return 0.5 * np.mean(np.sum((X @ params["W1"] + params["b1"] - y) ** 2, 1))
    def grad_fn(params, X, y):
        d = (X @ params["W1"] + params["b1"] - y) / len(X)
        return {"W1": X.T @ d, "b1": d.sum(0)}
"""


@pytest.mark.parametrize("body, argv, name", [
    (INT_CS231N, [":net"], "b1"),
    (INT_FUNCTIONS, ["", "--convention", "functions"], "W1"),
    (INT_FUNCTIONS, [""], "W1"),
])
def test_integer_weights_get_the_dtype_message(tmp_path, capsys, body, argv, name):
    path = _write(tmp_path, body)
    assert main(["check", path + argv[0], *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert f"parameter '{name}' has dtype int64, expected a float dtype" in err
    assert "does not recognize" not in err and "found module" not in err


def test_factory_with_a_required_batch_size_runs_at_the_default(tmp_path, capsys):
    path = _write(tmp_path, """
        import numpy as np
        def build(batch_size):
            rng = np.random.default_rng(0)
            X, y, W = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 1)), rng.normal(size=(3, 1))
            return {"params": {"W": W}, "loss": lambda: float(((X @ W - y) ** 2).mean()),
                    "grads": lambda: {"W": 2 * X.T @ (X @ W - y) / len(X)}, "data": (X, y)}
    """)
    assert main(["check", f"{path}:build", "--no-color"]) == 0
    assert main(["check", f"{path}:build", "--batch-size", "3", "--json"]) == 0


def test_factory_imports_a_sibling_lazily(tmp_path, capsys):
    _write(tmp_path, """
        import numpy as np
        def make(batch_size):
            rng = np.random.default_rng(0)
            X, y, W = rng.normal(size=(batch_size, 3)), rng.normal(size=(batch_size, 1)), rng.normal(size=(3, 1))
            return {"params": {"W": W}, "loss": lambda: float(((X @ W - y) ** 2).mean()),
                    "grads": lambda: {"W": 2 * X.T @ (X @ W - y) / len(X)}}
    """, name="gc_lazy_sibling.py")
    path = _write(tmp_path, """
        def build(batch_size=4):
            from gc_lazy_sibling import make
            return make(batch_size)
    """)
    before = list(sys.path)
    try:
        assert main(["check", f"{path}:build", "--no-color"]) == 0, capsys.readouterr().err
    finally:
        sys.modules.pop("gc_lazy_sibling", None)
    assert sys.path == before


WARNING_NET = """
    import numpy as np
    def build(seed=0):
        rng = np.random.default_rng(seed)
        X, y = rng.normal(size=(5, 3)).astype(np.float32), rng.normal(size=(5, 1)).astype(np.float32)
        W = rng.normal(size=(3, 1)).astype(np.float32)
        def loss():
            np.exp(np.array([1000.0]))  # overflows: a RuntimeWarning from the user's code
            return float(((X @ W - y) ** 2).mean())
        return {"params": {"W": W}, "loss": loss, "grads": lambda: {"W": 2 * X.T @ (X @ W - y) / len(X)}}
"""


def test_warnings_are_captured_and_noted_not_printed(tmp_path):
    path = _write(tmp_path, WARNING_NET)
    run = subprocess.run([*_script(), "check", f"{path}:build", "--no-color"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    out = " ".join(run.stdout.split())
    assert "parameters in float32" in out
    assert "your code raised 1 warning(s) during the check: RuntimeWarning: overflow encountered in exp (net.py line" in out
    assert "hidden; --debug shows them" in out
    debug = subprocess.run([*_script(), "check", f"{path}:build", "--no-color", "--debug"], capture_output=True,
                           text=True, timeout=120)
    assert "RuntimeWarning: overflow encountered in exp" in debug.stderr and "UserWarning" not in debug.stderr


FLOAT32_FUNCTIONS = """
    import numpy as np
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 2)).astype(np.float32), "b": np.zeros(2, dtype=np.float32)}
    X, y = rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=(6, 2)).astype(np.float32)
    def loss_fn(params, X, y):
        return float(0.5 * np.mean(np.sum((np.tanh(X @ params["W"] + params["b"]) - y) ** 2, 1)))
    def grad_fn(params, X, y):
        a = np.tanh(X @ params["W"] + params["b"])
        d = (a - y) * (1 - a ** 2) / len(X)
        return {"W": X.T @ d, "b": d.sum(0)}
"""


def test_upcast_flag_and_advice_worded_as_flags(tmp_path, capsys):
    path = _write(tmp_path, FLOAT32_FUNCTIONS)
    assert main(["check", path, "--json"]) == 0
    notes = " ".join(json.loads(capsys.readouterr().out)["notes"])
    assert "pass --upcast" in notes and "upcast=True" not in notes
    assert main(["check", path, "--json", "--upcast"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any("checked as float64 copies" in n for n in data["notes"])
    assert data["params"][0]["max_rel_error"] < 1e-6
    closure = _write(tmp_path, WARNING_NET, name="closure.py")
    assert main(["check", f"{closure}:build", "--upcast"]) == 2
    err = capsys.readouterr().err
    assert "--upcast: the loss did not react" in err and "upcast=True" not in err


def test_as_flags_rewrites_python_advice():
    from gradcheck.cli import as_flags

    assert as_flags("sampled; pass mode='full' to force it") == "sampled; pass --mode full to force it"
    assert "data=(X, y)" not in as_flags("8 may be the batch size (pass data=(X, y) to confirm it: ...)")


def test_error_paragraphs_name_the_file_and_a_none_return(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    path = _write(tmp_path, "import numpy as np\n", name="empty.py")
    assert main(["check", path]) == 2
    err = capsys.readouterr().err
    assert all(len(line) <= 60 for line in err.splitlines() if " " in line) and len(err.splitlines()) > 3
    flat = " ".join(err.split())
    assert f"does not recognize the file {path} (it defines nothing but imports)" in flat
    assert "empty_" not in flat
    path = _write(tmp_path, "W = 1.0\ndef returns_none():\n    return None\ngrad_none = 1\n", name="misc.py")
    assert main(["check", f"{path}:returns_none"]) == 2
    flat = " ".join(capsys.readouterr().err.split())
    assert "returns_none() returned None" in flat and "NoneType" not in flat and "grad_none" not in flat


DENSE_TANH = """
    import numpy as np
    class DenseTanh:
        def __init__(self, n_in, n_out):
            self.params = {"W": np.random.RandomState(2).randn(n_in, n_out) * 0.3, "b": np.zeros(n_out)}
            self.grads = {}
        def forward(self, x):
            self.x = x
            self.out = np.tanh(x @ self.params["W"] + self.params["b"])
            return self.out
        def backward(self, dout):
            dz = dout * (1 - self.out ** 2)
            self.grads["W"] = self.x.T @ dz
            self.grads["b"] = dz.sum(axis=0)
            return dz @ self.params["W"].T
    layer = DenseTanh(4, 3)
"""


def test_wrong_input_shape_is_named_as_the_likely_cause(tmp_path, capsys):
    path = _write(tmp_path, DENSE_TANH)
    assert main(["check", "--input-shape", "4,3", f"{path}:layer"]) == 2
    flat = " ".join(capsys.readouterr().err.split())
    assert "--input-shape 4,3 is likely wrong" in flat and "fits: --input-shape 4,4" in flat
    assert main(["check", "--input-shape", "8,4", f"{path}:layer", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "input (8, 4)" in data["recognized"]


GLOBALS_NET = """
    import numpy as np
    np.random.seed(60)
    x_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y_data = np.array([[0], [1], [1], [0]], dtype=float)
    w_hidden = np.random.uniform(-1, 1, (2, 3)); b_hidden = np.zeros((1, 3))
    w_out = np.random.uniform(-1, 1, (3, 1)); b_out = np.zeros((1, 1))
    def sigmoid(x): return 1 / (1 + np.exp(-x))
    def forward(x):
        global hidden_out
        hidden_out = sigmoid(x @ w_hidden + b_hidden)
        return sigmoid(hidden_out @ w_out + b_out)
    def loss(x, y):
        return np.mean((forward(x) - y) ** 2)
    def backward(x, y):
        out = forward(x)
        d_out = 2 * (out - y) / len(x) * out * (1 - out)
        d_hidden = d_out @ w_out.T * hidden_out * (1 - {HIDDEN})
        return {{"w_hidden": x.T @ d_hidden, "b_hidden": d_hidden.sum(0, keepdims=True),
                "w_out": hidden_out.T @ d_out, "b_out": d_out.sum(0, keepdims=True)}}{AS_TUPLE}
"""


def test_weights_as_module_globals_with_a_gradient_dict(tmp_path, capsys):
    ok = _write(tmp_path, GLOBALS_NET.format(HIDDEN="hidden_out", AS_TUPLE=""), name="xor_ok.py")
    assert main(["check", ok, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in data["params"]] == ["w_hidden", "b_hidden", "w_out", "b_out"]
    assert data["convention"] == "methods" and "module-level arrays" in data["recognized"]
    bad = _write(tmp_path, GLOBALS_NET.format(HIDDEN="0.5", AS_TUPLE=""), name="xor_bad.py")
    assert main(["check", bad, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["first_wrong"] == "b_hidden" and {"w_out", "b_out"}.isdisjoint(
        p["name"] for p in data["params"] if not p["ok"])
    tup = _write(tmp_path, GLOBALS_NET.format(HIDDEN="hidden_out", AS_TUPLE=".values()"), name="xor_tuple.py")
    assert main(["check", tup]) == 2
    flat = " ".join(capsys.readouterr().err.split())
    assert "found module-level arrays [x_data, y_data, w_hidden" in flat and "group the weights into a dict" in flat


def test_several_nets_suggests_a_target_as_typed(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    body = textwrap.dedent(MAPPING_NET).replace("def build(", "def _build(").replace("build(seed,", "_build(seed,")
    _write(tmp_path, body + "\nfirst = _build()\nsecond = _build(factor=2.0)\n", name="two.py")
    assert main(["check", "two.py"]) == 2
    flat = " ".join(capsys.readouterr().err.split())
    assert "two.py defines several nets (first, second): name one, e.g. two.py:first" in flat


DLAI_BOTH = """
    import numpy as np

    lambd = 0.5
    rng = np.random.RandomState(3)
    parameters = {"W1": rng.randn(4, 2), "b1": np.zeros((4, 1)), "W2": rng.randn(1, 4), "b2": np.zeros((1, 1))}
    train_X = rng.randn(2, 7)
    train_Y = (rng.rand(1, 7) > 0.5).astype(float)

    def forward_propagation(X, parameters):
        A1 = np.tanh(parameters["W1"] @ X + parameters["b1"])
        A2 = 1 / (1 + np.exp(-(parameters["W2"] @ A1 + parameters["b2"])))
        return A2, (X, A1, A2)

    def compute_cost(A2, Y):
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def compute_cost_with_regularization(A2, Y, parameters, lambd):
        m = Y.shape[1]
        return compute_cost(A2, Y) + lambd / (2 * m) * (np.sum(parameters["W1"] ** 2) + np.sum(parameters["W2"] ** 2))

    def backward_propagation(X, Y, cache):
        X, A1, A2 = cache
        m = X.shape[1]
        dZ2 = A2 - Y
        dZ1 = parameters["W2"].T @ dZ2 * (1 - A1 ** 2)
        return {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(1, keepdims=True) / m,
                "dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(1, keepdims=True) / m}

    def backward_propagation_with_regularization(X, Y, cache, lambd):
        return backward_propagation(X, Y, cache)  # the L2 term is missing from dW1 and dW2
"""


def test_pointing_at_one_backward_pass_of_several_checks_that_one(tmp_path, capsys):
    path = _write(tmp_path, DLAI_BOTH)
    assert main(["check", path, "--no-color"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the terminal wraps long lines
    assert "also defines backward_propagation_with_regularization()" in out
    assert main(["check", f"{path}:backward_propagation_with_regularization", "--no-color"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "compute_cost_with_regularization(AL, Y)" in out and "regularization_missing" in out
