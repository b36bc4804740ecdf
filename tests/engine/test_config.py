"""core.config and the CLI's overrides: strict parsing, CLI flags win over scenarios.toml."""
from __future__ import annotations

import pytest

from core.cli import build_parser, config_from_args
from core.config import Config, ConfigError, load_config, parse_config


def args_for(*argv: str):
    return build_parser().parse_args(["test", *argv])


def test_full_config_parses():
    cfg = parse_config("""
[model]
id = "some/model"
backend = "modal"
max_new_tokens = 24
temperature = 0
chat_template = true
batch_size = 8
cpu_threads = 3
[modal]
gpu = "A100-80GB"
[judge]
model = "claude-sonnet-4-5"
include_scenario = true
concurrency = 4
timeout_s = 12.5
[thresholds]
positive = 70
negative = 30
[targets]
pairs = 60
[cache]
path = "/tmp/x.sqlite3"
""", "t.toml")
    assert (cfg.model, cfg.backend, cfg.max_new_tokens, cfg.temperature) == ("some/model", "modal", 24, 0.0)
    assert isinstance(cfg.temperature, float)
    assert cfg.chat_template and cfg.judge_sees_scenario and cfg.batch_size == 8 and cfg.cpu_threads == 3
    assert (cfg.modal_gpu, cfg.judge_model, cfg.judge_concurrency, cfg.judge_timeout_s) == \
        ("A100-80GB", "claude-sonnet-4-5", 4, 12.5)
    assert cfg.thresholds.positive == 70 and cfg.thresholds.negative == 30 and cfg.pairs_target == 60
    assert str(cfg.resolved_cache_path()) == "/tmp/x.sqlite3" and cfg.source == "t.toml"


@pytest.mark.parametrize("text, words", [
    ("[model]\nidd = 'x'\n", "unknown setting model.idd"),
    ("[judg]\nmodel = 'x'\n", "unknown setting judg.model"),
    ("model = 'x'\n", "must be a table"),
    ("[model]\nmax_new_tokens = '32'\n", "model.max_new_tokens must be an integer"),
    ("[model]\nmax_new_tokens = 3.5\n", "model.max_new_tokens must be an integer"),
    ("[model]\nmax_new_tokens = true\n", "model.max_new_tokens must be an integer"),
    ("[model]\nchat_template = 1\n", "model.chat_template must be true or false"),
    ("[model]\nid = 3\n", "model.id must be a string"),
    ("[judge]\ntimeout_s = 'soon'\n", "judge.timeout_s must be a number"),
    ("[model]\nbackend = 'gpu'\n", "backend must be 'modal' or 'local'"),
    ("[thresholds]\npositive = 120\n", "between 0 and 100"),
    ("[model]\nmax_new_tokens = 0\n", "at least 1"),
    ("[judge]\nconcurrency = 0\n", "at least 1"),
    ("[model]\ncpu_threads = -1\n", "cpu_threads must be 0"),
    ("[model\n", "t.toml"),
])
def test_bad_config_is_refused_with_its_name(text, words):
    with pytest.raises(ConfigError) as ei:
        parse_config(text, "t.toml")
    assert words in str(ei.value) and str(ei.value).startswith("t.toml")


def test_lookup_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config() == Config()
    user = tmp_path / "xdg-config" / "scenario-studio"
    user.mkdir(parents=True)
    (user / "scenarios.toml").write_text("[model]\nmax_new_tokens = 5\n")
    assert load_config().max_new_tokens == 5
    (tmp_path / "scenarios.toml").write_text("[model]\nmax_new_tokens = 6\n")
    assert load_config().max_new_tokens == 6
    explicit = tmp_path / "other.toml"
    explicit.write_text("[model]\nmax_new_tokens = 7\n")
    assert load_config(explicit).max_new_tokens == 7
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_cli_flags_win_over_scenarios_toml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios.toml").write_text(
        "[model]\nid = 'file/model'\nmax_new_tokens = 7\nbackend = 'modal'\n"
        "[judge]\nmodel = 'file-judge'\nconcurrency = 3\n[thresholds]\npositive = 65\n")
    cfg = config_from_args(args_for())
    assert (cfg.model, cfg.max_new_tokens, cfg.backend, cfg.judge_model, cfg.judge_concurrency,
            cfg.positive_threshold) == ("file/model", 7, "modal", "file-judge", 3, 65)
    cfg = config_from_args(args_for("--model", "cli/model", "--max-tokens", "3", "--local",
                                    "--judge-model", "cli-judge", "--concurrency", "9",
                                    "--pos-threshold", "75", "--judge-sees-scenario"))
    assert (cfg.model, cfg.max_new_tokens, cfg.backend, cfg.judge_model, cfg.judge_concurrency,
            cfg.positive_threshold, cfg.judge_sees_scenario) == \
        ("cli/model", 3, "local", "cli-judge", 9, 75, True)


@pytest.mark.parametrize("flags, words", [
    (("--concurrency", "0"), "at least 1"),
    (("--max-tokens", "0"), "at least 1"),
    (("--pos-threshold", "150"), "between 0 and 100"),
    (("--temperature", "-1"), "temperature"),
])
def test_cli_overrides_are_validated_too(flags, words):
    # A concurrency of 0 would make a semaphore no judge call ever passes: a silent hang.
    with pytest.raises(ConfigError, match=words):
        config_from_args(args_for(*flags))


@pytest.mark.parametrize("text, words", [
    ("[thresholds]\nambiguous_low = 70\nambiguous_high = 30\n", "ambiguous band"),
    ("[targets]\nminimum_rate = 0.95\nideal_rate = 0.9\n", "target rates"),
    ("[targets]\nideal_rate = 1.5\n", "target rates"),
    ("[judge]\ntimeout_s = 0\n", "timeout_s"),
    ("[model]\nbatch_size = 0\n", "batch_size"),
])
def test_inconsistent_settings_are_refused(text, words):
    with pytest.raises(ConfigError) as ei:
        parse_config(text, "s.toml")
    assert words in str(ei.value) and str(ei.value).startswith("s.toml: ")


def test_consistent_band_and_rates_are_accepted():
    cfg = parse_config("[thresholds]\nambiguous_low = 35\nambiguous_high = 65\n"
                       "[targets]\nminimum_rate = 0.6\nideal_rate = 0.95\n", "s.toml")
    assert (cfg.ambiguous_low, cfg.ambiguous_high, cfg.minimum_rate, cfg.ideal_rate) == (35, 65, 0.6, 0.95)
