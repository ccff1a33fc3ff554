"""The sample corpus in standards/: valid, honest about being illustrative, deep enough to use."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pytest

from registry.loader import load_bytes
from registry.validate import validate_file

from .conftest import ROOT, STANDARDS

FILES = sorted(STANDARDS.rglob("*.yaml"))
SCHEMA_COMMENT = "# yaml-language-server: $schema="


def _doc(path: Path) -> dict:
    return load_bytes(path.read_bytes()).data


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(STANDARDS)) for p in FILES])
def test_every_standard_validates(path):
    report = validate_file(path)
    assert report.valid, "\n".join(f"{i.location}: {i.rule}: {i.message}" for i in report.issues)


def test_every_yaml_file_in_the_repository_names_its_schema():
    tracked = [p for p in ROOT.rglob("*.y*ml") if ".venv" not in p.parts and "node_modules" not in p.parts
               and p.suffix in (".yaml", ".yml")]
    assert len(tracked) > 20
    for path in tracked:
        first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
        if path.parent.name == "invalid" and not first.startswith("#"):
            continue  # invalid examples that test unreadable bytes cannot carry a comment
        assert first.startswith(SCHEMA_COMMENT), path


def test_corpus_size_and_required_occupations():
    codes = {p.parent.name for p in FILES}
    assert len(codes) >= 14
    required = {"4-04-05-05", "4-04-04-02", "2-06-07-13", "4-01-06-01"}
    assert required <= codes
    assert len({c for c in codes if c.startswith("2-02-38-")}) >= 8


def _header(path: Path) -> str:
    """The comment lines at the top of a file, after the schema line."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return " ".join(line for line in itertools.takewhile(lambda text: text.startswith("#"), lines))


def test_every_file_says_it_is_an_illustrative_sample():
    for path in FILES:
        provenance = _doc(path)["provenance"]
        assert provenance["document_status"] == "illustrative-sample", path
        assert "ILLUSTRATIVE SAMPLE" in _header(path), path
        note = provenance["note"]
        assert "illustrative" in note["en"].lower() and "示例" in note["zh"], path
        assert "illustratif" in note.get("fr", "illustratif").lower(), path


def test_chinese_master_with_english_and_some_french():
    french = 0
    for path in FILES:
        doc = _doc(path)
        assert doc["languages"]["master"] == "zh"
        assert "en" in doc["languages"]["translations"]
        assert set(doc["title"]) >= {"zh", "en"} and set(doc["overview"]["definition"]) >= {"zh", "en"}
        if "fr" in doc["title"] and "fr" in doc["overview"]["definition"]:
            french += 1
    assert french >= 5


def test_ai_trainer_has_five_grades_and_two_work_types():
    doc = _doc(STANDARDS / "4-04-05-05" / "1.0.yaml")
    assert [level["id"] for level in doc["levels"]] == ["L5", "L4", "L3", "L2", "L1"]
    assert len(doc["work_types"]) == 2
    assert doc["standard_type"] == "skill"


def test_realistic_depth():
    for path in FILES:
        doc = _doc(path)
        for section in doc["work_requirements"]["sections"]:
            assert len(section["functions"]) >= 3, (path, section["level"])
            for block in section["functions"]:
                assert len(block["work_contents"]) >= 2, (path, block["function"])
                for content in block["work_contents"]:
                    assert len(content["requirements"]) >= 3, (path, content["id"])
                    assert len(content["knowledge"]) >= 2, (path, content["id"])
        assert doc["overview"]["training_hours"], path
        assert len(doc["basic_requirements"]["basic_knowledge"]) >= 3, path


def _items(doc: dict) -> dict[str, tuple[str, str]]:
    """item id -> (work content id, text) for every requirement and knowledge item."""
    items = {}
    for section in doc["work_requirements"]["sections"]:
        for block in section["functions"]:
            for content in block["work_contents"]:
                for key in ("requirements", "knowledge"):
                    for item in content[key]:
                        items[item["id"]] = (content["id"], repr(item["text"]))
    return items


def _revision_kinds(old_path: Path, new_path: Path) -> set[str]:
    """What one revision does to the requirement and knowledge items, by stable ID."""
    old, new = _items(_doc(old_path)), _items(_doc(new_path))
    common = set(old) & set(new)
    kinds = set()
    if set(new) - set(old):
        kinds.add("added")
    if set(old) - set(new):
        kinds.add("removed")
    if any(old[i][1] != new[i][1] for i in common):
        kinds.add("reworded")
    if any(old[i][0] != new[i][0] for i in common):
        kinds.add("moved")
    return kinds


def test_at_least_three_standards_have_a_revision_with_realistic_changes():
    """Each of them has two consecutive versions between which items are added, removed, reworded
    and moved: a revision as a standards body really makes one, not one kind of change alone."""
    versions = defaultdict(list)
    for path in FILES:
        versions[path.parent.name].append(path)
    realistic = set()
    for code, paths in versions.items():
        paths.sort(key=lambda p: tuple(int(n) for n in p.stem.split(".")))
        for old, new in zip(paths, paths[1:]):
            if _revision_kinds(old, new) == {"added", "removed", "reworded", "moved"}:
                realistic.add(code)
    assert len(realistic) >= 3, realistic


# --- what the samples say about their sources ------------------------------------------------------
# The samples are invented, but every claim they make about the real standards must be true by the
# project's reference note on them (../shared/reference/china-standards.md; sections cited below).

MOHRSS, MIIT, MPS = "中华人民共和国人力资源和社会保障部", "中华人民共和国工业和信息化部", "中华人民共和国公安部"
LABOUR_LAW, VOCATIONAL_EDUCATION_LAW = "《中华人民共和国劳动法》", "《中华人民共和国职业教育法》"


class Real(NamedTuple):
    """A real standard as the reference knows it."""
    edition: int
    issuers: frozenset[str] | None  # None: the reference does not name them for this standard
    old_code: str | None = None     # the pre-2022 code printed on it, when the reference gives it


TECH_2021 = frozenset({MOHRSS, MIIT})  # §2.1: MIIT co-issues the digital standards
REAL = {  # §4.3 A (codes, old codes), §3.1, §3.2, §1 (the 2023 and 2024 unified standards)
    "2-02-38-01": Real(2021, TECH_2021, "2-02-10-09"),
    "2-02-38-02": Real(2021, TECH_2021, "2-02-10-10"),
    "2-02-38-03": Real(2021, TECH_2021, "2-02-10-11"),
    "2-02-38-04": Real(2021, TECH_2021, "2-02-10-12"),
    "2-02-38-05": Real(2021, TECH_2021, "2-02-07-13"),
    "2-02-38-06": Real(2021, TECH_2021, "2-02-10-13"),
    "2-02-38-07": Real(2021, TECH_2021, "2-02-10-14"),
    "2-02-38-08": Real(2021, TECH_2021, "2-02-10-15"),
    "2-02-38-09": Real(2021, TECH_2021),  # old code unknown
    "2-06-07-13": Real(2021, TECH_2021),  # 2019 code unconfirmed
    "2-02-38-11": Real(2023, None),
    "4-04-04-02": Real(2024, frozenset({MOHRSS, MPS, MIIT})),
    "4-04-05-05": Real(2021, TECH_2021),
}
# number: (its date when the reference gives the day, the standards it promulgated, the occupations it created)
NOTICES = {  # §2.1, §3.1, §3.2, §4.3 A, §4.4
    "人社厅发〔2019〕48号": ("2019-04-01", set(), {"2-02-38-01", "2-02-38-02", "2-02-38-03", "2-02-38-04", "2-06-07-13"}),
    "人社厅发〔2020〕17号": (None, set(), {"2-02-38-05", "2-02-38-06", "2-02-38-07", "4-04-05-05"}),
    "人社厅发〔2020〕73号": (None, set(), {"2-02-38-08"}),
    "人社厅发〔2021〕17号": (None, set(), {"2-02-38-09"}),
    "人社厅发〔2021〕10号": ("2021-02-03", {"2-02-38-03", "2-02-38-05", "2-02-38-08"}, set()),
    "人社厅发〔2021〕70号": ("2021-09-29", {"2-02-38-01", "2-02-38-02", "2-02-38-04", "2-02-38-06", "2-02-38-07",
                                         "2-02-38-09", "2-06-07-13"}, set()),
}
BODIES = {  # guiding and drafting bodies the reference names (§3.1, §3.2)
    "2-02-38-01": {"guiding_bodies": {"人力资源社会保障部专业技术人员管理司", "工业和信息化部人事教育司", "中国就业培训技术指导中心"},
                   "drafting_bodies": {"中国电子技术标准化研究院"}},
    "4-04-05-05": {"guiding_bodies": {"人力资源社会保障部职业技能鉴定中心", "浙江省人力资源和社会保障厅"},
                   "drafting_bodies": {"阿里巴巴", "浙江省技能人才评价管理服务中心", "科大讯飞", "百度"}},
}


def _by_code() -> dict[str, list[Path]]:
    versions = defaultdict(list)
    for path in FILES:
        versions[path.parent.name].append(path)
    for paths in versions.values():
        paths.sort(key=lambda p: tuple(int(n) for n in p.stem.split(".")))
    return versions


FIRST = {paths[0] for paths in _by_code().values()}
LATER = [path for path in FILES if path not in FIRST]


def _sentences(note: dict, lang: str) -> list[str]:
    text = note.get(lang, "")
    return [s for s in (text.split("。") if lang == "zh" else re.split(r"[.:]\s", text)) if s]


def _says(note: dict, lang: str, *words: str) -> bool:
    """Whether one sentence of the note says all these words."""
    return any(all(w in s for w in words) for s in _sentences(note, lang))


def test_later_versions_say_they_are_invented_editions():
    """The reference knows one edition of each standard: every later version is invented, and says so."""
    assert len(LATER) >= 4
    versions = _by_code()
    for path in LATER:
        doc, first = _doc(path), _doc(versions[path.parent.name][0])
        note = doc["provenance"]["note"]
        assert doc["provenance"].get("revision") == "revision" and doc["edition"] > first["edition"], path
        assert "invented" in _header(path) and "invented" in note["en"] and "虚构" in note["zh"], path
    for path in FIRST:
        assert _doc(path)["provenance"].get("revision") != "revision", path


def test_notices_are_real_and_in_a_true_role():
    """Every notice is one the reference knows, with its date; it promulgated only the real edition it
    is cited for, never an invented later one (cited there, if at all, as `other`, explained in the note)."""
    for path in FILES:
        doc = _doc(path)
        code, note = doc["code"], doc["provenance"]["note"]
        for notice in doc["provenance"].get("notices", []):
            number, role = notice["number"], notice["role"]
            assert number in NOTICES, (path, number)
            day, promulgated, created = NOTICES[number]
            assert notice.get("date") == day, (path, number)
            if role == "promulgation":
                assert code in promulgated and path in FIRST and doc["edition"] == REAL[code].edition, (path, number)
                assert date.fromisoformat(day).year >= doc["edition"], (path, number)
            elif role == "new-occupation":
                assert code in created, (path, number)
            else:
                assert role == "other", (path, number)
                assert all(number in note[lang] for lang in note), (path, number)


def test_effective_dates_are_said_to_be_invented_or_not_stated():
    """The reference gives no real standard's effective date: a file either gives none and says so,
    or gives an invented one (only an invented later version may) and says that it is invented."""
    for path in FILES:
        provenance = _doc(path)["provenance"]
        note, day = provenance["note"], provenance.get("effective_from")
        if day is None:
            assert "effective date is not stated" in note["en"] and "未注明实施日期" in note["zh"], path
            assert "pas indiquée" in note.get("fr", "pas indiquée"), path
            continue
        assert path in LATER, path
        when = date.fromisoformat(day)
        assert _says(note, "en", day, "invented") and "effective date" in _header(path), path
        assert _says(note, "zh", f"{when.year}年{when.month}月{when.day}日", "虚构"), path
        assert "fr" not in note or _says(note, "fr", day, "invent"), path


def test_issuers_editions_and_codes_are_real_or_said_to_be_illustrative():
    for path in FILES:
        doc = _doc(path)
        code, provenance = doc["code"], doc["provenance"]
        note, real = provenance["note"], REAL.get(code)
        issuers = {issuer["zh"] for issuer in provenance["issuers"]}
        laws = {law["zh"] for law in provenance.get("legal_basis", [])}
        if real is None:  # no such standard in the reference: everything about its edition is illustrative
            for en, zh in [("edition year", "版本年份"), ("issuers", "发布单位"), ("legal basis", "法律依据")]:
                assert _says(note, "en", en, "illustrative") and _says(note, "zh", zh, "示例"), (path, en)
        else:
            assert path not in FIRST or doc["edition"] == real.edition, path
            if real.issuers is None:
                assert _says(note, "en", "issuers", "illustrative") and _says(note, "zh", "发布单位", "示例"), path
            else:
                assert issuers == real.issuers, path
        old_code = real.old_code if real else None
        assert [alias["code"] for alias in doc.get("aliases", [])] == ([old_code] if old_code else []), path
        # §2.1: the 说明 cite the Labour Law, and from 2023 also the Vocational Education Law
        assert laws <= {LABOUR_LAW} | ({VOCATIONAL_EDUCATION_LAW} if doc["edition"] >= 2023 else set()), path


def test_guiding_and_drafting_bodies_are_the_ones_the_reference_names():
    for path in FILES:
        doc = _doc(path)
        known = BODIES.get(doc["code"], {})
        for key in ("guiding_bodies", "drafting_bodies", "reviewing_bodies"):
            named = {body["zh"] for body in doc["provenance"].get(key, [])}
            assert named <= known.get(key, set()), (path, key, named)


# §3.2: the AI trainer's functions and work contents the reference lists, per level
AI_TRAINER_PUBLIC = {
    "L5": {"数据采集和处理": ["业务数据采集", "业务数据处理"], "数据标注": ["原始数据清洗与标注", "标注后数据分类与统计"],
           "智能系统运维": []},  # contents not seen
    "L4": {"数据采集和处理": ["业务数据质量检验", "数据处理方法优化"], "数据标注": ["数据归类和定义", "标注数据审核"],
           "智能系统运维": ["智能系统维护", "智能系统优化"]},
    "L3": {"业务分析": ["业务流程设计", "业务模块效果优化"], "智能训练": ["数据处理规范制定", "算法测试"],
           "智能系统设计": ["智能系统监控和优化", "人机交互流程设计"], "培训与指导": ["培训", "指导"]},
}
AI_TRAINER_SKILL_L5_1_1_1 = "能利用设备、工具等完成原始业务数据采集。"


def _outline(doc: dict) -> dict[str, dict[str, list[str]]]:
    """level -> function name -> work content names, in the order of the file."""
    names = {function["id"]: function["name"]["zh"] for function in doc["functions"]}
    return {section["level"]: {names[block["function"]]: [c["name"]["zh"] for c in block["work_contents"]]
                               for block in section["functions"]}
            for section in doc["work_requirements"]["sections"]}


def test_ai_trainer_says_exactly_which_levels_follow_public_sources():
    """4-04-05-05 1.0 follows the public functions and work contents at levels 5, 4 and 3 (level 5's
    third function without its contents), and its note and header say so, level by level."""
    doc = _doc(STANDARDS / "4-04-05-05" / "1.0.yaml")
    outline = _outline(doc)
    for level, functions in AI_TRAINER_PUBLIC.items():
        assert list(outline[level]) == list(functions), level
        for function, contents in functions.items():
            assert outline[level][function][:len(contents)] == contents, (level, function)
    assert outline["L4"] == AI_TRAINER_PUBLIC["L4"] and outline["L3"] == AI_TRAINER_PUBLIC["L3"]
    assert list(outline["L2"]) == list(outline["L1"]) == list(outline["L3"])  # the note's "unverified guess"
    first = doc["work_requirements"]["sections"][0]["functions"][0]["work_contents"][0]["requirements"][0]
    assert first["number"] == "1.1.1" and first["text"]["zh"] == AI_TRAINER_SKILL_L5_1_1_1

    note, header = doc["provenance"]["note"], _header(STANDARDS / "4-04-05-05" / "1.0.yaml")
    for level in ("五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师"):
        assert level in note["zh"], level
    for content in AI_TRAINER_PUBLIC["L5"]["数据采集和处理"] + AI_TRAINER_PUBLIC["L5"]["数据标注"]:
        assert content in note["zh"], content
    assert "工作内容3.1、3.2" in note["zh"] and "推测" in note["zh"]
    assert _says(note, "en", "level 4", "all six work contents")
    assert _says(note, "en", "level 3", "all eight work contents")
    assert _says(note, "en", "levels 2", "unverified guess", "invented")
    assert "levels 5, 4 and 3" in header and "levels 2 and 1" in header and "Invented" in header
