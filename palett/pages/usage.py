"""Usage history: credits per day and per operation (charts with text summaries), every job, CSV export."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar, Var

from palett.components.forms import link_button
from palett.components.jobs import STATUS_COLORS
from palett.components.layout import NEEDS_SESSION, page
from palett.components.library import choice, date_input, empty_state, studio_and_edit_links
from palett.state.usage import UsageItem, UsageState

S = UsageState
AXIS_TICK = {"fontSize": 12, "fill": "var(--gray-11)"}
TOOLTIP = {
    "content_style": {"background": "var(--color-panel-solid)", "border": "1px solid var(--gray-a6)",
                      "borderRadius": "8px", "color": "var(--gray-12)"},
    "label_style": {"color": "var(--gray-12)", "fontWeight": 600},
    "item_style": {"color": "var(--gray-12)"},
    "cursor": {"fill": "var(--accent-a3)"},
}


def stat(label: str, value: Var[int], html_id: str, icon: str) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.center(rx.icon(icon, size=20), class_name="tool-icon"),
            rx.vstack(rx.text(label, size="1", color_scheme="gray"),
                      rx.text(value, size="6", weight="bold", id=html_id, class_name=NEEDS_SESSION), spacing="0"),
            align="center",
        ),
        size="2",
    )


def chart_figure(title: str, summary: Var[str], html_id: str, chart: rx.Component) -> rx.Component:
    """A chart drawn for the eye, hidden from screen readers, with the same facts in a sentence below it.

    Recharts' keyboard layer (a focusable surface) is switched off: focus must not land inside aria-hidden.
    """
    for inner in (chart, *chart.children):  # rx.recharts.*_chart wraps the chart in a ResponsiveContainer
        if isinstance(inner, rx.Component) and type(inner).__name__.endswith("Chart"):
            inner.custom_attrs["accessibilityLayer"] = False
    return rx.el.figure(
        rx.heading(title, size="3", as_="h3"),
        rx.box(chart, aria_hidden="true", class_name="chart-box"),
        rx.el.figcaption(summary, class_name="chart-summary", id=html_id + "-summary"),
        class_name="chart-figure",
        id=html_id,
    )


def charts() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Credits used", size="4", as_="h2"),
                rx.spacer(),
                rx.segmented_control.root(
                    rx.segmented_control.item("7 days", value="7"),
                    rx.segmented_control.item("30 days", value="30"),
                    rx.segmented_control.item("90 days", value="90"),
                    value=S.days, on_change=S.set_days, aria_label="Period", id="usage-period",
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.el.div(
                chart_figure("Per day", S.day_text, "chart-days", rx.recharts.bar_chart(
                    rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False, stroke="var(--gray-a5)"),
                    rx.recharts.x_axis(data_key="label", tick=AXIS_TICK, min_tick_gap=16, tick_line=False),
                    rx.recharts.y_axis(allow_decimals=False, width=36, tick=AXIS_TICK, tick_line=False,
                                       axis_line=False),
                    rx.recharts.graphing_tooltip(**TOOLTIP),
                    rx.recharts.bar(data_key="credits", name="Credits", fill="var(--accent-9)", radius=[4, 4, 0, 0],
                                    max_bar_size=28, is_animation_active=False),
                    data=S.by_day, width="100%", height=240,
                )),
                chart_figure("By operation", S.operation_text, "chart-operations", rx.recharts.bar_chart(
                    rx.recharts.cartesian_grid(stroke_dasharray="3 3", horizontal=False, stroke="var(--gray-a5)"),
                    rx.recharts.x_axis(type_="number", allow_decimals=False, tick=AXIS_TICK, tick_line=False),
                    rx.recharts.y_axis(data_key="label", type_="category", width=130, tick=AXIS_TICK,
                                       tick_line=False, axis_line=False),
                    rx.recharts.graphing_tooltip(**TOOLTIP),
                    rx.recharts.bar(data_key="credits", name="Credits", fill="var(--cyan-9)", radius=[0, 4, 4, 0],
                                    max_bar_size=22, is_animation_active=False),
                    data=S.by_operation, layout="vertical", width="100%", height=240,
                )),
                class_name="chart-grid",
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def status_badge(status: Var[str]) -> rx.Component:
    return rx.badge(
        rx.match(status, ("queued", "Queued"), ("running", "Running"), ("succeeded", "Done"), ("failed", "Failed"),
                 ("cancelled", "Cancelled"), status),
        color_scheme=rx.match(status, *[(k, v) for k, v in STATUS_COLORS.items()], "gray"),
        variant="soft",
    )


def row(item: ObjectVar[UsageItem]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item["when"], white_space="nowrap"),
        rx.table.cell(item["operation"]),
        rx.table.cell(rx.hstack(rx.text(item["model"]),
                                rx.cond(item["local"], rx.badge("not AI", color_scheme="amber", variant="outline",
                                                                size="1")), spacing="1", align="center")),
        rx.table.cell(rx.tooltip(status_badge(item["status"]), content=item["error"]),
                      rx.cond(item["error"] != "", rx.text(item["error"], class_name="visually-hidden"))),
        rx.table.cell(item["credits"], text_align="right"),
        rx.table.cell(rx.cond(item["refunded"] > 0, rx.text(item["refunded"].to_string(), color_scheme="green"),
                              rx.text("—", color_scheme="gray")), text_align="right"),
        rx.table.cell(item["images"].to_string(), text_align="right"),
        rx.table.cell(rx.cond(item["duration"] != "", item["duration"], "—"), text_align="right",
                      white_space="nowrap"),
        class_name="usage-row",
    )


def history() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Every job", size="4", as_="h2"),
                rx.spacer(),
                link_button(rx.icon("file_down", size=16), "Export CSV", href=S.csv_href, download=True,
                            variant="soft", size="2", id="usage-csv"),
                width="100%",
                align="center",
            ),
            rx.el.div(
                choice("Operation", "usage-operation", S.operation, S.set_operation, S.operation_options,
                       "All operations"),
                choice("Status", "usage-status", S.status, S.set_status, S.status_options, "Any status"),
                date_input("From", "usage-from", S.date_from, S.set_date_from),
                date_input("To", "usage-to", S.date_to, S.set_date_to),
                rx.button(rx.icon("x", size=14), "Clear filters", on_click=S.clear_filters, variant="soft",
                          color_scheme="gray", size="2", class_name="filter-narrow"),
                class_name="filter-grid",
            ),
            rx.cond(
                S.rows.length() > 0,
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            *[rx.table.column_header_cell(h, text_align=a) for h, a in (
                                ("Date (UTC)", "left"), ("Operation", "left"), ("Model", "left"),
                                ("Status", "left"), ("Credits", "right"), ("Refunded", "right"),
                                ("Images", "right"), ("Duration", "right"))])),
                        rx.table.body(rx.foreach(S.rows, row)),
                        variant="surface",
                        size="1",
                        width="100%",
                    ),
                    class_name="table-scroll",
                    id="usage-table",
                    tab_index=0,
                    role="region",
                    aria_label="Jobs",
                ),
                rx.text("No jobs match these filters.", size="2", color_scheme="gray", id="usage-none",
                        class_name=NEEDS_SESSION),
            ),
            rx.hstack(
                rx.button(rx.icon("chevron_left", size=16), "Newer", on_click=S.previous_page,
                          disabled=S.page_number <= 1, variant="soft", size="2"),
                rx.text("Page " + S.page_number.to_string(), size="2", color_scheme="gray"),
                rx.button("Older", rx.icon("chevron_right", size=16), on_click=S.next_page, disabled=~S.has_next,
                          variant="soft", size="2", id="usage-older"),
                justify="center",
                align="center",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def usage_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.hstack(
                rx.vstack(rx.heading("Usage", size="7", as_="h1"),
                          rx.text("Where your credits went. Failed and cancelled jobs are refunded.", size="2",
                                  color_scheme="gray"), spacing="1"),
                rx.spacer(),
                link_button(rx.icon("wallet", size=16), "Credits", href="/billing", variant="soft", size="2"),
                width="100%",
                align="end",
            ),
            rx.cond(
                S.loaded & ~S.has_jobs,
                empty_state("chart_column", "No jobs yet",
                            "Every generation and edit you run shows up here with what it cost.",
                            *studio_and_edit_links(), id="usage-empty"),
                rx.vstack(
                    rx.grid(
                        stat("Credits used", S.used, "stat-used", "coins"),
                        stat("Credits refunded", S.refunded, "stat-refunded", "undo_2"),
                        stat("Finished jobs", S.jobs_count, "stat-jobs", "list_checks"),
                        stat("Failed or cancelled", S.failed, "stat-failed", "circle_x"),
                        columns=rx.breakpoints(initial="2", md="4"),
                        spacing="3",
                        width="100%",
                    ),
                    rx.text("Totals over the last ", S.days, " days.", size="1", color_scheme="gray"),
                    charts(),
                    history(),
                    spacing="4",
                    width="100%",
                ),
            ),
            spacing="4",
            padding_y="28px",
            width="100%",
        ),
        width="1280px",
    )


ON_LOAD = [UsageState.load_usage]
