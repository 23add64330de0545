"""Load what a user points gradcheck at: ``path/to/file.py:name`` or ``package.module:name``.

``name`` may be dotted (``net.py:model.layer1``) and may be left out (``net.py``): the module
itself is then the target, or the one net defined in it. :func:`load_target` imports the
module (its own prints go to stderr) and returns the object; :func:`materialize` calls a
factory (passing ``seed`` and a batch size when it takes them) or a class without required
arguments. Every failure is a :class:`gradcheck.errors.TargetError` with one paragraph
saying what is wrong and where in the user's file.

Example:
    >>> parse_spec("nets/mlp.py:build")
    ('path', 'nets/mlp.py', 'build')
    >>> parse_spec("mypkg.nets:Net")
    ('module', 'mypkg.nets', 'Net')
    >>> load_target("gradcheck.nn:MLP").obj.__name__
    'MLP'
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
import types
from dataclasses import dataclass
from typing import Any

from .errors import TargetError

__all__ = ["Target", "describe_exception", "load_target", "materialize", "parse_spec", "user_code_path", "user_frame"]

SEED_NAMES = ("seed", "random_state", "rng_seed", "random_seed")
BATCH_NAMES = ("batch_size", "m", "n_examples", "num_examples", "n_samples", "batch", "n")
#: The batch size a factory whose batch-size argument has no default is called with (``--batch-size``
#: overrides it); the same number data found beside a net are cut to.
DEFAULT_BATCH_SIZE = 64
#: The seed a factory whose seed argument has no default is called with.
DEFAULT_SEED = 0


@dataclass
class Target:
    """A loaded target: the object, the module it lives in, the spec and the attribute path."""

    obj: Any
    module: types.ModuleType
    spec: str
    attr: str | None

    @property
    def label(self) -> str:
        return self.attr or getattr(self.module, "__gradcheck_path__", None) or self.module.__name__


def parse_spec(spec: str) -> tuple[str, str, str | None]:
    """``("path" | "module", location, attribute or None)``."""
    if not isinstance(spec, str) or not spec.strip():
        raise TargetError("the target is empty: give path/to/file.py:name or package.module:name")
    spec = spec.strip()
    location, attr = spec, None
    head, sep, tail = spec.rpartition(":")
    if sep and not (len(head) == 1 and head.isalpha() and tail.startswith(("\\", "/"))):  # not a drive letter
        location, attr = head, tail
        if not attr:
            raise TargetError(f"target {spec!r} ends with ':' but names nothing after it: give path.py:name")
        if not location:
            raise TargetError(f"target {spec!r} has no file or module before ':'")
    if location.endswith(".py") or os.sep in location or "/" in location or os.path.exists(location):
        return "path", location, attr
    if not all(part.isidentifier() for part in location.split(".")):
        raise TargetError(
            f"target {spec!r}: {location!r} is neither a .py file nor a dotted module name; "
            f"give path/to/file.py:name or package.module:name"
        )
    return "module", location, attr


def user_frame(tb: Any) -> traceback.FrameSummary | None:
    """The innermost frame of a traceback that is user code (not gradcheck, numpy or importlib)."""
    here = os.path.dirname(os.path.abspath(__file__))
    frames = traceback.extract_tb(tb)
    for fr in reversed(frames):
        f = os.path.abspath(fr.filename)
        if f.startswith(here + os.sep) and os.sep + "examples" + os.sep not in f[len(here):]:
            continue
        if "importlib" in f or os.sep + "numpy" + os.sep in f or f.startswith("<frozen"):
            continue
        return fr
    return None


def describe_exception(exc: BaseException) -> str:
    """``ValueError: shapes (2,3) and (4,1) not aligned (net.py line 12, in train: z = W @ x)``."""
    msg = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    fr = user_frame(exc.__traceback__)
    if fr is not None:
        where = f"{os.path.relpath(fr.filename) if not fr.filename.startswith('<') else fr.filename} line {fr.lineno}"
        where += f", in {fr.name}" if fr.name != "<module>" else ""
        if fr.line:
            where += f": {fr.line.strip()}"
        msg += f" ({where})"
    return msg


_kept_folders: list[list[str]] = []


@contextlib.contextmanager
def user_code_path() -> Any:
    """Keep the folder of every file imported inside on ``sys.path`` until the block ends, so the
    user's code can import its siblings lazily (inside a factory or a training step).

    >>> with user_code_path():
    ...     pass
    """
    added: list[str] = []
    _kept_folders.append(added)
    try:
        yield
    finally:
        _kept_folders.remove(added)
        for folder in added:
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)


def _import_path(path: str) -> types.ModuleType:
    if not os.path.exists(path):
        near = ""
        folder = os.path.dirname(path) or "."
        if os.path.isdir(folder):
            close = difflib.get_close_matches(os.path.basename(path), os.listdir(folder), n=3)
            near = f"; similar files there: {', '.join(close)}" if close else ""
        raise TargetError(f"file not found: {path}{near}")
    if os.path.isdir(path):
        raise TargetError(f"{path} is a directory: point at a .py file inside it (path/to/file.py:name)")
    if not path.endswith(".py"):
        raise TargetError(f"{path} is not a .py file: gradcheck imports Python files (path/to/file.py:name)")
    full = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(full))[0]
    name = f"{stem if stem.isidentifier() else 'user_module'}_{hashlib.sha1(full.encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, full)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    module.__gradcheck_path__ = path  # type: ignore[attr-defined]  # errors name the file, not the internal module name
    folder = os.path.dirname(full)
    sys.path.insert(0, folder)  # so the file's own sibling imports work
    sys.modules[name] = module
    try:
        with contextlib.redirect_stdout(sys.stderr):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        line = f": {exc.text.strip()}" if exc.text else ""
        where = path
        if exc.filename and os.path.abspath(exc.filename) != full:  # a module the file imports
            where = f"{os.path.relpath(exc.filename)} (imported by {path})"
        raise TargetError(f"{where} line {exc.lineno}: syntax error ({exc.msg}){line}") from exc
    except ImportError as exc:
        sys.modules.pop(name, None)
        raise TargetError(
            f"{path} could not be imported: {describe_exception(exc)}. Install the missing package, or "
            f"check that the modules it imports sit beside it"
        ) from exc
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure of the user's module on import
        sys.modules.pop(name, None)
        raise TargetError(
            f"{path} raised an error while being imported: {describe_exception(exc)}. gradcheck runs the "
            f"module's top-level code; put training runs under `if __name__ == \"__main__\":`"
        ) from exc
    finally:
        if _kept_folders:
            _kept_folders[-1].append(folder)
        else:
            with contextlib.suppress(ValueError):
                sys.path.remove(folder)
    return module


def _import_module(location: str) -> types.ModuleType:
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return importlib.import_module(location)
    except ModuleNotFoundError as exc:
        if exc.name and location.startswith(exc.name):
            raise TargetError(
                f"no module named {location!r}: is it installed, or on PYTHONPATH? (for a file, give its "
                f"path ending in .py)"
            ) from exc
        raise TargetError(f"module {location} could not be imported: {describe_exception(exc)}") from exc
    except SyntaxError as exc:
        raise TargetError(f"module {location}: syntax error in {exc.filename} line {exc.lineno} ({exc.msg})") from exc
    except (Exception, SystemExit) as exc:  # noqa: BLE001
        raise TargetError(f"module {location} raised an error while being imported: {describe_exception(exc)}") from exc


def _resolve(module: types.ModuleType, attr: str, where: str) -> Any:
    obj: Any = module
    walked: list[str] = []
    for part in attr.split("."):
        try:
            obj = getattr(obj, part) if not isinstance(obj, dict) else obj[part]
        except (AttributeError, KeyError):
            names = list(obj) if isinstance(obj, dict) else [n for n in dir(obj) if not n.startswith("__")]
            close = difflib.get_close_matches(part, names, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            owner = where if not walked else ".".join(walked)
            if not close and isinstance(obj, types.ModuleType):
                public = [n for n in names if not n.startswith("_") and not isinstance(getattr(obj, n), types.ModuleType)]
                hint = f"; it defines {', '.join(public[:15])}" if public else "; it defines nothing public"
            raise TargetError(f"{owner} has no attribute {part!r}{hint}") from None
        except Exception as exc:  # noqa: BLE001 - a property raising
            raise TargetError(f"reading {attr} from {where} raised {describe_exception(exc)}") from exc
        walked.append(part)
    return obj


def load_target(spec: str) -> Target:
    """Import the module of ``spec`` and return the named object (or the module itself)."""
    kind, location, attr = parse_spec(spec)
    module = _import_path(location) if kind == "path" else _import_module(location)
    obj = module if attr is None else _resolve(module, attr, location)
    return Target(obj=obj, module=module, spec=spec, attr=attr)


def materialize(
    obj: Any, *, seed: int | None = None, batch_size: int | None = None, label: str = "", context: Any = None
) -> Any:
    """Call a factory (a function, or a class); return other objects as they are.

    ``seed`` goes to an argument named ``seed`` / ``random_state``, ``batch_size`` to
    ``batch_size`` / ``m`` / ``n_samples`` (when these are not given and the argument has no
    default: :data:`DEFAULT_SEED`, :data:`DEFAULT_BATCH_SIZE`); a required argument is read from a same-named
    variable of ``context`` (the module: ``TwoLayerNet(input_size, hidden_size, num_classes)``
    with ``input_size = 4`` beside it); other arguments keep their defaults.
    """
    if not isinstance(obj, (types.FunctionType, functools.partial, type)):
        return obj
    label = label or getattr(obj, "__name__", "the factory")
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        sig = None
    kwargs: dict[str, Any] = {}
    if sig is not None:
        missing = []
        for p in sig.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.name in SEED_NAMES and (seed is not None or p.default is p.empty):
                kwargs[p.name] = DEFAULT_SEED if seed is None else seed
            elif p.name in BATCH_NAMES and (batch_size is not None or p.default is p.empty):
                kwargs[p.name] = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
            elif p.default is p.empty:
                if context is not None and p.name in vars(context) and not callable(getattr(context, p.name)):
                    kwargs[p.name] = getattr(context, p.name)
                else:
                    missing.append(p.name)
        if missing:
            what = "class" if isinstance(obj, type) else "factory"
            raise TargetError(
                f"{label} is a {what} that needs the argument(s) {', '.join(missing)}, which gradcheck cannot "
                f"supply (it passes only a seed, a batch size, and module-level variables of the same names). Point "
                f"at an instance or at a function "
                f"without required arguments that builds the net and returns it (with its data: (net, X, y))"
            )
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return obj(**kwargs)
    except Exception as exc:  # noqa: BLE001 - the user's factory failing is an input error
        raise TargetError(f"{label}() raised {describe_exception(exc)}") from exc

