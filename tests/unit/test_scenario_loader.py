from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.scenario import load_scenario, load_scenarios
from harness.settings import project_root


def test_shipped_scenarios_validate() -> None:
    scenarios = load_scenarios(project_root() / "scenarios")
    burst = next(s for s in scenarios if s.name == "error-burst")
    assert burst.alerts[0].label_dict() == {"severity": "critical", "service": "backend"}
    assert burst.method[0].spec == {"rate": 0.2, "status": 500}


def test_errors_name_file_and_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: ok\nmethod:\n  - fault: http_errors\n    service: backend\n"
                   "  - fault: meteor\n    service: backend\nexpect:\n  alerts: [{name: X}]\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(bad)
    text = str(err.value)
    assert f"{bad}: method[1].fault: 'meteor' is not one of" in text
    assert f"{bad}: expect.alerts[0]: 'receiver' is a required property" in text


def test_env_substitution(tmp_path: Path) -> None:
    doc = tmp_path / "s.yaml"
    doc.write_text("name: s\nmethod: [{fault: http_errors, service: '${SVC}', with: {rate: ${RATE:-0.3}}}]\n"
                   "expect: {alerts: []}\n")
    scenario = load_scenario(doc, env={"SVC": "backend"})
    assert scenario.method[0].service == "backend" and scenario.method[0].spec == {"rate": 0.3}
    with pytest.raises(ConfigError, match=r"s\.yaml:2: \$\{SVC\} is not set"):
        load_scenario(doc, env={})


def test_unknown_scenario_name_lists_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no scenario named nope .*known: error-burst"):
        load_scenarios(project_root() / "scenarios", ["nope"])
