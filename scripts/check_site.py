#!/usr/bin/env python3
"""Check the built website in a real browser (headless Chromium).

Usage (from the repository root, after ``jupyter-book build .``)::

    python scripts/check_site.py                     # check _build/html
    python scripts/check_site.py --site path/to/html
    python scripts/check_site.py --screenshot book/_static/screenshot-intro.png

The site is served from a local HTTP server and every HTML page is loaded in headless
Chromium, driven by Selenium through the system chromedriver
(Debian: ``apt-get install chromium chromium-driver``). For each page the check fails on

* any browser console message of level SEVERE (JavaScript errors, failed requests);
* any ``<img>`` that does not load (``naturalWidth`` of 0 after loading);
* any link to a page or file of the site that does not exist, and any link to an
  anchor (``page.html#id``) whose target id is not on that page.

The browser is cut off from the internet (``--host-resolver-rules``), so the result does
not depend on the network: requests to other hosts (the MathJax CDN, for instance) fail
the same way everywhere and are listed as "external, not checked" instead of errors.
Links to other sites are not followed for the same reason.

``--screenshot`` saves a picture of the intro page (1400 x 900 pixels) for the README.
Exit status: 0 all pages clean, 1 problems found, 2 the check could not run (no
site, no browser).
"""
from __future__ import annotations

import argparse
import functools
import html.parser
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    # Every host except the local server fails to resolve: the check is hermetic.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
# Pages Sphinx writes that are not part of the reader-facing site.
SKIP_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static", "reports", "_panels_static"}

# Waits for every <img> on the page to finish loading (or failing), then returns the
# sources of those that did not load. Lazy images are switched to eager first.
IMAGES_JS = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { i.loading = 'eager'; });
Promise.all(imgs.map(i => (i.complete ? Promise.resolve() : new Promise(r => {
  i.addEventListener('load', r, {once: true});
  i.addEventListener('error', r, {once: true});
})))).then(() => done(imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.currentSrc || i.src)));
"""
SCREENSHOT_SIZE = (1400, 900)
LINKS_JS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"


class _IdCollector(html.parser.HTMLParser):
    """Collect every id (and legacy <a name>) in an HTML document."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if value and (key == "id" or (tag == "a" and key == "name")):
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def ids_in(path: Path) -> frozenset[str]:
    parser = _IdCollector()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def html_pages(site: Path) -> list[Path]:
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if rel.parts and rel.parts[0] in SKIP_DIRS:
            continue
        pages.append(path)
    return pages


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``site`` on a free localhost port in a background thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep the check's own output readable
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def find_executable(candidates) -> str | None:
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def start_browser(profile: str):
    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium: no usage statistics
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = find_executable(CHROMIUM_CANDIDATES)
    driver_path = find_executable(CHROMEDRIVER_CANDIDATES)
    if binary is None or driver_path is None:
        raise FileNotFoundError(
            "Chromium or chromedriver not found; install them with "
            "`apt-get install chromium chromium-driver`"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def is_external_failure(message: str, base: str) -> bool:
    """A failed request to another host: expected, because the browser is offline."""
    url = message.split(" ", 1)[0]
    return (
        url.startswith(("http://", "https://"))
        and not url.startswith(base)
        and "net::ERR_NAME_NOT_RESOLVED" in message
    )


def check_link(href: str, page: Path, base: str, site: Path) -> str | None:
    """Return a problem description for an internal link, or None if it resolves."""
    if not href.startswith(base):
        return None  # another site, mailto:, javascript: ... not checked offline
    parsed = urllib.parse.urlsplit(href)
    rel = urllib.parse.unquote(parsed.path)[1:]
    target = site / rel if rel else site / "index.html"
    if rel.endswith("/") or target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"broken link to {rel or '/'}"
    fragment = urllib.parse.unquote(parsed.fragment)
    if fragment and target.suffix == ".html" and fragment not in ids_in(target):
        return f"link to missing anchor {rel}#{fragment}"
    return None


def check_site(site: Path, screenshot: Path | None = None, verbose: bool = True,
               screenshot_page: str = "book/intro.html") -> dict:
    """Load every page of ``site``; return {'pages', 'problems', 'external'}.

    With ``screenshot``, also save a picture of ``screenshot_page`` there.
    """
    site = site.resolve()
    pages = html_pages(site)
    problems: list[str] = []
    external: set[str] = set()
    server, base = serve(site)
    profile = tempfile.mkdtemp(prefix="kmeta-chromium-")
    driver = None
    try:
        driver = start_browser(profile)
        for page in pages:
            rel = page.relative_to(site).as_posix()
            driver.get(base + urllib.parse.quote(rel))
            broken_images = driver.execute_async_script(IMAGES_JS)
            for src in broken_images:
                problems.append(f"{rel}: image does not load: {src}")
            for href in sorted(set(driver.execute_script(LINKS_JS))):
                problem = check_link(href, page, base, site)
                if problem:
                    problems.append(f"{rel}: {problem}")
            for entry in driver.get_log("browser"):
                if entry.get("level") != "SEVERE":
                    continue
                message = entry.get("message", "")
                if is_external_failure(message, base):
                    external.add(message.split(" ", 1)[0])
                else:
                    problems.append(f"{rel}: console: {message}")
            if verbose:
                print(f"  checked {rel}", flush=True)
        if screenshot is not None:
            width, height = SCREENSHOT_SIZE
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
            driver.get(base + screenshot_page)
            driver.execute_async_script(IMAGES_JS)
            # The theme scrolls the sidebar to the current page; show it from the top.
            driver.execute_script(
                "document.querySelectorAll('.bd-sidebar-primary, .bd-sidebar-primary *')"
                ".forEach(e => { e.scrollTop = 0; });"
            )
            time.sleep(0.5)  # let web fonts and the theme's layout settle
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not driver.save_screenshot(str(screenshot)):
                problems.append(f"could not save screenshot to {screenshot}")
    finally:
        if driver is not None:
            driver.quit()
        server.shutdown()
        server.server_close()
        shutil.rmtree(profile, ignore_errors=True)
    return {"pages": len(pages), "problems": problems, "external": sorted(external)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--screenshot", type=Path, default=None,
                        help="save a 1400x900 screenshot of the intro page here")
    parser.add_argument("--quiet", action="store_true", help="do not list each page")
    args = parser.parse_args(argv)

    if not (args.site / "index.html").is_file():
        print(f"check_site: no built site at {args.site} (run `jupyter-book build .` first)",
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        result = check_site(args.site, args.screenshot, verbose=not args.quiet)
    except FileNotFoundError as err:
        print(f"check_site: {err}", file=sys.stderr)
        return 2
    for url in result["external"]:
        print(f"  external, not checked (browser is offline): {url}")
    for problem in result["problems"]:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print(f"check_site: {result['pages']} pages, {len(result['problems'])} problems, "
          f"{time.perf_counter() - start:.1f} s")
    if args.screenshot is not None and not result["problems"]:
        print(f"check_site: screenshot written to {args.screenshot}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
