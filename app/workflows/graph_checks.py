"""Graph-level checks shared by both forms: cycles (strongly connected components) and reachability."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence


def cycles(order: Sequence[str], edges: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """Each set of steps that lie on a cycle together (a strongly connected component with a cycle), its
    members in definition order; iterative Tarjan, linear in steps and edges."""
    position = {name: i for i, name in enumerate(order)}
    successors = {name: [n for n in edges.get(name, ()) if n in position] for name in order}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []
    for root in order:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            nexts = successors[node]
            if i < len(nexts):
                work.append((node, i + 1))
                nxt = nexts[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = _pop_component(node, stack, on_stack)
                if len(members) > 1 or node in edges.get(node, ()):
                    found.append(tuple(sorted(members, key=position.__getitem__)))
    return sorted(found, key=lambda c: position[c[0]])


def _pop_component(node: str, stack: list[str], on_stack: set[str]) -> list[str]:
    members: list[str] = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        members.append(member)
        if member == node:
            return members


def reachable(starts: Iterable[str], nexts: Callable[[str], Iterable[str]]) -> set[str]:
    """Every step reachable from `starts` (included) by following `nexts`."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(nexts(node))
    return seen
