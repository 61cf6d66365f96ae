"""The code's shape the guide asks for: no function in ``dashboard/`` longer than 60 lines."""

from __future__ import annotations

import ast

from conftest import ROOT

LIMIT = 60


def test_no_function_is_longer_than_sixty_lines():
    long = []
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > LIMIT:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []
