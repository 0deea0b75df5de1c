"""The category tree: where a category may go, what lies beneath it, and the tree clients browse.

Each category stores its ancestors (root first), so a product's listing categories are known without
walking the tree, and a move rewrites the ancestors of the moved subtree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from catalog.domain.models import MAX_CATEGORY_DEPTH, Category
from shop_kernel.errors import ValidationFailed


def descendants(category_id: str, categories: Iterable[Category]) -> list[Category]:
    return [c for c in categories if category_id in c.ancestors]


def ancestors_under(parent: Category | None) -> list[str]:
    return parent.path if parent else []


def check_depth(parent: Category | None, subtree_height: int = 1, field: str = "body.parent_id") -> None:
    depth = len(ancestors_under(parent)) + subtree_height
    if depth > MAX_CATEGORY_DEPTH:
        raise ValidationFailed.on(
            field, f"categories nest at most {MAX_CATEGORY_DEPTH} levels deep", "too_deep"
        )


def check_move(category: Category, new_parent: Category | None, categories: list[Category]) -> None:
    """A category cannot move under itself or under one of its own descendants."""
    if new_parent is not None and (new_parent.id == category.id or category.id in new_parent.ancestors):
        raise ValidationFailed.on(
            "body.parent_id",
            f"{new_parent.id!r} is inside {category.id!r}: the move would make a cycle",
            "cycle",
        )
    below = descendants(category.id, categories)
    height = 1 + max((len(c.ancestors) - len(category.ancestors) for c in below), default=0)
    check_depth(new_parent, height)


def rebase(category: Category, moved: Category, new_ancestors: list[str]) -> list[str]:
    """``category``'s ancestors after ``moved`` (one of them, or itself) goes under ``new_ancestors``."""
    if category.id == moved.id:
        return new_ancestors
    tail = category.ancestors[category.ancestors.index(moved.id) :]
    return [*new_ancestors, *tail]


def tree(categories: Iterable[Category], render: Any) -> list[dict[str, Any]]:
    """Nested nodes, siblings ordered by id; ``render(category)`` gives each node's own fields."""
    children: dict[str | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)

    def build(parent_id: str | None) -> list[dict[str, Any]]:
        nodes = []
        for child in sorted(children.get(parent_id, []), key=lambda c: c.id):
            nodes.append({**render(child), "children": build(child.id)})
        return nodes

    return build(None)
