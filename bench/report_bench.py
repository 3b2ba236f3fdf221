# -*- coding: utf-8 -*-
# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time to interactive of the HTML fleet report for N hosts in real headless Chromium.

Prints figures; asserts nothing about time (target: < 1 s for 1,000 hosts on this machine).
Builds the remediation report of a generated fleet (tests/unit/report_fleet.py: the four lab
hosts' recorded facts, varied; the real planner), renders it, and per round opens it in a fresh
page of Debian's chromium (playwright, executable_path=/usr/bin/chromium):
  tti       performance.now() when the page's script has wired the filters and sort (the page
            sets window.kcrashReportReady), i.e. from navigation start to interactive
  wall      the same seen from the driver (goto .. ready), including the IPC
  filter    one filter change over every row (verdict = exposed), in the page
  sort      one click sort of the host column, in the page
Also the controller side: build + render time of the report (Python).

  .venv/bin/python bench/report_bench.py [--hosts 1000] [--rounds 5]
  .venv/bin/python bench/report_bench.py --screenshot REPORT.html OUT.png   (docs image)
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _collection():
    """Import this checkout as ansible_collections.kcrash.nfqueue (bench/checkout.py)."""
    import checkout  # bench/checkout.py (the script's own directory is on sys.path)
    checkout.install()
    sys.path.insert(0, os.path.join(REPO, "tests", "unit"))


def browser(pw, work, viewport=(1400, 900)):
    return pw.chromium.launch_persistent_context(
        os.path.join(work, "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
        viewport={"width": viewport[0], "height": viewport[1]})


def screenshot(html, png, width, height):
    from playwright.sync_api import sync_playwright
    work = tempfile.mkdtemp(prefix="kcrash-report-shot-")
    try:
        with sync_playwright() as pw:
            ctx = browser(pw, work, (width, height))
            page = ctx.new_page()
            page.goto("file://" + os.path.abspath(html))
            page.wait_for_selector("body[data-ready='1']")
            # the first host's detail open: results, backups, the rollback command
            page.locator("#hosts tbody tr summary").first.click()
            page.screenshot(path=png, full_page=True)
            ctx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("wrote %s (%d bytes)" % (png, os.path.getsize(png)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--screenshot", nargs=2, metavar=("HTML", "PNG"))
    ap.add_argument("--size", default="1280x860", help="screenshot viewport WxH")
    a = ap.parse_args()
    if a.screenshot:
        w, h = (int(x) for x in a.size.split("x"))
        return screenshot(a.screenshot[0], a.screenshot[1], w, h)
    _collection()
    from playwright.sync_api import sync_playwright
    from report_fleet import remediation_hosts

    from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report as rr

    hosts = remediation_hosts(a.hosts)
    t0 = time.perf_counter()
    rep = rr.build(hosts, False)
    html = rr.to_html(rep)
    render = time.perf_counter() - t0
    work = tempfile.mkdtemp(prefix="kcrash-report-bench-")
    path = os.path.join(work, "report.html")
    with open(path, "w") as f:
        f.write(html)
    series = {"tti": [], "wall": [], "filter": [], "sort": []}
    try:
        with sync_playwright() as pw:
            ctx = browser(pw, work)
            version = ctx.browser.version if ctx.browser else "?"
            for dummy in range(a.rounds):
                page = ctx.new_page()
                t = time.perf_counter()
                page.goto("file://" + path)
                page.wait_for_selector("body[data-ready='1']")
                series["wall"].append(time.perf_counter() - t)
                series["tti"].append(page.evaluate("window.kcrashReportReady") / 1000.0)
                series["filter"].append(page.evaluate(
                    "() => { var s = document.getElementById('f-verdict'), t = performance.now();"
                    " s.value = 'exposed'; s.dispatchEvent(new Event('change'));"
                    " return (performance.now() - t) / 1000; }"))
                series["sort"].append(page.evaluate(
                    "() => { var th = document.querySelector('#hosts thead th'), t = performance.now();"
                    " th.click(); return (performance.now() - t) / 1000; }"))
                page.close()
            ctx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("report of %d hosts: HTML %d KiB, build + render (Python) %.3f s; chromium %s, %d rounds"
          % (a.hosts, len(html) // 1024, render, version, a.rounds))
    for name in ("tti", "wall", "filter", "sort"):
        v = series[name]
        print("  %-7s median %.3f s   min %.3f s   max %.3f s" % (name, statistics.median(v), min(v), max(v)))
    print("target: time to interactive (tti) < 1 s for 1,000 hosts")


if __name__ == "__main__":
    main()
