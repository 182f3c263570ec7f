import resource
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.images.recipe import load_recipe, load_recipes
from harness.runtime import podman_conf_text
from harness.settings import Settings, project_root
from harness.system import _mirror_from_deb822


def test_podman_conf_uses_runc_and_ulimits_within_the_hard_limit() -> None:
    text = podman_conf_text()
    assert 'runtime = "runc"' in text
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = int(text.split('"nofile=')[1].split(":")[0])
    assert nofile <= hard or hard == resource.RLIM_INFINITY


def test_mirror_is_read_from_deb822_sources() -> None:
    text = ("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n\n"
            "Types: deb\nURIs: http://mirror.example/security\nSuites: bookworm-security\n")
    assert _mirror_from_deb822(text) == "http://mirror.example/debian"


def test_recipes_hash_changes_with_their_inputs(tmp_path: Path) -> None:
    recipes = load_recipes(project_root() / "stack" / "images")
    assert {"prometheus", "alertmanager", "node-exporter", "services"} <= set(recipes)
    original = recipes["prometheus"]
    assert original.tag.startswith("localhost/obsdrill/prometheus:") and original.digest() == original.digest()
    changed = tmp_path / "prometheus.yaml"
    changed.write_text(original.path.read_text().replace("[prometheus]", "[prometheus, curl]"))
    assert load_recipe(changed).digest() != original.digest()


def test_bad_recipe_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text("name: x\npackages: prometheus\nentrypoint: [a]\n")
    with pytest.raises(ConfigError, match=r"x\.yaml: packages: expected a list of strings"):
        load_recipe(bad)


def test_settings_reject_bad_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="OBSDRILL_TIME_FACTOR: 'fast' is not a number"):
        Settings.from_env({"OBSDRILL_TIME_FACTOR": "fast"})
    with pytest.raises(ConfigError, match=r"config dir: .* does not exist"):
        Settings.from_env({"OBSDRILL_CONFIG_DIR": str(tmp_path / "missing")})


def test_options_override_the_environment_and_absent_ones_keep_it(tmp_path: Path) -> None:
    env = {"OBSDRILL_TIME_FACTOR": "0.5", "OBSDRILL_STACK": "core", "OBSDRILL_SCENARIOS_DIR": str(tmp_path)}
    kept = Settings.from_options(env=env, config_dir="", images=None)
    assert (kept.time_factor, kept.stack_mode, kept.scenarios_dir) == (0.5, "core", tmp_path)
    given = Settings.from_options(env=env, time_factor=0.2, stack="full", images="local",
                                  config_dir=str(project_root() / "stack"), scenarios_dir=str(tmp_path / "s"))
    assert (given.time_factor, given.stack_mode, given.image_policy) == (0.2, "full", "local")
    assert (given.config_dir, given.scenarios_dir) == (project_root() / "stack", tmp_path / "s")
    with pytest.raises(ConfigError, match="stack mode"):
        Settings.from_options(env=env, stack="tiny")
