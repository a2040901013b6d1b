"""The studio's reference images: style references and a subject image, added by upload (the hardened
/api/uploads route, through the same bridge as Describe), each with a labelled remove button."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType
from reflex.vars import ObjectVar

from palett.services.generation.catalog import MAX_STYLE_REFS
from palett.state.prompt_tools import PromptToolsState as P
from palett.state.references import RefCard
from palett.state.studio import StudioState as S

PICK = "document.getElementById('upload-input').click()"


def _thumb(card: ObjectVar[RefCard], alt: str, on_remove: rx.EventChain | EventType[()]) -> rx.Component:
    return rx.box(
        rx.image(src=card["thumb"], alt=alt, width="64px", height="64px", object_fit="cover", border_radius="6px"),
        rx.icon_button(rx.icon("x", size=12), on_click=on_remove, size="1", variant="solid", color_scheme="gray",
                       aria_label="Remove " + alt.lower(), class_name="ref-remove", position="absolute", top="-6px",
                       right="-6px", radius="full"),
        position="relative", class_name="ref-thumb",
    )


def references_panel() -> rx.Component:
    return rx.vstack(
        rx.text("References", class_name="field-label"),
        rx.text(S.references_note, size="1", color_scheme="gray", id="references-note"),
        rx.cond(
            (S.style_refs.length() > 0) | (S.subject_refs.length() > 0),
            rx.flex(
                rx.foreach(S.style_refs, lambda c: _thumb(c, "Style reference", S.remove_style_ref(c["id"]))),
                rx.foreach(S.subject_refs, lambda c: _thumb(c, "Subject image", S.remove_subject_ref)),
                gap="10px", wrap="wrap", padding_top="6px", id="reference-thumbs",
            ),
        ),
        rx.flex(
            rx.button(rx.icon("palette", size=14), "Add style reference", size="1", variant="soft",
                      id="add-style-ref", on_click=[P.set_upload_purpose("style"), rx.call_script(PICK)],
                      disabled=(S.style_refs.length() >= S.max_style_refs) | (S.style_refs.length() >= MAX_STYLE_REFS)
                      | (P.busy != "")),
            rx.button(rx.icon("user_round", size=14), "Add subject image", size="1", variant="soft",
                      id="add-subject-ref", on_click=[P.set_upload_purpose("subject"), rx.call_script(PICK)],
                      disabled=~S.takes_subject | (P.busy != "")),
            gap="8px", wrap="wrap",
        ),
        rx.cond(S.references_refused != "", rx.callout(S.references_refused, icon="triangle_alert",
                                                       color_scheme="amber", size="1", role="status",
                                                       id="references-refused", width="100%")),
        spacing="1", width="100%", align="start", id="references",
    )
