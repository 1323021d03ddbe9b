"""teacher._nn: the component the neural teachers share (lazy torch, seeded fits, weights
out and in, the exact numpy forward pass that samples)."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from teacher import _nn
from teacher.errors import StateMismatchError, TeacherError

torch = pytest.importorskip("torch")

BLOCKED = """
import sys
sys.modules["torch"] = None  # `import torch` now raises ImportError
import teacher
assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None]
{body}
"""


def _run_without_torch(body: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", BLOCKED.format(body=body)],
                          capture_output=True, text=True, timeout=120, env=env, check=False)


def test_without_torch_teacher_imports_and_the_error_names_the_extra() -> None:
    done = _run_without_torch(
        "from teacher import TaskSpace, TeacherError, make_teacher, TEACHERS\n"
        "assert 'goal-gan' in TEACHERS\n"
        "try:\n    make_teacher('goal-gan', TaskSpace({'x': (0.0, 1.0)}))\n"
        "except TeacherError as exc:\n    print('ERR', exc)\n"
        "print(make_teacher('alp-gmm', TaskSpace({'x': (0.0, 1.0)})).sample().origin)\n"
    )
    assert done.returncode == 0, done.stderr
    assert ("ERR teacher 'goal-gan' needs PyTorch: pip install 'curriculum-teacher[neural]'"
            in done.stdout)
    assert done.stdout.strip().endswith("bootstrap")  # the other teachers work without it


def _net(seed: int = 0) -> object:
    torch.manual_seed(seed)
    nn = torch.nn
    return nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 16), nn.LeakyReLU(0.2),
                         nn.Linear(16, 2), nn.Tanh())


def test_export_load_round_trip_and_names() -> None:
    a = _net(0)
    arrays = _nn.export_weights(a, "gen")
    assert sorted(arrays) == sorted(f"gen.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias"))
    assert all(v.dtype == np.float64 for v in arrays.values())
    assert arrays["gen.0.weight"].shape == (16, 3)
    b = _net(1)
    _nn.load_weights(b, arrays, "gen")
    assert all(np.array_equal(arrays[k], v) for k, v in _nn.export_weights(b, "gen").items())


def test_load_weights_refuses_missing_extra_and_misshapen_and_leaves_module_unchanged() -> None:
    b = _net(1)
    before = _nn.export_weights(b, "gen")
    good = _nn.export_weights(_net(0), "gen")
    bad_shape = {**good, "gen.2.weight": np.zeros((16, 15))}
    with pytest.raises(StateMismatchError, match=r"'gen.2.weight' must have shape \(16, 16\)"):
        _nn.load_weights(b, bad_shape, "gen")
    missing = {k: v for k, v in good.items() if k != "gen.4.bias"}
    with pytest.raises(StateMismatchError, match="lack 'gen.4.bias'"):
        _nn.load_weights(b, missing, "gen")
    with pytest.raises(StateMismatchError, match="gen.9.weight"):
        _nn.load_weights(b, {**good, "gen.9.weight": np.zeros(1)}, "gen")
    assert all(np.array_equal(before[k], v) for k, v in _nn.export_weights(b, "gen").items())


def test_mlp_forward_matches_torch_in_float64_and_rows_are_independent() -> None:
    net = _net(2).double()
    arrays = _nn.export_weights(net, "gen")
    x = np.random.default_rng(0).normal(size=(9, 3)) * 3
    y = _nn.mlp_forward(arrays, "gen", x, ["0", "2", "4"], ["relu", "leaky_relu:0.2", "tanh"])
    expected = net(torch.from_numpy(x)).detach().numpy()
    assert y.shape == (9, 2)
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-14)
    for i in range(9):  # sampling draws one row at a time: same bits as in a batch
        row = _nn.mlp_forward(arrays, "gen", x[i], ["0", "2", "4"],
                              ["relu", "leaky_relu:0.2", "tanh"])
        assert row.shape == (2,) and np.array_equal(row, y[i])


def test_exact_functions_are_accurate() -> None:
    x = np.linspace(-700, 700, 20001)
    np.testing.assert_allclose(_nn.exact_exp(x), np.exp(x), rtol=1e-14)
    t = np.linspace(-25, 25, 20001)
    np.testing.assert_allclose(_nn.exact_tanh(t), np.tanh(t), rtol=0, atol=1e-15)
    np.testing.assert_allclose(_nn.exact_sigmoid(t), 1 / (1 + np.exp(-t)), rtol=0, atol=1e-15)
    assert _nn.exact_tanh(np.array([0.0, -0.0]))[1] == 0.0


#: exact_log of 0.1, 0.7, 3.0 and 1e-300 (the first, second and fourth are math.log's,
#: the third 1 ulp below it).
PINNED_LOGS = ["-0x1.26bb1bbb55515p+1", "-0x1.6d3c324e13f50p-2", "0x1.193ea7aad030ap+0",
               "-0x1.5963447f87fb5p+9"]


def test_exact_log_is_within_an_ulp_and_the_same_bits_everywhere() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.random(3000), np.exp(rng.uniform(-740, 709, 3000)),
                        1 + rng.uniform(-1e-3, 1e-3, 1000),
                        [5e-324, 1e-310, 0.5, 1.0, 2.0, 1 - 2**-53, 1 + 2**-52, 1.7e308]])
    y = _nn.exact_log(x)
    ref = np.array([math.log(v) for v in x])
    assert (np.abs(y - ref) <= np.spacing(np.abs(ref))).all()
    assert y[-5] == 0.0
    for i in (0, 3000, 6500):  # one at a time: the same bits as in a batch
        assert _nn.exact_log(x[i : i + 1])[0] == y[i]
    # Pinned bits: every IEEE-754 machine must give exactly these.
    pins = _nn.exact_log(np.array([0.1, 0.7, 3.0, 1e-300]))
    assert [v.hex() for v in pins.tolist()] == PINNED_LOGS
    special = _nn.exact_log(np.array([0.0, np.inf, -1.0, np.nan]))
    assert special[0] == -np.inf and special[1] == np.inf and np.isnan(special[2:]).all()


def test_mlp_forward_bad_input_is_named() -> None:
    arrays = _nn.export_weights(_net(0), "gen")
    with pytest.raises(TeacherError, match="one activation per layer"):
        _nn.mlp_forward(arrays, "gen", np.zeros(3), ["0", "2"], ["relu"])
    with pytest.raises(TeacherError, match="activation must be one of"):
        _nn.mlp_forward(arrays, "gen", np.zeros(3), ["0"], ["gelu"])
    with pytest.raises(TeacherError, match="input of width 4"):
        _nn.mlp_forward(arrays, "gen", np.zeros(4), ["0"], ["relu"])
    with pytest.raises(TeacherError, match="lack 'gen.7.weight'"):
        _nn.mlp_forward(arrays, "gen", np.zeros(3), ["7"], ["relu"])


def _fit_once(seed: int) -> dict[str, np.ndarray]:
    with _nn.seeded(seed) as rng:
        net = _net(0)
        for _ in range(20):
            x = torch.from_numpy(rng.normal(size=(8, 3))).float()
            loss = (net(x) + torch.randn(8, 2)).pow(2).mean()
            loss.backward()
            with torch.no_grad():
                for p in net.parameters():
                    p -= 0.01 * p.grad
                    p.grad = None
    return _nn.export_weights(net, "gen")


def test_seeded_fits_repeat_and_leave_the_callers_torch_settings_alone() -> None:
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    a, b, c = _fit_once(7), _fit_once(7), _fit_once(8)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)
    assert torch.equal(torch.rand(3), expected_next)  # the caller's stream is untouched
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()
    with pytest.raises(TeacherError, match="seed must be an int >= 0"), _nn.seeded(-1):
        pass


def test_making_and_sampling_a_neural_teacher_does_not_import_torch() -> None:
    """A server makes teachers on its event loop: torch (seconds to import) is loaded
    by the fits only, which run in its worker processes."""
    code = ("import sys\nfrom teacher import TaskSpace, make_teacher\n"
            "t = make_teacher('goal-gan', TaskSpace({'x': (0.0, 1.0)}))\n"
            "t.sample(); t.observe([0.5], 1.0)\n"
            "print('torch' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
