"""`arch-lint server` end to end: a real LSP client (pytest-lsp) drives the
server over stdio, as an editor does.

Each test starts the server in its own process on a copy of a project in
`tmp_path`, and waits for the server's notifications (no sleeps): the
diagnostics of a file come on open, after an edit (debounced), after a change
on disk it is told about; code actions carry edits the test applies as an
editor would.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from helpers import base_files, make_repo
from lsprotocol import types
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from arch_lint.adapters.live import Checked, LiveProject
from arch_lint.adapters.server import ClientCaps, Lines, Loaded, Outcome, Session
from arch_lint.findings import Finding

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "shop"
WAIT_S = 60.0
"""The longest a notification may take (the first check loads every rule)."""


class Client(LanguageClient):
    """pytest-lsp's client, keeping every diagnostics notification in order
    (`wait_for_notification` misses those that arrive together)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.arrived = asyncio.Event()
        self.registrations: list[types.Registration] = []


def record_diagnostics(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)
    client.arrived.set()


def record_registration(client: Client, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def make_client() -> Client:
    client = Client(converter_factory=default_converter)
    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: record_diagnostics,
        types.CLIENT_REGISTER_CAPABILITY: record_registration,
    }
    register_lsp_features(client, features)
    return client


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "arch_lint", "server"], client_factory=make_client
)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: Client) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"debounce": 50},
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def neovim(lsp_client: Client) -> AsyncIterator[None]:
    """A client with Neovim's capabilities."""
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("neovim"))
    )
    yield
    await lsp_client.shutdown_session()


# --- helpers --------------------------------------------------------------------------------


def copy_shop(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(SHOP, target, ignore=shutil.ignore_patterns(".arch_lint_cache"))
    return target


def uri(path: Path) -> str:
    return path.resolve().as_uri()


def mark(client: Client) -> int:
    """How many diagnostics notifications came so far (take it before the action)."""
    return len(client.published)


async def diagnostics(
    client: Client, target: str, since: int, until: Any = None
) -> list[types.Diagnostic]:
    """The first diagnostics published for `target` after notification `since`
    for which `until(diagnostics)` holds (any, without `until`)."""

    async def wait() -> list[types.Diagnostic]:
        seen = since
        while True:
            for params in client.published[seen:]:
                seen += 1
                if params.uri == target and (until is None or until(params.diagnostics)):
                    return list(params.diagnostics)
            client.arrived.clear()
            await client.arrived.wait()

    return await asyncio.wait_for(wait(), WAIT_S)


def codes(found: Sequence[types.Diagnostic]) -> list[tuple[Any, int]]:
    """(code, 0-based line) of each diagnostic."""
    return sorted((d.code, d.range.start.line) for d in found)


def open_file(client: Client, path: Path, version: int = 1) -> str:
    target = uri(path)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=target,
                language_id="python",
                version=version,
                text=path.read_text(encoding="utf-8"),
            )
        )
    )
    return target


def replace_text(client: Client, target: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=target, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    """`edits` applied to `text` as an editor applies them (UTF-16 positions)."""
    lines = text.splitlines(keepends=True)

    def offset(pos: types.Position) -> int:
        before = sum(len(line) for line in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for i, char in enumerate(line):
            if units >= pos.character:
                return before + i
            units += len(char.encode("utf-16-le")) // 2
        return before + len(line)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
        lines = text.splitlines(keepends=True)
    return text


def edits_of(action: types.CodeAction, target: str) -> list[types.TextEdit]:
    assert action.edit is not None
    out: list[types.TextEdit] = []
    for change in action.edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == target
        out.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    for key, found in (action.edit.changes or {}).items():
        assert key == target
        out.extend(found)
    return out


# --- diagnostics ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_open_shows_arc101_and_an_edit_removes_it(client: Client, tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    path = shop / "services/orders/repositories/order_repository.py"
    since = mark(client)
    target = open_file(client, path)
    found = await diagnostics(client, target, since)
    arc101 = [d for d in found if d.code == "ARC101"]
    assert len(arc101) == 1, found
    d = arc101[0]
    assert d.range.start == types.Position(line=11, character=0)  # `check` says 12:1
    assert d.source == "arch-lint"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert "the data layer of service `payments`" in d.message
    assert d.code_description is not None
    assert d.code_description.href.endswith("#arc101-cross-service-data-access")
    # what `arch-lint check` reports for the file, code for code and line for line
    check = subprocess.run(
        [sys.executable, "-m", "arch_lint", "check", "--no-cache", str(path)],
        cwd=shop,
        capture_output=True,
        text=True,
        check=False,
    )
    reported = sorted(
        (line.split(" ")[1], int(line.split(":")[1]) - 1)
        for line in check.stdout.splitlines()
        if line.startswith("services/")
    )
    assert codes(found) == reported

    # the import is deleted in the buffer, unsaved: the diagnostic goes
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    assert lines[11].startswith("from services.payments.models_db import")
    since = mark(client)
    replace_text(client, target, "".join(lines[:11] + lines[12:]), version=2)
    after = await diagnostics(client, target, since)
    assert not [d for d in after if d.code == "ARC101"], after
    assert path.read_text(encoding="utf-8") == text  # nothing written


@pytest.mark.asyncio
async def test_positions_count_utf16_code_units(client: Client, tmp_path: Path) -> None:
    files = base_files()
    # two characters outside the BMP before the import: 2 UTF-16 units each
    files["services/orders/api.py"] = (
        'NOTE = "\U0001f600\U0001f600"; from services.payments.models_db import Payment\n'
    )
    repo = make_repo(tmp_path, files)
    since = mark(client)
    target = open_file(client, repo / "services/orders/api.py")
    found = await diagnostics(client, target, since)
    (d,) = [d for d in found if d.code == "ARC101"]
    # `check` says column 14 (characters); in UTF-16 each emoji counts twice
    assert d.range.start == types.Position(line=0, character=13 + 2)


@pytest.mark.asyncio
async def test_a_file_becoming_data_layer_on_disk_reflags_its_open_importer(
    client: Client, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path, base_files())
    since = mark(client)
    importer = open_file(client, repo / "services/orders/checkout.py")
    found = await diagnostics(client, importer, since)
    assert codes(found) == [("ARC102", 0)]
    assert [r.method for r in client.registrations] == [  # type: ignore[attr-defined]
        types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ]

    gateway = repo / "services/payments/gateway.py"
    gateway.write_text(
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "class PaymentRow(Base):\n"
        '    __tablename__ = "payments"\n'
        "    id: Mapped[int] = mapped_column(primary_key=True)\n",
        encoding="utf-8",
    )
    since = mark(client)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(gateway), type=types.FileChangeType.Changed)]
        )
    )
    found = await diagnostics(client, importer, since)
    assert codes(found) == [("ARC101", 0)]
    assert "it declares the ORM base `Base`" in found[0].message


@pytest.mark.asyncio
async def test_an_unsaved_edit_in_one_tab_rejudges_the_others(
    client: Client, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path, base_files())
    since = mark(client)
    importer = open_file(client, repo / "services/orders/checkout.py")
    assert codes(await diagnostics(client, importer, since)) == [("ARC102", 0)]
    since = mark(client)
    gateway = open_file(client, repo / "services/payments/gateway.py")
    await diagnostics(client, gateway, since)
    since = mark(client)
    replace_text(
        client,
        gateway,
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n",
        version=2,
    )
    assert codes(await diagnostics(client, importer, since)) == [("ARC101", 0)]
    # closed without saving: the file on disk counts again
    since = mark(client)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=gateway))
    )
    assert codes(await diagnostics(client, importer, since)) == [("ARC102", 0)]


# --- code actions ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_arc301_fix_applies_and_the_diagnostic_goes(
    client: Client, tmp_path: Path
) -> None:
    shop = copy_shop(tmp_path)
    path = shop / "services/notifications/mailer.py"
    since = mark(client)
    target = open_file(client, path)
    found = await diagnostics(client, target, since)
    (d,) = [d for d in found if d.code == "ARC301"]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=target),
            range=d.range,
            context=types.CodeActionContext(diagnostics=[d]),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    fixes = [a for a in actions if isinstance(a, types.CodeAction) and a.is_preferred]
    assert len(fixes) == 1, titles
    fix = fixes[0]
    assert fix.kind == types.CodeActionKind.QuickFix
    assert "(unsafe)" not in fix.title
    assert fix.diagnostics is not None
    assert fix.diagnostics[0].code == "ARC301"
    assert "Suppress ARC301 with `# noqa: ARC301`" in titles

    text = path.read_text(encoding="utf-8")
    fixed = apply(text, edits_of(fix, target))
    assert fixed != text
    assert fixed.count("correlation_id") > text.count("correlation_id")
    since = mark(client)
    replace_text(client, target, fixed, version=2)
    after = await diagnostics(client, target, since)
    assert not [x for x in after if x.code == "ARC301"], after
    assert codes(after) == [c for c in codes(found) if c[0] != "ARC301"]


@pytest.mark.asyncio
async def test_suppress_merges_into_an_existing_noqa(client: Client, tmp_path: Path) -> None:
    files = base_files()
    files["services/orders/api.py"] = (
        "from services.payments.models_db import Payment  # noqa: E501\n\nP = Payment\n"
    )
    repo = make_repo(tmp_path, files)
    since = mark(client)
    target = open_file(client, repo / "services/orders/api.py")
    (d,) = await diagnostics(client, target, since)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=target),
            range=d.range,
            context=types.CodeActionContext(diagnostics=[d]),
        )
    )
    assert actions is not None
    (noqa,) = [a for a in actions if isinstance(a, types.CodeAction) and "noqa" in a.title]
    text = files["services/orders/api.py"]
    suppressed = apply(text, edits_of(noqa, target))
    assert suppressed.splitlines()[0].endswith("# noqa: E501, ARC101")
    since = mark(client)
    replace_text(client, target, suppressed, version=2)
    assert await diagnostics(client, target, since) == []


async def code_actions(
    client: Client, target: str, rng: types.Range, only: list[str] | None = None
) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=target),
            range=rng,
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    assert found is not None
    return [a for a in found if isinstance(a, types.CodeAction)]


@pytest.mark.asyncio
async def test_an_unsafe_fix_is_labelled_and_not_preferred(client: Client, tmp_path: Path) -> None:
    shop = copy_shop(tmp_path)
    path = shop / "services/notifications/handlers.py"
    since = mark(client)
    target = open_file(client, path)
    found = await diagnostics(client, target, since)
    (d,) = [d for d in found if d.code == "ARC406"]
    actions = await code_actions(client, target, d.range)
    (fix,) = [a for a in actions if a.title.startswith("Merge into a new dict")]
    assert fix.title.endswith(" (unsafe)")
    assert not fix.is_preferred
    fixed = apply(path.read_text(encoding="utf-8"), edits_of(fix, target))
    assert "{**(notification.delivery_metadata or {})" in fixed
    # no safe fix in this file: no "fix all"
    assert await code_actions(client, target, d.range, only=["source.fixAll"]) == []


@pytest.mark.asyncio
async def test_fix_all_applies_every_safe_fix_of_the_file(client: Client, tmp_path: Path) -> None:
    files = base_files()
    files["services/orders/logs.py"] = (
        "import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
        "def handle(correlation_id: str) -> None:\n"
        '    logger.info("one")\n'
        '    logger.info("two", extra={"step": 2})\n'
    )
    repo = make_repo(tmp_path, files)
    since = mark(client)
    target = open_file(client, repo / "services/orders/logs.py")
    found = await diagnostics(client, target, since)
    assert codes(found) == [("ARC301", 6), ("ARC301", 7)]
    everything = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=99, character=0)
    )
    (fix_all,) = await code_actions(client, target, everything, only=["source.fixAll"])
    assert fix_all.kind == "source.fixAll.arch-lint"
    assert fix_all.title == "Fix all safe arch-lint fixes in this file (2)"
    # offered among the quick fixes too, where there is more than one
    quick = await code_actions(client, target, found[0].range)
    assert fix_all.title in [a.title for a in quick]
    fixed = apply(files["services/orders/logs.py"], edits_of(fix_all, target))
    since = mark(client)
    replace_text(client, target, fixed, version=2)
    assert await diagnostics(client, target, since) == []


@pytest.mark.asyncio
async def test_a_client_gets_only_what_it_can_take(neovim: Client, tmp_path: Path) -> None:
    """Neovim's capabilities: no `codeDescription`, no `documentChanges`, no
    file watching (pytest-lsp fails a test on what the client did not declare)."""
    shop = copy_shop(tmp_path)
    path = shop / "services/notifications/mailer.py"
    since = mark(neovim)
    target = open_file(neovim, path)
    found = await diagnostics(neovim, target, since)
    (d,) = [d for d in found if d.code == "ARC301"]
    assert d.code_description is None
    actions = await code_actions(neovim, target, d.range)
    titles = [a.title for a in actions]
    assert "Suppress ARC301 with `# noqa: ARC301`" in titles
    (fix,) = [a for a in actions if "noqa" not in a.title]
    assert fix.is_preferred
    assert fix.edit is not None
    assert fix.edit.changes is not None  # no `documentChanges` support declared
    assert "correlation_id" in apply(path.read_text(encoding="utf-8"), edits_of(fix, target))
    assert neovim.registrations == []  # it does not watch files for servers


# --- configuration errors ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_configuration_error_is_a_diagnostic_and_a_message(
    client: Client, tmp_path: Path
) -> None:
    broken = '[tool.arch_lint]\nservices = ["services/*"]\nfrobnicate = true\n'
    repo = make_repo(tmp_path, base_files(broken))
    config = repo / "pyproject.toml"
    api = repo / "services/orders/api.py"
    since = mark(client)
    target = open_file(client, api)
    found = await diagnostics(client, uri(config), since)
    assert [(d.range.start.line, d.message) for d in found] == [
        (2, "tool.arch_lint.frobnicate: unknown key")
    ]
    assert found[0].severity == types.DiagnosticSeverity.Error
    assert any("configuration has errors" in m.message for m in client.messages)

    # fixed on disk: the project loads, the file gets its findings, the error goes
    config.write_text(base_files()["pyproject.toml"], encoding="utf-8")
    since = mark(client)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(config), type=types.FileChangeType.Changed)]
        )
    )
    assert codes(await diagnostics(client, target, since, until=bool)) == [("ARC101", 0)]
    assert uri(config) in client.diagnostics
    assert not client.diagnostics[uri(config)]


@pytest.mark.asyncio
async def test_a_key_that_matches_nothing_is_arc000_on_the_configuration(
    client: Client, tmp_path: Path
) -> None:
    config = '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = ["nowhere/models"]\n'
    repo = make_repo(tmp_path, base_files(config))
    since = mark(client)
    target = open_file(client, repo / "services/orders/api.py")
    found = await diagnostics(client, uri(repo / "pyproject.toml"), since)
    assert [(d.code, d.range.start.line) for d in found] == [("ARC000", 2)]
    assert "nowhere/models" in found[0].message
    assert not client.diagnostics.get(target)  # as `check`: nothing is checked


# --- positions, without a client ----------------------------------------------------------------


def finding(line: int, column: int, end_line: int, end_column: int) -> Finding:
    return Finding("ARC101", "x", "m", "a.py", line, column, end_line, end_column)


@pytest.mark.parametrize(
    ("encoding", "after_emoji", "after_accent"),
    [("utf-16", 7, 8), ("utf-8", 9, 11), ("utf-32", 6, 7)],
)
def test_columns_become_code_units_of_the_negotiated_encoding(
    encoding: str, after_emoji: int, after_accent: int
) -> None:
    lines = Lines('x = "\U0001f600\u00e9"\r\nnext\n', encoding)
    rng = lines.range(finding(1, 6, 1, 7))  # the emoji: the 6th character
    assert (rng.start.line, rng.start.character) == (0, 5)
    assert (rng.end.line, rng.end.character) == (0, after_emoji)
    assert lines.position(1, 8).character == after_accent
    assert lines.position(1, 99).character == lines.position(1, 10).character  # clamped
    assert lines.position(2, 1) == types.Position(line=1, character=0)  # after `\r\n`


def test_an_edit_replaces_whole_lines_only() -> None:
    lines = Lines("a\r\nb\r\nc\r\n", "utf-16")
    edit = lines.edit_to("a\r\nB\r\nc\r\n")
    assert edit.range.start == types.Position(line=1, character=0)
    assert edit.range.end == types.Position(line=2, character=0)
    assert edit.new_text == "B\r\n"
    end = Lines("a\nb", "utf-16").edit_to("a\nb\nc\n")
    assert end.range.start == types.Position(line=1, character=0)
    assert end.new_text == "b\nc\n"


def test_without_pygls_the_server_says_which_extra_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['pygls'] = None\n"
        "from arch_lint.adapters.cli import main\n"
        "sys.exit(main(['server']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "arch-lint: `arch-lint server` needs pygls, which is not installed: "
        "pip install 'flake8-arch-lint[server]'"
    ]


# --- the session, in process ----------------------------------------------------------------


CHECKOUT = "services/orders/checkout.py"
GATEWAY = "services/payments/gateway.py"


def session_with(repo: Path, *paths: str) -> tuple[Session, dict[str, str]]:
    """A session with `paths` of `repo` open, and their uris."""
    session = Session(ClientCaps())
    uris = {}
    for rel in paths:
        path = repo / rel
        uris[rel] = uri(path)
        session.run(lambda s, p=path: s.open(uri(p), p.read_text(encoding="utf-8"), 1))
    return session, uris


def published(out: Outcome, target: str) -> list[tuple[str, int]]:
    """(code, 0-based line) of the last diagnostics `out` publishes for `target`."""
    found = [d for u, _, d in out.publish if u == target]
    assert found, f"nothing published for {target}"
    return sorted((str(d.code), d.range.start.line) for d in found[-1])


def test_the_live_project_reports_what_check_reports_on_the_shop(tmp_path: Path) -> None:
    from arch_lint.config import load_settings
    from arch_lint.engine.run import run

    shop = copy_shop(tmp_path)
    settings = load_settings(None, shop)
    expected = [f for f in run(settings, [shop]).findings if f.path.endswith(".py")]
    project = LiveProject(settings)
    found = []
    for rel in project.facts:
        if project.checked(rel):
            project.set_buffer(rel, (shop / rel).read_text(encoding="utf-8"))
            checked = project.check(rel)
            assert checked is not None
            found += checked.findings
    assert len(expected) == 14
    assert sorted(found, key=Finding.sort_key) == expected


def test_a_buffer_that_does_not_parse_gets_arc001_and_moves_nothing_else(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, base_files())
    session, uris = session_with(
        repo, "services/orders/checkout.py", "services/payments/gateway.py"
    )
    gateway = uris[GATEWAY]
    out = session.run(lambda s: s.change(gateway, "def charge(:\n    pass\n", 2))
    assert published(out, gateway) == [("ARC001", 0)]
    (d,) = out.publish[-1][2]
    assert d.severity == lsp.DiagnosticSeverity.Error
    # checkout.py is not judged again against a half-typed file
    assert all(u == gateway for u, _, _ in out.publish)


def test_a_save_reads_the_file_again_without_a_file_watcher(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, base_files())
    session, uris = session_with(
        repo, "services/orders/checkout.py", "services/payments/gateway.py"
    )
    new = "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    (repo / "services/payments/gateway.py").write_text(new, encoding="utf-8")
    gateway, checkout = uris[GATEWAY], uris[CHECKOUT]
    out = session.run(lambda s: s.save(gateway, new, 2))
    assert published(out, checkout) == [("ARC101", 0)]
    out = session.run(lambda s: s.close(gateway))  # the disk says the same: nothing moves
    assert out.publish == [(gateway, None, [])]


def test_a_save_made_while_the_previous_one_is_read_is_not_cached_as_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server caches a file it read again with the stamp taken before the
    read: a second save landing while the first is analysed leaves a stamp
    that no longer matches, and `check` reads the file again (a stamp taken
    after the analysis would be the second save's, kept with the first's facts)."""
    import os
    import time

    import arch_lint.adapters.live as live
    from arch_lint.config import load_settings
    from arch_lint.engine.run import run

    def back(path: Path, seconds: int) -> None:  # out of the racy window
        when = time.time_ns() - seconds * 1_000_000_000
        os.utime(path, ns=(when, when))

    repo = make_repo(tmp_path, base_files())
    for path in repo.rglob("*"):
        if path.is_file():
            back(path, 100)
    settings = load_settings(None, repo)
    project = LiveProject(settings)
    rel = "services/orders/clean.py"
    clean = repo / rel
    clean.write_text("X = 1\n", encoding="utf-8")  # the first save
    back(clean, 50)
    real_analyse = live.analyse

    def analyse_then_save_again(path: str, source: bytes, envelope: str, *rest: Any) -> Any:
        if path == rel:
            clean.write_text("from services.payments.models_db import Payment\n", "utf-8")
            back(clean, 40)
        return real_analyse(path, source, envelope, *rest)

    monkeypatch.setattr(live, "analyse", analyse_then_save_again)
    project.files_changed([rel])
    monkeypatch.setattr(live, "analyse", real_analyse)
    project.store()
    cached = run(load_settings(None, repo), [repo])
    assert cached.notices == []
    assert (rel, "ARC101") in [(f.path, f.code) for f in cached.findings]


def test_a_file_created_on_disk_is_listed_and_checked(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, base_files())
    session, _ = session_with(repo, "services/orders/checkout.py")
    created = repo / "services/orders/refunds.py"
    created.write_text("from services.payments import models_db\n", encoding="utf-8")
    session.run(lambda s: s.watched([(uri(created), lsp.FileChangeType.Created)]))
    out = session.run(lambda s: s.open(uri(created), created.read_text(encoding="utf-8"), 1))
    assert published(out, uri(created)) == [("ARC101", 0)]


def test_an_internal_error_on_one_file_is_logged_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path, base_files())
    session, uris = session_with(repo, "services/orders/checkout.py")
    real_check = LiveProject.check

    def broken(self: LiveProject, rel: str) -> Checked | None:
        if rel == "services/orders/api.py":
            raise RuntimeError("a bug")
        return real_check(self, rel)

    monkeypatch.setattr(LiveProject, "check", broken)
    api = repo / "services/orders/api.py"
    out = session.run(lambda s: s.open(uri(api), api.read_text(encoding="utf-8"), 1))
    assert not [u for u, _, _ in out.publish if u == uri(api)]
    assert any("RuntimeError: a bug" in message for _, message in out.log)
    assert any("internal error" in message for _, message in out.show)
    checkout = uris["services/orders/checkout.py"]
    out = session.run(lambda s: s.change(checkout, "from services.payments import gateway\n\n", 2))
    assert published(out, checkout) == [("ARC102", 0)]


def test_a_file_without_a_table_above_it_is_left_alone(tmp_path: Path) -> None:
    lone = tmp_path / "lone.py"
    lone.write_text("import os\n", encoding="utf-8")
    session = Session(ClientCaps())
    out = session.run(lambda s: s.open(uri(lone), "import os\n", 1))
    assert out.publish == [(uri(lone), 1, [])]
    assert any("no [tool.arch_lint] table" in message for _, message in out.log)
    assert out.show == []


def test_a_malformed_message_is_one_line_on_stderr_not_a_traceback() -> None:
    message = b'{"jsonrpc": "2.0", "id": 1, "method"'
    proc = subprocess.run(
        [sys.executable, "-m", "arch_lint", "server"],
        input=b"Content-Length: %d\r\n\r\n" % len(message) + message,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0
    err = proc.stderr.decode()
    assert "Traceback" not in err
    assert "arch-lint server: pygls.server: Unable to handle message (JSONDecodeError" in err


def test_an_open_file_follows_an_import_of_another_file(tmp_path: Path) -> None:
    """`import services.orders.legacy` -> `import services.orders.other` in an
    async module: ARC104 on `legacy.py` comes from that import, so the index
    digest moves (a file's imports are part of its interface) and the open
    `legacy.py` is checked again, as a fresh `check` would."""
    files = {
        "pyproject.toml": '[tool.arch_lint]\nservices = ["services/*"]\nshared-models = []\n',
        "services/__init__.py": "",
        "services/orders/__init__.py": "",
        "services/orders/api.py": (
            "import services.orders.legacy\n\n\n"
            "async def handler() -> None:\n    services.orders.legacy.run()\n"
        ),
        "services/orders/legacy.py": (
            'import psycopg2\n\n\ndef run() -> None:\n    psycopg2.connect("")\n'
        ),
        "services/orders/other.py": "def run() -> None:\n    pass\n",
    }
    repo = make_repo(tmp_path, files)
    api, legacy = "services/orders/api.py", "services/orders/legacy.py"
    session, uris = session_with(repo, legacy, api)
    assert session.results[uris[legacy]].findings[0].code == "ARC104"
    loaded = session.projects[(repo / "pyproject.toml").resolve()]
    assert isinstance(loaded, Loaded)
    digest = loaded.project.digest
    edited = files[api].replace("legacy", "other")
    out = session.run(lambda s: s.change(uris[api], edited, 2))
    assert published(out, uris[legacy]) == []
    assert loaded.project.digest != digest
