# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The remediation report of a generated 1,000-host fleet in real headless Chromium (Debian's
`chromium`, driven by playwright): each filter and the free-text search, a column sort, the
visible rows asserted against the report's own records. Screenshot kept as the test artifact
.build/test-artifacts/report-1000.png (docs/testing.md)."""

import os
import shutil
import struct
import tempfile
from collections import Counter

import pytest
from playwright.sync_api import sync_playwright
from report_fleet import REPO, remediation_hosts, schema, validate

from ansible_collections.kcrash.nfqueue.plugins.module_utils import remediation_report as rr

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = os.path.join(REPO, ".build", "test-artifacts")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def fleet_page():
    if not os.path.exists(CHROMIUM):
        pytest.fail("%s missing: scripts/setup.sh installs the chromium package (requirements/apt-packages.txt)"
                    % CHROMIUM)
    rep = rr.build(remediation_hosts(1000), False, generated="2026-12-06T03:00:00Z")
    validate(rep)
    work = tempfile.mkdtemp(prefix="kcrash-report-browser-")
    path = os.path.join(work, "report.html")
    with open(path, "w") as f:
        f.write(rr.to_html(rep))
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            os.path.join(work, "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 900})
        try:
            page = browser.new_page()
            page.goto("file://" + path)
            page.wait_for_selector("body[data-ready='1']", timeout=30000)
            yield rep, page
        finally:
            browser.close()
            shutil.rmtree(work, ignore_errors=True)


def visible(page):
    return page.eval_on_selector_all("#hosts tbody tr", "rs => rs.filter(r => !r.hidden && r.offsetParent !== null)"
                                                        ".map(r => r.getAttribute('data-host'))")


def reset(page):
    for sel in page.query_selector_all(".filters select"):
        sel.select_option("")
    page.fill("#f-search", "")
    page.wait_for_function("document.getElementById('shown').textContent == '1000'")


def hosts_where(rep, pred):
    return sorted(h["host"] for h in rep["hosts"] if pred(h))


@pytest.mark.parametrize("field, value, pred", [
    ("verdict", "exposed", lambda h: h["verdict"] == "exposed"),
    ("outcome", "remediated", lambda h: h["outcome"] == "remediated"),
    ("outcome", "apply_failed", lambda h: h["outcome"] == "apply_failed"),
    ("strategy", "drop", lambda h: h["strategy"] == "drop"),
    ("changed", "yes", lambda h: h["changed"]),
    ("status", "problem", lambda h: h["status"] in ("unreachable", "failed")),
    ("kernel", "2.6.32-431.17.1.el6.x86_64", lambda h: (h["kernel"] or {}).get("release") == "2.6.32-431.17.1.el6.x86_64"),
])
def test_each_filter_shows_exactly_the_matching_hosts(fleet_page, field, value, pred):
    rep, page = fleet_page
    reset(page)
    want = hosts_where(rep, pred)
    assert 0 < len(want) < 1000
    page.select_option("#f-" + field, value)
    assert sorted(visible(page)) == want
    assert page.text_content("#shown") == str(len(want))


def test_filters_combine_and_search(fleet_page):
    rep, page = fleet_page
    reset(page)
    page.select_option("#f-verdict", "exposed")
    page.fill("#f-search", "DC1")
    want = hosts_where(rep, lambda h: h["verdict"] == "exposed" and "dc1" in h["host"])
    page.wait_for_function("document.getElementById('shown').textContent == '%d'" % len(want))
    assert sorted(visible(page)) == want
    reset(page)
    page.fill("#f-search", "web0421.")
    page.wait_for_function("document.getElementById('shown').textContent == '1'")
    assert visible(page) == ["web0421.dc1.example.net"]


def heading(page, text):
    return page.locator("#hosts thead th", has_text=text).first


def assert_sorts_both_ways(page, text, want):
    """A click on the column ``text`` sorts the visible rows as ``want``, a second click reverses them."""
    th = heading(page, text)
    th.click()
    assert visible(page) == want
    th.click()
    assert visible(page) == list(reversed(want))


def test_sort_by_host_both_ways(fleet_page):
    rep, page = fleet_page
    reset(page)
    page.select_option("#f-outcome", "remediated")
    assert_sorts_both_ways(page, "host", hosts_where(rep, lambda h: h["outcome"] == "remediated"))


def test_sort_by_verdict_is_by_severity_both_ways(fleet_page):
    rep, page = fleet_page
    reset(page)
    host = heading(page, "host")  # from host order: equal verdicts keep it
    host.click()
    if host.get_attribute("aria-sort") != "ascending":
        host.click()
    severity = ["exposed", "at_risk", "unknown", "not_exposed"]  # worst first; no verdict last
    assert_sorts_both_ways(page, "verdict before", [h["host"] for h in sorted(rep["hosts"], key=lambda h: (
        severity.index(h["verdict"]) if h["verdict"] in severity else len(severity), h["host"]))])


def test_charts_legend_and_evidence_groups_as_drawn(fleet_page):
    """What the top of the page shows: the bar charts' counts (recounted here from the host
    records), a legend entry for every value the schema allows, and each evidence group listing
    exactly the hosts whose rows link to it."""
    rep, page = fleet_page
    reset(page)
    drawn = page.evaluate("() => { var out = {}; document.querySelectorAll('.chart').forEach(function (c) {"
                          " var m = {}; c.querySelectorAll('rect title').forEach(function (t) {"
                          " var kv = t.textContent.split(': '); m[kv[0]] = +kv[1]; });"
                          " out[c.getAttribute('data-chart')] = m; }); return out; }")
    hosts = rep["hosts"]
    assert drawn["verdict before"] == dict(Counter(h["verdict"] for h in hosts if h["verdict"]))
    assert drawn["verdict after"] == dict(Counter(h["verdict_after"] for h in hosts if h["verdict_after"]))
    assert drawn["outcome"] == dict(Counter(h["outcome"] for h in hosts))
    assert drawn["action"] == dict(Counter(a for h in hosts for a in (h["actions"] or ["none"])))
    assert drawn["detection status"] == dict(Counter(h["status"] for h in hosts))

    legend = page.evaluate("() => { var out = {}; document.querySelectorAll('#legend h3').forEach(function (h) {"
                           " out[h.textContent] = Array.prototype.map.call(h.nextElementSibling.querySelectorAll('dt'),"
                           " function (d) { return d.getAttribute('data-legend'); }); }); return out; }")
    props = schema()["definitions"]["host"]["properties"]
    want = {"verdict": schema()["definitions"]["level"]["enum"], "status": props["status"]["enum"],
            "after source": props["after_source"]["enum"], "action": props["actions"]["items"]["enum"] + ["none"],
            "outcome": [o for o in props["outcome"]["enum"] if o is not None]}
    assert dict((k, sorted(v)) for k, v in legend.items()) == dict((k, sorted(v)) for k, v in want.items())

    groups = page.evaluate("() => { var out = {}; document.querySelectorAll('details.group').forEach(function (g) {"
                           " out[g.id] = g.querySelector('.hosts-list').textContent.split(', '); }); return out; }")
    links = page.eval_on_selector_all("#hosts tbody tr", "rs => rs.map(r => [r.getAttribute('data-host'),"
                                      " (r.querySelector('a[href^=\"#ev-\"]') || {}).hash || null])")
    linked = {}
    for host, href in links:
        if href:
            linked.setdefault(href[1:], []).append(host)
    assert dict((g, sorted(h)) for g, h in linked.items()) == dict((g, sorted(h)) for g, h in groups.items())
    assert sorted(h for hs in groups.values() for h in hs) == hosts_where(rep, lambda h: h["status"] == "ok")
    assert len(groups) < 30  # identical evidence once per group, not once per host


def test_remediated_and_compliant_rows_are_told_apart(fleet_page):
    """Both are good news, but one was changed by the run: not the same green on the page."""
    dummy, page = fleet_page
    reset(page)
    colours = dict((o, page.eval_on_selector("#hosts tbody tr[data-outcome='%s'] .o-%s" % (o, o),
                                             "e => getComputedStyle(e).backgroundColor"))
                   for o in ("remediated", "compliant"))
    assert colours["remediated"] != colours["compliant"], colours


def test_row_detail_has_the_rollback_command(fleet_page):
    rep, page = fleet_page
    reset(page)
    h = next(x for x in rep["hosts"] if x["outcome"] == "remediated" and "drop" in x["actions"])
    row = page.locator("#hosts tbody tr[data-host='%s']" % h["host"])
    row.locator("summary", has_text="detail").click()
    cmd = row.locator("code.rollback").inner_text()
    assert cmd == h["results"][0]["rollback_command"]
    assert cmd.startswith("ansible-playbook kcrash.nfqueue.rollback -l %s -e kcrash_rollback_backup=" % h["host"])


def test_detection_report_filters(fleet_page, tmp_path):
    """detect.yml's page (no strategy / outcome / changed columns) in the same browser."""
    from report_fleet import detection_results

    from ansible_collections.kcrash.nfqueue.plugins.module_utils import report
    dummy, page = fleet_page
    rep = validate(report.build_report(detection_results(1000), generated="2026-12-06T03:00:00Z"))
    path = tmp_path / "detect.html"
    path.write_text(report.render_html(rep))
    detect = page.context.new_page()
    try:
        detect.goto("file://%s" % path)
        detect.wait_for_selector("body[data-ready='1']")
        assert detect.query_selector("#f-strategy") is None and detect.query_selector("#f-changed") is None
        detect.select_option("#f-status", "unreachable")
        assert sorted(visible(detect)) == hosts_where(rep, lambda h: h["status"] == "unreachable")
        detect.select_option("#f-status", "")
        detect.select_option("#f-verdict", "not_exposed")
        assert sorted(visible(detect)) == hosts_where(rep, lambda h: h["verdict"] == "not_exposed")
        detect.fill("#f-search", "rules.live")  # reason codes are searchable
        want = hosts_where(rep, lambda h: h["verdict"] == "not_exposed" and "rules.live" in [r["code"] for r in h["reasons"]])
        detect.wait_for_function("document.getElementById('shown').textContent == '%d'" % len(want))
        assert 0 < len(want) and sorted(visible(detect)) == want
    finally:
        detect.close()


def test_screenshot_is_kept_as_a_test_artifact(fleet_page):
    """The page as the browser drew it (filters reset, top of the page), kept for a reviewer."""
    dummy, page = fleet_page
    reset(page)
    page.evaluate("window.scrollTo(0, 0)")
    path = os.path.join(ARTIFACTS, "report-1000.png")
    os.makedirs(ARTIFACTS, exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)  # a stale picture of an earlier run must not pass for this one
    page.screenshot(path=path)
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    assert struct.unpack(">II", head[16:24]) == (1400, 900)  # the viewport
