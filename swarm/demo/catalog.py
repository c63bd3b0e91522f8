"""The demo shop's fixed catalogue and its home page."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    price: float

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "price": self.price}


_ITEMS = (
    ("Trail running shoes", 89.90),
    ("Rain jacket", 129.00),
    ("Wool socks", 12.50),
    ("Water bottle", 18.00),
    ("Headlamp", 34.95),
    ("Trekking poles", 74.00),
    ("Day pack", 59.00),
    ("Sun hat", 22.00),
    ("Camping mug", 9.90),
    ("First aid kit", 27.50),
    ("Map case", 14.00),
    ("Thermal gloves", 31.00),
    ("Sleeping bag", 149.00),
    ("Camp stove", 64.50),
    ("Hiking boots", 169.00),
    ("Rain cover", 15.90),
    ("Compass", 24.00),
    ("Fleece", 55.00),
    ("Gaiters", 29.90),
    ("Trail snacks", 6.50),
)

#: Product id -> product; ids run from 1.
CATALOG: dict[int, Product] = {
    i: Product(i, name, price) for i, (name, price) in enumerate(_ITEMS, start=1)
}


def _render_home() -> str:
    rows = "".join(
        f'<li><a href="/product/{p.id}">{escape(p.name)}</a> {p.price:.2f}</li>'
        for p in CATALOG.values()
    )
    return (
        "<!doctype html><html><head><title>swarm demo shop</title></head>"
        f"<body><h1>swarm demo shop</h1><ul>{rows}</ul></body></html>"
    )


#: The home page: a short HTML list of the products.
HOME_PAGE = _render_home()
