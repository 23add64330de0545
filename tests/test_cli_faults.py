"""The command under faults of the user's code: sys.exit, Ctrl-C, prints to file descriptor 1, code that
hangs, names with rich markup or of any length, a closed pipe, gradcheck's own exceptions. Every path
ends in exit code 0, 1 or 2 (130 for Ctrl-C), JSON on stdout with --json, and no traceback."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from gradcheck.cli import main

from .jsoncheck import parse_valid

NETS = '''
import os, sys, time
import numpy as np

def _net(loss_hook=lambda: None, names=("W",), factor=1.0):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    params = {n: rng.normal(size=(3, 1)) for n in names}
    def loss():
        loss_hook()
        return float(sum(((X @ W - y) ** 2).mean() for W in params.values()))
    def grads():
        return {n: factor * 2 * X.T @ (X @ W - y) / len(X) for n, W in params.items()}
    return {"params": params, "loss": loss, "grads": grads}

def _after(n, action):
    calls = [0]
    def hook():
        calls[0] += 1
        if calls[0] > n:
            action()
    return hook

def exits_in_factory():
    sys.exit(0)

def exits_in_loss():
    return _net(_after(3, lambda: sys.exit(0)))

def exits_with_a_message():
    sys.exit("done")

def writes_fd1():
    return _net(lambda: os.write(1, b"raw bytes on fd 1\\n") and print("and a print"))

def interrupts():
    def stop():
        raise KeyboardInterrupt
    return _net(_after(3, stop))

def spins():
    def forever():
        while True:
            pass
    return _net(_after(3, forever))

def sleeps():
    return _net(_after(3, lambda: time.sleep(3600)))

def markup(factor=1.0):
    return _net(names=("W[/]", "[bold]b[/bold]", "x[red]"), factor=factor)

def markup_wrong():
    return markup(3.0)

LONG = "encoder.layers.0.self_attention.query_projection.weight_matrix_with_a_really_long_suffix"

def long_names_wrong():
    return _net(names=(LONG, "b"), factor=-1.0)
'''


@pytest.fixture
def nets(tmp_path):
    path = tmp_path / "faults.py"
    path.write_text(NETS)
    return str(path)


def _run(argv, timeout=120):
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "gradcheck", *argv], capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - start


@pytest.mark.parametrize("name, where", [("exits_in_factory", "in exits_in_factory"), ("exits_in_loss", "in <lambda>")])
def test_sys_exit_in_user_code_is_exit_2_and_said(nets, capsys, name, where):
    assert main(["check", f"{nets}:{name}", "--no-color"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "your code called sys.exit(0)" in err and "faults.py line" in err and where in err
    assert main(["check", f"{nets}:{name}", "--json"]) == 2
    doc = parse_valid(capsys.readouterr().out)
    assert doc["error"]["source"] == "user_code" and doc["error"]["type"] == "SystemExit"


def test_sys_exit_with_a_message_is_exit_2(nets, capsys):
    assert main(["check", f"{nets}:exits_with_a_message"]) == 2
    assert "sys.exit('done')" in " ".join(capsys.readouterr().err.split())


def test_ctrl_c_in_json_mode_still_prints_json(nets, capsys):
    assert main(["check", f"{nets}:interrupts", "--json"]) == 130
    captured = capsys.readouterr()
    doc = parse_valid(captured.out)
    assert doc["error"]["source"] == "interrupt" and "interrupted" in captured.err


def test_writes_to_file_descriptor_1_do_not_reach_stdout(nets):
    proc, _ = _run(["check", f"{nets}:writes_fd1", "--json"])
    assert proc.returncode == 0, proc.stderr
    doc = parse_valid(proc.stdout)  # the whole of stdout is one JSON document
    assert any("printed" in n for n in doc["notes"])
    proc, _ = _run(["check", f"{nets}:writes_fd1", "--no-color"])
    assert "raw bytes" not in proc.stdout and "all gradients match" in proc.stdout


@pytest.mark.parametrize("name", ["spins", "sleeps"])
def test_timeout_bounds_the_check(nets, name):
    proc, took = _run(["check", f"{nets}:{name}", "--json", "--timeout", "1"])
    assert proc.returncode == 2 and took < 30
    doc = parse_valid(proc.stdout)
    assert doc["error"]["source"] == "timeout" and "--timeout 1" in doc["error"]["message"]
    assert "Traceback" not in proc.stderr


def test_timeout_bounds_the_import(tmp_path):
    path = tmp_path / "slow_import.py"
    path.write_text("import time\ntime.sleep(3600)\n")
    proc, took = _run(["check", f"{path}:net", "--timeout", "1"])
    assert proc.returncode == 2 and took < 30
    assert "gave up after --timeout 1 s" in " ".join(proc.stderr.split()) and "Traceback" not in proc.stderr


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_timeout_must_be_a_positive_number(value, capsys):
    assert main(["check", "x.py:y", "--timeout", value, "--json"]) == 2
    assert parse_valid(capsys.readouterr().out)["error"]["source"] == "usage"


def test_timeout_that_is_not_reached_changes_nothing(nets, capsys):
    assert main(["check", f"{nets}:markup", "--timeout", "60", "--no-color"]) == 0


def test_names_with_rich_markup_are_shown_as_written(nets, capsys):
    assert main(["check", f"{nets}:markup_wrong", "--no-color"]) == 1
    out = capsys.readouterr().out
    assert "constant_factor · W[/], [bold]b[/bold], x[red]" in out
    assert out.count("[bold]b[/bold]") >= 3  # headline, table, finding


def test_very_long_names_keep_the_table_readable(nets, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["check", f"{nets}:long_names_wrong", "--no-color"]) == 1
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    header = next(line for line in out.splitlines() if "parameter" in line and "verdict" in line)
    assert "max rel. error" in header and "checked" in header  # no column squeezed away
    rows = [line for line in out.splitlines() if "│" in line and "WRONG" in line]
    assert len(rows) == 2 and "◀ first wrong" in rows[1]
    assert "".join(line.split("│")[0].strip() for line in out.splitlines() if line.count("│") == 4).startswith(
        "encoder.layers.0.self_attention")


def test_gradchecks_own_exception_is_not_blamed_on_the_user(nets, capsys, monkeypatch):
    import gradcheck.render

    # a TypeError raised inside gradcheck's own call (int(report)), with no user code below it
    monkeypatch.setattr(gradcheck.render, "render_report", int)
    assert main(["check", f"{nets}:markup"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "gradcheck failed on its own, not because of your code" in err and "your code raised" not in err
    monkeypatch.undo()


def test_a_closed_pipe_is_not_a_traceback():
    proc = subprocess.run(f"{sys.executable} -m gradcheck bugs --json | head -c 10", shell=True, capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout == '{\n  "schem' and "Traceback" not in proc.stderr and "Broken pipe" not in proc.stderr


def test_arrays_are_restored_after_sys_exit_in_the_loss(tmp_path):
    from gradcheck import check

    w = np.array([1.0, 2.0])
    before = w.copy()
    calls = [0]

    def loss():
        calls[0] += 1
        if calls[0] > 2:
            sys.exit(0)
        return float(w @ w)

    with pytest.raises(SystemExit):
        check({"w": w}, loss, {"w": 2 * w})
    assert np.array_equal(w, before)
