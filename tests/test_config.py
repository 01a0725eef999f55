"""Configuration (SPEC §3): finding and reading `[tool.arch_lint]`, its errors, ARC000."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from helpers import (
    ARC101_API_MESSAGE,
    assert_no_traceback,
    base_files,
    make_repo,
    run_cli,
    run_subprocess,
)

# --- errors that name the key --------------------------------------------------------


def test_unknown_key_exits_2_naming_key_path_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        '[project]\nname = "demo"\n\n'
        "[tool.arch_lint]\n"
        'source-roots = ["."]\n'
        'servics = ["services/*"]\n'  # line 6
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert result.out == ""
    assert "tool.arch_lint.servics" in result.err
    assert "pyproject.toml:6:" in result.err
    assert "unknown key" in result.err
    assert_no_traceback(result)


def test_snake_case_key_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = '[tool.arch_lint]\nservices = ["services/*"]\nshared_models = ["common/models"]\n'
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "pyproject.toml:3:" in result.err
    assert "tool.arch_lint.shared_models" in result.err


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('services = "services/*"', "tool.arch_lint.services"),
        ("data-layer-by-content = 'yes'", "tool.arch_lint.data-layer-by-content"),
        ("respect-gitignore = 1", "tool.arch_lint.respect-gitignore"),
        ('per-path-ignores = {"**/x.py" = "ARC101"}', "tool.arch_lint.per-path-ignores"),
    ],
)
def test_wrong_type_exits_2_naming_the_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    line: str,
    key: str,
) -> None:
    make_repo(tmp_path, base_files(f"[tool.arch_lint]\n{line}\n"))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert key in result.err
    assert "pyproject.toml:2:" in result.err
    assert result.out == ""


def test_infer_service_urls_is_a_known_boolean_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`models.infer-service-urls` (SPEC §3): a bool, true by default; any other
    type exits 2 naming the key."""
    from arch_lint.config.validate import validate

    assert validate({}).models.infer_service_urls is True
    assert validate({"models": {"infer-service-urls": False}}).models.infer_service_urls is False
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\n\n'
        '[tool.arch_lint.models]\ninfer-service-urls = "yes"\n'  # line 5
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "tool.arch_lint.models.infer-service-urls" in result.err
    assert "pyproject.toml:5:" in result.err


def test_wrong_type_in_sub_table_names_the_nested_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\n\n'
        '[tool.arch_lint.schema]\ncompatibility = "sideways"\n'  # line 5
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "pyproject.toml:5:" in result.err
    assert "tool.arch_lint.schema.compatibility" in result.err


def test_several_errors_are_reported_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        "[tool.arch_lint]\n"
        'servics = ["services/*"]\n'  # 2
        "shared-models = 3\n"  # 3
        'select = ["FOO"]\n'  # 4
        "\n"
        "[tool.arch_lint.logging]\n"
        'correlation-field = ["cid"]\n'  # 7
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    expected = [
        ("pyproject.toml:2:", "tool.arch_lint.servics"),
        ("pyproject.toml:3:", "tool.arch_lint.shared-models"),
        ("pyproject.toml:4:", "tool.arch_lint.select[0]"),
        ("pyproject.toml:7:", "tool.arch_lint.logging.correlation-field"),
    ]
    for where, key in expected:
        assert any(ln.startswith(where) and key in ln for ln in lines), (where, key, lines)
    assert_no_traceback(result)


@pytest.mark.parametrize(
    ("entries", "key", "line"),
    [
        (
            '[[tool.arch_lint.allow]]\nfrom = "services/orders/**"\n'
            'import = "services.payments.models_db"\n',
            "tool.arch_lint.allow[0].reason",
            4,
        ),
        (
            '[[tool.arch_lint.allow]]\nfrom = "services/orders/**"\n'
            'import = "services.payments.models_db"\nreason = ""\n',
            "tool.arch_lint.allow[0].reason",
            4,
        ),
        (
            '[[tool.arch_lint.allow]]\nfrom = "a/**"\nimport = "b"\nreason = "ok"\n\n'
            '[[tool.arch_lint.allow]]\nfrom = "services/orders/**"\n'
            'import = "services.payments.models_db"\n',
            "tool.arch_lint.allow[1].reason",
            9,
        ),
    ],
    ids=["missing", "empty", "second-entry"],
)
def test_allow_entry_needs_a_reason(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    entries: str,
    key: str,
    line: int,
) -> None:
    config = '[tool.arch_lint]\nservices = ["services/*"]\n\n' + entries
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert key in result.err
    assert f"pyproject.toml:{line}:" in result.err
    assert result.out == ""


def test_allow_entry_with_reason_is_accepted_and_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (
        '[tool.arch_lint]\nservices = ["services/*"]\n\n'
        '[[tool.arch_lint.allow]]\nfrom = "services/orders/api.py"\n'
        'import = "services.payments.models_db"\nreason = "read replica; REP-12"\n'
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--format", "json")
    assert result.code == 1
    assert result.codes() == [("services/orders/checkout.py", "ARC102")]


@pytest.mark.parametrize("key", ["select", "extend-select", "ignore"])
@pytest.mark.parametrize("code", ["FOO", "E501", "ARC1x"])
def test_a_non_code_in_a_selection_key_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    key: str,
    code: str,
) -> None:
    make_repo(tmp_path, base_files(f'[tool.arch_lint]\n{key} = ["{code}"]\n'))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert f"tool.arch_lint.{key}[0]" in result.err
    assert code in result.err


def test_an_unknown_arc_code_in_select_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ARC999` is no rule of the registry: selecting it would silently check
    nothing. The message does not send the user to `arch-lint rules` for it."""
    make_repo(tmp_path, base_files('[tool.arch_lint]\nselect = ["ARC999"]\n'))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2, (result.out, result.err)
    assert "pyproject.toml:2: tool.arch_lint.select[0]" in result.err
    assert "`ARC999` is not the code of any rule of arch-lint" in result.err
    assert "arch-lint rules" not in result.err


@pytest.mark.parametrize(
    ("config", "where", "code"),
    [
        ('ignore = ["ARC9"]', "3: tool.arch_lint.ignore[0]", "`ARC9`"),
        ('extend-select = ["ARC101", "ARC42"]', "3: tool.arch_lint.extend-select[1]", "`ARC42`"),
        (
            'per-path-ignores = { "legacy/**" = ["ARC102", "ARC309"] }',
            '3: tool.arch_lint.per-path-ignores."legacy/**"[1]',
            "`ARC309`",
        ),
        (
            '[[tool.arch_lint.allow]]\nfrom = "services/reports/**"\n'
            'import = "services.orders.models_db"\nreason = "replica"\ncodes = ["ARC108"]',
            "3: tool.arch_lint.allow[0].codes[0]",  # the entry's header line
            "`ARC108`",
        ),
    ],
    ids=["ignore-prefix", "extend-select", "per-path-ignores", "allow-codes"],
)
def test_codes_that_name_no_rule_exit_2_in_every_code_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config: str,
    where: str,
    code: str,
) -> None:
    make_repo(tmp_path, base_files(f'[tool.arch_lint]\nservices = ["services/*"]\n{config}\n'))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2, (result.out, result.err)
    assert f"pyproject.toml:{where}: " in result.err
    assert code in result.err
    assert result.out == ""


@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
def test_a_command_line_code_that_names_no_rule_exits_2_naming_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    make_repo(tmp_path, base_files())
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", option, "ARC101,ARC999")
    assert result.code == 2
    assert f"argument {option}: `ARC999` is not the code of any rule" in result.err


def test_codes_reserved_for_rules_to_come_are_accepted_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SPEC §4 may reserve codes for rules a version does not implement yet: a
    configuration written for a newer arch-lint keeps working (the codes select
    nothing here), without a warning on every run. Every code SPEC §4 names is
    implemented now (ARC210 was the last), so a reserved code is made up here."""
    import arch_lint.rules
    from arch_lint.rules import BY_CODE, RESERVED_CODES

    assert not RESERVED_CODES & set(BY_CODE)
    assert {"ARC208", "ARC209", "ARC210", "ARC211"} <= set(BY_CODE)
    monkeypatch.setattr(arch_lint.rules, "RESERVED_CODES", frozenset({"ARC299"}))
    unimplemented = ["ARC299"]
    config = (
        "[tool.arch_lint]\n"
        f"extend-select = {json.dumps(unimplemented)}\n"
        'ignore = ["ARC21"]\n'
        f'per-path-ignores = {{ "legacy/**" = {json.dumps(unimplemented)} }}\n'
    )
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        capsys, "check", "--format", "json", "--extend-select", ",".join(unimplemented)
    )
    assert result.code == 1, (result.out, result.err)
    assert result.err == ""
    assert sorted(result.codes()) == [
        ("services/orders/api.py", "ARC101"),
        ("services/orders/checkout.py", "ARC102"),
    ]


def test_a_rule_added_to_the_registry_is_accepted_without_a_second_edit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The codes a configuration may name are the registry's: a new rule's
    module and its `RULES` entry are all it takes (no list of codes in config)."""
    from arch_lint.config.model import check_code
    from arch_lint.config.validate import validate
    from arch_lint.rules import BY_CODE

    with pytest.raises(ValueError, match="ARC998"):
        check_code("ARC998")
    monkeypatch.setitem(BY_CODE, "ARC998", BY_CODE["ARC101"])
    assert check_code("ARC998") == "ARC998"
    assert check_code("ARC99") == "ARC99"
    model = validate({"select": ["ARC998"], "ignore": ["ARC99"]})
    assert model.select == ["ARC998"]


def test_the_configuration_does_not_import_the_layers_above_it() -> None:
    """config sits below index, rules, engine, report and adapters: the registry
    check reaches it through `register_code_check`, never through an import."""
    import arch_lint.config

    package = Path(arch_lint.config.__file__).parent
    above = ("index", "rules", "engine", "report", "adapters", "schema", "docs")
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                assert not (parts[0] == "arch_lint" and parts[1:2] and parts[1] in above), (
                    f"{path.name} imports {name}"
                )


def test_known_codes_and_prefixes_in_select_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, base_files('[tool.arch_lint]\nselect = ["ARC1"]\nignore = ["ARC102"]\n'))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--format", "json")
    assert result.code == 1
    assert result.codes() == [("services/orders/api.py", "ARC101")]


@pytest.mark.parametrize(
    "text",
    [
        '[tool.arch_lint\nservices = ["services/*"]\n',
        '[tool.arch_lint]\nservices = ["services/*"\n',
        "[tool.arch_lint]\nservices = services\n",
    ],
    ids=["header", "unclosed-array", "bare-value"],
)
def test_invalid_toml_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    text: str,
) -> None:
    make_repo(tmp_path, base_files(text))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "pyproject.toml" in result.err
    assert "invalid TOML" in result.err
    assert result.out == ""


def test_config_that_is_not_utf8_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | bytes] = dict(base_files())
    files["pyproject.toml"] = b'[tool.arch_lint]\n# caf\xe9\nservices = ["services/*"]\n'
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "pyproject.toml" in result.err


def test_config_errors_never_show_a_traceback(tmp_path: Path) -> None:
    make_repo(tmp_path, base_files('[tool.arch_lint]\nservics = ["services/*"]\nselect = 1\n'))
    result = run_subprocess(tmp_path, "check")
    assert result.code == 2
    assert "tool.arch_lint.servics" in result.err
    assert "tool.arch_lint.select" in result.err
    assert_no_traceback(result)
    invalid = tmp_path / "pyproject.toml"
    invalid.write_text("[tool.arch_lint\n", encoding="utf-8")
    result = run_subprocess(tmp_path, "check")
    assert result.code == 2
    assert "invalid TOML" in result.err
    assert_no_traceback(result)


# --- --config -------------------------------------------------------------------------


def test_explicit_standalone_config_file_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pyproject's table would stop the run (ARC000); --config replaces it.
    files = base_files('[tool.arch_lint]\nservices = ["nowhere/*"]\n')
    files["arch-lint.toml"] = '[tool.arch_lint]\nservices = ["services/*"]\nignore = ["ARC102"]\n'
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "check").code == 2
    result = run_cli(capsys, "check", "--config", "arch-lint.toml", "--format", "json")
    assert result.code == 1, result.err
    assert result.codes() == [("services/orders/api.py", "ARC101")]


def test_explicit_config_from_another_directory_sets_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = base_files()
    del files["pyproject.toml"]
    files["arch.toml"] = '[tool.arch_lint]\nservices = ["services/*"]\n'
    repo = make_repo(tmp_path / "repo", files)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run_cli(
        capsys, "check", str(repo), "--config", str(repo / "arch.toml"), "--format", "json"
    )
    assert result.code == 1, result.err
    assert result.codes() == [
        ("services/orders/api.py", "ARC101"),
        ("services/orders/checkout.py", "ARC102"),
    ]


def test_explicit_config_that_does_not_exist_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, base_files())
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--config", "missing.toml")
    assert result.code == 2
    assert "missing.toml" in result.err
    assert result.out == ""


def test_explicit_config_without_the_table_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = base_files()
    files["other.toml"] = "[tool.ruff]\nline-length = 100\n"
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--config", "other.toml")
    assert result.code == 2
    assert "other.toml" in result.err
    assert "tool.arch_lint" in result.err


# --- finding the configuration ---------------------------------------------------------------


def test_nearest_pyproject_with_the_table_is_found_skipping_one_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = base_files()
    files["services/pyproject.toml"] = '[project]\nname = "services"\nversion = "1"\n'
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path / "services")
    result = run_cli(capsys, "check", "orders", "--format", "json")
    # Had services/pyproject.toml (no table) been taken, the root would be services/
    # and the default `services/*` glob would match nothing (ARC000, exit 2).
    assert result.code == 1, result.err
    assert result.codes() == [
        ("services/orders/api.py", "ARC101"),
        ("services/orders/checkout.py", "ARC102"),
    ]
    assert result.json()[0]["message"] == ARC101_API_MESSAGE


def test_config_is_searched_from_the_first_checked_path_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The directory we run from has a configuration that matches nothing.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arch_lint]\nservices = ["nowhere/*"]\n', encoding="utf-8"
    )
    make_repo(tmp_path / "repo", base_files('[tool.arch_lint]\nignore = ["ARC102"]\n'))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "repo/services/orders", "--format", "json")
    assert result.code == 1, result.err
    assert result.codes() == [("services/orders/api.py", "ARC101")]


def test_show_settings_names_the_configuration_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = base_files()
    files["services/pyproject.toml"] = "[tool.black]\nline-length = 88\n"
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path / "services" / "orders")
    result = run_cli(capsys, "check", ".", "--show-settings")
    assert result.code == 0
    assert f"project root:  {tmp_path.resolve()}" in result.out
    assert re.search(r"configuration: .*(?<!services/)pyproject\.toml", result.out)


# --- ARC000 ----------------------------------------------------------------------------------


def test_services_glob_matching_nothing_is_arc000(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, base_files('[tool.arch_lint]\nservices = ["service/*"]\n'))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "ARC000" in result.err
    assert "tool.arch_lint.services[0]" in result.err
    assert "pyproject.toml:2:" in result.err
    assert "(the default)" not in result.err
    assert result.out == ""


def test_second_services_glob_matching_nothing_is_named_by_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, base_files('[tool.arch_lint]\nservices = ["services/*", "apps/*"]\n'))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "tool.arch_lint.services[1]" in result.err
    assert "tool.arch_lint.services[0]" not in result.err


def _no_services_files() -> dict[str, str]:
    return {
        "app/__init__.py": "",
        "app/main.py": "import os\n",
        "common/__init__.py": "",
        "common/models/__init__.py": "X = 1\n",
    }


@pytest.mark.parametrize(
    "config", [None, '[tool.arch_lint]\nsource-roots = ["."]\n'], ids=["no-config", "table"]
)
def test_default_services_matching_nothing_is_arc000_too(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config: str | None,
) -> None:
    files = _no_services_files()
    if config is not None:
        files["pyproject.toml"] = config
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    if config is None:  # SPEC §3: nothing to infer without a table names `arch-lint init`
        assert "arch-lint init" in result.err
        return
    assert "ARC000" in result.err
    assert "tool.arch_lint.services[0]" in result.err
    assert "(the default)" in result.err


def test_explicitly_empty_services_and_shared_models_run_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "pyproject.toml": "[tool.arch_lint]\nservices = []\nshared-models = []\n",
        "app/__init__.py": "",
        "app/main.py": "import os\n",
    }
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 0, result.err
    assert "ARC000" not in result.err
    assert "All checks passed" in result.out


def test_shared_models_path_that_does_not_exist_is_arc000(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = ["lib/models"]\n'
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "ARC000" in result.err
    assert "tool.arch_lint.shared-models[0]" in result.err
    assert "pyproject.toml:3:" in result.err


def test_default_shared_models_missing_is_arc000(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {k: v for k, v in base_files().items() if not k.startswith("common/")}
    files["services/orders/clean.py"] = "X = 1\n"
    make_repo(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "tool.arch_lint.shared-models[0]" in result.err
    assert "(the default)" in result.err


def test_source_root_without_packages_is_arc000(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = '[tool.arch_lint]\nservices = ["services/*"]\nsource-roots = [".", "src"]\n'
    make_repo(tmp_path, base_files(config))
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check")
    assert result.code == 2
    assert "tool.arch_lint.source-roots[1]" in result.err


def test_arc000_wins_over_exit_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_repo(tmp_path, base_files('[tool.arch_lint]\nservices = ["service/*"]\n'))
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, "check", "--exit-zero").code == 2


def test_a_source_root_one_folder_deep_wins_over_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`source-roots = [".", "backend"]` (as `arch-lint init` writes them): a file
    under `backend/` is named from `backend`, the deeper root, so that its
    imports (`from app import db`) reach it. Both roots have no slash: the
    project root sorted first once, and `backend/app/models_db.py` was named
    `backend.app.models_db`: the worker's import of `app.models_db` resolved
    to nothing, and its reach into the backend's data layer went unseen."""
    from arch_lint.config import load_settings
    from arch_lint.index.layout import Layout

    config = (
        "[tool.arch_lint]\n"
        'services = ["backend", "worker"]\n'
        'source-roots = [".", "backend", "worker"]\n'
        "shared-models = []\n"
    )
    make_repo(
        tmp_path,
        {
            "pyproject.toml": config,
            "backend/app/__init__.py": "",
            "backend/app/api.py": "from app.models_db import Order\n",
            "backend/app/models_db.py": "class Order:\n    __tablename__ = 'orders'\n",
            "worker/jobs/__init__.py": "",
            "worker/jobs/run.py": (
                "from app.models_db import Order\nfrom jobs.models_db import Job\n"
            ),
            "worker/jobs/models_db.py": "class Job:\n    __tablename__ = 'jobs'\n",
        },
    )
    layout = Layout.scan(load_settings(None, tmp_path))
    assert layout.source_roots == ["backend", "worker", ""]
    assert layout.module_of("backend/app/api.py") == "app.api"
    assert layout.module_of("worker/jobs/run.py") == "jobs.run"
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--format", "json")
    # its own data layer is no finding, the other service's is
    found = [(f["path"], f["line"], f["code"]) for f in json.loads(result.out)]
    assert found == [("worker/jobs/run.py", 1, "ARC101")]


def test_source_roots_written_with_a_leading_dot_slash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`./backend/` and `./services/*/src` name the folders `backend` and
    `services/*/src`: the ARC000 check read them as written and found no file
    under `./backend/` (exit 2), while the layout used them normalised."""
    from arch_lint.config import load_settings
    from arch_lint.index.layout import Layout

    config = (
        "[tool.arch_lint]\n"
        'services = ["backend", "services/*"]\n'
        'source-roots = ["./", "./backend/", "./services/*/src"]\n'
        "shared-models = []\n"
    )
    make_repo(
        tmp_path,
        {
            "pyproject.toml": config,
            "backend/app/__init__.py": "",
            "backend/app/api.py": "from app import models_db\n",
            "backend/app/models_db.py": "class Order:\n    __tablename__ = 'orders'\n",
            "services/worker/src/jobs/__init__.py": "",
            "services/worker/src/jobs/run.py": "from app.models_db import Order\n",
        },
    )
    layout = Layout.scan(load_settings(None, tmp_path))
    assert layout.source_roots == ["services/worker/src", "backend", ""]
    monkeypatch.chdir(tmp_path)
    result = run_cli(capsys, "check", "--format", "json")
    assert result.code == 1, result.err
    found = [(f["path"], f["code"]) for f in json.loads(result.out)]
    assert found == [("services/worker/src/jobs/run.py", "ARC101")]
