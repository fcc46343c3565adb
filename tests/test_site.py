"""scripts/check_site.py finds what it claims to find.

The browser check runs on the real site in .ci/run, after the book is built. Here it runs
on a tiny hand-written site with one deliberate defect of each kind it looks for, and on a
clean page, so a checker that silently passes everything would fail this test.
Needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver); the
test is skipped, saying so, where they are not installed.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_site", ROOT / "scripts" / "check_site.py")
check_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_site)

# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

needs_chromium = pytest.mark.skipif(
    check_site.find_executable(check_site.CHROMIUM_CANDIDATES) is None
    or check_site.find_executable(check_site.CHROMEDRIVER_CANDIDATES) is None,
    reason="Chromium/chromedriver not installed (apt-get install chromium chromium-driver)",
)


def page(body: str) -> str:
    return f"<!doctype html><html><head><meta charset='utf-8'><title>t</title>" \
           f"<link rel='icon' href='data:,'></head><body>{body}</body></html>"


@pytest.fixture()
def site(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "dot.png").write_bytes(PNG)
    (tmp_path / "index.html").write_text(page(
        "<h1 id='top'>Index</h1>"
        "<a href='good.html#section'>fine</a>"
        "<a href='#top'>fine, same page</a>"
        "<a href='https://example.org/'>external, not followed</a>"
        "<img src='img/dot.png' alt='a dot'>"
    ))
    (tmp_path / "good.html").write_text(page("<h2 id='section'>Fine</h2>"))
    (tmp_path / "bad.html").write_text(page(
        "<a href='missing.html'>broken page</a>"
        "<a href='good.html#no-such-anchor'>broken anchor</a>"
        "<img src='img/missing.png' alt='broken image'>"
        "<script>undefinedFunction();</script>"
    ))
    return tmp_path


@pytest.mark.slow
@needs_chromium
def test_check_site_reports_each_kind_of_defect_and_nothing_else(site, tmp_path):
    shot = tmp_path / "shots" / "index.png"
    result = check_site.check_site(site, screenshot=shot, verbose=False,
                                   screenshot_page="index.html")
    assert result["pages"] == 3
    problems = result["problems"]
    assert all(p.startswith("bad.html: ") for p in problems), problems  # clean pages pass
    joined = "\n".join(problems)
    assert "broken link to missing.html" in joined
    assert "link to missing anchor good.html#no-such-anchor" in joined
    assert "image does not load" in joined and "img/missing.png" in joined
    assert "undefinedFunction" in joined                     # console error (SEVERE)
    # the screenshot is a PNG of the requested size
    header = shot.read_bytes()[:24]
    assert header[:8] == PNG[:8]
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert (width, height) == check_site.SCREENSHOT_SIZE


def test_internal_link_rules_without_a_browser(site):
    base = "http://127.0.0.1:9/"
    assert check_site.check_link(base + "good.html#section", site / "index.html", base, site) is None
    assert check_site.check_link(base, site / "index.html", base, site) is None
    assert check_site.check_link("https://example.org/x", site / "index.html", base, site) is None
    assert check_site.check_link(base + "nope.html", site / "index.html", base, site) \
        == "broken link to nope.html"
    assert check_site.check_link(base + "good.html#gone", site / "index.html", base, site) \
        == "link to missing anchor good.html#gone"


def test_offline_failures_of_other_hosts_are_not_errors():
    base = "http://127.0.0.1:8000/"
    cdn = "https://cdn.example/x.js - Failed to load resource: net::ERR_NAME_NOT_RESOLVED"
    local = base + "x.js - Failed to load resource: net::ERR_NAME_NOT_RESOLVED"
    assert check_site.is_external_failure(cdn, base)
    assert not check_site.is_external_failure(local, base)
    assert not check_site.is_external_failure(base + "p.html 1:1 Uncaught ReferenceError", base)
