"""PLR's replay distribution against Syllabus's port of the reference sampler
(syllabus.curricula.plr.TaskSampler.sample_weights) on fixed buffers. Needs the
[syllabus] extra; skipped without it."""

import numpy as np
import pytest

pytest.importorskip("syllabus", reason="the [syllabus] extra (syllabus-rl) is not installed")

# Importing Syllabus's sampler sets np.seterr(all="raise") for the whole process (it would
# turn every later test's harmless float underflow into an error): restore ours at once.
_ERRORS = np.geterr()
from syllabus.curricula.plr.task_sampler import TaskSampler  # noqa: E402

np.seterr(**_ERRORS)

from teacher._levels import replay_probabilities  # noqa: E402


@pytest.mark.parametrize(("beta", "staleness_coef"), [(0.1, 0.5), (0.3, 0.3), (1.0, 0.0)])
def test_replay_probabilities_match_syllabus_on_a_fixed_buffer(beta, staleness_coef):
    rng = np.random.default_rng(0)
    n = 12
    scores = rng.permutation(n) / n + 0.01  # distinct: the implementations rank ties apart
    stale = rng.integers(0, 30, n).astype(np.float64)
    theirs = TaskSampler(list(range(n)), num_steps=8, strategy="positive_value_loss",
                         score_transform="rank", temperature=beta,
                         staleness_coef=staleness_coef, staleness_transform="power",
                         staleness_temperature=1.0)
    theirs.task_scores[:] = scores
    theirs.task_staleness[:] = stale
    theirs.unseen_task_weights[:] = 0.0
    ours = replay_probabilities(scores, stale, beta, staleness_coef)
    # Syllabus keeps scores and staleness in float32
    np.testing.assert_allclose(ours, theirs.sample_weights(), rtol=1e-5, atol=1e-12)
