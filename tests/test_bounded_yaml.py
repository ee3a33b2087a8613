"""The YAML loader of layouts: aliases and nesting bounded, with the line."""

from __future__ import annotations

import pytest
import yaml

from mxgui.core.bounded_yaml import MAX_DEPTH, BoundedSafeLoader


def load(text: str):
    return yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 - a SafeLoader


def test_anchors_used_a_few_times_load_as_usual():
    data = load("base: &b {x: 1, y: [1, 2]}\none: *b\ntwo:\n  <<: *b\n  y: 3\n")
    assert data == {
        "base": {"x": 1, "y": [1, 2]},
        "one": {"x": 1, "y": [1, 2]},
        "two": {"x": 1, "y": 3},
    }


def test_nesting_up_to_the_bound_loads_and_one_more_level_is_refused_at_its_line():
    assert load("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    deeper = "a:\n  " + "[" * MAX_DEPTH + "]" * MAX_DEPTH  # one more: the mapping
    with pytest.raises(yaml.MarkedYAMLError, match=f"nested deeper than {MAX_DEPTH}") as error:
        load(deeper)
    assert error.value.problem_mark.line + 1 == 2


def test_a_billion_laughs_is_refused_where_the_expansion_passes_the_bound():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    with pytest.raises(yaml.MarkedYAMLError, match="more than 100,000 values") as error:
        load("\n".join(lines))
    assert error.value.problem_mark.line + 1 == 6  # a5: 9**6 = 531,441 values


def test_an_alias_inside_its_own_anchor_is_refused():
    with pytest.raises(yaml.MarkedYAMLError, match=r"alias \*a refers to a node that contains it"):
        load("x: &a [1, *a]\n")
