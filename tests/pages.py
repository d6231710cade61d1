"""Reading a rendered page the way a browser does: what a form sends back, and every
attribute a machine reads (values, URLs, htmx attributes, data-*).

Tests that post `str(obj.pk)` themselves never see what the page really put in a form; these
helpers post what the page rendered (issue 10: ids printed as "1.865" were refused)."""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser

# A number grouped by thousands with dots ("1.865", "/1.000.000/", "m1.000.000-can_create"),
# not part of a masked CNPJ/CPF/CEST/NCM ("11.222.333/0001-81", "123.456.789-09",
# "17.096.00") nor of money ("1.234,56").
LOCALIZED_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d,]|[./-]\d)")

# Attributes whose value a machine reads back.
MACHINE_ATTRIBUTES = re.compile(r"^(value|href|action|src|name|id|for|form|hx-[\w-]+|data-[\w-]+|aria-value\w+)$")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.controls: list[dict[str, str]] = []  # every input and button, in a form or not
        self._form: dict | None = None
        self._textarea: list | None = None
        self._select: list | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.attributes.extend((tag, name, value) for name, value in attributes.items())
        if tag in ("input", "button"):
            self.controls.append(attributes)
        if tag == "form":
            self._form = {"attrs": attributes, "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            self._form["fields"].append(("input", attributes))
        elif tag == "button":
            self._form["fields"].append(("button", attributes))
        elif tag == "textarea":
            self._textarea = [attributes.get("name", ""), []]
        elif tag == "select":
            self._select = [attributes.get("name", ""), [], "multiple" in attributes]
        elif tag == "option" and self._select is not None:
            self._option = {"value": attributes.get("value"), "selected": "selected" in attributes, "text": []}
            self._select[1].append(self._option)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option["text"].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            # The HTML parser drops nothing, but browsers drop one leading newline.
            self._form["fields"].append(("textarea", {"name": name, "value": "".join(text).removeprefix("\n")}))
            self._textarea = None
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options, multiple = self._select
            chosen = [o for o in options if o["selected"]] or ([] if multiple else options[:1])
            for option in chosen:
                value = option["value"] if option["value"] is not None else "".join(option["text"]).strip()
                self._form["fields"].append(("option", {"name": name, "value": value}))
            self._select = None


def _parse(html: str) -> _Parser:
    parser = _Parser()
    parser.feed(html)
    return parser


def form_data(html: str, *, with_field: str, button: str | None = None) -> dict[str, list[str]]:
    """What the browser sends when the form that has a control named `with_field` is
    submitted, by its `button` (a button's name) or by Enter (no button)."""
    for form in _parse(html).forms:
        names = {attrs.get("name") for _, attrs in form["fields"]}
        if with_field not in names:
            continue
        data: dict[str, list[str]] = defaultdict(list)
        for kind, attrs in form["fields"]:
            name = attrs.get("name")
            if not name or "disabled" in attrs:
                continue
            kind_of_input = attrs.get("type", "text").lower()
            if kind == "button" or kind_of_input in ("submit", "image", "reset", "button"):
                if button is not None and name == button:
                    data[name].append(attrs.get("value", ""))
                continue
            if kind_of_input in ("checkbox", "radio") and "checked" not in attrs:
                continue
            if kind_of_input == "file":
                continue
            default = "on" if kind_of_input in ("checkbox", "radio") else ""
            data[name].append(attrs.get("value", default))
        return dict(data)
    raise AssertionError(f"No form with a control named {with_field!r} on the page.")


def control_values(html: str, name: str) -> list[str]:
    """The values of every input or button named `name`, ticked or not (a fragment's too)."""
    return [attrs.get("value", "") for attrs in _parse(html).controls if attrs.get("name") == name]


def localized_machine_values(html: str) -> list[str]:
    """Every machine-read attribute holding a number with thousand dots, as `tag attr="…"`."""
    return [
        f'<{tag} {attr}="{value}">'
        for tag, attr, value in _parse(html).attributes
        if MACHINE_ATTRIBUTES.match(attr) and LOCALIZED_NUMBER.search(value)
    ]
