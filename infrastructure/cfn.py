"""template.yaml as data: CloudFormation short tags (!Ref, !Sub, !GetAtt ...) kept as {tag: value}.

For readers that inspect the template (tests, bench, the OpenAPI builder). The local
system resolves intrinsics itself (infrastructure/local/template.py).
"""
from __future__ import annotations

from functools import lru_cache
import pathlib
from typing import Any

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: pathlib.Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    """The project's template, parsed once per process."""
    return load_template()


def create_table(client: Any, props: dict[str, Any], name: str) -> None:
    """Create a table with the keys, indexes and stream a template's table properties declare."""
    kwargs: dict[str, Any] = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                              "AttributeDefinitions": props["AttributeDefinitions"], "KeySchema": props["KeySchema"]}
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    client.create_table(**kwargs)
