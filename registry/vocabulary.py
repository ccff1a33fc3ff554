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

#: the standing of a published version on a day (``registry.lifecycle.STANDINGS``), as pages, badges
#: and printed stamps name it
STANDING_NAMES: dict[str, dict[str, str]] = {
    "upcoming": {"zh": "尚未实施", "en": "Not yet in force", "fr": "Pas encore en vigueur"},
    "in-force": {"zh": "现行有效", "en": "In force", "fr": "En vigueur"},
    "superseded": {"zh": "已被替代", "en": "Superseded", "fr": "Remplacée"},
    "expired": {"zh": "已失效", "en": "Expired", "fr": "Expirée"},
    "withdrawn": {"zh": "已撤销", "en": "Withdrawn", "fr": "Retirée"},
}

#: the states of a draft under review (``registry.lifecycle.DRAFT_STATES``)
DRAFT_STATE_NAMES: dict[str, dict[str, str]] = {
    "draft": {"zh": "草稿", "en": "Draft", "fr": "Brouillon"},
    "submitted": {"zh": "已提交审核", "en": "Submitted", "fr": "Soumis"},
    "changes-requested": {"zh": "需修改", "en": "Changes requested", "fr": "Modifications demandées"},
    "approved": {"zh": "已批准", "en": "Approved", "fr": "Approuvé"},
    "published": {"zh": "已发布", "en": "Published", "fr": "Publié"},
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

#: the two parts of a standard's requirements (the search's ``part`` field and filter)
PARTS: dict[str, dict[str, str]] = {
    "basic": {"zh": "基本要求", "en": "Basic requirements"},
    "work": {"zh": "工作要求", "en": "Work requirements"},
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


# --- the printed standard -----------------------------------------------------------------------

#: The fixed words of a printed standard (PDF and HTML), in the languages the corpus uses: headings,
#: column heads, the status stamp. Keys are ``registry.render.html``'s; ``status.<standing>`` come
#: from :data:`STANDING_NAMES`.
PRINT_LABELS: dict[str, dict[str, str]] = {
    "contents": {"zh": "目次", "en": "Contents", "fr": "Sommaire"},
    "foreword": {"zh": "说明", "en": "Foreword", "fr": "Avant-propos"},
    "overview": {"zh": "职业概况", "en": "Occupational overview", "fr": "Présentation du métier"},
    "occupation_name": {"zh": "职业名称", "en": "Occupation name", "fr": "Intitulé du métier"},
    "occupation_code": {"zh": "职业编码", "en": "Occupation code", "fr": "Code du métier"},
    "aliases": {"zh": "曾用编码", "en": "Earlier codes", "fr": "Codes antérieurs"},
    "definition": {"zh": "职业定义", "en": "Definition", "fr": "Définition"},
    "work_types": {"zh": "本职业包含下列工种", "en": "Work types covered", "fr": "Spécialités couvertes"},
    "levels.skill-grades": {"zh": "职业技能等级", "en": "Skill levels", "fr": "Niveaux de compétence"},
    "levels.technical-levels": {"zh": "专业技术等级", "en": "Professional-technical levels",
                                "fr": "Niveaux techniques professionnels"},
    "levels.custom": {"zh": "等级", "en": "Levels", "fr": "Niveaux"},
    "directions": {"zh": "职业方向", "en": "Directions", "fr": "Orientations"},
    "environment": {"zh": "职业环境条件", "en": "Working environment", "fr": "Environnement de travail"},
    "abilities": {"zh": "职业能力特征", "en": "Ability profile", "fr": "Aptitudes"},
    "education": {"zh": "普通受教育程度", "en": "General education", "fr": "Niveau d'études"},
    "training.skill": {"zh": "培训参考学时", "en": "Reference training hours",
                       "fr": "Heures de formation de référence"},
    "training.technical": {"zh": "职业培训要求", "en": "Training requirements", "fr": "Exigences de formation"},
    "assessment.skill": {"zh": "职业技能评价要求", "en": "Assessment requirements", "fr": "Modalités d'évaluation"},
    "assessment.technical": {"zh": "专业技术等级评价要求", "en": "Assessment requirements",
                             "fr": "Modalités d'évaluation"},
    "eligibility": {"zh": "申报条件", "en": "Eligibility", "fr": "Conditions d'accès"},
    "any_of": {"zh": "具备以下条件之一者", "en": "any one of the following", "fr": "l'une des conditions suivantes"},
    "method": {"zh": "评价方式", "en": "Assessment method", "fr": "Mode d'évaluation"},
    "pass_mark": {"zh": "合格分数线", "en": "Pass mark", "fr": "Note de passage"},
    "ratio": {"zh": "监考及考评人员与考生配比", "en": "Invigilator and assessor ratio",
              "fr": "Taux d'encadrement"},
    "duration": {"zh": "评价时间", "en": "Duration", "fr": "Durée"},
    "venue": {"zh": "评价场所设备", "en": "Venue and equipment", "fr": "Lieu et équipement"},
    "level": {"zh": "等级", "en": "Level", "fr": "Niveau"},
    "direction": {"zh": "方向", "en": "Direction", "fr": "Orientation"},
    "hours": {"zh": "学时", "en": "Hours", "fr": "Heures"},
    "note": {"zh": "说明", "en": "Note", "fr": "Note"},
    "basic": {"zh": "基本要求", "en": "Basic requirements", "fr": "Exigences de base"},
    "ethics": {"zh": "职业道德", "en": "Professional ethics", "fr": "Déontologie"},
    "ethics_knowledge": {"zh": "职业道德基本知识", "en": "Basics of professional ethics",
                         "fr": "Notions de déontologie"},
    "code_of_conduct": {"zh": "职业守则", "en": "Code of conduct", "fr": "Code de conduite"},
    "basic_knowledge": {"zh": "基础知识", "en": "Basic knowledge", "fr": "Connaissances de base"},
    "behaviours": {"zh": "行为要求", "en": "Behaviours", "fr": "Savoir-être"},
    "work_requirements": {"zh": "工作要求", "en": "Work requirements", "fr": "Exigences professionnelles"},
    "function": {"zh": "职业功能", "en": "Occupational function", "fr": "Fonction"},
    "work_content": {"zh": "工作内容", "en": "Work content", "fr": "Activité"},
    "knowledge": {"zh": "相关知识要求", "en": "Related knowledge requirements", "fr": "Connaissances associées"},
    "knowledge.performance-criteria": {"zh": "知识与理解", "en": "Knowledge and understanding",
                                       "fr": "Savoirs"},
    "applies_to": {"zh": "适用工种", "en": "Applies to", "fr": "S'applique à"},
    "weights": {"zh": "权重表", "en": "Weight tables", "fr": "Tableaux de pondération"},
    "theory_weights": {"zh": "理论知识权重表", "en": "Theory knowledge weights", "fr": "Pondération des savoirs"},
    "skill_weights": {"zh": "权重表", "en": "weights", "fr": "pondération"},
    "item": {"zh": "项目", "en": "Item", "fr": "Élément"},
    "weight_unit": {"zh": "权重（%）", "en": "Weight (%)", "fr": "Pondération (%)"},
    "total": {"zh": "合计", "en": "Total", "fr": "Total"},
    "not_assessed": {"zh": "—", "en": "—", "fr": "—"},
    "appendix": {"zh": "附录", "en": "Appendix", "fr": "Annexe"},
    "verification": {"zh": "验证信息", "en": "Verification", "fr": "Vérification"},
    "provenance": {"zh": "来源", "en": "Source", "fr": "Source"},
    "issuers": {"zh": "制定", "en": "Issued by", "fr": "Publié par"},
    "guiding_bodies": {"zh": "指导单位", "en": "Guiding bodies", "fr": "Organismes de tutelle"},
    "drafting_bodies": {"zh": "主要起草单位", "en": "Drafting organisations", "fr": "Organismes rédacteurs"},
    "reviewing_bodies": {"zh": "审定单位", "en": "Reviewing organisations", "fr": "Organismes de validation"},
    "legal_basis": {"zh": "法律依据", "en": "Legal basis", "fr": "Base légale"},
    "notices": {"zh": "有关通知", "en": "Notices", "fr": "Avis officiels"},
    "notice.promulgation": {"zh": "颁布", "en": "promulgation", "fr": "promulgation"},
    "notice.new-occupation": {"zh": "新职业发布", "en": "new occupation", "fr": "nouveau métier"},
    "notice.revision": {"zh": "修订", "en": "revision", "fr": "révision"},
    "notice.other": {"zh": "其他", "en": "other", "fr": "autre"},
    "revision.first-edition": {"zh": "本标准为首次制定。", "en": "This is the first edition of the standard.",
                               "fr": "Première édition de la norme."},
    "revision.revision": {"zh": "本标准为修订版本。", "en": "This edition revises an earlier standard.",
                          "fr": "Cette édition révise une norme antérieure."},
    "structure": {"zh": "本标准包括职业概况、基本要求、工作要求和权重表{appendix}等部分。",
                  "en": "The standard has these parts: occupational overview, basic requirements, "
                        "work requirements and weight tables{appendix}.",
                  "fr": "La norme comprend : présentation du métier, exigences de base, exigences "
                        "professionnelles et tableaux de pondération{appendix}."},
    "structure.appendix": {"zh": "、附录", "en": ", and an appendix", "fr": ", et une annexe"},
    "document_status.illustrative-sample": {"zh": "示例文本，并非官方标准。",
                                            "en": "Illustrative sample: not the official text.",
                                            "fr": "Exemple illustratif : pas le texte officiel."},
    "document_status.official-text": {"zh": "官方标准文本。", "en": "Official text of the standard.",
                                      "fr": "Texte officiel de la norme."},
    "markers": {"zh": "职业标识", "en": "Markers", "fr": "Marqueurs"},
    "marker.S": {"zh": "数字职业（S）", "en": "digital occupation (S)", "fr": "métier du numérique (S)"},
    "marker.L": {"zh": "绿色职业（L）", "en": "green occupation (L)", "fr": "métier vert (L)"},
    "crosswalks": {"zh": "对应分类", "en": "Crosswalks", "fr": "Correspondances"},
    "keywords": {"zh": "关键词", "en": "Keywords", "fr": "Mots-clés"},
    "edition": {"zh": "{year}年版", "en": "{year} edition", "fr": "édition {year}"},
    "version": {"zh": "版本", "en": "Version", "fr": "Version"},
    "type": {"zh": "标准类型", "en": "Type", "fr": "Type"},
    "status": {"zh": "状态", "en": "Status", "fr": "Statut"},
    "effective": {"zh": "实施日期", "en": "Effective from", "fr": "En vigueur depuis"},
    "effective_until": {"zh": "有效期至", "en": "Effective until", "fr": "En vigueur jusqu'au"},
    **{f"status.{state}": names for state, names in STANDING_NAMES.items()},
    "upcoming_notice": {"zh": "本版本尚未实施，实施日期：", "en": "Not yet in force. It takes effect on",
                        "fr": "Pas encore en vigueur. Entre en vigueur le"},
    "expired_notice": {"zh": "本版本已失效，最后有效日：", "en": "No longer in force. Its last day in force was",
                       "fr": "N'est plus en vigueur. Dernier jour en vigueur :"},
    "from_date": {"zh": "自{date}起", "en": "from {date}", "fr": "à partir du {date}"},
    "not_stated": {"zh": "未注明", "en": "not stated", "fr": "non précisée"},
    "since_publication": {"zh": "未注明（自{date}在本注册库发布起视为实施）",
                          "en": "not stated (taken as in force from its publication in this registry on {date})",
                          "fr": "non précisée (en vigueur depuis sa publication dans ce registre le {date})"},
    "status.draft": {"zh": "草案，未经批准", "en": "DRAFT, not approved", "fr": "PROJET, non approuvé"},
    "superseded_by": {"zh": "本版本已被替代，替代版本：", "en": "This version is superseded by",
                      "fr": "Cette version est remplacée par"},
    "superseded_no_successor": {"zh": "本版本已被替代。", "en": "This version is superseded.",
                                "fr": "Cette version est remplacée."},
    "withdrawn_reason": {"zh": "本版本已撤销，原因：", "en": "This version is withdrawn. Reason:",
                         "fr": "Cette version est retirée. Motif :"},
    "draft_notice": {"zh": "草案，未经批准，不得作为正式标准使用。",
                     "en": "DRAFT, not approved: not to be used as the standard.",
                     "fr": "PROJET, non approuvé : ne pas utiliser comme norme."},
    "sha256": {"zh": "源文件 SHA-256", "en": "SHA-256 of the source", "fr": "SHA-256 de la source"},
    "permalink": {"zh": "永久链接", "en": "Permalink", "fr": "Lien permanent"},
    "verify": {"zh": "验证地址", "en": "Verify at", "fr": "Vérifier sur"},
    "verify_text": {
        "zh": "扫描二维码或访问验证地址，可确认本文件是否为注册库发布的真实版本，以及是否现行有效。"
              "本PDF内嵌源YAML文件（附件），其SHA-256值如上。",
        "en": "Scan the QR code or open the verification address to check that this document is an "
              "authentic registry version and whether it is current. The source YAML file is embedded "
              "in this PDF as an attachment; its SHA-256 is given above.",
        "fr": "Scannez le code QR ou ouvrez l'adresse de vérification pour contrôler que ce document est "
              "une version authentique du registre et s'il est en vigueur. Le fichier YAML source est "
              "joint à ce PDF ; son SHA-256 figure ci-dessus."},
    "attachment": {"zh": "附件", "en": "Attached source", "fr": "Source jointe"},
    "qr_code": {"zh": "验证地址二维码", "en": "QR code of the verification address",
                "fr": "Code QR de l'adresse de vérification"},
    "page_of": {"zh": "第 {page} 页 共 {pages} 页", "en": "page {page} of {pages}", "fr": "page {page} sur {pages}"},
}


# --- one level, and the documents generated from it ---------------------------------------------

#: the documents generated for a level (``exports.formats.GENERATED``, and the level sheet itself)
GENERATED_DOCUMENTS: dict[str, dict[str, str]] = {
    "level": {"zh": "等级要求", "en": "Level requirements", "fr": "Exigences du niveau"},
    "job-description": {"zh": "岗位说明书", "en": "Job description", "fr": "Fiche de poste"},
    "assessment-checklist": {"zh": "考核评分表", "en": "Assessment checklist", "fr": "Grille d'évaluation"},
    "training-plan": {"zh": "培训计划", "en": "Training plan", "fr": "Plan de formation"},
}

#: the fixed words of a level's page, sheet and generated documents (the print labels above too)
LEVEL_LABELS: dict[str, dict[str, str]] = {
    "includes": {"zh": "本标准规定高级别涵盖低级别的要求：本等级包括以下低级别的全部要求。",
                 "en": "The standard states that a higher level includes the requirements of the levels below: "
                       "this level includes every requirement of the lower levels listed here."},
    "own_only": {"zh": "本标准未规定高级别涵盖低级别的要求：仅列出本等级的要求。",
                 "en": "The standard does not state that a higher level includes the lower levels: only this "
                       "level's requirements are listed."},
    "own_requirements": {"zh": "本等级要求", "en": "Requirements of this level"},
    "included_from": {"zh": "涵盖的低级别要求：{level}", "en": "Included from {level}"},
    "included_mark": {"zh": "（涵盖：{level}）", "en": "(included from {level})"},
    "generated_on": {"zh": "生成日期", "en": "Made on"},
    "standing_on": {"zh": "{day}的状态", "en": "Standing on {day}"},
    "level_page": {"zh": "等级页面", "en": "Level page"},
    "item_links": {"zh": "条目永久链接", "en": "Item permalinks"},
    "source_note": {"zh": "本文件依据下列国家职业标准生成，条目编号后为其永久链接标识。",
                    "en": "Generated from the national occupational standard below; each item's ID leads to its "
                          "permalink."},
    "verify_generated": {"zh": "访问验证地址可确认所依据的标准版本是否真实、是否现行有效；本文件自身的 SHA-256 "
                               "也记录在注册库中。",
                         "en": "Open the verification address to check that the standard version it was made from "
                               "is authentic and whether it is in force; this file's own SHA-256 is recorded by the "
                               "registry too."},
    "occupation": {"zh": "职业", "en": "Occupation"},
    "standard": {"zh": "标准", "en": "Standard"},
    "duties": {"zh": "岗位职责", "en": "Duties"},
    "skills": {"zh": "技能要求", "en": "Required skills"},
    "knowledge": {"zh": "知识要求", "en": "Required knowledge"},
    "hiring": {"zh": "任职条件", "en": "Hiring requirements"},
    "hiring_note": {"zh": "依据本等级的申报条件，具备以下条件之一：",
                    "en": "From the eligibility conditions of this level; any one of:"},
    "basic_note": {"zh": "各等级均须掌握本标准的基本要求（职业道德、基础知识）。",
                   "en": "Every level must meet the standard's basic requirements (professional ethics, basic "
                         "knowledge)."},
    "no": {"zh": "序号", "en": "No."},
    "id": {"zh": "标识", "en": "ID"},
    "requirement": {"zh": "要求", "en": "Requirement"},
    "weight": {"zh": "权重（%）", "en": "Weight (%)"},
    "met": {"zh": "达到", "en": "Met"},
    "not_met": {"zh": "未达到", "en": "Not met"},
    "remarks": {"zh": "备注", "en": "Remarks"},
    "candidate": {"zh": "考生姓名", "en": "Candidate"},
    "assessor": {"zh": "考评员签名", "en": "Assessor's signature"},
    "date": {"zh": "日期", "en": "Date"},
    "result": {"zh": "考核结果", "en": "Result"},
    "checklist_note": {"zh": "每行一项{column}；权重依据本等级{table}，按职业功能的权重在其各项要求间平均分配。"
                             "低级别要求在其所属等级考核。",
                       "en": "One line per {column} item; weights from this level's column of the {table}, each "
                             "function's weight divided equally among its requirements. The lower levels' "
                             "requirements are assessed at those levels."},
    "module": {"zh": "培训模块", "en": "Module"},
    "modules": {"zh": "培训模块", "en": "Modules"},
    "teaches": {"zh": "相关知识", "en": "Knowledge taught"},
    "hours": {"zh": "参考学时", "en": "Hours"},
    "plan_note": {"zh": "本等级培训参考学时 {hours} 学时，按{table}中各职业功能的权重分配到各模块"
                        "（职业功能内按其要求项数分配）。",
                  "en": "The level's {hours} reference training hours, divided across the modules in proportion to "
                        "the {table} (within a function, by its number of requirements)."},
    "plan_no_hours": {"zh": "本标准未注明本等级的培训参考学时。",
                      "en": "The standard states no training hours for this level."},
    "prerequisites": {"zh": "前置要求", "en": "Prerequisites"},
    "prerequisites_note": {"zh": "本等级涵盖以下低级别的要求，学员应已掌握：",
                           "en": "This level includes the requirements of these lower levels, which trainees should "
                                 "already meet:"},
    "choose_direction": {"zh": "本等级按职业方向分列，请选择方向：",
                         "en": "This level is split by direction; choose one:"},
    "downloads": {"zh": "下载", "en": "Downloads"},
    "not_stated": {"zh": "未注明", "en": "not stated"},
}
