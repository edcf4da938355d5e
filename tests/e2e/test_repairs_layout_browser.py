"""The repairs page in a real browser: its table fits a 1400 px window without clipping or
breaking words, and "Scan now" shows the scan's progress until its findings are ready."""

import pytest

from jobs.models import Scan
from jobs.steps_store import steps_key
from tests.integration.test_repairs_scan import World, make_steps
from tests.integration.test_repairs_scans import run_worker_until_idle, scan_now

pytestmark = [pytest.mark.shared_db]
PAGE = "/admin/jobs/stalekeyrepair/"

# For each line of a cell's text after the first: the characters either side of the break.
LINE_BREAKS = """cell => {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), range = document.createRange();
  const breaks = [];
  let top = null, previous = "";
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    for (let i = 0; i < text.length; i++) {
      range.setStart(text, i); range.setEnd(text, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) { previous = text.data[i]; continue; }  // a collapsed space
      if (top !== null && rect.top > top + 2) breaks.push(previous + text.data[i]);
      top = rect.top; previous = text.data[i];
    }
  }
  return breaks;
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_finding_column_is_whole_and_wraps_between_words_at_1400_px(admin_page, live_server):
    world = World()
    world.plant_each_kind()
    for number in range(3):
        job_id = f"pipeline-run-2025-11-07-{number}-with-a-rather-long-identifier"
        world.put(steps_key(job_id), make_steps(2))
        world.job(job_id, execution_steps=make_steps(3), execution_steps_s3_key=steps_key(job_id))
    scan_now()
    page = admin_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}{PAGE}")
    page.screenshot(path="/tmp/scans-layout.png", full_page=True)
    tables = page.locator(".repairs-group .results")
    assert tables.count() == 4
    for table in tables.all():
        assert table.evaluate("e => e.scrollWidth <= e.clientWidth")  # nothing hidden to the right
    cells = page.locator(".repairs-findings td.detail, .repairs-findings td.key code")
    assert cells.count() == 13
    for cell in cells.all():
        assert cell.evaluate("e => e.scrollWidth <= e.clientWidth")
        box = cell.bounding_box()
        assert box["x"] + box["width"] <= 1400
        for pair in cell.evaluate(LINE_BREAKS):
            # Lines end at a space, a hyphen or a path's slash, never inside a word.
            assert pair[0] in " -/" or pair[1] == " ", f"a word broken at {pair!r}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_scan_now_shows_progress_then_links_to_the_findings(admin_page, live_server):
    World().plant_each_kind()
    page = admin_page
    page.goto(f"{live_server.url}{PAGE}")
    assert "No scan has completed yet" in page.locator("#latest-scan").inner_text()
    page.get_by_role("button", name="Scan now").click()
    page.wait_for_url(f"{live_server.url}{PAGE}")
    scan = Scan.objects.get()
    assert page.locator("ul.messagelist li.info").inner_text().startswith(f"Scan {scan.pk} started")
    progress = page.locator("#scan-progress")
    assert f"Scan {scan.pk} is queued" in progress.inner_text()
    run_worker_until_idle()  # the worker, meanwhile
    page.locator("#scan-progress[data-status=done]").wait_for()
    assert progress.inner_text().startswith(f"Scan {scan.pk} done (6 items, 4 findings).")
    progress.get_by_role("link", name="Show its findings").click()
    page.locator("#kind-dangling_key").wait_for()
    assert f"Findings of scan {scan.pk}," in page.locator("#latest-scan").inner_text()
    assert page.locator("#scan-history tbody tr").count() == 1
