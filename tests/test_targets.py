"""Loading ``path.py:name`` / ``module:name`` targets, and the message for each way it fails."""

from __future__ import annotations

import textwrap

import pytest

from gradcheck.errors import TargetError
from gradcheck.targets import describe_exception, load_target, materialize, parse_spec


def _write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("net.py:build", ("path", "net.py", "build")),
        ("dir/net.py", ("path", "dir/net.py", None)),
        ("pkg.mod:obj.attr", ("module", "pkg.mod", "obj.attr")),
        ("pkg.mod", ("module", "pkg.mod", None)),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "empty"),
        ("net.py:", "names nothing after it"),
        (":build", "no file or module"),
        ("not a module:x", "neither a .py file nor a dotted module name"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(TargetError, match=message):
        parse_spec(spec)


def test_load_from_path_with_sibling_import(tmp_path):
    _write(tmp_path, "helpers.py", "VALUE = 41\n")
    path = _write(tmp_path, "net.py", "import helpers\nanswer = helpers.VALUE + 1\n")
    target = load_target(f"{path}:answer")
    assert target.obj == 42 and target.attr == "answer"


def test_load_dotted_attribute_and_module(tmp_path):
    path = _write(tmp_path, "net.py", "class A:\n    b = 3\n")
    assert load_target(f"{path}:A.b").obj == 3
    assert load_target("gradcheck.examples.seed_net:build").obj.__name__ == "build"


def test_module_prints_go_to_stderr(tmp_path, capsys):
    path = _write(tmp_path, "noisy.py", "print('training...')\nx = 1\n")
    load_target(f"{path}:x")
    out, err = capsys.readouterr()
    assert out == "" and "training..." in err


def test_missing_file_suggests_similar(tmp_path):
    _write(tmp_path, "my_net.py", "x = 1\n")
    with pytest.raises(TargetError, match=r"file not found: .*my_nett\.py; similar files there: my_net\.py"):
        load_target(str(tmp_path / "my_nett.py") + ":x")


def test_directory_and_non_python_file(tmp_path):
    with pytest.raises(TargetError, match="is a directory"):
        load_target(f"{tmp_path}:x")
    data = tmp_path / "w.npz"
    data.write_bytes(b"")
    with pytest.raises(TargetError, match="not a .py file"):
        load_target(f"{data}:x")


def test_syntax_error_names_the_line(tmp_path):
    path = _write(tmp_path, "broken.py", "x = 1\ndef f(:\n    pass\n")
    with pytest.raises(TargetError, match=r"broken\.py line 2: syntax error"):
        load_target(f"{path}:x")


def test_import_error_in_user_module(tmp_path):
    path = _write(tmp_path, "needs.py", "import not_a_real_package_xyz\n")
    with pytest.raises(TargetError, match=r"could not be imported: ModuleNotFoundError: No module named 'not_a_real_package_xyz'"):
        load_target(f"{path}:x")


def test_user_module_raising_on_import(tmp_path):
    path = _write(tmp_path, "raises.py", "import numpy as np\nW = np.ones((2, 3)) @ np.ones((2, 3))\n")
    with pytest.raises(TargetError) as exc:
        load_target(f"{path}:W")
    msg = str(exc.value)
    assert "raised an error while being imported: ValueError" in msg
    assert "raises.py line 2" in msg and "__main__" in msg


def test_missing_attribute_with_close_match(tmp_path):
    path = _write(tmp_path, "net.py", "def build():\n    pass\nnetwork = 1\n")
    with pytest.raises(TargetError, match="has no attribute 'buld'; did you mean build"):
        load_target(f"{path}:buld")
    with pytest.raises(TargetError, match="it defines build, network"):
        load_target(f"{path}:zzz")


def test_missing_module():
    with pytest.raises(TargetError, match="no module named 'no_such_pkg_abc'"):
        load_target("no_such_pkg_abc:x")


def test_materialize_passes_seed_and_batch_size():
    def build(seed=0, batch_size=4, other=1):
        return (seed, batch_size, other)

    assert materialize(build, seed=3, batch_size=9) == (3, 9, 1)
    assert materialize(build) == (0, 4, 1)
    assert materialize(42) == 42


def test_materialize_required_batch_size_gets_the_default():
    from gradcheck.targets import DEFAULT_BATCH_SIZE

    def build(batch_size, seed):
        return (seed, batch_size)

    assert materialize(build) == (0, DEFAULT_BATCH_SIZE)
    assert materialize(build, batch_size=3, seed=2) == (2, 3)


def test_materialize_required_arguments_and_raising_factory():
    def needs(widths):
        return widths

    with pytest.raises(TargetError, match="needs the argument\\(s\\) widths"):
        materialize(needs, label="needs")

    def boom():
        raise ValueError("bad shapes")

    with pytest.raises(TargetError, match=r"boom\(\) raised ValueError: bad shapes \(.*test_targets\.py line \d+, in boom"):
        materialize(boom, label="boom")


def test_materialize_class_without_required_arguments():
    class Net:
        def __init__(self, seed=0):
            self.seed = seed

    assert materialize(Net, seed=5).seed == 5


def test_describe_exception_without_user_frame():
    assert describe_exception(KeyError("W1")) == "KeyError: 'W1'"
