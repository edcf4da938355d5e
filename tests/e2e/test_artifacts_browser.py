"""The registry's admin pages in a real browser, on a live server backed by moto's server."""

import json
import os

import pytest
from django.conf import settings
from playwright.sync_api import expect

from artifacts import demo
from core.dynamo.connection import dynamodb_table

SCREENSHOTS = os.environ.get("ARTIFACT_SCREENSHOTS")  # a folder: save pages for a look by eye


def snap(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_list_filter_search_detail_and_delete(admin_page, live_server):
    demo.seed()
    page = admin_page
    page.goto(f"{live_server.url}/admin/")
    page.locator("#content-main th[scope=row] a", has_text="Artifacts").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(12)
    bert = page.locator("#result_list tbody tr", has=page.get_by_role("link", name="bert-base-uncased", exact=True))
    assert bert.locator("td").nth(2).inner_text() == "0.83"
    expect(
        page.locator("#result_list tbody tr", has_text="audience_classifier_model").locator(".gateway-badge.error")
    ).to_be_visible()
    snap(page, "artifact_list")

    page.locator("#changelist-filter a", has_text="Dataset").click()
    expect(page.locator("#result_list tbody th a")).to_have_count(len(demo.DATASETS))
    assert sorted(page.locator("#result_list tbody th a").all_inner_texts()) == sorted(demo.DATASETS)
    page.fill("#searchbar", "LibriSpeech")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody th a")).to_have_text(["librispeech_asr"])
    assert "artifact_type=dataset" in page.url  # the filter survives a search

    page.goto(f"{live_server.url}/admin/artifacts/artifact/?q=whisper-TINY")
    page.locator("#result_list tbody th a", has_text="whisper-tiny").click()
    expect(page.locator("table.artifact-rating th", has_text="Net score")).to_be_visible()
    assert page.locator("table.artifact-rating tr.artifact-device").count() == 4
    assert page.locator("div.breadcrumbs").inner_text().startswith("Home")
    snap(page, "artifact_detail")
    page.get_by_role("link", name="librispeech_asr", exact=True).click()
    expect(page.locator("#content-main h2").first).to_have_text("librispeech_asr")
    page.go_back()

    page.locator("a.deletelink").click()
    assert "Are you sure" in page.locator("#content").inner_text()
    snap(page, "artifact_delete")
    page.locator("input[type=submit]").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was deleted")
    assert page.locator("#result_list tbody th a", has_text="whisper-tiny").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_broken_rating_and_the_stage_artifacts_page(admin_page, live_server):
    demo.seed()
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(
        Item={
            "project_id": "proj_b0520328c1e1",
            "stages_snapshot": json.dumps(
                {
                    "total": 1,
                    "completed": 1,
                    "stages": [
                        {
                            "stage": "prompt_engineer",
                            "stage_name": "提示词工程",
                            "status": "completed",
                            "output_data": {"artifacts": ["prompts/math_calculator.yaml"]},
                        }
                    ],
                },
                ensure_ascii=False,
            ),
        }
    )
    dynamodb_table(settings.DYNAMODB_PROJECTS_TABLE).put_item(Item={"project_id": "proj_bad", "stages_snapshot": "{"})
    page = admin_page
    page.goto(f"{live_server.url}/admin/artifacts/artifact/?q=audience")
    page.locator("#result_list tbody th a").first.click()
    expect(page.locator(".gateway-banner")).to_contain_text("The stored rating cannot be read")
    snap(page, "artifact_broken_rating")

    page.goto(f"{live_server.url}/admin/artifacts/artifact/")
    page.locator(".object-tools a", has_text="Stage artifacts").click()
    expect(page.locator("div.breadcrumbs")).to_have_text("Home › Artifacts › Stage artifacts")
    good = page.locator("#result_list tbody tr", has_text="proj_b0520328c1e1")
    expect(good).to_contain_text("prompts/math_calculator.yaml")
    expect(good).to_contain_text("提示词工程")
    expect(page.locator("#result_list tbody tr", has_text="proj_bad")).to_contain_text("invalid JSON")
    snap(page, "stage_artifacts")
