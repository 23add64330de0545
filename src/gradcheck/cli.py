"""The ``gradcheck`` command.

    gradcheck check path/to/net.py:build        # is the analytic gradient right? where? what mistake?
    gradcheck check mypkg.nets:model --json     # only JSON on stdout (for CI and autograders)
    gradcheck demo                              # a seed-style net with its mistakes, then fixed
    gradcheck bugs [KIND]                       # the catalogue of known mistakes
    gradcheck search path/to/net.py:build       # property-based search for a failing net

Exit codes: 0 every gradient is right, 1 a gradient is wrong, 2 a usage or input error (bad
target, broken file, unrecognized object: a one-paragraph message, ``--debug`` for the traceback).

Example:
    >>> main(["bugs", "--json"]) == 0   # doctest: +ELLIPSIS
    {...
    True
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import json
import os
import shutil
import signal
import sys
import tempfile
import textwrap
import threading
import time
import traceback
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from typing import IO, Any, cast

# Every command builds the parser, whose choices load the adapters, check and numeric modules (and numpy):
# the modules below are loaded by then, so importing them here costs no command any time. rich (~25 ms),
# the search (hypothesis, ~100 ms), the report's rendering (rich) and what one command alone needs are
# imported where they are used, so gradcheck --help loads the same modules as when they all were.
from . import __version__
from .adapters import CONVENTIONS, LOSSES, as_problem, describe_value, not_a_net, parse_set, recognize, required_args, role_of
from .bugs import CATALOGUE
from .check import MODES, check
from .errors import AdapterError, GradcheckError, TargetError
from .numeric import METHODS
from .report import SCHEMA_VERSION, with_nonfinite
from .targets import describe_exception, load_target, materialize, user_code_path, user_frame

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_WRONG, EXIT_USAGE = 0, 1, 2
#: no gradient is wrong, but some elements could not be checked (a kink within every usable step):
#: not 0, so a CI does not take it for a pass; ``check --allow-unverifiable`` exits 0 instead
EXIT_UNVERIFIABLE = 3
#: Functions a module-only TARGET (``net.py``) is built with when the module is not a net itself.
FACTORY_NAMES = ("build", "make", "make_problem", "problem", "factory", "make_net", "build_net", "init_toy_model",
                 "init_model", "make_model", "build_model", "create_model", "get_model", "create_net", "get_net")
#: A progress bar appears once a check has run this long (seconds).
PROGRESS_AFTER = 1.0


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message (argparse's own convention)."""

    #: the message of the last usage error (``main`` puts it in the JSON error of ``--json``)
    last_error: str | None = None

    def error(self, message: str) -> Any:
        _Parser.last_error = message
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"gradcheck: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gradcheck`` command (subcommands check, demo, bugs, search)."""
    parser = _Parser(
        prog="gradcheck",
        description="Find the mistakes in hand-written backpropagation: which gradient is wrong, where it "
        "first goes wrong, and what kind of mistake it is.",
        epilog="Exit codes: 0 all gradients right, 1 a gradient is wrong, 2 a usage or input error, "
        "3 no gradient wrong but some elements could not be checked.",
    )
    parser.add_argument("--version", action="version", version=f"gradcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def output_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="print only JSON on stdout (with a schema_version)")
        p.add_argument("--no-color", action="store_true", help="no colours in the terminal output")
        p.add_argument("--debug", action="store_true", help="show the full traceback of an error, and what your code printed and warned")
        p.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                       help="give up (exit 2) when loading the target and the check take longer than this")

    c = sub.add_parser(
        "check",
        help="check the gradients of a net",
        description="Check the analytic gradients of TARGET against finite differences, find the first wrong "
        "layer in backprop order and name the mistake.",
        epilog="TARGET is path/to/file.py:name or package.module:name (name may be left out: the module "
        "itself, or the one net in it). name is a gradcheck.Problem, a factory returning one (it may take "
        "seed and batch_size), a mapping {'params', 'loss', 'grads'}, a tuple (net, X, y), or a net in a "
        f"known convention ({', '.join(CONVENTIONS[2:])}). Data are read from X, y (or inputs, labels, ...) "
        "beside the net when not given. Exit codes: 0 right, 1 wrong, 2 usage or input error, 3 no gradient "
        "wrong but some elements could not be checked.",
    )
    _check_options(c)
    output_options(c)

    d = sub.add_parser(
        "demo",
        help="run the bundled example: a seed-style net with its mistakes, then fixed",
        description="Check a 2-5-5-1 sigmoid net with binary cross-entropy written with a train() method "
        "(gradcheck.examples.seed_net): its mistakes found and named; then its fixed version passing.",
    )
    output_options(d)

    b = sub.add_parser("bugs", help="list the catalogue of known mistakes, or find them by words",
                       description="List the known backprop mistakes gradcheck names, show one (gradcheck bugs KIND), "
                       "or find them by words (gradcheck bugs sigmoid, gradcheck bugs batch size).")
    b.add_argument("kind", nargs="*", default=None, metavar="KIND_OR_WORDS", help="a mistake's id to show in full, or words to look for")
    output_options(b)

    s = sub.add_parser(
        "search",
        help="search for a net on which the gradient is wrong (property-based)",
        description="Call the factory TARGET over varied widths, batch sizes and seeds, looking for a case "
        "where the gradient is wrong; report the smallest one found.",
    )
    s.add_argument("target", metavar="TARGET", help="path/to/file.py:factory or package.module:factory")
    s.add_argument("--max-examples", type=int, default=None, help="how many nets to try")
    s.add_argument("--seed", type=int, default=None, help="seed of the search (printed, so a failure replays)")
    output_options(s)
    return parser


def _check_options(c: argparse.ArgumentParser) -> None:
    """The options of ``gradcheck check`` (beside the output options every command has)."""
    c.add_argument("target", metavar="TARGET", help="path/to/file.py:name or package.module:name")
    c.add_argument("--method", choices=METHODS, default="central", help="finite-difference method (default central)")
    c.add_argument("--mode", choices=MODES, default="auto", help="full, sampled, fast (directional) or auto (default)")
    c.add_argument("--rtol", type=float, default=None, help="relative tolerance (default by dtype)")
    c.add_argument("--atol", type=float, default=None, help="absolute tolerance (default by dtype)")
    c.add_argument("--seed", type=int, default=0, help="seeds samples and directions, and is passed to a factory (default 0)")
    c.add_argument("--fast", action="store_true", help="directional check (same as --mode fast)")
    c.add_argument("--sample", type=int, metavar="N", default=None, help="check N random elements per tensor (--mode sampled)")
    c.add_argument("--convention", choices=CONVENTIONS, default=None, help="how to read TARGET when it fits several conventions")
    c.add_argument("--lr", type=float, default=None, help="learning rate of a training step (train-step convention; default: the net's own, else 1)")
    c.add_argument("--loss", choices=sorted(LOSSES), default=None,
                   help="a standard loss on the net's output, for a net without a loss of its own (training-step, "
                   "methods and Nielsen nets; bce, ce: mean over examples; half-sse: 0.5 * sum of squares; ...)")
    c.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help="examples to check on: passed to a factory that takes batch_size (or m), and data found "
                   "beside the net are cut to their first N (default 64, also for a factory whose batch_size has no "
                   "default); --batch-size 1 for a train() that "
                   "updates once per example")
    c.add_argument("--upcast", action="store_true",
                   help="check float32/float16 parameters in float64 (the loss must read them through its params dict)")
    c.add_argument("--set", action="append", default=None, metavar="NAME=VALUE", dest="set_values",
                   help="a hyper-parameter of the net (reg, lambd, keep_prob, ...), used by every function of the net "
                   "that takes it, default or not; repeat for several (--set reg=0.05 --set keep_prob=0.8)")
    c.add_argument("--input-shape", default=None, metavar="SHAPE", help="the full shape of a single layer's input x, examples first, e.g. 8,4 (8 examples of 4 features)")
    c.add_argument("--html", default=None, metavar="PATH", help="also write the report as a self-contained HTML page to PATH")
    c.add_argument("--allow-unverifiable", action="store_true",
                   help=f"exit {EXIT_OK} (not {EXIT_UNVERIFIABLE}) when no gradient is wrong but some elements could not be "
                        f"checked (a kink within every usable step)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a usage error (2), or --help / --version (0)
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if code != EXIT_OK and "--json" in argv:
            _print_json(_error_doc("usage", "UsageError", _Parser.last_error or "invalid arguments"))
        return code
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _run(args)
    except BrokenPipeError:  # the reader went away (gradcheck ... | head): not an error worth a traceback
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int] = {
        "check": _cmd_check, "demo": _cmd_demo, "bugs": _cmd_bugs, "search": _cmd_search,
    }[args.command]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # each distinct warning once
        args.warnings = caught
        try:
            with user_code_path(), _deadline(args.timeout):  # the target's folder stays importable while its code runs
                return handler(args)
        except KeyboardInterrupt:
            message = "interrupted (your arrays were put back)"
            print(f"gradcheck: {message}", file=sys.stderr)
            if args.json:
                _print_json(_error_doc("interrupt", "KeyboardInterrupt", message))
            return EXIT_INTERRUPTED
        except SystemExit as exc:  # user code called sys.exit(): the check did not run to its end
            return _fail(args, exc)
        except Exception as exc:  # noqa: BLE001 - every error becomes one paragraph and exit 2
            return _fail(args, exc)
        finally:
            if args.debug:
                for w in _user_warnings(caught):
                    sys.stderr.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))


#: The exit code after Ctrl-C (128 + SIGINT, the shells' convention).
EXIT_INTERRUPTED = 130
#: After a --timeout has passed, the check gets this long to stop by itself (an exception raised
#: between two bytecodes) before the process ends without it (user code stuck in C).
HARD_TIMEOUT_GRACE = 5.0


class CheckTimeout(GradcheckError, TimeoutError):
    """``--timeout`` passed before loading the target and the check finished."""


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (``--timeout``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CheckTimeout` in the main thread after ``seconds``; if user code does not return to
    Python within :data:`HARD_TIMEOUT_GRACE` more, say so and end the process with exit code 2."""
    if seconds is None:
        yield
        return
    message = f"gave up after --timeout {seconds:g} s: loading the target and the check did not finish in time"

    def on_alarm(signum: int, frame: Any) -> None:
        raise CheckTimeout(message)

    def hard_stop() -> None:
        sys.stderr.write(f"gradcheck: error: {message}; your code did not return to Python, so the process ends here\n")
        sys.stderr.flush()
        os._exit(EXIT_USAGE)

    in_main = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    previous = signal.signal(signal.SIGALRM, on_alarm) if in_main else None
    if in_main:
        signal.setitimer(signal.ITIMER_REAL, seconds)
    watchdog = threading.Timer(seconds + (HARD_TIMEOUT_GRACE if in_main else 0.0), hard_stop)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
        if in_main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _print_json(data: dict[str, Any]) -> None:
    """One JSON document on stdout: with ``schema_version``, never NaN or Infinity (null, named in ``nonfinite``)."""
    doc = with_nonfinite({"schema_version": SCHEMA_VERSION, **data})
    sys.stdout.write(json.dumps(doc, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def _error_doc(source: str, type_name: str, message: str) -> dict[str, Any]:
    """The JSON of a failed command; ``source`` says whose it is: usage, user_code, gradcheck, interrupt, timeout."""
    return {"ok": False, "error": {"source": source, "type": type_name, "message": message}}


# -- output helpers ---------------------------------------------------------------------


def _console(args: argparse.Namespace, *, stderr: bool = False) -> Any:
    """A rich console for the command's output. Colour follows rich's reading of the environment
    (NO_COLOR, FORCE_COLOR, TERM, a terminal or not) unless ``--no-color`` turns it off; lines never
    end in spaces (rich pads table cells to their width)."""
    from rich.console import Console  # lazy: rich takes ~25 ms to load, which `gradcheck --help` does not need

    from .render import TrailingSpaceStripper  # lazy: render loads rich

    stream = TrailingSpaceStripper(lambda: sys.stderr if stderr else sys.stdout)
    return Console(file=cast(IO[str], stream), no_color=True if getattr(args, "no_color", False) else None, highlight=False,
                   soft_wrap=False)


def _user_warnings(caught: Sequence[warnings.WarningMessage]) -> list[warnings.WarningMessage]:
    """The warnings raised by the user's code (numpy's RuntimeWarnings in their forward pass), not gradcheck's
    own (those are in the report's notes already)."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    for w in caught:
        f = os.path.abspath(w.filename)
        if f.startswith(here + os.sep) and os.sep + "examples" + os.sep not in f[len(here):]:
            continue
        out.append(w)
    return out


def _warnings_note(args: argparse.Namespace) -> str | None:
    """One note for the user's warnings (hidden unless --debug), naming the first and where it came from."""
    user = _user_warnings(getattr(args, "warnings", None) or [])
    if not user:
        return None
    w = user[0]
    first = f"{w.category.__name__}: {w.message} ({os.path.basename(w.filename)} line {w.lineno})"
    more = f" and {len(user) - 1} more" if len(user) > 1 else ""
    shown = "printed on stderr" if args.debug else "hidden; --debug shows them"
    return f"your code raised {len(user)} warning(s) during the check: {first}{more} ({shown})"


#: Advice the core words for Python callers, as the command line's flags.
_FLAG_ADVICE = (
    ("pass mode='full'", "pass --mode full"),
    ("mode='full'", "--mode full"),
    ("pass upcast=True", "pass --upcast"),
    ("upcast=True", "--upcast"),
    ("pass convention= / --convention", "pass --convention"),
    ("pass data=(X, y) to confirm it", "define X, y beside the net, or return (net, X, y), to confirm it"),
    ("Give the data (data=(X, y) in Python; the CLI finds X, y beside the net)",
     "Give the data (X, y beside the net, or a factory returning (net, X, y))"),
)


def as_flags(text: str) -> str:
    """``text`` with advice for the Python API (``pass mode='full'``) put as command-line flags.

    >>> as_flags("sampled; pass mode='full' to force it")
    'sampled; pass --mode full to force it'
    """
    for api, flag in _FLAG_ADVICE:
        text = text.replace(api, flag)
    return text


def _advice_as_flags(report: Any) -> None:
    report.notes[:] = [as_flags(n) for n in report.notes]
    for f in report.findings:
        f.message = as_flags(f.message)
        if isinstance(getattr(f, "fix", None), str):
            f.fix = as_flags(f.fix)


def _wrap(text: str) -> str:
    """One paragraph, wrapped to the terminal's width (80 columns when not a terminal)."""
    width = max(40, shutil.get_terminal_size(fallback=(80, 24)).columns)
    return textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False)


def _fail(args: argparse.Namespace, exc: BaseException) -> int:
    if isinstance(exc, SystemExit):
        source, message = "user_code", _exit_message(exc)
    elif isinstance(exc, CheckTimeout):
        source, message = "timeout", str(exc)
    elif isinstance(exc, GradcheckError):
        source, message = "usage", as_flags(str(exc))
    elif _raised_in_user_code(exc):
        source, message = "user_code", f"your code raised {describe_exception(exc)}"
    else:
        source = "gradcheck"
        message = (f"gradcheck failed on its own, not because of your code: {type(exc).__name__}: {exc}; "
                   f"please report it with the traceback --debug prints")
    warned = _warnings_note(args)
    if warned and not args.debug:
        message += f"; {warned}"
    if getattr(args, "debug", False):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    elif source == "user_code" and not isinstance(exc, SystemExit) or isinstance(exc, GradcheckError) and exc.__cause__ is not None:
        message += " (run with --debug for the traceback)"
    print(_wrap(f"gradcheck: error: {message}"), file=sys.stderr)
    if getattr(args, "json", False):
        _print_json(_error_doc(source, type(exc).__name__, message))
    return EXIT_USAGE


def _raised_in_user_code(exc: BaseException) -> bool:
    """True when the traceback reaches the user's code below gradcheck's last frame; an exception raised in
    gradcheck, or in a library gradcheck called (rich, numpy), is gradcheck's own, not the user's."""
    import sysconfig  # lazy: only an error's origin needs it, and gradcheck --help loads nothing it does not use

    here = os.path.dirname(os.path.abspath(__file__))
    libraries = {os.path.abspath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "purelib", "platlib")}
    frames = [os.path.abspath(fr.filename) for fr in traceback.extract_tb(exc.__traceback__)]
    ours = [i for i, f in enumerate(frames) if f.startswith(here + os.sep) and os.sep + "examples" + os.sep not in f[len(here):]]
    below = frames[ours[-1] + 1:] if ours else frames
    return any(not f.startswith("<") and not any(f.startswith(lib) for lib in libraries) for f in below)


def _exit_message(exc: SystemExit) -> str:
    """``your code called sys.exit(0) at net.py line 3, in build (sys.exit(0)): ...``"""
    fr = user_frame(exc.__traceback__)
    where = ""
    if fr is not None:
        where = f" at {os.path.basename(fr.filename)} line {fr.lineno}" + (f", in {fr.name}" if fr.name != "<module>" else "")
        where += f" ({fr.line.strip()})" if fr.line else ""
    return (f"your code called sys.exit({exc.code!r}){where}, so the check did not run to its end; a factory, loss or "
            f"gradient function must return, not exit")


@contextlib.contextmanager
def _user_output(args: argparse.Namespace) -> Iterator[io.StringIO]:
    """Catch what the user's code prints, so stdout holds only gradcheck's output: ``print`` (sys.stdout)
    and writes to file descriptor 1 (``os.write(1, ...)``, C code, worker processes) alike. The text
    caught is in the buffer yielded once the block ends (gradcheck prints nothing inside the block)."""
    buf = io.StringIO()
    try:
        sys.stdout.flush()
        saved_fd = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no file descriptor 1 (an embedding host): print only
        with contextlib.redirect_stdout(buf):
            yield buf
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 1)
        try:
            with contextlib.redirect_stdout(buf):
                yield buf
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
            caught.seek(0)
            buf.write(caught.read().decode("utf-8", "replace"))


def _report_user_output(args: argparse.Namespace, buf: io.StringIO) -> str | None:
    text = buf.getvalue()
    if not text:
        return None
    if args.debug:
        sys.stderr.write(text)
        return None
    n = text.count("\n") + (0 if text.endswith("\n") else 1)
    return f"your code printed {n} line(s) during the check (hidden; --debug shows them)"


class _Progress:
    """A rich progress bar on stderr that appears only once a check has run for a second."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.perf_counter()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.perf_counter() - self.start < PROGRESS_AFTER or not sys.stderr.isatty():
                return
            from rich.console import Console  # lazy: rich loads in ~25 ms, and only a long check shows a bar
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn  # lazy: as above

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# -- check ------------------------------------------------------------------------------


def _parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())
    except ValueError:
        raise TargetError(f"--input-shape {text!r}: expected integers separated by commas, e.g. 8,4") from None
    if not shape or any(s <= 0 for s in shape):
        raise TargetError(f"--input-shape {text!r}: expected positive integers, e.g. 8,4")
    return shape


def load_problem(
    spec: str,
    *,
    convention: str | None = None,
    lr: float | None = None,
    seed: int = 0,
    batch_size: int | None = None,
    input_shape: tuple[int, ...] | None = None,
    loss: str | None = None,
    values: dict[str, Any] | None = None,
) -> Any:
    """The :class:`gradcheck.Problem` a ``gradcheck check`` TARGET stands for."""
    target = load_target(spec)
    prefer = None
    if _takes_net_arguments(target.obj, target.module):
        # net.py:loss_fn names one of the net's functions, not a factory: read the whole module,
        # using that function where the module offers several (backward_propagation_with_dropout)
        prefer = target.attr
        target = type(target)(obj=target.module, module=target.module, spec=spec, attr=None)
    obj = materialize(target.obj, seed=seed, batch_size=batch_size, label=target.label, context=target.module)
    if obj is None and target.obj is not None:
        raise AdapterError(
            f"{target.label}() returned None: a factory returns the net (or (net, X, y), a gradcheck.Problem, or a "
            f"mapping with 'params', 'loss' and 'grads'); is its return statement missing?")
    kw: dict[str, Any] = {"convention": convention, "lr": lr, "seed": seed, "batch_size": batch_size}
    if prefer is not None:
        kw["prefer"] = prefer
    if loss is not None:
        kw["loss"] = loss
    if input_shape is not None:
        kw["input_shape"] = input_shape
    if values:
        kw["values"] = values
    if target.attr is None:
        obj = _pick_from_module(target.module, convention, recognize, seed=seed, batch_size=batch_size)
        if obj is not target.module:
            return as_problem(obj, context=target.module, **kw)
    try:
        return as_problem(obj, context=target.module if obj is not target.module else None, **kw)
    except AdapterError as exc:
        if target.attr is not None and callable(target.obj) and not isinstance(target.obj, type) and obj is not target.obj:
            if not_a_net(obj):
                raise AdapterError(
                    f"{target.label}() returned {describe_value(obj)}, not a net: gradcheck calls a function it is "
                    f"pointed at as a factory that builds the net (an object or module with weights, a loss and its "
                    f"gradients) and returns it") from None
            raise AdapterError(f"{target.label}() returned {_kind(obj)}, which gradcheck cannot check: {exc}") from None
        raise


def _takes_net_arguments(obj: Any, module: Any = None) -> bool:
    """A function of the net (``loss_fn(params, X, y)``, ``L_model_forward(X, parameters)``,
    ``lossFun(inputs, targets, hprev)`` with ``hprev`` beside it), not a factory."""
    if not isinstance(obj, types.FunctionType):
        return False
    required = required_args(obj)
    roles = [role_of(n) for n in required]
    # hyper-parameters beside the net's own arguments (backward(X, Y, cache, lambd)) are read from the module
    beside = vars(module) if module is not None else {}
    return any(r in _NET_ROLES for r in roles) and all(
        r in _NET_ROLES or n in _HYPER or n in beside for r, n in zip(roles, required))


_NET_ROLES = ("X", "y", "params", "cache", "output", "dout")
_HYPER = ("lambd", "lambda_", "lam", "reg", "l2", "keep_prob", "dropout", "p_keep")


def _kind(obj: Any) -> str:
    return f"a {type(obj).__name__}"


def _pick_from_module(module: Any, convention: str | None, recognize: Any, *, seed: int, batch_size: int | None) -> Any:
    """For a target without a name: the module itself when it is a net, else the one net it defines."""
    if recognize(module) and convention is None or convention is not None and convention in recognize(module):
        return module
    found = []
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, (types.ModuleType, type)) or callable(value) and not hasattr(value, "__dict__"):
            continue
        if isinstance(value, types.FunctionType) or type(value).__module__.split(".")[0] == "numpy":
            continue  # a random generator (rng = np.random.default_rng(0)) is no net
        conv = recognize(value, context=module)
        if conv and (convention is None or convention in conv):
            found.append(name)
    if len(found) == 1:
        return getattr(module, found[0])
    for name in FACTORY_NAMES:
        fn = getattr(module, name, None)
        if isinstance(fn, types.FunctionType) and fn.__module__ == module.__name__:
            return materialize(fn, seed=seed, batch_size=batch_size, label=name, context=module)
    if len(found) > 1:
        raise AdapterError(
            f"{getattr(module, '__gradcheck_path__', module.__name__)} defines several nets ({', '.join(found)}): name one, e.g. "
            f"{getattr(module, '__gradcheck_path__', None) or getattr(module, '__file__', 'file.py')}:{found[0]}"
        )
    return module


def _values_line(problem: Any) -> str:
    """``; values: keep_prob = 0.86 (module variable), ...``: the hyper-parameters the check used."""
    nv = problem.meta.get("values")
    text = nv.describe(only_used=True) if nv is not None else ""
    return f"; values: {text}" if text else ""


def _cmd_check(args: argparse.Namespace) -> int:
    if args.batch_size is not None and args.batch_size < 1:
        raise TargetError(f"--batch-size must be a positive integer, got {args.batch_size}")
    if args.sample is not None and args.sample < 1:
        raise TargetError(f"--sample must be a positive integer, got {args.sample}")
    mode = args.mode
    if args.fast:
        mode = "fast"
    elif args.sample is not None and mode == "auto":
        mode = "sampled"
    progress = _Progress(f"checking {args.target}")
    with _user_output(args) as printed:
        try:
            problem = load_problem(
                args.target, convention=args.convention, lr=args.lr, seed=args.seed, batch_size=args.batch_size,
                input_shape=_parse_shape(args.input_shape), loss=args.loss,
                values=parse_set(getattr(args, "set_values", None)),
            )
            report = check(problem, method=args.method, mode=mode, rtol=args.rtol, atol=args.atol, seed=args.seed,
                           sample=args.sample, progress=progress, upcast=args.upcast)
        finally:
            progress.close()
    report.notes.extend(n for n in problem.meta.get("notes", []) if n not in report.notes)
    for note in (_report_user_output(args, printed), _warnings_note(args)):
        if note:
            report.notes.append(note)
    _advice_as_flags(report)
    recognized = as_flags(problem.meta.get("recognized", "")) + _values_line(problem)
    if args.html:
        try:
            report.to_html(args.html, title=args.target)
        except OSError as exc:
            raise TargetError(f"--html {args.html}: cannot write the page ({exc.strerror or exc})") from None
    if args.json:
        extra = {"values": problem.meta["values"].to_dict()} if problem.meta.get("values") is not None else {}
        _print_json({**report.to_dict(), "target": args.target, "recognized": recognized,
                     "convention": problem.meta.get("convention"), **extra})
    else:
        from rich.text import Text  # lazy: rich loads in ~25 ms, which `gradcheck --help` does not need

        console = _console(args)
        console.print(Text(f"gradcheck {args.target}", style="bold"))
        if recognized:
            console.print(Text(f"recognized: {recognized}", style="dim"))
        console.print(report)
    return check_exit_code(report, allow_unverifiable=args.allow_unverifiable)


def check_exit_code(report: Any, *, allow_unverifiable: bool = False) -> int:
    """0 when every gradient matches, 1 when one is wrong, 3 when none is wrong but some elements could
    not be checked (0 with ``allow_unverifiable``)."""
    if report.status == "unverifiable":
        return EXIT_OK if allow_unverifiable else EXIT_UNVERIFIABLE
    return EXIT_OK if report.ok else EXIT_WRONG


# -- demo -------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from rich.rule import Rule  # lazy: rich loads in ~25 ms, which `gradcheck --help` does not need
    from rich.text import Text  # lazy: as above

    steps = [
        ("1/2  The net as written", "gradcheck.examples.seed_net:build",
         "A 2-5-5-1 sigmoid net with binary cross-entropy: a Layer class, a Network whose gradient lives only in "
         "train() (W -= lr * dW, lr = 1/epoch), examples as columns. It trains without an error and does not "
         "learn. gradcheck recovers the gradient from one step of train(), puts the weights back, and compares."),
        ("2/2  The fixed net", "gradcheck.examples.seed_net_fixed:build",
         "The same net with the gradients divided by the batch size m and the slope of the first sigmoid "
         "taken at its output a1."),
    ]
    results = []
    console = _console(args)
    for title, spec, story in steps:
        with _user_output(args):
            problem = load_problem(spec)
            report = check(problem)
        results.append((title, spec, problem, report))
        if not args.json:
            console.print(Rule(Text(title, style="bold"), align="left"))
            console.print(Text(story))
            console.print(Text(f"$ gradcheck check {spec}", style="cyan"))
            console.print(Text(f"recognized: {problem.meta.get('recognized', '')}", style="dim"))
            console.print(report)
            console.print()
    as_expected = not results[0][3].ok and results[1][3].ok
    if args.json:
        _print_json({"steps": [{**r.to_dict(), "title": t, "target": s, "recognized": p.meta.get("recognized")}
                               for t, s, p, r in results], "as_expected": as_expected})
    else:
        kinds = ", ".join(dict.fromkeys(results[0][3].kinds())) or "none"
        from .examples import seed_net  # lazy: the demo's own net, which no other command loads

        folder = os.path.dirname(seed_net.__file__)
        console.print(Text(
            f"The net as written: first wrong {results[0][3].first_wrong}, mistakes named: {kinds}. The fixed net: "
            f"{'all gradients match' if results[1][3].ok else 'still wrong'}. Both nets are in {folder} "
            f"(seed_net.py, seed_net_fixed.py). Point gradcheck at your own net with "
            f"`gradcheck check path/to/your_net.py:name`.", style="bold"))
    return EXIT_OK if as_expected else EXIT_WRONG


# -- bugs -------------------------------------------------------------------------------


def _cmd_bugs(args: argparse.Namespace) -> int:
    from rich.text import Text  # lazy: rich loads in ~25 ms, which `gradcheck --help` does not need

    query = " ".join(args.kind or [])
    if not query or query in CATALOGUE:
        bugs = [CATALOGUE[query]] if query else list(CATALOGUE.values())
    else:
        # an id (one token with underscores) is looked up as an id; anything else by its words
        looks_like_id = "_" in query and " " not in query
        from .bugsearch import find_bugs  # lazy: only a search by words needs it

        bugs = [] if looks_like_id else find_bugs(query)
        if not bugs:
            close = difflib.get_close_matches(query, list(CATALOGUE), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `gradcheck bugs` lists them"
            what = f"named {query!r}" if looks_like_id else f"named {query!r} or mentioning {' '.join(query.split())!r}"
            raise TargetError(f"no mistake {what} in the catalogue{hint}")
    if args.json:
        _print_json({"bugs": [asdict(b) for b in bugs], **({"query": query} if query else {})})
        return EXIT_OK
    console = _console(args)
    if query in CATALOGUE:
        b = bugs[0]
        console.print(Text(f"{b.kind}: {b.title}", style="bold"))
        for label, text in (("what", b.explanation), ("how it shows", b.signature), ("fix", b.fix)):
            console.print(Text.assemble((f"{label}: ", "bold"), text))
        return EXIT_OK
    if query:
        console.print(Text(f"mistakes that mention {query!r}:", style="bold"))
    _bugs_table(console, bugs)
    console.print(Text("gradcheck bugs KIND shows one in full (explanation, signature, fix); gradcheck bugs WORDS "
                       "finds mistakes by words.", style="dim"))
    return EXIT_OK


def _bugs_table(console: Any, bugs: Sequence[Any]) -> None:
    from rich.table import Table  # lazy: rich loads in ~25 ms, which `gradcheck --help` does not need

    table = Table(show_edge=False, header_style="bold")
    table.add_column("kind")
    table.add_column("mistake")
    for b in bugs:
        table.add_row(b.kind, b.title)
    console.print(table)


# -- search -----------------------------------------------------------------------------


def _cmd_search(args: argparse.Namespace) -> int:
    try:
        from .search import search  # lazy: the search loads hypothesis (~100 ms), which the other commands do not need
    except ImportError:
        raise TargetError("gradcheck search is not available in this version") from None
    target = load_target(args.target)
    if not callable(target.obj):
        raise TargetError(f"{target.label} is a {type(target.obj).__name__}; search needs a factory function "
                          f"that builds a net (it may take widths, batch_size, seed)")
    with _user_output(args):
        result = search(target.obj, max_examples=args.max_examples, seed=args.seed)
    if args.json:
        _print_json(result.to_dict())
    else:
        _console(args).print(result)
    return EXIT_WRONG if getattr(result, "found", False) else EXIT_OK
