"""RL Zoo hyper-parameters parsed without eval; presets; --algo-kwargs."""

from __future__ import annotations

import pytest

from students.errors import InvalidConfigError
from students.hyperparams import (
    LinearSchedule,
    TorchRef,
    load_hyperparams_file,
    parse_algo_kwargs,
    parse_expression,
    parse_hyperparams,
    preset,
)

ZOO = """\
atari:
  env_wrapper:
    - stable_baselines3.common.atari_wrappers.AtariWrapper
  frame_stack: 4
  policy: 'CnnPolicy'
HalfCheetahBulletEnv-v0: &pybullet-defaults
  normalize: true
  n_envs: 16
  n_timesteps: !!float 2e6
  policy: 'MlpPolicy'
  learning_rate: !!float 3e-5
  clip_range: lin_0.4
  policy_kwargs: "dict(log_std_init=-2,
                       ortho_init=False,
                       activation_fn=nn.ReLU,
                       net_arch=[dict(pi=[256, 256], vf=[256, 256])]
                       )"
AntBulletEnv-v0:
  <<: *pybullet-defaults
  learning_rate: lin_7.3e-4
donkey:
  train_freq: [1, "episode"]
  normalize: "{'norm_obs': True, 'norm_reward': False}"
  noise_type: 'normal'
  noise_std: 0.3
"""


def test_a_zoo_file_section_with_anchors_schedules_and_policy_kwargs(tmp_path):
    f = tmp_path / "ppo.yml"
    f.write_text(ZOO)
    hp = load_hyperparams_file(f, "AntBulletEnv-v0")
    assert hp.n_envs == 16 and hp.n_timesteps == 2_000_000 and hp.normalize == {}
    assert hp.algo_kwargs["learning_rate"] == LinearSchedule(7.3e-4)
    assert hp.algo_kwargs["learning_rate"](0.5) == pytest.approx(3.65e-4)
    assert hp.algo_kwargs["clip_range"] == LinearSchedule(0.4)
    assert hp.algo_kwargs["policy_kwargs"] == {
        "log_std_init": -2, "ortho_init": False, "activation_fn": TorchRef("torch.nn.ReLU"),
        "net_arch": [{"pi": [256, 256], "vf": [256, 256]}],
    }
    donkey = load_hyperparams_file(f, "donkey")
    assert donkey.algo_kwargs["train_freq"] == (1, "episode")
    assert donkey.normalize == {"norm_obs": True, "norm_reward": False}
    assert donkey.noise == ("normal", 0.3)


def test_missing_section_and_unsupported_keys_are_named(tmp_path):
    f = tmp_path / "ppo.yml"
    f.write_text(ZOO)
    with pytest.raises(InvalidConfigError, match=r"no section for 'CartPole-v1' \(sections: atari"):
        load_hyperparams_file(f, "CartPole-v1")
    with pytest.raises(InvalidConfigError, match=r"\[atari\]: env_wrapper is not supported"):
        load_hyperparams_file(f, "atari")


@pytest.mark.parametrize(("text", "fragment"), [
    ("__import__('os').system('true')", "no other calls"),
    ("dict(net_arch=open('x'))", "no other calls"),
    ("dict(activation_fn=nn.Identity)", "got 'nn.Identity'"),
    ("dict(f=lambda x: x)", "a literal expression"),
    ("dict(net_arch=[64, 64]", "a Python literal expression"),
    ("dict(x=os.environ)", "got 'os.environ'"),
])
def test_expressions_outside_the_supported_forms_are_rejected(text, fragment):
    with pytest.raises(InvalidConfigError) as err:
        parse_expression(text, "f.yml", "policy_kwargs")
    assert "f.yml: policy_kwargs must be" in str(err.value) and fragment in str(err.value)


@pytest.mark.parametrize(("raw", "fragment"), [
    ({"policy": "CnnPolicy"}, "policy must be 'MlpPolicy'"),
    ({"n_envs": 0}, "n_envs must be a positive whole number, got 0"),
    ({"learning_rate": "lin_fast"}, "learning_rate must be lin_<number>"),
    ({"normalize": "{'norm_everything': True}"}, "normalize must be true/false or a dict"),
    ({"noise_type": "pink"}, "noise_type must be one of"),
    ({"train_freq": [1, "epoch"]}, 'train_freq must be n or [n, "step"|"episode"]'),
])
def test_bad_values_name_the_key(raw, fragment):
    with pytest.raises(InvalidConfigError, match="src: ") as err:
        parse_hyperparams(raw, "src")
    assert fragment in str(err.value)


def test_algo_kwargs_are_yaml_scalars_and_override():
    hp = parse_algo_kwargs(["n_steps=64", "learning_rate=lin_3e-4", "ent_coef=auto",
                            "policy_kwargs=dict(net_arch=[8])", "use_sde=true"])
    assert hp.algo_kwargs == {
        "n_steps": 64, "learning_rate": LinearSchedule(3e-4), "ent_coef": "auto",
        "policy_kwargs": {"net_arch": [8]}, "use_sde": True,
    }
    with pytest.raises(InvalidConfigError, match="key=value, got 'n_steps'"):
        parse_algo_kwargs(["n_steps"])


def test_presets_hold_rl_zoo_bipedalwalker_settings():
    ppo = preset("rlzoo-bipedalwalker-ppo", "ppo")
    assert ppo.n_envs == 32 and ppo.normalize == {}
    assert ppo.algo_kwargs["clip_range"] == 0.18 and ppo.algo_kwargs["gamma"] == 0.999
    sac = preset("rlzoo-bipedalwalker-sac", "sac")
    assert sac.algo_kwargs["policy_kwargs"] == {"log_std_init": -3, "net_arch": [400, 300]}
    assert sac.algo_kwargs["use_sde"] is True and sac.algo_kwargs["train_freq"] == 64
    with pytest.raises(InvalidConfigError, match="--preset must be one of"):
        preset("zoo", "ppo")


def test_sb3_accepts_the_presets(tmp_path):
    """SB3 builds each preset's model (keys and values), VecNormalize included."""
    import gymnasium as gym
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    from students.algos import build_model, check_algo_kwargs, wrap_normalize
    from students.config import StudentConfig

    for name, algo in (("rlzoo-bipedalwalker-ppo", "ppo"), ("rlzoo-bipedalwalker-sac", "sac")):
        hp = preset(name, algo)
        check_algo_kwargs(algo, hp.algo_kwargs)
        cfg = StudentConfig(in_process=True, run_dir=tmp_path / algo, algo=algo,
                            algo_kwargs=hp.algo_kwargs, normalize=hp.normalize,
                            tensorboard=False)
        vec = wrap_normalize(cfg, DummyVecEnv([lambda: gym.make("Pendulum-v1")]),
                             tmp_path / "model.zip")
        model = build_model(cfg, vec, tmp_path / "model.zip")
        assert isinstance(vec, VecNormalize) == (algo == "ppo")
        assert model.gamma == hp.algo_kwargs["gamma"]
        vec.close()
    with pytest.raises(InvalidConfigError, match="'clip_range' is not one of SAC's"):
        check_algo_kwargs("sac", {"clip_range": 0.2})
