"""`arch-lint init`: the inferred `[tool.arch_lint]` table, its rendering, `--write`,
and the settings `check` runs on without any configuration (SPEC §3, §5)."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import make_repo

from arch_lint.adapters.init import (
    InitError,
    init_main,
    render,
    settings_without_config,
    write_block,
)
from arch_lint.config.load import RawConfig
from arch_lint.config.resolve import resolve
from arch_lint.engine.run import run
from arch_lint.index.infer import infer, infer_table
from arch_lint.index.layout import Layout

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "shop"
FIXTURES = ROOT / "tests" / "fixtures" / "rules"


def _layout_findings(root: Path, table: dict[str, Any]) -> list[tuple[str, int, str]]:
    """ARC1xx and ARC2xx findings of a run with `table` as the configuration."""
    settings = resolve(RawConfig(path=None, root=root, table=table))
    assert Layout.scan(settings).problems == []
    result = run(settings, [root], use_cache=False)
    return sorted((f.path, f.line, f.code) for f in result.findings if f.code[3] in "12")


def _copy_without_table(source: Path, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of `source` whose pyproject has no `[tool.arch_lint]`; the removed table."""
    repo = tmp_path / "repo"
    shutil.copytree(source, repo, ignore=shutil.ignore_patterns(".arch_lint_cache"))
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    table = tomllib.loads(text)["tool"]["arch_lint"]
    cut = text.index("[tool.arch_lint]")
    pyproject.write_text(text[:cut], encoding="utf-8")
    return repo, table


# --- acceptance: the hand-written configurations' findings --------------------------------


def test_shop_without_its_table_reproduces_the_layout_findings(tmp_path: Path) -> None:
    repo, hand = _copy_without_table(SHOP, tmp_path)
    found = infer(repo)
    assert found.table["services"] == ["services/*"]
    assert found.table["shared-models"] == ["common/models"]
    assert found.table["public"] == ["client/**"]
    assert found.table["models"] == {"service-urls": {"PAYMENTS_BASE_URL": "payments"}}
    # `allow` entries are decisions with a reason, not layout: carried over as they are
    inferred = {**found.table, "allow": hand["allow"]}
    expected = _layout_findings(repo, hand)
    assert len(expected) == 8
    assert _layout_findings(repo, inferred) == expected
    # and without the exceptions on either side, still the same findings
    without = {k: v for k, v in hand.items() if k != "allow"}
    assert _layout_findings(repo, found.table) == _layout_findings(repo, without)


@pytest.mark.parametrize(
    "name",
    [
        "ARC101_by_content",
        "ARC101_forms",
        "ARC101_lookalikes_from_real_code",
        "ARC101_namespace_packages",
        "ARC101_reexport",
        "ARC101_relative",
        "ARC101_src_layout",
        "ARC103_foreign_tables",
        "ARC104_sync_db_client",
        "ARC201_foreign_model_use",
        "ARC202_event_model_outside_common",
    ],
)
def test_fixture_monorepos_reproduce_their_findings(tmp_path: Path, name: str) -> None:
    repo, hand = _copy_without_table(FIXTURES / name, tmp_path)
    found = infer_table(repo)
    assert found is not None
    table, evidence = found
    assert evidence
    assert _layout_findings(repo, table) == _layout_findings(repo, hand)


def test_src_layouts_and_libraries_become_source_roots(tmp_path: Path) -> None:
    repo, _ = _copy_without_table(FIXTURES / "ARC101_src_layout", tmp_path)
    found = infer(repo)
    assert found.table["source-roots"] == [".", "libs/python", "services/*/src"]
    assert any("src layout" in why for why in found.why("source-roots", "services/*/src"))
    assert found.why("source-roots", "libs/python") == [
        "`contracts` is imported by 1 file and lives in libs/python/"
    ]
    assert any("order-api" in note for note in found.notes)


def test_a_root_src_layout(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/apps/orders/__init__.py": "",
            "src/shop/apps/orders/api.py": "from shop.apps.payments import models_db\n",
            "src/shop/apps/payments/__init__.py": "",
            "src/shop/apps/payments/models_db.py": "X = 1\n",
            "tests/test_x.py": "import shop\n",
        },
    )
    found = infer(repo)
    assert found.table["source-roots"] == [".", "src"]
    assert found.table["services"] == []  # containers are looked for two levels deep


# --- nothing to infer ------------------------------------------------------------------------


def test_nothing_to_infer(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"tool.py": "print('hi')\n", "pkg/__init__.py": ""})
    assert infer_table(repo) is None
    assert settings_without_config(RawConfig(path=None, root=repo)) is None
    text = render(infer(repo))
    assert tomllib.loads(text)["tool"]["arch_lint"] == {"services": [], "shared-models": []}
    assert "# no folder holds two or more directories that look like services" in text


def test_settings_without_config_run_cleanly(tmp_path: Path) -> None:
    repo, _ = _copy_without_table(SHOP, tmp_path)
    raw = RawConfig(path=None, root=repo)
    got = settings_without_config(raw)
    assert got is not None
    settings, evidence = got
    assert settings.config_path is None
    assert Layout.scan(settings).problems == []
    assert {e.key for e in evidence} >= {"services", "shared-models"}


# --- what is inferred --------------------------------------------------------------------------


def _service(name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    files = {f"{name}/__init__.py": "", f"{name}/api.py": "import os\n"}
    files.update(extra or {})
    return files


def test_apps_folder_and_shared_children_left_out(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            **_service("apps/orders"),
            **_service("apps/payments"),
            "apps/common/__init__.py": "",
            "apps/common/util.py": "X = 1\n",
        },
    )
    found = infer(repo)
    assert found.table["services"] == ["apps/orders", "apps/payments"]
    assert "left out: common" in found.why("services", "apps/orders")[0]
    settings = resolve(RawConfig(path=None, root=repo, table=found.table))
    assert Layout.scan(settings).problems == []


def test_top_level_service_folders(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {**_service("orders-service"), **_service("billing-service")})
    found = infer(repo)
    assert found.table["services"] == ["/*-service"]
    layout = Layout.scan(resolve(RawConfig(path=None, root=repo, table=found.table)))
    assert sorted(s.name for s in layout.services.values()) == [
        "billing-service",
        "orders-service",
    ]


def test_folder_of_service_like_packages(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {**_service("backend/orders"), **_service("backend/payments"), "tests/x/api.py": ""},
    )
    assert infer(repo).table["services"] == ["backend/*"]


MODEL = "from pydantic import BaseModel\n\n\nclass OrderV1(BaseModel):\n    id: int\n"


def test_shared_models_imported_by_two_services(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            **_service(
                "services/orders", {"services/orders/a.py": "from libs.dto import OrderV1\n"}
            ),
            **_service(
                "services/billing", {"services/billing/a.py": "from libs.dto import OrderV1\n"}
            ),
            "libs/__init__.py": "",
            "libs/dto.py": MODEL,
            "libs/other/__init__.py": "",
            "libs/other/one.py": MODEL.replace("OrderV1", "Lonely"),
        },
    )
    found = infer(repo)
    assert found.table["shared-models"] == ["libs"]
    assert found.why("shared-models", "libs") == [
        "2 Pydantic models, imported by 2 services: billing, orders"
    ]


def test_data_layer_folders_and_names(tmp_path: Path) -> None:
    table = 'from x import Base\n\n\nclass T(Base):\n    __tablename__ = "t"\n'
    files: dict[str, str] = {}
    for name in ("orders", "billing"):
        files.update(
            _service(
                f"services/{name}",
                {
                    f"services/{name}/orm/__init__.py": "",
                    f"services/{name}/orm/tables.py": table,
                    f"services/{name}/orm/types.py": "JSONB = dict\n",
                    f"services/{name}/models.py": table,
                },
            )
        )
    found = infer(make_repo(tmp_path, files))
    assert found.table["data-layer"][-2:] == ["orm/**", "models.py"]
    assert "declares `T.__tablename__`" in found.why("data-layer", "orm/**")[0]


def test_logger_factories_at_any_depth(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {
            **_service("services/orders"),
            **_service("services/billing"),
            "obs/__init__.py": "from .logs import make_logger, service_logger\n",
            "obs/logs.py": (
                "import logging\n\nimport structlog\n\n\n"
                "def make_logger(name):\n    log = logging.getLogger(name)\n    return log\n\n\n"
                "def service_logger():\n    return make_logger('svc')\n\n\n"
                "def bound():\n    return structlog.get_logger().bind(x=1)\n\n\n"
                "def nothing():\n    return 1\n"
            ),
            "services/orders/b.py": "from obs import service_logger\n",
        },
    )
    found = infer(repo)
    logging_table = found.table["logging"]
    assert logging_table["logger-factories"][3:] == [
        "obs.logs.make_logger",
        "obs.logs.service_logger",
        "obs.service_logger",
    ]
    assert logging_table["structlog-factories"] == ["obs.logs.bound"]
    assert found.why("logging.logger-factories", "obs.logs.service_logger") == [
        "`obs.logs.service_logger` in obs/logs.py returns a logger made by `obs.logs.make_logger`"
    ]


def test_service_urls_from_settings_and_compose(tmp_path: Path) -> None:
    settings = (
        "import os\n\nfrom pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n"
        '    BILLING_URL: str = "http://billing-service:8000"\n'
        '    STRIPE_URL: str = "https://api.stripe.com"\n'
        '    DB_URL: str = "postgresql://orders:5432/db"\n\n\n'
        'INVOICES = os.getenv("INVOICES_URL", "http://invoicing:80")\n'
        'LEDGER = "http://billing.internal/v1"\n'
    )
    compose = (
        "services:\n"
        "  invoicing:\n"
        "    build:\n"
        "      context: ./services/billing\n"
        "  orders:\n"
        "    build: ./services/orders\n"
        "    environment:\n"
        "      - BILLING_API=http://invoicing:80\n"
        "      REPORTS: http://reports\n"
    )
    repo = make_repo(
        tmp_path,
        {
            **_service("services/orders", {"services/orders/settings.py": settings}),
            **_service("services/billing"),
            "docker-compose.yml": compose,
        },
    )
    found = infer(repo)
    assert found.table["models"]["service-urls"] == {
        "BILLING_API": "billing",
        "BILLING_URL": "billing",
        "INVOICES": "billing",
        "INVOICES_URL": "billing",
        "LEDGER": "billing",
    }
    assert found.why("models.service-urls", "BILLING_API") == [
        "docker-compose.yml:8: `BILLING_API=http://invoicing:80`"
    ]
    text = render(found)
    parsed = tomllib.loads(text)["tool"]["arch_lint"]
    assert parsed["models"]["service-urls"] == found.table["models"]["service-urls"]
    assert "compose service `invoicing` builds `services/billing`" in text


# --- libraries and data are no services --------------------------------------------------------


def _deployed(folder: str, package: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A top-level service folder as a repository of many small projects has
    them: its own Dockerfile and pyproject, a package with an application."""
    files = {
        f"{folder}/Dockerfile": "FROM python:3.12-slim\n",
        f"{folder}/pyproject.toml": f'[project]\nname = "{folder}"\n',
        f"{folder}/{package}/__init__.py": "",
        f"{folder}/{package}/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    }
    files.update(extra or {})
    return files


def _library(folder: str, package: str, modules: dict[str, str]) -> dict[str, str]:
    """A top-level library folder: a pyproject and one package, tests, nothing that runs."""
    files = {
        f"{folder}/pyproject.toml": f'[project]\nname = "{folder}"\n',
        f"{folder}/{package}/__init__.py": "",
        f"{folder}/tests/test_it.py": f"import {package}\n",
    }
    files.update({f"{folder}/{package}/{name}": text for name, text in modules.items()})
    return files


CONTRACTS = (
    "from pydantic import BaseModel\n\n\n"
    "class StockLevel(BaseModel):\n    sku: str\n    count: int\n\n\n"
    "class ShipmentRequest(BaseModel):\n    order_id: str\n"
)


def _many_small_projects() -> dict[str, str]:
    """Top-level `svc-*` and `bot-*` folders that run (a Dockerfile, an app),
    `lib-contracts/` (Pydantic models that two services import), `lib-llm/`
    (helpers that the bot imports), `toolkit/` (not named like a library, but
    imported by both services and running nothing), and look-alikes that do
    run: `core-worker/` (a `main.py`) and `common-api/` (a Dockerfile)."""
    return {
        **_deployed("svc-stock", "stock", {
            "svc-stock/stock/levels.py": (
                "from lib_contracts.models import StockLevel\nfrom toolkit_pkg import retry\n"
            ),
        }),
        **_deployed("svc-shipping", "shipping", {
            "svc-shipping/shipping/ship.py": (
                "from lib_contracts.models import ShipmentRequest, StockLevel\n"
                "from toolkit_pkg.retry import again\n"
            ),
        }),
        **_deployed("bot-helpdesk", "helpdesk", {
            "bot-helpdesk/helpdesk/chat.py": "from lib_llm.prompts import SYSTEM\n",
        }),
        **_library("lib-contracts", "lib_contracts", {"models.py": CONTRACTS}),
        **_library("lib-llm", "lib_llm", {"prompts.py": 'SYSTEM = "be brief"\n'}),
        **_library("toolkit", "toolkit_pkg", {"retry.py": "def again() -> None: ...\n"}),
        "core-worker/pyproject.toml": '[project]\nname = "core-worker"\n',
        "core-worker/worker_pkg/__init__.py": "",
        "core-worker/worker_pkg/main.py": "print('consume')\n",
        "common-api/Dockerfile": "FROM python:3.12-slim\n",
        "common-api/api_pkg/__init__.py": "",
        "common-api/api_pkg/views.py": "X = 1\n",
    }  # fmt: skip


def test_a_library_that_services_import_is_no_service(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, _many_small_projects())
    found = infer(repo)
    assert found.table["services"] == [
        "bot-helpdesk", "common-api", "core-worker", "svc-shipping", "svc-stock",
    ]  # fmt: skip
    # the library of models is the shared models; every library is a source root
    assert found.table["shared-models"] == ["lib-contracts/lib_contracts"]
    assert found.table["source-roots"] == [".", "lib-contracts", "lib-llm", "toolkit"]
    nothing = "nothing in it runs (no Dockerfile, docker-compose service, routes or entry point)"
    assert found.why("services", "") == [
        f"lib-contracts/ is no service: a library that svc-shipping, svc-stock import "
        f"(named like one); {nothing}",
        f"lib-llm/ is no service: a library that bot-helpdesk imports (named like one); {nothing}",
        f"toolkit/ is no service: a library that svc-shipping, svc-stock import; {nothing}",
    ]
    text = render(found)
    assert (
        f"\n# toolkit/ is no service: a library that svc-shipping, svc-stock import; {nothing}\n"
        in text
    )
    assert tomllib.loads(text)["tool"]["arch_lint"] == found.table
    # what check runs on without a table: the libraries' imports are no cross-service imports
    got = settings_without_config(RawConfig(path=None, root=repo))
    assert got is not None
    assert Layout.scan(got[0]).problems == []
    assert _layout_findings(repo, found.table) == []


def test_what_shows_a_folder_runs(tmp_path: Path) -> None:
    """A Dockerfile (any spelling), a docker-compose service that builds from it,
    routes, an entry point: each keeps a library-named folder a service."""
    files = {
        **_deployed("svc-a", "a_pkg"),
        **_deployed("svc-b", "b_pkg"),
        **_library("shared-x", "x_pkg", {"x.py": "X = 1\n"}),
        "shared-x/worker.Dockerfile": "FROM python:3.12-slim\n",
        **_library("shared-y", "y_pkg", {"y.py": "Y = 1\n"}),
        "docker-compose.yml": "services:\n  y:\n    build: ./shared-y\n",
        **_library("shared-z", "z_pkg", {
            "routes.py": (
                "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                "@router.get('/z')\ndef z() -> None: ...\n"
            )
        }),
        **_library("lib-cli", "cli_pkg", {"__main__.py": "print('hi')\n"}),
        **_library("lib-quiet", "quiet_pkg", {"q.py": "Q = 1\n"}),
    }  # fmt: skip
    found = infer(make_repo(tmp_path, files))
    assert found.table["services"] == [
        "lib-cli",
        "shared-x",
        "shared-y",
        "shared-z",
        "svc-a",
        "svc-b",
    ]
    assert [w.split(":")[0] for w in found.why("services", "")] == ["lib-quiet/ is no service"]


def test_a_folder_of_scripts_and_notebooks_is_no_service(tmp_path: Path) -> None:
    """A top-level folder with a requirements.txt, loose scripts and notebooks,
    no package, nothing that runs: no service. With a Dockerfile it is one."""
    files = {
        **_deployed("svc-a", "a_pkg"),
        **_deployed("svc-b", "b_pkg"),
        "crawler/requirements.txt": "httpx\n",
        "crawler/crawl_pages.py": "import httpx\n",
        "crawler/explore.ipynb": "{}\n",
        "reporter/requirements.txt": "httpx\n",
        "reporter/weekly.py": "print('report')\n",
        "reporter/Dockerfile": "FROM python:3.12-slim\n",
    }
    found = infer(make_repo(tmp_path, files))
    assert found.table["services"] == ["reporter", "svc-a", "svc-b"]
    assert found.why("services", "") == [
        "crawler/ is no service: it holds no Python package, and nothing in it runs "
        "(no Dockerfile, docker-compose service, routes or entry point)"
    ]


def test_a_data_folder_holds_no_services(tmp_path: Path) -> None:
    """`data/datasets/*` hold preparation scripts, some with a requirements.txt
    or a `main.py`: more folders that look like projects than `backend/` has,
    but a data folder is no container of services."""
    files: dict[str, str] = {**_service("backend/orders"), **_service("backend/billing")}
    for name in ("wiki_qa", "recipes", "jokes"):
        files[f"data/datasets/{name}/requirements.txt"] = "datasets\n"
        files[f"data/datasets/{name}/prepare.py"] = "import datasets\n"
    files["data/datasets/jokes/main.py"] = "print('upload')\n"
    files["data/datasets/jokes/__init__.py"] = ""
    files["data/__init__.py"] = ""
    files["data/datasets/__init__.py"] = ""
    files["model/train.py"] = "import datasets\n"
    found = infer(make_repo(tmp_path, files))
    assert found.table["services"] == ["backend/*"]
    # `import datasets` is the installed library: `data/` is a package, not a source root
    assert "source-roots" not in found.table


def test_a_library_name_in_a_services_folder(tmp_path: Path) -> None:
    """In `services/`, a folder named like a library that runs nothing is left
    out; one that another service imports is still a service (ARC102's case)."""
    files = {
        **_service("services/orders", {"services/orders/a.py": "from services.ledger import x\n"}),
        "services/ledger/__init__.py": "",
        "services/ledger/x.py": "X = 1\n",
        "services/lib-common/__init__.py": "",
        "services/lib-common/util.py": "X = 1\n",
    }
    found = infer(make_repo(tmp_path, files))
    assert found.table["services"] == ["services/ledger", "services/orders"]
    assert found.why("services", "")[0].startswith(
        "services/lib-common/ is no service: a library (its name); nothing in it runs"
    )
    assert "(left out" not in found.why("services", "services/orders")[0]


def test_source_roots_of_libraries(tmp_path: Path) -> None:
    """A library's src layout (`shared/src/shared/`) is a source root when code
    imports its package; a package's module named like an installed library
    (`auth/jwt.py`) and a scripts folder are not."""
    files = {
        **_service("services/orders", {
            "services/orders/a.py": "from shared.auth.tokens import check\nimport jwt\n",
        }),
        **_service("services/billing", {"services/billing/a.py": "from shared import auth\n"}),
        "shared/pyproject.toml": '[project]\nname = "shared"\n',
        "shared/src/shared/__init__.py": "",
        "shared/src/shared/auth/__init__.py": "",
        "shared/src/shared/auth/jwt.py": "import jwt\n",
        "shared/src/shared/auth/tokens.py": "def check() -> None: ...\n",
        "scripts/release/bump.py": "from versions import NEXT\n",
        "scripts/release/versions.py": "NEXT = 2\n",
    }  # fmt: skip
    found = infer(make_repo(tmp_path, files))
    assert found.table["source-roots"] == [".", "shared/src"]
    assert found.why("source-roots", "shared/src") == [
        "a src layout: shared/src/ holds `shared`, which 2 files outside it import"
    ]


def _in_each_service(files: dict[str, str]) -> dict[str, str]:
    """`files` (paths and texts, `{name}` standing for the service's name) in
    the services `orders` and `payments`."""
    return {
        f"services/{name}/{path}": text.replace("{name}", name)
        for name in ("orders", "payments")
        for path, text in files.items()
    }


@pytest.mark.parametrize("service_init", [False, True], ids=["plain", "service-package"])
def test_a_package_every_service_holds_gives_one_root_for_all(
    tmp_path: Path, service_init: bool
) -> None:
    """Each service runs from its own folder and imports its `src` package
    (`from src.db.session import ...`): one root for all of them, `services/*`
    (found on two real monorepos, where init proposed none and the check found
    nothing), also where the service folder has an `__init__.py` of its own.
    The layout it gives reads the services' data layer."""
    files = _in_each_service({
        "src/__init__.py": "",
        "src/main.py": "from src.db.session import get_session\n\n\nasync def run():\n"
        "    get_session()\n",
        "src/db/__init__.py": "",
        "src/db/session.py": "from sqlmodel import Session\n\n\ndef get_session():\n"
        "    return Session()\n",
    })  # fmt: skip
    if service_init:
        files.update({"services/orders/__init__.py": "", "services/payments/__init__.py": ""})
    repo = make_repo(tmp_path, files)
    found = infer(repo)
    assert found.table["source-roots"] == [".", "services/*"]
    assert found.why("source-roots", "services/*") == [
        "`src` is imported by 2 files and lives in each of services/orders/, services/payments/"
    ]
    assert _layout_findings(repo, found.table) == [
        ("services/orders/src/db/session.py", 1, "ARC104"),
        ("services/payments/src/db/session.py", 1, "ARC104"),
    ]


def test_services_listed_one_by_one_each_get_a_root_for_the_package_they_hold(
    tmp_path: Path,
) -> None:
    """Top-level service folders (no `services/*` to write one root with), each
    running from its own folder and importing its `src` package: a root for
    each (a real 4-service monorepo, where init proposed none and modules were
    named `accounts.src.…`, not as the code imports them)."""
    files = {
        f"{name}/{path}": text
        for name in ("accounts", "items")
        for path, text in {
            "Dockerfile": "FROM python:3.12\n",
            "src/__init__.py": "",
            "src/main.py": "from src.db.session import get_session\n\n\nasync def run():\n"
            "    get_session()\n",
            "src/db/__init__.py": "",
            "src/db/session.py": "import psycopg2\n\n\ndef get_session():\n"
            "    return psycopg2.connect()\n",
        }.items()
    }
    repo = make_repo(tmp_path, files)
    found = infer(repo)
    assert found.table["services"] == ["accounts", "items"]
    assert found.table["source-roots"] == [".", "accounts", "items"]
    assert found.why("source-roots", "items") == [
        "`src` is imported by 2 files and lives in each of accounts/, items/"
    ]
    assert _layout_findings(repo, found.table) == [
        ("accounts/src/db/session.py", 1, "ARC104"),
        ("items/src/db/session.py", 1, "ARC104"),
    ]


def test_a_module_named_like_the_library_it_imports_is_no_root(tmp_path: Path) -> None:
    """`storage/minio.py` that imports `minio` wraps the installed library: a
    module cannot import itself, so its folder is no source root (its folder
    is no package, so the package guard does not cover it)."""
    files = {
        "services/orders/app/__init__.py": "",
        "services/orders/app/main.py": "X = 1\n",
        "services/media/app/__init__.py": "",
        "services/media/app/service.py": "from minio.error import S3Error\n"
        "from app.storage.minio import Store\n",
        "services/media/app/storage/minio.py": "from minio import Minio\n\n\nclass Store:\n"
        "    client = Minio\n",
    }
    found = infer(make_repo(tmp_path, files))
    assert found.table["source-roots"] == [".", "services/*"]
    assert not any("minio" in why for why in found.why("source-roots", "services/*"))


def test_a_library_beside_each_service_is_no_root(tmp_path: Path) -> None:
    """Each service's `alembic/` folder and its `from alembic import context`
    (no `context` in the folder: the library): no evidence for a root."""
    files = _in_each_service({
        "alembic/env.py": "from alembic import context\n",
        "app/__init__.py": "",
        "app/main.py": "X = 1\n",
    })  # fmt: skip
    found = infer(make_repo(tmp_path, files))
    assert found.table.get("source-roots", ["."]) == ["."]
    files["services/orders/app/api.py"] = "from app.main import X\n"
    found = infer(make_repo(tmp_path / "with-app", files))
    assert found.table["source-roots"] == [".", "services/*"]
    assert not any("alembic" in why for why in found.why("source-roots", "services/*"))


def test_a_service_spelled_from_the_root_is_no_root(tmp_path: Path) -> None:
    """A service package imported as `services.orders.src.db` by most of its
    files and as `src.db` by one: a `services/*` root would rename the modules
    the others import, so none is proposed, and the layout keeps finding the
    data layer."""
    files = _in_each_service({
        "__init__.py": "",
        "src/__init__.py": "",
        "src/db/__init__.py": "",
        "src/db/session.py": "from sqlalchemy.orm import Session\n\n\ndef get():\n"
        "    return Session()\n",
        "src/main.py": "from services.{name}.src.db import session\n\n\nasync def run():\n"
        "    session.get()\n",
        "src/worker.py": "from src.db.session import Session\n",
    })  # fmt: skip
    repo = make_repo(tmp_path, files)
    found = infer(repo)
    assert found.table.get("source-roots", ["."]) == ["."]
    assert _layout_findings(repo, found.table) == [
        ("services/orders/src/db/session.py", 1, "ARC104"),
        ("services/payments/src/db/session.py", 1, "ARC104"),
    ]


def test_a_package_some_services_hold_gives_each_its_own_root(tmp_path: Path) -> None:
    """`orders` and `payments` import their `src` package from their folder,
    `billing` is imported as `services.billing.db`: `services/*` would rename
    billing's modules, so each folder that holds `src` gets its own root, and
    the layout finds all three services' data layer."""
    files = _in_each_service({
        "__init__.py": "",
        "src/__init__.py": "",
        "src/db.py": "import psycopg2\n\n\ndef connect():\n    return psycopg2.connect()\n",
        "src/main.py": "from src.db import connect\n\n\nasync def run():\n    connect()\n",
    })  # fmt: skip
    files.update(
        {
            "services/billing/__init__.py": "",
            "services/billing/db.py": "import sqlite3\n\n\ndef connect():\n"
            "    return sqlite3.connect()\n",
            "services/billing/main.py": "from services.billing.db import connect\n\n\n"
            "async def run():\n    connect()\n",
        }
    )
    repo = make_repo(tmp_path, files)
    found = infer(repo)
    assert found.table["source-roots"] == [".", "services/orders", "services/payments"]
    assert _layout_findings(repo, found.table) == [
        ("services/billing/db.py", 1, "ARC104"),
        ("services/orders/src/db.py", 1, "ARC104"),
        ("services/payments/src/db.py", 1, "ARC104"),
    ]


# --- rendering and --write -------------------------------------------------------------------


def test_render_is_the_table_and_deterministic(tmp_path: Path) -> None:
    repo, _ = _copy_without_table(SHOP, tmp_path)
    first = render(infer(repo))
    assert first == render(infer(repo))
    assert tomllib.loads(first)["tool"]["arch_lint"] == infer(repo).table
    assert '  "services/*",  # 4 directories with Python packages: notifications, orders' in first


def test_write_appends_and_keeps_every_byte(tmp_path: Path) -> None:
    repo, _ = _copy_without_table(SHOP, tmp_path)
    pyproject = repo / "pyproject.toml"
    before = pyproject.read_bytes()
    out, err = io.StringIO(), io.StringIO()
    assert init_main(repo, write=True, stdout=out, stderr=err) == 0
    after = pyproject.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].decode().lstrip("\n") == render(infer(repo))
    assert "Appended [tool.arch_lint]" in err.getvalue()
    assert out.getvalue() == ""
    # a second time: refused, nothing changed
    err = io.StringIO()
    assert init_main(repo, write=True, stdout=out, stderr=err) == 2
    assert "already has a [tool.arch_lint] table" in err.getvalue()
    assert pyproject.read_bytes() == after


def test_write_creates_the_pyproject(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {**_service("services/a"), **_service("services/b")})
    path = write_block(repo, render(infer(repo)))
    assert tomllib.loads(path.read_text())["tool"]["arch_lint"]["services"] == ["services/*"]


def test_write_keeps_crlf_and_a_missing_final_newline(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {**_service("services/a"), **_service("services/b")})
    original = b'[project]\r\nname = "x"'
    (repo / "pyproject.toml").write_bytes(original)
    write_block(repo, "[tool.arch_lint]\nservices = []\nshared-models = []\n")
    data = (repo / "pyproject.toml").read_bytes()
    assert data.startswith(original)
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert tomllib.loads(data.decode())["tool"]["arch_lint"]["services"] == []


def test_write_refuses_a_table_in_any_form(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path, {"pyproject.toml": "[tool.arch_lint.logging]\nstructlog-factories = []\n"}
    )
    with pytest.raises(InitError, match=r"already has a \[tool.arch_lint\] table"):
        write_block(repo, "[tool.arch_lint]\nservices = []\n")
    (repo / "pyproject.toml").write_text("[tool\n")
    with pytest.raises(InitError, match="not valid TOML"):
        write_block(repo, "[tool.arch_lint]\nservices = []\n")
    assert (repo / "pyproject.toml").read_text() == "[tool\n"


def test_init_prints_without_writing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"x.py": ""})
    out, err = io.StringIO(), io.StringIO()
    assert init_main(repo, stdout=out, stderr=err) == 0
    assert "services = []" in out.getvalue()
    assert "no services and no shared models" in err.getvalue()
    assert not (repo / "pyproject.toml").exists()
    assert not (repo / ".arch_lint_cache").exists()


def test_init_from_a_service_with_its_own_pyproject_inspects_the_project(
    tmp_path: Path,
) -> None:
    """`check` from `services/billing` judges the whole repository (the git root);
    `init` from there must infer for the same root, not for the service alone."""
    repo, _ = _copy_without_table(SHOP, tmp_path)
    (repo / ".git").mkdir()
    service = repo / "services" / "orders"
    (service / "pyproject.toml").write_text('[project]\nname = "orders"\n')
    out, err = io.StringIO(), io.StringIO()
    assert init_main(service, stdout=out, stderr=err) == 0
    assert out.getvalue() == render(infer(repo))
