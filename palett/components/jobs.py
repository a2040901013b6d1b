"""Job cards: live status, progress, results and their actions (studio and editor share them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.vars import Var

from palett.components.forms import link_button
from palett.state.jobs import BatchCard, ImageCard, JobCard, JobsState

JobActions = Callable[[JobCard], list[rx.Component]]
ImageActions = Callable[[ImageCard], list[rx.Component]]
OpenResult = Callable[[ImageCard], Any]  # the event that opens a result in a lightbox
STATUS_COLORS = {"queued": "gray", "running": "blue", "succeeded": "green", "failed": "red", "cancelled": "amber"}


def image_tile(state: type[JobsState], img: ImageCard, extra: ImageActions | None = None) -> rx.Component:
    alt = rx.cond(img["seed"] != "", "Result, seed " + img["seed"], "Result")
    download = rx.el.a(rx.icon("download", size=16), href=img["download"], download=True, target="_blank",
                       rel="noopener", aria_label="Download")
    return rx.box(
        rx.el.a(rx.image(src=img["thumb"], alt=alt, class_name="result-img", loading="lazy"), href=img["url"],
                target="_blank", rel="noopener", aria_label="Open full size"),
        rx.hstack(
            rx.tooltip(rx.icon_button(download, as_child=True, size="1", variant="soft"), content="Download"),
            rx.cond(img["seed"] != "",
                    rx.tooltip(rx.icon_button(rx.icon("copy", size=16), on_click=state.copy_seed(img["seed"]),
                                              size="1", variant="soft", aria_label="Copy seed " + img["seed"]),
                               content="Copy seed")),
            rx.text(img["size"], size="1", color_scheme="gray"),
            *(extra(img) if extra else []),
            spacing="2",
            align="center",
            class_name="result-actions",
        ),
        class_name="result-tile fade-in",
    )


def dense_tile(img: ImageCard, open_result: OpenResult) -> rx.Component:
    """A square thumbnail that opens the result in the lightbox (its actions live there)."""
    alt = rx.cond(img["seed"] != "", "Result, seed " + img["seed"], "Result")
    return rx.el.button(
        rx.image(src=img["thumb"], alt=alt, class_name="result-img", loading="lazy"),
        on_click=open_result(img), type="button", class_name="result-tile dense fade-in",
        aria_label="Open result full size (" + img["size"] + ")",
        custom_attrs={"data-lightbox-tile": img["id"].to_string()},
    )


def plural(count: Var[int], word: str) -> Var[str]:
    return count.to_string() + rx.cond(count == 1, f" {word}", f" {word}s")


def status_badge(job: JobCard) -> rx.Component:
    return rx.badge(
        rx.match(job["status"], ("queued", "Queued"), ("running", "Running"), ("succeeded", "Done"),
                 ("failed", "Failed"), ("cancelled", "Cancelled"), job["status"]),
        color_scheme=rx.match(job["status"], *[(k, v) for k, v in STATUS_COLORS.items()], "gray"),
        variant="soft",
        class_name="job-status",
    )


def job_card(state: type[JobsState], job: JobCard, actions: JobActions, extra: ImageActions | None = None,
             open_result: OpenResult | None = None) -> rx.Component:
    """One job: status, prompt, live progress, results, cost and actions. With `open_result` the results are a
    dense grid of square thumbnails that open a lightbox (the studio); without, full tiles with actions."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                status_badge(job),
                rx.cond(job["local"], rx.badge(rx.cond(job["model_label"].contains("not AI"), job["model_label"],
                                                job["model_label"] + " — not AI"),
                                        color_scheme="amber", variant="outline"),
                        rx.text(job["model_label"], weight="medium", size="2")),
                rx.spacer(),
                rx.text(job["created"], size="1", color_scheme="gray"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(job["prompt"], size="2", class_name="job-prompt"),
            rx.cond(
                job["active"],
                rx.vstack(
                    rx.progress(value=job["progress"], width="100%", aria_label="Progress"),
                    rx.hstack(
                        rx.text(rx.cond(job["queue_position"] >= 0,
                                        "In queue, position " + job["queue_position"].to_string(),
                                        rx.cond(job["last_log"] != "", job["last_log"], "Working…")),
                                size="1", color_scheme="gray", class_name="job-log"),
                        rx.spacer(),
                        rx.button("Cancel", on_click=state.cancel(job["id"]), size="1", variant="soft",
                                  color_scheme="red", class_name="cancel-job"),
                        width="100%",
                        align="center",
                    ),
                    width="100%",
                    spacing="2",
                ),
            ),
            rx.cond(job["images"].length() > 0,
                    rx.el.div(rx.foreach(job["images"], lambda img: dense_tile(img, open_result)),
                              class_name="result-grid dense")
                    if open_result else
                    rx.grid(rx.foreach(job["images"], lambda img: image_tile(state, img, extra)),
                            columns=rx.cond(job["images"].length() == 1, "1", "2"), spacing="3", width="100%",
                            class_name="result-grid")),
            rx.cond(job["status"] == "failed",
                    rx.callout(job["error"] + " — not charged.", icon="circle_x", color_scheme="red", size="1",
                               class_name="job-error")),
            rx.cond(job["status"] == "cancelled",
                    rx.text("Cancelled — not charged.", size="1", color_scheme="amber")),
            rx.hstack(
                rx.text(rx.cond(job["status"] == "succeeded", plural(job["charged"], "credit"),
                                rx.cond(job["active"], plural(job["cost"], "credit") + " reserved",
                                        "0 credits")), size="1", color_scheme="gray", class_name="job-cost"),
                rx.spacer(),
                *actions(job),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        class_name="job-card",
        id="job-" + job["id"].to_string(),
        width="100%",
    )




def batch_card(batch: BatchCard) -> rx.Component:
    """A batch at a glance: how many are done, failed (refunded) or running, and all results as a zip."""
    return rx.card(
        rx.hstack(
            rx.center(rx.icon("layers", size=18), class_name="tool-icon"),
            rx.vstack(
                # While any job runs the batch holds its reservation; once all are done it says what it cost.
                rx.text("Batch of ", batch["total"], " · ",
                        rx.cond(batch["active"] > 0, plural(batch["cost"], "credit") + " reserved",
                                plural(batch["charged"], "credit") + " charged"),
                        weight="medium", size="2", class_name="batch-cost"),
                rx.progress(value=(batch["done"] + batch["failed"]) * 100 / batch["total"], width="100%",
                            aria_label="Batch progress"),
                rx.text(batch["done"], " done · ", batch["active"], " running · ", batch["failed"],
                        " failed (not charged)", size="1", color_scheme="gray", class_name="batch-summary"),
                spacing="1", flex="1",
            ),
            rx.cond(batch["zip_url"] != "",
                    link_button(rx.icon("download", size=14), "Download all", href=batch["zip_url"], download=True,
                                size="2", variant="soft", class_name="batch-zip")),
            align="center", spacing="3", width="100%",
        ),
        width="100%", class_name="batch-card",
    )


def batch_summaries(state: type[JobsState]) -> rx.Component:
    return rx.foreach(state.batches, batch_card)
