"""The built book, opened in a real browser (headless Chromium), served from 127.0.0.1.

The session's one build of the book (tests/conftest.py) and one browser per worker serve every test here. Each
page must load without console errors and without any request leaving the machine; its math must be typeset by
the MathJax served with the site, its images must load, and its local links must point at files (and anchors)
that exist. The navigation lists every chapter, every notebook chapter has a working Colab button, and the API
reference documents every public name. A full-page screenshot of a chapter is kept for people to look at: its
path is printed.

The browser tests are skipped when Chromium is not installed (`.ci/run` installs it); the checks that need no
browser run everywhere.
"""

from __future__ import annotations

import functools
import json
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from book_build import BookBuild

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a headless Chromium on a machine without a display or outside network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_PAGE = "book/ghost_bn_in_code"

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it"
)


def toc_chapters() -> list[str]:
    """The root and every chapter named in _toc.yml (not their sections), without extension."""
    return [TOC["root"]] + [chapter["file"] for part in TOC.get("parts", []) for chapter in part["chapters"]]


def toc_files() -> list[str]:
    """Every page named in _toc.yml, root first, chapters followed by their sections, without extension."""
    files = [TOC["root"]]
    for part in TOC.get("parts", []):
        for chapter in part["chapters"]:
            files += [chapter["file"], *(section["file"] for section in chapter.get("sections", []))]
    return files


def is_notebook(name: str) -> bool:
    return (ROOT / f"{name}.ipynb").exists()


@pytest.fixture(scope="module")
def site(book_build: BookBuild) -> Path:
    """The folder of the book's HTML, from the session's one build with -W."""
    assert book_build.returncode == 0, book_build.log
    return book_build.html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium, from the system, for the whole module."""
    from playwright.sync_api import sync_playwright  # the `test` extra installs it

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class LoadedPage:
    """A browser tab on the site, with what happened while its latest page loaded."""

    def __init__(self, browser: object, url: str | None = None) -> None:
        self.context = browser.new_context(viewport={"width": 1440, "height": 900})
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.outside_requests: list[str] = []
        self.failed_requests: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        self.page.on("requestfailed", lambda request: self.failed_requests.append(request.url))
        self.page.on("response", lambda r: r.status >= 400 and self.failed_requests.append(f"{r.status} {r.url}"))
        self.context.route("**/*", self._only_localhost)
        if url is not None:
            self.open(url)

    def open(self, url: str, *, settle: bool = True) -> None:
        """Load `url`, forgetting what happened on the page before; `settle` waits for the network to go idle."""
        for record in (self.console_errors, self.outside_requests, self.failed_requests):
            record.clear()
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
        if settle:
            self.page.wait_for_load_state("networkidle")

    def _only_localhost(self, route: object) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside_requests.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser: object, server: str) -> Iterator[object]:
    """Opens a page of the site (by its name in _toc.yml) in a fresh browser context, closed after the test."""
    opened: list[LoadedPage] = []

    def _open(name: str) -> LoadedPage:
        loaded = LoadedPage(browser, f"{server}{name}.html")
        opened.append(loaded)
        return loaded

    yield _open
    for loaded in opened:
        loaded.close()


def wait_for_mathjax(page: object) -> None:
    """Wait until MathJax has loaded (when the page uses it) and typeset the page."""
    page.wait_for_function(
        "() => !document.querySelector('.math') || (window.MathJax && MathJax.startup)", timeout=15_000
    )
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")


def wait_for_images(page: object) -> None:
    page.evaluate(
        """() => Promise.all([...document.images].map(img => {
            img.loading = 'eager';
            return img.complete ? null : new Promise(done => { img.onload = img.onerror = done; });
        }))"""
    )


def local_target(url: str, base: str, site: Path) -> Path | None:
    """The file a URL on the local server points at, or None for a URL elsewhere."""
    if not url.startswith(base):
        return None
    path = unquote(urlsplit(url).path).lstrip("/")
    target = site / path
    return target / "index.html" if path == "" or path.endswith("/") else target


def broken_local_links(page: object, server: str, site: Path) -> list[str]:
    """The relative links of a page whose file, or anchor in that file, does not exist."""
    links = page.evaluate(
        """() => [...document.querySelectorAll('a[href]')]
            .filter(a => !/^([a-z][a-z0-9+.-]*:|\\/\\/)/i.test(a.getAttribute('href')))
            .map(a => a.href)"""
    )
    assert links, f"{page.url}: no local links found"
    broken = []
    for url in sorted(set(links)):
        target = local_target(url, server, site)
        assert target is not None, f"{page.url}: relative link {url} resolves outside the site"
        fragment = unquote(urlsplit(url).fragment)
        if not target.is_file():
            broken.append(url)
        elif fragment and target.suffix == ".html" and f'id="{fragment}"' not in target.read_text():
            broken.append(url)
    return broken


@needs_chromium
@pytest.mark.parametrize("name", toc_files())
def test_page_loads_cleanly_with_its_math_images_and_links(
    name: str, open_page: object, server: str, site: Path
) -> None:
    loaded = open_page(name)
    page = loaded.page
    wait_for_mathjax(page)
    wait_for_images(page)

    # Math: every formula Sphinx emitted is typeset by MathJax, without a TeX error, from the site's own copy.
    math = page.evaluate(
        """() => [...document.querySelectorAll('.math')].map(el => ({
            tex: el.textContent.slice(0, 80), typeset: !!el.querySelector('mjx-container'),
            error: !!el.querySelector('mjx-merror')}))"""
    )
    assert [m["tex"] for m in math if not m["typeset"]] == [], f"{name}: math left untypeset"
    assert [m["tex"] for m in math if m["error"]] == [], f"{name}: MathJax reports TeX errors"
    if math:
        mathjax = page.evaluate("() => [...document.scripts].map(s => s.src).filter(s => /mathjax/i.test(s))")
        assert mathjax and all(src.startswith(server) for src in mathjax), f"{name}: MathJax not local: {mathjax}"

    # Images: every <img> has loaded.
    images = page.evaluate("() => [...document.images].map(img => ({src: img.src, width: img.naturalWidth}))")
    assert [img["src"] for img in images if img["width"] == 0] == [], f"{name}: images that did not load"

    # Local links: every relative href points at a file that exists, and at an anchor that exists in it.
    assert broken_local_links(page, server, site) == [], f"{name}: local links to missing files or anchors"

    # Nothing went wrong while loading, and nothing was fetched from outside 127.0.0.1.
    assert loaded.outside_requests == [], f"{name}: requests that leave the machine"
    assert loaded.failed_requests == [], f"{name}: requests that failed"
    assert loaded.console_errors == [], f"{name}: console errors"


@needs_chromium
def test_navigation_lists_every_chapter(open_page: object) -> None:
    page = open_page(TOC["root"]).page
    links = page.evaluate(
        """() => [...document.querySelectorAll('nav.bd-docs-nav a[href]')]
            .map(a => ({path: new URL(a.href).pathname.replace(/^\\//, ''), visible: a.checkVisibility()}))"""
    )
    visible = {link["path"] for link in links if link["visible"]}
    missing = [name for name in toc_chapters() if f"{name}.html" not in visible]
    assert missing == [], f"the navigation does not show {missing}"


@needs_chromium
def test_generated_pages_load_cleanly(browser: object, server: str, site: Path) -> None:
    """The index, the search page and the highlighted sources that the API reference links to."""
    pages = ["genindex", "search"] + sorted(
        str(path.relative_to(site).with_suffix("")) for path in (site / "_modules").rglob("*.html")
    )
    assert "_modules/gapbook/ghost_bn" in pages, "no highlighted source pages were built"
    loaded = LoadedPage(browser)
    try:
        for name in pages:
            loaded.open(f"{server}{name}.html", settle=False)
            assert broken_local_links(loaded.page, server, site) == [], f"{name}: broken local links"
            assert loaded.outside_requests == [], f"{name}: requests that leave the machine"
            assert loaded.failed_requests == [], f"{name}: requests that failed"
            assert loaded.console_errors == [], f"{name}: console errors"
    finally:
        loaded.close()


@needs_chromium
@pytest.mark.parametrize("name", [name for name in toc_files() if is_notebook(name)])
def test_notebook_page_has_a_colab_button_for_its_notebook(name: str, open_page: object) -> None:
    repository = CONFIG["repository"]["url"].removeprefix("https://github.com/").rstrip("/")
    expected = f"https://colab.research.google.com/github/{repository}/blob/main/{name}.ipynb"
    page = open_page(name).page
    colab = page.locator('a[href^="https://colab.research.google.com/"]')
    assert colab.count() == 1, f"{name}: expected one Colab link, found {colab.count()}"
    assert colab.get_attribute("href") == expected
    assert not colab.is_visible(), "the Colab link should sit in the launch menu, closed until clicked"
    page.get_by_role("button", name="Launch interactive content").click()
    colab.wait_for(state="visible", timeout=5000)


@needs_chromium
def test_screenshot_of_a_chapter(open_page: object, capsys: pytest.CaptureFixture[str]) -> None:
    artifacts = Path(os.environ.get("GAPBOOK_ARTIFACTS") or ROOT / "_build" / "artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    loaded = open_page(SCREENSHOT_PAGE)
    wait_for_mathjax(loaded.page)
    wait_for_images(loaded.page)
    path = artifacts / f"{Path(SCREENSHOT_PAGE).name}.png"
    path.unlink(missing_ok=True)
    loaded.page.screenshot(path=str(path), full_page=True)
    height = loaded.page.evaluate("() => document.documentElement.scrollHeight")
    assert path.stat().st_size > 50_000, "the screenshot is suspiciously small"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert height > 2000, f"a whole chapter should be taller than one screen, got {height}px"
    with capsys.disabled():
        print(f"\nscreenshot of {SCREENSHOT_PAGE}: {path}")


def expand_everything(page: object) -> None:
    """Open every collapsed cell and toggle, so that hidden code is measured as a reader who opens it sees it."""
    page.evaluate(
        """() => {
            document.querySelectorAll('details').forEach(d => { d.open = true; });
            document.querySelectorAll('.toggle-hidden').forEach(el => el.classList.remove('toggle-hidden'));
        }"""
    )


def open_at(browser: object, server: str, name: str, width: int, height: int) -> LoadedPage:
    """Page ``name`` in a fresh context whose window is ``width`` x ``height``, with its math typeset and its images
    loaded."""
    loaded = LoadedPage(browser)
    loaded.context.close()
    loaded.context = browser.new_context(viewport={"width": width, "height": height})
    loaded.page = loaded.context.new_page()
    loaded.page.goto(f"{server}{name}.html", wait_until="load")
    wait_for_mathjax(loaded.page)
    wait_for_images(loaded.page)
    return loaded


PHONE = (390, 844)
DESKTOP = (1280, 900)
# What may scroll sideways inside its own box on a phone: a wide table (with a shadow that says there is more) and
# a display equation. Nothing may make the page itself scroll sideways, and at 1280 px nothing scrolls at all.
BOXES_THAT_MAY_SCROLL_ON_A_PHONE = ".pst-scrollable-table-container, mjx-container[display='true']"


@needs_chromium
@pytest.mark.parametrize("width", [DESKTOP[0], PHONE[0]], ids=["1280px", "390px"])
@pytest.mark.parametrize("name", toc_files())
def test_nothing_scrolls_sideways(name: str, width: int, browser: object, server: str) -> None:
    loaded = open_at(browser, server, name, width, DESKTOP[1] if width == DESKTOP[0] else PHONE[1])
    try:
        expand_everything(loaded.page)
        overflowing = loaded.page.evaluate(
            """(allowed) => {
                const found = [];
                const root = document.documentElement;
                if (root.scrollWidth > root.clientWidth + 1) found.push(`the page (${root.scrollWidth}px)`);
                for (const el of document.querySelectorAll('main *')) {
                    const overflow = getComputedStyle(el).overflowX;
                    if (!['auto', 'scroll'].includes(overflow) || el.clientWidth === 0) continue;
                    if (allowed && el.matches(allowed)) continue;
                    if (el.scrollWidth > el.clientWidth + 1) {
                        const text = (el.innerText || '').trim().split('\\n')[0].slice(0, 60);
                        found.push(`${el.tagName.toLowerCase()}.${el.className} ` +
                                   `(${el.scrollWidth}px in ${el.clientWidth}px): ${text}`);
                    }
                }
                return found;
            }""",
            BOXES_THAT_MAY_SCROLL_ON_A_PHONE if width == PHONE[0] else "",
        )
    finally:
        loaded.close()
    assert overflowing == [], f"{name}: scrolls sideways at {width}px: {overflowing}"


MAX_PAGE_HEIGHT = 16_000
FIRST_FIGURE_WITHIN = 1_800
MIN_PIXEL_DENSITY = 1.5


@needs_chromium
@pytest.mark.parametrize("name", toc_files())
def test_page_is_short_opens_with_a_figure_and_its_figures_are_sharp(name: str, browser: object, server: str) -> None:
    """At a 1280 px window, as served (collapsed parts collapsed): the page is at most 16,000 px tall; a chapter
    with figures shows its first within 1,800 px of the top; every figure holds at least 1.5 times the pixels of
    the width it is displayed at (sharp on a dense screen, and on a phone, where it shrinks)."""
    loaded = open_at(browser, server, name, *DESKTOP)
    try:
        measured = loaded.page.evaluate(
            """() => ({
                height: document.documentElement.scrollHeight,
                figures: [...document.querySelectorAll('main article img')].map(img => {
                    const box = img.getBoundingClientRect();
                    return {src: img.src.split('/').pop(), top: box.top + window.scrollY, shown: box.width,
                            pixels: img.naturalWidth};
                }),
            })"""
        )
    finally:
        loaded.close()
    assert measured["height"] <= MAX_PAGE_HEIGHT, f"{name}: {measured['height']}px tall"
    figures = measured["figures"]
    if is_notebook(name) and has_figures(name):
        assert figures[0]["top"] <= FIRST_FIGURE_WITHIN, f"{name}: the first figure is {figures[0]['top']:.0f}px down"
    blurry = [f["src"] for f in figures if f["shown"] and f["pixels"] < MIN_PIXEL_DENSITY * f["shown"]]
    assert blurry == [], f"{name}: figures with fewer than {MIN_PIXEL_DENSITY}x the pixels they are shown at"


@needs_chromium
@pytest.mark.parametrize("window", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_the_intro_first_screen_holds_a_figure(window: tuple[int, int], browser: object, server: str) -> None:
    """On a desktop the whole figure is on the first screen; on a phone it starts there, in its upper part."""
    loaded = open_at(browser, server, TOC["root"], *window)
    try:
        box = loaded.page.evaluate(
            "() => { const img = document.querySelector('main article img');"
            " return img && {top: img.getBoundingClientRect().top, bottom: img.getBoundingClientRect().bottom}; }"
        )
    finally:
        loaded.close()
    assert box is not None, "the intro has no figure"
    width, height = window
    if width == DESKTOP[0]:
        assert box["bottom"] <= height, f"the intro's figure ends at {box['bottom']:.0f}px, below the first screen"
    else:
        assert box["top"] <= 0.8 * height, f"the intro's figure starts at {box['top']:.0f}px, below the first screen"


def has_figures(name: str) -> bool:
    """Whether a chapter's stored outputs hold an image."""
    notebook = json.loads((ROOT / f"{name}.ipynb").read_text())
    return any(key.startswith("image/") for cell in notebook["cells"] for output in cell.get("outputs", [])
               for key in output.get("data", {}))  # fmt: skip


@needs_chromium
@pytest.mark.parametrize("name", [name for name in toc_files() if is_notebook(name) and has_figures(name)])
def test_every_figure_has_a_number_a_caption_and_alt_text(name: str, open_page: object) -> None:
    page = open_page(name).page
    wait_for_images(page)
    images = page.evaluate(
        """() => [...document.querySelectorAll('main article img')].map(img => {
            const figure = img.closest('figure');
            const caption = figure ? figure.querySelector('figcaption') : null;
            return {src: img.src.split('/').pop(), alt: (img.getAttribute('alt') || '').trim(),
                    caption: caption ? caption.innerText.trim() : '',
                    number: caption ? !!caption.querySelector('.caption-number') : false};
        })"""
    )
    assert images, f"{name}: no figure found"
    assert [i["src"] for i in images if not i["caption"]] == [], f"{name}: figures without a caption"
    assert [i["src"] for i in images if not i["number"]] == [], f"{name}: figures without a number"
    assert [i["src"] for i in images if len(i["alt"]) < 20] == [], f"{name}: figures without a real alt text"


def public_names() -> list[str]:
    """Every public name of the package that the API reference must document, fully qualified: everything the
    layers export, and the functions and classes of the experiments (whose many constants are data of Table 1)."""
    import importlib

    modules = ["gapbook", "gapbook.train", "gapbook.train.timing", "gapbook.models", "gapbook.data", "gapbook.book",
               "gapbook.stats", "gapbook.sharpness", "gapbook.support", "gapbook.claims"]  # fmt: skip
    names = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        names += [f"{module_name}.{name}" for name in module.__all__]
    experiments = importlib.import_module("gapbook.experiments")
    names += [
        f"gapbook.experiments.{name}" for name in experiments.__all__ if callable(getattr(experiments, name))
    ]
    return names


def test_api_reference_documents_every_public_name(site: Path) -> None:
    """Across the reference's pages (book/api.md and its sections), every public name has its entry, once."""
    paths = [site / "book" / "api.html", *(site / "book" / "api").glob("*.html")]
    pages = {path.name: path.read_text() for path in paths}
    ids = [found for page in pages.values() for found in re.findall(r'\bid="([^"]+)"', page)]
    missing = [name for name in public_names() if name not in ids and f"module-{name}" not in ids]
    assert missing == [], f"the API reference does not document {missing}"
    twice = sorted({name for name in public_names() if ids.count(name) > 1})
    assert twice == [], f"the API reference documents {twice} more than once"
    # Each documented object links to its highlighted source.
    assert any(
        re.search(r'href="(\.\./)+_modules/gapbook/ghost_bn\.html#GhostBatchNorm2d"', page) for page in pages.values()
    )
