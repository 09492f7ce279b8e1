"""The office's dashboard at a phone (390) and a desktop (1366): key figures first, tables folded under a contents
list, nothing wider than the screen, and no two labels of a chart overlapping (each chart's SVG measured)."""

from __future__ import annotations

import base64

import pytest

from catalogue.accounts import services as accounts
from tests.access_helpers import enrol_two_factor
from tests.browser.conftest import sign_in_page
from tests.live import serving
from tests.reports.report_fixtures import province

PASSWORD = "mật khẩu đủ dài 123"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
# Every text box of the SVG (axis labels, values, titles) and the pairs that intersect by more than a pixel.
OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll('svg text')]
    .filter(t => t.textContent.trim() && t.getBBox().width > 0)
    .map(t => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent.trim(), l: r.left, r: r.right, t: r.top, b: r.bottom};
    });
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const across = Math.min(a.r, b.r) - Math.max(a.l, b.l), down = Math.min(a.b, b.b) - Math.max(a.t, b.t);
    if (across > 1 && down > 1) hits.push([a.text, b.text]);
  }
  return hits;
}"""


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_dashboard_puts_figures_first_fits_the_screen_and_its_chart_labels_never_overlap(
    browser, app, screenshot, size
):
    province()
    accounts.create_user("office@example.com", PASSWORD, "admin")
    enrol_two_factor("office@example.com")
    viewport = WIDTHS[size]
    with serving(app) as base:
        context = browser.new_context(base_url=base, locale="vi-VN", viewport=viewport)
        context.set_default_timeout(10_000)
        page = context.new_page()
        sign_in_page(page, "office@example.com", PASSWORD)  # with its second factor, as every office sign-in
        page.goto("/portal/admin/?period=year&year=2026")
        screenshot(page, size)
        measured = page.evaluate(
            """() => ({
              width: document.scrollingElement.scrollWidth,
              height: document.scrollingElement.scrollHeight,
              summaryTop: document.querySelector('[data-testid="summary"]').getBoundingClientRect().top,
              contentsTop: document.querySelector('[data-testid="report-contents"]').getBoundingClientRect().top,
              firstTableTop: document.querySelector('details.report').getBoundingClientRect().top,
              folded: document.querySelectorAll('details.report:not([open])').length,
              wideBoxes: [...document.querySelectorAll('.portal-page *')]
                .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > innerWidth + 1)
                .map(e => e.tagName + '.' + e.className).slice(0, 5),
            })"""
        )
        charts = {
            name: base64.b64decode(src.split(",", 1)[1]).decode()
            for name, src in page.eval_on_selector_all(
                "img[data-chart]", "imgs => imgs.map(i => [i.dataset.chart, i.getAttribute('src')])"
            )
        }
        # Each chart at the width it is shown at on this screen: its labels measured where they are drawn.
        shown = page.eval_on_selector("details[open] img[data-chart]", "img => img.getBoundingClientRect().width")
        assert shown > 300
        context.close()
    # Each SVG on a blank page of its own (the dashboard's Content-Security-Policy would block the chart's
    # inline stylesheet, which an <img> applies), drawn at the width the dashboard showed it at.
    blank = browser.new_page(viewport=viewport)
    overlaps = {}
    for name, svg in charts.items():
        blank.set_content(f'<body style="margin:0"><div style="width:{shown}px">{svg}</div></body>')
        blank.eval_on_selector("svg", "svg => { svg.style.width = '100%'; svg.style.height = 'auto'; }")
        overlaps[name] = blank.evaluate(OVERLAPS)
    blank.close()

    assert measured["width"] <= viewport["width"] and measured["wideBoxes"] == []
    assert measured["summaryTop"] < measured["contentsTop"] < measured["firstTableTop"]  # key figures first
    assert measured["folded"] >= 8
    assert measured["height"] < 12_000, measured["height"]  # was 24 000 px on a phone
    assert len(charts) >= 10
    assert {name: hits for name, hits in overlaps.items() if hits} == {}
