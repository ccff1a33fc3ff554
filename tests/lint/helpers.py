"""Documents for the lint tests: the annotated example, stamped, and ways to change it."""

from __future__ import annotations

import copy

import yaml

from registry.lint.run import lint_bytes
from registry.stamp_writer import stamp_source

from ..conftest import VALID

EXAMPLE = (VALID / "example.yaml").read_bytes()


def stamped_example() -> dict:
    """The example with every translation stamped: the linter finds nothing in it."""
    return yaml.safe_load(stamp_source(EXAMPLE).source)


def dump(doc: dict) -> bytes:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8")


def findings(doc: dict, **options) -> list:
    return lint_bytes(dump(doc), check_path=False, **options).issues


def rules_found(doc: dict, **options) -> set[str]:
    return {issue.rule for issue in findings(doc, **options)}


def requirement(doc: dict, section: int, function: int, content: int = 0, item: int = 0) -> dict:
    block = doc["work_requirements"]["sections"][section]["functions"][function]
    return block["work_contents"][content]["requirements"][item] if item >= 0 else block


def add_requirement(doc: dict, section: int, function: int, text, *, content: int = 0) -> dict:
    """Append a requirement to a work content, numbered and named as the validator wants."""
    work = doc["work_requirements"]["sections"][section]["functions"][function]["work_contents"][content]
    n = len(work["requirements"]) + 1
    item = {"id": f"{work['id']}-extra-{n}", "number": f"{work['number']}.{n}", "text": text}
    work["requirements"].append(item)
    return item


def add_senior_level(doc: dict, hours: int) -> dict:
    """A third level, senior, copied from the intermediate one with ids of its own."""
    doc["levels"].append({"id": "senior"})
    section = copy.deepcopy(doc["work_requirements"]["sections"][1])
    section["level"] = "senior"
    for block in section["functions"]:
        for content in block["work_contents"]:
            content["id"] = content["id"].replace("-I-", "-S-")
            for key in ("requirements", "knowledge"):
                for item in content[key]:
                    item["id"] = item["id"].replace("-I-", "-S-")
                    item.pop("translated_from", None)
            content["requirements"][0]["text"] = {"zh": "能设计传感器驱动框架。", "en": "Can design sensor driver frameworks."}
            content.pop("translated_from", None)
    doc["work_requirements"]["sections"].append(section)
    for table in ("theory", "skills"):
        column = copy.deepcopy(doc["weights"][table][1])
        column["level"] = "senior"
        doc["weights"][table].append(column)
    doc["overview"]["training_hours"].append({"level": "senior", "hours": hours})
    doc["overview"]["eligibility"].append({"level": "senior",
                                           "conditions": [{"zh": "取得工程师职称。", "en": "Engineer title."}]})
    return doc
