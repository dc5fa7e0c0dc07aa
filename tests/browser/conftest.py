"""The browser test's fixtures: a demo Home Assistant of its own, and Chromium.

The test runs in its own virtual environment (requirements_browser.txt:
Playwright and pytest, no Home Assistant plugin) and drives the system's
Chromium (Debian's package; Playwright never downloads a browser):

    scripts/test --browser

Home Assistant runs as its own process from the newest test leg's venv
(SMETS_HASS_VENV), set up the way scripts/develop sets it up: a fresh
configuration folder under artifacts/browser/, bound to 127.0.0.1 on a free
port, made a demo by scripts/demo.py. It is stopped at the end, also when a
test fails; a failed test leaves a screenshot and the tail of Home Assistant's
log in artifacts/browser/.

Like every test, it writes only under artifacts/: the screenshots it takes for
the README go to artifacts/browser/screenshots/, and ``scripts/screenshots``
copies them over docs/images/ when the pictures are to change on purpose.

Where Playwright is not installed (the test legs' venvs, which collect tests/
as a whole), this folder collects nothing.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
import ctypes
from dataclasses import dataclass
import importlib.util
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys

import pytest

if importlib.util.find_spec("playwright") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "browser"
# The README's pictures, as this run took them (scripts/screenshots copies them
# to docs/images/).
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
# The demo user scripts/demo.py creates (a local account on 127.0.0.1 only).
USERNAME = "demo"
PASSWORD = "smets-demo"

HA_LOG_TAIL = 120


def _die_with_parent() -> None:
    """Have the kernel stop this child when pytest dies (killed by a timeout)."""
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoHass:
    """A demo Home Assistant process with its own configuration folder."""

    config: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.config / "home-assistant.log"

    def log_tail(self, lines: int = HA_LOG_TAIL) -> str:
        if not self.log.exists():
            return "(Home Assistant wrote no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def start(self, venv: Path) -> None:
        """Start Home Assistant and make it the demo (returns when it is ready)."""
        if self.config.exists():
            shutil.rmtree(self.config)
        self.config.mkdir(parents=True)
        (self.config / "custom_components").symlink_to(REPO / "custom_components")
        (self.config / "configuration.yaml").write_text(
            "# Written by tests/browser/conftest.py for one run of the browser test.\n"
            "default_config:\n\n"
            "http:\n"
            "  server_host: 127.0.0.1\n"
            f"  server_port: {self.port}\n\n"
            "logger:\n"
            "  default: info\n"
            "  logs:\n"
            "    custom_components.smets: debug\n"
        )
        # Home Assistant installs its integrations' requirements at runtime:
        # into its own venv, never into this one.
        env = {
            **os.environ,
            "VIRTUAL_ENV": str(venv),
            "UV_PYTHON": str(venv / "bin" / "python"),
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        with (self.config.parent / "hass.out").open("wb") as out:
            self.process = subprocess.Popen(
                [str(venv / "bin" / "hass"), "--config", str(self.config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                env=env,
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )
        # scripts/demo.py waits until Home Assistant answers, then onboards the
        # demo user, adds the simulated meter and sets up the Energy dashboard.
        demo = subprocess.run(
            [str(venv / "bin" / "python"), "scripts/demo.py", "--url", self.url],
            cwd=REPO,
            env=env,
            preexec_fn=_die_with_parent,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        print(demo.stdout)
        if demo.returncode != 0 or self.process.poll() is not None:
            pytest.fail(
                f"scripts/demo.py failed ({demo.returncode}):\n{demo.stdout}\n"
                f"{demo.stderr}\nHome Assistant's log:\n{self.log_tail()}"
            )

    def stop(self) -> None:
        """Stop Home Assistant the way Ctrl-C does; kill it if it hangs."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def hass_venv() -> Path:
    """Return the newest test leg's venv (it has Home Assistant)."""
    venv = os.environ.get("SMETS_HASS_VENV")
    if not venv:
        pytest.fail(
            "SMETS_HASS_VENV is not set: run this test with scripts/test --browser"
        )
    return Path(venv)


@pytest.fixture(scope="session")
def demo_hass(hass_venv: Path) -> Iterator[DemoHass]:
    """Start the demo Home Assistant for the session; stop it at the end."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("failure-*"):
        old.unlink()
    # Only this run's pictures: scripts/screenshots copies whatever is here.
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    hass = DemoHass(config=ARTIFACTS / "config", port=_free_port())
    try:
        hass.start(hass_venv)
        yield hass
    finally:
        hass.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Launch the system's Chromium, headless (CI runs as root: no sandbox)."""
    executable = os.environ.get("SMETS_CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("no Chromium: run this test with scripts/test --browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, for the page fixture's teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(
    request: pytest.FixtureRequest, demo_hass: DemoHass, browser: Browser
) -> Iterator[Page]:
    """Return a fresh browser page; on failure save a screenshot and the log tail."""
    context = browser.new_context(
        viewport=VIEWPORT,  # type: ignore[arg-type]
        locale="en-GB",
        timezone_id="Europe/London",
        reduced_motion="reduce",
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            name = request.node.name
            shot = ARTIFACTS / f"failure-{name}.png"
            tail = ARTIFACTS / f"failure-{name}-home-assistant.log"
            try:
                page.screenshot(path=shot, full_page=True)
            except Exception as err:  # noqa: BLE001 - best effort
                print(f"no screenshot: {err}", file=sys.stderr)
            tail.write_text(demo_hass.log_tail() + "\n")
            print(
                f"\nfailure screenshot: {shot.relative_to(REPO)}\n"
                f"Home Assistant's log (last {HA_LOG_TAIL} lines, also in"
                f" {tail.relative_to(REPO)}):\n{demo_hass.log_tail()}"
            )
        context.close()
