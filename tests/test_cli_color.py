"""Colour follows the conventions: NO_COLOR and --no-color turn colour off (also on a terminal),
FORCE_COLOR turns it on (also through a pipe), piped output has no colour by default; no line ends in
spaces either way."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|9[0-7]|38;[0-9;]+)m")  # a foreground colour, not bold or dim
ANY_ESCAPE = re.compile(r"\x1b\[")
TARGET = "gradcheck.examples.seed_net:build"  # wrong gradients: red, green and yellow in colour


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")}
    env.update(TERM="xterm-256color", COLUMNS="100", **extra)
    return env


def _piped(*flags: str, **env: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "gradcheck", "check", TARGET, *flags], capture_output=True,
                          text=True, env=_env(**env), timeout=120)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def _on_a_terminal(*flags: str, **env: str) -> str:
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gradcheck", "check", TARGET, *flags], stdout=follower,
                            stderr=subprocess.DEVNULL, env=_env(**env))
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=120) == 1
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def _no_trailing_spaces(text: str) -> None:
    plain = ANY_ESCAPE.sub("", re.sub(r"\x1b\[[0-9;]*m", "", text))
    assert not [line for line in plain.splitlines() if line.endswith(" ")], text


def test_piped_output_has_no_colour_and_no_trailing_spaces():
    out = _piped()
    assert not ANY_ESCAPE.search(out) and "WRONG" in out
    _no_trailing_spaces(out)


def test_force_color_colours_a_pipe_and_no_color_wins_over_it():
    forced = _piped(FORCE_COLOR="1")
    assert COLOUR.search(forced)
    _no_trailing_spaces(forced)
    assert not COLOUR.search(_piped(FORCE_COLOR="1", NO_COLOR="1"))
    assert not COLOUR.search(_piped("--no-color", FORCE_COLOR="1"))


def test_a_terminal_gets_colour_unless_no_color_or_the_flag_says_not():
    assert COLOUR.search(_on_a_terminal())
    assert not COLOUR.search(_on_a_terminal(NO_COLOR="1"))
    out = _on_a_terminal("--no-color")
    assert not COLOUR.search(out) and "WRONG" in out
    _no_trailing_spaces(out)
