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
