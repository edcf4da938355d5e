import pytest

from tests.e2e.test_commands import ENTRIES


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_logs_in_and_sees_the_four_entries(admin_page, live_server):
    admin_page.goto(f"{live_server.url}/admin/")
    model_links = admin_page.locator("#content-main th[scope=row] a").all_inner_texts()
    assert set(ENTRIES) <= set(model_links)
    admin_page.locator("#content-main th[scope=row] a", has_text="Stale key repairs").click()
    assert admin_page.locator("div.breadcrumbs").inner_text().startswith("Home")
