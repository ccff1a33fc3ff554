"""Fixed vocabularies of the format: level schemes, column labels, standard types.

Names are given in Chinese (the master language of national standards) and English.
"""

from __future__ import annotations

#: Level ids of each scheme, lowest first, with the names printed in national standards.
LEVEL_SCHEMES: dict[str, dict[str, dict[str, str]]] = {
    "skill-grades": {
        "L5": {"zh": "五级/初级工", "en": "Level 5 / Junior worker"},
        "L4": {"zh": "四级/中级工", "en": "Level 4 / Intermediate worker"},
        "L3": {"zh": "三级/高级工", "en": "Level 3 / Senior worker"},
        "L2": {"zh": "二级/技师", "en": "Level 2 / Technician"},
        "L1": {"zh": "一级/高级技师", "en": "Level 1 / Senior technician"},
    },
    "technical-levels": {
        "junior": {"zh": "初级", "en": "Junior"},
        "intermediate": {"zh": "中级", "en": "Intermediate"},
        "senior": {"zh": "高级", "en": "Senior"},
    },
}

COLUMN_LABELS: dict[str, dict[str, str]] = {
    "skill": {"zh": "技能要求", "en": "Skill requirements"},
    "competence": {"zh": "专业能力要求", "en": "Professional competence requirements"},
    "performance-criteria": {"zh": "绩效标准", "en": "Performance criteria"},
}

STANDARD_TYPES: dict[str, dict[str, str]] = {
    "skill": {"zh": "国家职业技能标准", "en": "National Occupational Skill Standard"},
    "technical-skill": {"zh": "国家职业技术技能标准", "en": "National Occupational Technical Skill Standard"},
    "unified": {"zh": "国家职业标准", "en": "National Occupational Standard"},
}

# --- labels the web pages and the feed show for codes and slugs ---------------------------------
# Bilingual dictionaries rather than interface translations, because the Atom feed prints both
# languages at once and the values are data (slugs, IDs) rather than interface sentences.

#: sector slugs of the corpus; an unknown slug is shown as a capitalised phrase (see ``label``)
SECTORS: dict[str, dict[str, str]] = {
    "artificial-intelligence": {"zh": "人工智能", "en": "Artificial intelligence"},
    "big-data": {"zh": "大数据", "en": "Big data"},
    "blockchain": {"zh": "区块链", "en": "Blockchain"},
    "cloud-computing": {"zh": "云计算", "en": "Cloud computing"},
    "data-security": {"zh": "数据安全", "en": "Data security"},
    "digital-management": {"zh": "数字化管理", "en": "Digital management"},
    "e-commerce": {"zh": "电子商务", "en": "E-commerce"},
    "industrial-internet": {"zh": "工业互联网", "en": "Industrial internet"},
    "integrated-circuits": {"zh": "集成电路", "en": "Integrated circuits"},
    "internet-of-things": {"zh": "物联网", "en": "Internet of things"},
    "smart-manufacturing": {"zh": "智能制造", "en": "Smart manufacturing"},
    "virtual-reality": {"zh": "虚拟现实", "en": "Virtual reality"},
    "robotics": {"zh": "机器人", "en": "Robotics"},
    "additive-manufacturing": {"zh": "增材制造", "en": "Additive manufacturing"},
    "cryptography": {"zh": "密码", "en": "Cryptography"},
    "cybersecurity": {"zh": "网络安全", "en": "Cybersecurity"},
}

#: what the diff and the search call the parts of a standard (``ItemChange.item_kind``, search kinds)
ITEM_KINDS: dict[str, dict[str, str]] = {
    "standard": {"zh": "标准", "en": "standard"},
    "level": {"zh": "等级", "en": "level"},
    "direction": {"zh": "职业方向", "en": "direction"},
    "work_type": {"zh": "工种", "en": "work type"},
    "function": {"zh": "职业功能", "en": "function"},
    "ethics": {"zh": "职业道德", "en": "ethics item"},
    "basic_knowledge": {"zh": "基础知识", "en": "basic knowledge group"},
    "basic_knowledge_item": {"zh": "基础知识条目", "en": "basic knowledge item"},
    "work_content": {"zh": "工作内容", "en": "work content"},
    "requirement": {"zh": "技能要求", "en": "requirement"},
    "knowledge": {"zh": "相关知识要求", "en": "knowledge item"},
    "behaviour": {"zh": "行为要求", "en": "behaviour"},
}

#: the flags of an item change (``ItemChange.kind`` joins them with "+")
CHANGE_KINDS: dict[str, dict[str, str]] = {
    "added": {"zh": "新增", "en": "added"},
    "removed": {"zh": "删除", "en": "removed"},
    "reworded": {"zh": "改写", "en": "reworded"},
    "moved": {"zh": "移动", "en": "moved"},
    "reordered": {"zh": "调整顺序", "en": "reordered"},
}

#: ``Diff.change_class``
CHANGE_CLASSES: dict[str, dict[str, str]] = {
    "major": {"zh": "主版本变更", "en": "major change"},
    "minor": {"zh": "次版本变更", "en": "minor change"},
    "none": {"zh": "无实质变更", "en": "no substantive change"},
}

#: weight tables and their fixed rows (``WeightChange.table`` / ``.row``; other rows are function IDs)
WEIGHT_TABLES: dict[str, dict[str, str]] = {
    "theory": {"zh": "理论知识权重表", "en": "Theory knowledge weights"},
    "skills": {"zh": "技能要求权重表", "en": "Skill weights"},
}
WEIGHT_ROWS: dict[str, dict[str, str]] = {
    "ethics": {"zh": "职业道德", "en": "Professional ethics"},
    "basic_knowledge": {"zh": "基础知识", "en": "Basic knowledge"},
}

#: languages a document may be written in, named in the interface languages
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "zh": {"zh": "中文", "en": "Chinese"},
    "en": {"zh": "英文", "en": "English"},
    "fr": {"zh": "法文", "en": "French"},
    "de": {"zh": "德文", "en": "German"},
    "ja": {"zh": "日文", "en": "Japanese"},
    "ru": {"zh": "俄文", "en": "Russian"},
}

#: Titles of the groups of the 2022 occupational classification (职业分类大典) that hold the
#: registry's occupations. Only titles found in the project's sources are listed (see
#: shared/reference/china-standards.md, which confirms the minor group 2-02-38); any other group
#: is shown by its code alone rather than with a title nobody has checked.
OCCUPATION_GROUPS: dict[str, dict[str, str]] = {
    "2-02-38": {"zh": "数字技术工程技术人员", "en": "Digital-technology engineering and technical personnel"},
}


def occupation_group(code: str) -> str:
    """The minor group (小类) of an occupation code: ``2-02-38-01`` -> ``2-02-38``."""
    return "-".join(code.split("-")[:3])


def label(vocabulary: dict[str, dict[str, str]], key: str | None, lang: str) -> str:
    """The name of ``key`` in ``lang`` (Chinese as the fallback); an unknown key as a readable phrase."""
    if not key:
        return ""
    names = vocabulary.get(key)
    if names:
        return names.get(lang) or names["zh"]
    return key.replace("_", " ").replace("-", " ").capitalize() if vocabulary is SECTORS else key
