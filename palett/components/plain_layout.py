"""Radix Themes' layout, typography, link and button components as the plain elements they render, with the
same classes.

Why: each Radix Themes component is a forwardRef that runs `extractProps` over its prop definitions on every
render, and Text, Heading, Link and an as_child Button add a Slot, so hydrating one costs several times a plain
element (bench: 330 of them hydrated 81 ms later than the same markup as plain elements, on this machine). A
page holds 200-300 of them, nearly all with literal props. For those, the classes and attributes Radix would
compute are known when the page is compiled: `flatten` turns each into the element Radix renders (a Link or an
as_child Button into its child, as Radix's Slot merges them), so the HTML, the stylesheet and the look stay
the same and React hydrates one fiber instead of three to five. A component with a state-dependent Radix prop
(a button's `loading` or `disabled`), `as_child` on a layout component, or a value Radix would turn into a
custom property (columns="repeat(...)") is left to Radix.

Mirrors @radix-ui/themes 3.3.0 (helpers/extract-props.js, helpers/get-responsive-styles.js, each component's
*.props.js and *.js); tests/unit/test_plain_layout.py pins the classes that version computes, and the
prerendered HTML of every page was the same before and after, class for class (docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from reflex.components.component import Component
from reflex.vars.base import LiteralVar, Var
from reflex_components_core.react_router.dom import ReactRouterLink
from reflex_components_radix.themes.components.badge import Badge
from reflex_components_radix.themes.components.button import Button
from reflex_components_radix.themes.components.card import Card
from reflex_components_radix.themes.components.icon_button import IconButton
from reflex_components_radix.themes.layout.box import Box
from reflex_components_radix.themes.layout.center import Center
from reflex_components_radix.themes.layout.flex import Flex
from reflex_components_radix.themes.layout.grid import Grid
from reflex_components_radix.themes.layout.spacer import Spacer
from reflex_components_radix.themes.layout.stack import HStack, Stack, VStack
from reflex_components_radix.themes.typography.heading import Heading
from reflex_components_radix.themes.typography.link import Link
from reflex_components_radix.themes.typography.text import Text

BREAKPOINTS = ("initial", "xs", "sm", "md", "lg", "xl")
ACCENT_COLORS = ("gray", "gold", "bronze", "brown", "yellow", "amber", "orange", "tomato", "red", "ruby", "crimson",
                 "pink", "plum", "purple", "violet", "iris", "indigo", "blue", "cyan", "teal", "jade", "green",
                 "grass", "lime", "mint", "sky")
RADII = ("none", "small", "medium", "large", "full")
NINE = tuple("123456789")
GAPS = tuple("0123456789")


class NotStatic(Exception):
    """Radix must compute this component at run time."""


def _same(value: str) -> str:
    return value


def _between(value: str) -> str:
    return "space-between" if value == "between" else value


@dataclass(frozen=True)
class Prop:
    """A Radix prop that becomes classes: `<cls>-<value>`, `md:<cls>-<value>` per breakpoint."""

    field: str  # the Reflex field
    cls: str
    values: tuple[str, ...]
    default: str | None = None
    parse: Callable[[str], str] = _same
    arbitrary: bool = False  # "enum | string": another value is a custom property, which we leave to Radix

    def classes(self, value: Any) -> list[str]:
        if isinstance(value, dict):
            value = dict(value)
            if self.default is not None and value.get("initial") is None:
                value["initial"] = self.default
            out = []
            for point, v in value.items():
                if point not in BREAKPOINTS or v is None:
                    continue
                if v not in self.values:
                    if self.arbitrary:
                        raise NotStatic
                    if point != "initial" or self.default is None:
                        continue
                    v = self.default
                name = f"{self.cls}-{self.parse(v)}"
                out.append(name if point == "initial" else f"{point}:{name}")
            return out
        if value is None or (value not in self.values and not self.arbitrary):
            value = self.default
        if value is None:
            return []
        if value not in self.values:
            raise NotStatic
        return [f"{self.cls}-{self.parse(value)}"]


def _text_props(size_default: str | None) -> tuple[Prop, ...]:
    return (Prop("size", "rt-r-size", NINE, size_default),
            Prop("weight", "rt-r-weight", ("light", "regular", "medium", "bold")),
            Prop("align", "rt-r-ta", ("left", "center", "right")),
            Prop("trim", "rt-r-lt", ("normal", "start", "end", "both")))


@dataclass(frozen=True)
class Spec:
    base: tuple[str, ...]  # classes every instance has
    tag: str  # the element, unless `as_` names one of `tags`
    props: tuple[Prop, ...] = ()
    tags: tuple[str, ...] = ()
    color: str | None = None  # Radix's default for `color`: None leaves the attribute out
    has_color: bool = False
    radius: bool = False


FLEX = Spec(("rt-Flex",), "div", (
    Prop("direction", "rt-r-fd", ("row", "column", "row-reverse", "column-reverse")),
    Prop("align", "rt-r-ai", ("start", "center", "end", "baseline", "stretch")),
    Prop("justify", "rt-r-jc", ("start", "center", "end", "between"), parse=_between),
    Prop("wrap", "rt-r-fw", ("nowrap", "wrap", "wrap-reverse")),
    Prop("spacing", "rt-r-gap", GAPS, arbitrary=True),
))
SPECS: dict[type, Spec] = {
    **dict.fromkeys((Flex, Stack, VStack, HStack, Spacer, Center), FLEX),
    Grid: Spec(("rt-Grid",), "div", (
        Prop("columns", "rt-r-gtc", NINE, arbitrary=True),
        Prop("rows", "rt-r-gtr", NINE, arbitrary=True),
        Prop("flow", "rt-r-gaf", ("row", "column", "dense", "row-dense", "column-dense")),
        Prop("align", "rt-r-ai", ("start", "center", "end", "baseline", "stretch")),
        Prop("justify", "rt-r-jc", ("start", "center", "end", "between"), parse=_between),
        Prop("spacing", "rt-r-gap", GAPS, arbitrary=True),
        Prop("spacing_x", "rt-r-cg", GAPS, arbitrary=True),
        Prop("spacing_y", "rt-r-rg", GAPS, arbitrary=True),
    )),
    Box: Spec(("rt-Box",), "div"),
    Text: Spec(("rt-Text",), "span", _text_props(None), ("span", "div", "label", "p"), has_color=True),
    Heading: Spec(("rt-Heading",), "h1", _text_props("6"), ("h1", "h2", "h3", "h4", "h5", "h6"), has_color=True),
    Card: Spec(("rt-reset", "rt-BaseCard", "rt-Card"), "div", (
        Prop("size", "rt-r-size", ("1", "2", "3", "4", "5"), "1"),
        Prop("variant", "rt-variant", ("surface", "classic", "ghost"), "surface"),
    )),
    Badge: Spec(("rt-reset", "rt-Badge"), "span", (
        Prop("size", "rt-r-size", ("1", "2", "3"), "1"),
        Prop("variant", "rt-variant", ("solid", "soft", "surface", "outline"), "soft"),
    ), color="", has_color=True, radius=True),
}


# Link is Text (as a Slot) around the router's <a>: its classes, and its own props, go onto that <a>.
LINK = Spec(("rt-Text", "rt-reset", "rt-Link"), "a", (
    *(p for p in _text_props(None) if p.field != "align"),
    Prop("underline", "rt-underline", ("auto", "always", "hover", "none"), "auto"),
), color="", has_color=True)
# A button whose `loading` is a literal False: Radix's BaseButton adds a spinner only while loading.
BUTTON = Spec(("rt-Button", "rt-reset", "rt-BaseButton"), "button", (
    Prop("size", "rt-r-size", ("1", "2", "3", "4"), "2"),
    Prop("variant", "rt-variant", ("classic", "solid", "soft", "surface", "outline", "ghost"), "solid"),
), color="", has_color=True, radius=True)
ICON_BUTTON = replace(BUTTON, base=("rt-IconButton", "rt-reset", "rt-BaseButton"))


def _literal(value: Any) -> Any:
    """The Python value of a literal prop; NotStatic for anything computed in the browser."""
    if value is None or isinstance(value, (str, bool, int, dict)):
        return value
    if isinstance(value, LiteralVar):
        inner = value._var_value  # type: ignore[attr-defined]
        return {k: _literal(v) for k, v in inner.items()} if isinstance(inner, dict) else _literal(inner)
    raise NotStatic


def _classes_and_attrs(component: Component, spec: Spec) -> tuple[list[str], dict[str, str]]:
    classes = list(spec.base)
    for prop in spec.props:
        classes += prop.classes(_literal(getattr(component, prop.field)))
    attrs: dict[str, str] = {}
    if spec.has_color:
        color = _literal(component.color_scheme)  # type: ignore[attr-defined]
        color = color if color in ACCENT_COLORS else spec.color
        if color is not None:
            attrs["data-accent-color"] = color
        if _literal(component.high_contrast):  # type: ignore[attr-defined]
            classes.append("rt-high-contrast")
    if spec.radius:
        radius = _literal(component.radius)  # type: ignore[attr-defined]
        if radius in RADII:
            attrs["data-radius"] = radius
    return classes, attrs


def _class_name(classes: list[str], own: Any) -> Any:
    """Radix's classes in front of the component's own class name (a literal or a string Var)."""
    if isinstance(own, Var) and not isinstance(own, LiteralVar):
        if own._var_type is not str:
            raise NotStatic
        return LiteralVar.create(" ".join(classes) + " ") + own.to(str)
    return " ".join([*classes, *([str(_literal(own))] if own else [])])


def _become(component: Component, spec: Spec, tag: str, classes: list[str], attrs: dict[str, str]) -> None:
    """Makes `component` the plain `tag` with Radix's classes and attributes, its Radix props cleared (in place;
    NotStatic before any change)."""
    class_name = _class_name(classes, component.class_name)
    for name in ("as_child", "as_", "color_scheme", "high_contrast", "radius", "loading",
                 *(p.field for p in spec.props)):
        if name in type(component).get_fields():
            setattr(component, name, None)
    component.tag, component.library, component.alias = tag, None, None
    component.class_name = class_name
    component.custom_attrs = {**attrs, **component.custom_attrs}


def _plain(component: Component, spec: Spec) -> None:
    """Turns `component` into the element Radix would render (in place), or raises NotStatic first."""
    if _literal(getattr(component, "as_child", None)):
        raise NotStatic
    classes, attrs = _classes_and_attrs(component, spec)
    tag = spec.tag
    if spec.tags:
        wanted = _literal(component.as_)  # type: ignore[attr-defined]
        tag = wanted if wanted in spec.tags else spec.tag
    _become(component, spec, tag, classes, attrs)


def _onto_child(slot: Component, spec: Spec) -> Component:
    """The one child of `slot` (a Radix Slot: Link, or a Button with as_child), carrying the classes Radix
    computes and the slot's own props, as Slot merges them; NotStatic where that merge is not a plain one."""
    (child,) = slot.children if len(slot.children) == 1 else (None,)
    if not isinstance(child, Component) or child.class_name or (child.id and slot.id) \
            or set(slot.event_triggers) & set(child.event_triggers):
        raise NotStatic
    classes, attrs = _classes_and_attrs(slot, spec)
    child.class_name = _class_name(classes, slot.class_name)
    child.custom_attrs = {**attrs, **slot.custom_attrs, **child.custom_attrs}
    child.style = type(slot.style)({**slot.style, **child.style})
    child.event_triggers = {**slot.event_triggers, **child.event_triggers}
    child.id = child.id or slot.id
    return child


def _button(button: Component, spec: Spec = BUTTON) -> Component:
    if _literal(button.loading) or _literal(button.disabled) not in (None, False, True):  # type: ignore[attr-defined]
        raise NotStatic
    if _literal(button.as_child):  # type: ignore[attr-defined]
        if button.disabled is not None:  # type: ignore[attr-defined]
            raise NotStatic
        return _onto_child(button, spec)
    classes, attrs = _classes_and_attrs(button, spec)
    if _literal(button.disabled):  # type: ignore[attr-defined]
        attrs["data-disabled"] = "true"
    _become(button, spec, "button", classes, attrs)
    return button


def _link(link: Component) -> Component:
    if type(link.children[0] if link.children else None) is not ReactRouterLink:
        raise NotStatic
    return _onto_child(link, LINK)


SLOTS: dict[type, Callable[[Component], Component]] = {
    Link: _link, Button: _button, IconButton: lambda button: _button(button, ICON_BUTTON)}


def _plain_children(component: Component) -> list[Any]:
    """`component`'s children with each static Link and Button replaced by the element it renders."""
    children = []
    for child in component.children:
        made = SLOTS.get(type(child))
        if made is not None and isinstance(child, Component):
            with contextlib.suppress(NotStatic):
                child = made(child)
        children.append(child)
    return children


def _components(root: Component) -> Iterator[Component]:
    stack = [root]
    while stack:
        component = stack.pop()
        yield component
        inside = [*component.children, *component._get_components_in_props()]
        stack += [c for c in inside if isinstance(c, Component)]


def flatten(root: Component) -> Component:
    """`root` with every static Radix layout, typography, link and button component made the element it
    renders (in place)."""
    for component in _components(root):
        component.children = _plain_children(component)  # before the walk goes into them
        spec = SPECS.get(type(component))
        if spec is not None:
            with contextlib.suppress(NotStatic):
                _plain(component, spec)
    return root
