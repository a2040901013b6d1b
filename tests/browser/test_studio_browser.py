"""Generating in the studio, as a person would: live job states, results, cost, cancel."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_accounts_browser import open_page, sign_in, sign_up, unique_email, verify


def signed_in_page(browser, url: str, **context_args) -> Page:
    page = browser.new_context(viewport={"width": 1360, "height": 900}, **context_args).new_page()
    email = unique_email("studio")
    sign_up(page, url, email)
    verify(page, url, email)
    sign_in(page, url, email)
    return page


def pick_model(page: Page, label: str) -> None:
    page.locator("#model-select").click()
    page.get_by_role("option", name=label).click()
    expect(page.locator("#model-select")).to_contain_text(label)


def set_images(page: Page, count: int) -> None:
    page.get_by_role("radio", name=str(count), exact=True).click()


def test_generate_with_the_local_engine_live(running_app, browser, shots):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    expect(page.locator("#local-notice")).to_contain_text("not AI")
    page.get_by_label("Prompt", exact=True).fill("misty mountains at sunset")
    page.get_by_role("button", name="Landscape 4:3").click()
    expect(page.locator("#run-cost")).to_have_text("Costs 1 credit · you have 10")
    page.locator("#generate").click()
    card = page.locator(".job-card").first
    expect(card.locator(".job-status")).to_have_text(re.compile("Queued|Running|Done"))
    expect(card.locator(".job-status")).to_have_text("Done", timeout=30_000)
    expect(card.locator("img.result-img")).to_have_count(1)
    expect(card).to_contain_text("Local preview — not AI")
    expect(card.locator(".job-cost")).to_have_text("1 credit")
    expect(page.locator("#credits-balance")).to_have_text("9")
    # The image is served to its owner through a signed URL, and downloads as PNG.
    src = card.locator("img.result-img").get_attribute("src")
    assert src and "/api/media/" in src and "sig=" in src
    assert page.request.get(src if src.startswith("http") else url + src).status == 200
    page.evaluate("window.scrollTo(0, 0)")  # a full-page shot of a scrolled page draws the sticky header mid-page
    page.screenshot(path=shots / "studio-desktop-light.png", full_page=True)

    # Re-run puts the exact settings back in the form without submitting.
    page.get_by_label("Prompt", exact=True).fill("something else")
    card.get_by_role("button", name="Re-run settings").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("misty mountains at sunset")
    expect(page.locator(".job-card")).to_have_count(1)


def test_jobs_survive_a_reload_and_cancel_refunds(running_app, browser):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    page.get_by_label("Prompt", exact=True).fill("a slow forest at night with many stars")
    set_images(page, 4)
    expect(page.locator("#run-cost")).to_contain_text("Costs 4 credits")
    page.locator("#generate").click()
    page.reload()
    page.wait_for_load_state("networkidle")
    card = page.locator(".job-card").first
    expect(card).to_contain_text("a slow forest at night")
    expect(card.locator(".job-status")).to_have_text("Done", timeout=60_000)
    expect(card.locator("img.result-img")).to_have_count(4)
    expect(page.locator("#credits-balance")).to_have_text("6")

    # Cancel right after submitting: the card says so and nothing is charged.
    page.locator("#generate").click()
    newest = page.locator(".job-card").first
    newest.locator(".cancel-job").click()
    expect(newest.locator(".job-status")).to_have_text("Cancelled")
    expect(newest).to_contain_text("not charged")
    expect(page.locator("#credits-balance")).to_have_text("6")


def test_too_few_credits_is_explained_before_submitting(running_app, browser):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    page.get_by_label("Prompt", exact=True).fill("anything")
    expect(page.locator("#generate")).to_be_enabled()
    # Spend down to 2 credits, then ask for 4 images.
    for done in (1, 2):
        set_images(page, 4)
        expect(page.locator("#run-cost")).to_contain_text("Costs 4 credits")
        page.locator("#generate").click()
        expect(page.locator(".job-card")).to_have_count(done)
        expect(page.locator(".job-card .job-status").first).to_have_text("Done", timeout=60_000)
    expect(page.locator("#credits-balance")).to_have_text("2")
    expect(page.locator("#generate")).to_be_disabled()
    expect(page.locator("#generate")).to_have_text("Need 2 more credits")
    expect(page.locator("#run-cost")).to_have_text("Costs 4 credits · you have 2")


def test_fal_models_live_progress_and_a_failure_that_costs_nothing(running_app, browser, fal_emulator, shots):
    url = running_app.url
    page = signed_in_page(browser, url, color_scheme="dark")
    open_page(page, f"{url}/studio")
    expect(page.locator("#model-select")).to_contain_text("FLUX 1.1 Pro Ultra")  # the best available model
    pick_model(page, "FLUX.1 dev")
    expect(page.get_by_label("Steps")).to_be_visible()
    page.get_by_label("Prompt", exact=True).fill("a red fox in the snow, 35mm")
    fal_emulator.behave("fal-ai/flux/dev", "succeed", queue_polls=3, progress_polls=3)
    page.locator("#generate").click()
    card = page.locator(".job-card").first
    expect(card.locator(".job-log")).to_contain_text(re.compile("In queue|Generating|Loading"), timeout=15_000)
    expect(card.locator(".job-status")).to_have_text("Done", timeout=30_000)
    expect(card.locator("img.result-img")).to_have_count(1)
    expect(page.locator("#credits-balance")).to_have_text("9")
    (record,) = fal_emulator.submits("fal-ai/flux/dev")
    assert record.input["prompt"] == "a red fox in the snow, 35mm" and record.input["num_inference_steps"] == 28
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=shots / "studio-desktop-dark.png", full_page=True)

    fal_emulator.behave("fal-ai/flux/dev", "fail")
    page.locator("#generate").click()
    expect(page.locator(".job-card")).to_have_count(2)
    failed = page.locator(".job-card").first
    expect(failed.locator(".job-status")).to_have_text("Failed", timeout=30_000)
    expect(failed.locator(".job-error")).to_contain_text("not charged")
    expect(page.locator("#credits-balance")).to_have_text("9")


def test_a_batch_of_prompts_runs_as_one_batch(running_app, browser):
    url = running_app.url
    page = signed_in_page(browser, url)
    open_page(page, f"{url}/studio")
    pick_model(page, "Local preview — not AI")
    page.get_by_text("Batch: one prompt per line").click()
    page.get_by_label("Prompts", exact=True).fill("a red fox\n\na lighthouse at dawn\na bowl of ramen")
    expect(page.locator("#run-cost")).to_contain_text("Costs 3 credits")
    page.locator("#generate").click()
    expect(page.locator(".job-card")).to_have_count(3)
    expect(page.locator(".batch-summary")).to_contain_text("3 done", timeout=60_000)
    expect(page.locator("#credits-balance")).to_have_text("7")
