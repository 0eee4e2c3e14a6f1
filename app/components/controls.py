"""Form controls of the admin pages: Radix select and checkbox, each tied to its label by id.

Both submit with their form (Radix renders a hidden native input inside a form). Radix cannot
give an item the empty value, so "all" choices use ANY and the states read it as no filter."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_components_radix.themes.components.checkbox import Checkbox

ANY = "all"


def choice(name: str, options: Any, id: str, *, value_key: str = "code", label_key: str = "name",
           placeholder: str = "请选择", default_value: Any = None, first: tuple[str, str] | None = None,
           width: str = "12em", **props) -> rx.Component:
    """A Radix select. `options`: a list of (value, label) pairs, or a list-of-dicts state var read
    with value_key / label_key; `first`: a (value, label) pair before them, e.g. (ANY, "全部科室")."""
    items = [rx.select.item(first[1], value=first[0])] if first else []
    if isinstance(options, rx.Var):
        items.append(rx.foreach(options, lambda o: rx.select.item(o[label_key], value=o[value_key])))
    else:
        items += [rx.select.item(label, value=value) for value, label in options]
    root_props = {"name": name, **props}
    if default_value is not None:
        root_props["default_value"] = default_value
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=id, width=width),
        rx.select.content(rx.select.group(*items), position="popper"),
        **root_props)


def check(name: str, label: Any, id: str, default_checked: Any = False, **props) -> rx.Component:
    """A Radix checkbox with its label (label for=id)."""
    return rx.hstack(
        Checkbox.create(name=name, id=id, default_checked=default_checked, **props),
        rx.el.label(label, html_for=id, class_name="check-label"),
        spacing="2", align="center")
