"""Screenshots for the README, taken by the browser tests so that they show the pages as they are."""

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}


def save_screenshot(page, name: str, *, width: int = VIEWPORT["width"], height: int = VIEWPORT["height"]) -> Path:
    """Write docs/screenshots/<name>.png: the top of the page, `height` pixels, without the
    admin's navigation sidebar."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sidebar_toggle = page.locator("#toggle-nav-sidebar")
    if sidebar_toggle.count() and page.locator("#nav-sidebar").is_visible():
        sidebar_toggle.click()
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("window.scrollTo(0, 0)")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled")
    return path
