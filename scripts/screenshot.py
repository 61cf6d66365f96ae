"""Take screenshots of a running app with Debian's headless Chromium (Playwright, no download).

Usage: python scripts/screenshot.py URL OUT.png [WIDTH HEIGHT]
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--enable-unsafe-swiftshader"]


READY = """() => {
  const busy = document.querySelector('[data-dash-is-loading="true"]');
  const lc = document.querySelector('#lc-graph .main-svg');
  return !busy && lc && !document.querySelector('#progress').textContent.includes('fetching');
}"""


def main() -> None:
    url, out = sys.argv[1], sys.argv[2]
    width, height = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1440, 900)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        page.wait_for_timeout(1500)
        page.wait_for_function(READY, timeout=30000)
        page.wait_for_timeout(1000)
        page.screenshot(path=out, full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
