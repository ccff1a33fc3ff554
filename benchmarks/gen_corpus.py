#!/usr/bin/env python3
"""Generate a synthetic, national-scale corpus of occupational standards in format 1.0.

    python benchmarks/gen_corpus.py --out DIR [--count 2000] [--seed 42] [--items 300000]

Writes DIR/<code>/<version>.yaml, one standard per file, each valid under ``registry validate``
(schema and every rule). The text is SYNTHETIC BENCHMARK DATA: every file says so in
``provenance.note`` and has ``document_status: illustrative-sample``.

* Deterministic: the same --seed, --count and --items give byte-identical files (each standard
  draws from its own ``random.Random("<seed>:<index>")``; nothing depends on the clock, the
  hash seed or the file system).
* Codes are D-9D-DD-DD: medium groups 90-99 do not exist in the 2022 classification, so no
  synthetic code can collide with a real one (the generator also refuses any code present in
  the repository's standards/ folder).
* Requirement + knowledge items: about --items in total (default 150 per standard). Per-standard
  counts are drawn from a low-skewed log-normal (median ~143, min ~100, long tail to ~320), as
  the baseline corpus (/work/shared/reference/baselines.md) was, then rescaled to hit the total.
* Mix: skill standards (L5..L1 or L4..L1, column "skill") and technical-skill standards
  (junior/intermediate/senior, column "competence"), about a quarter with 2-3 directions,
  12 sectors, Chinese master text with English translations (mostly bilingual maps; some items
  untranslated plain Chinese strings), English 10-25 words.

The YAML is written by a small emitter (block style, like the files in standards/), not by
yaml.dump: PyYAML's pure-Python emitter would take minutes for ~100 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import sys
import time
from pathlib import Path

# --- vocabulary -----------------------------------------------------------------------------

#: 12 sectors: slug, major group of the synthetic code, markers, occupation domains (zh, en)
SECTORS = [
    ("digital-technology", 2, ["S"], [("大数据", "big data"), ("人工智能", "artificial intelligence"),
                                      ("云计算", "cloud computing"), ("区块链", "blockchain")]),
    ("information-security", 2, ["S"], [("网络安全", "cybersecurity"), ("信息安全", "information security"),
                                        ("数据安全", "data security")]),
    ("smart-manufacturing", 6, ["S"], [("智能制造", "smart manufacturing"), ("工业互联网", "industrial internet"),
                                       ("数字孪生", "digital twin")]),
    ("electronics", 6, ["S"], [("集成电路", "integrated circuit"), ("电子设备", "electronic equipment"),
                               ("智能硬件", "smart hardware")]),
    ("telecommunications", 4, ["S"], [("通信网络", "communication network"), ("物联网", "IoT"),
                                      ("移动通信", "mobile communication")]),
    ("energy", 6, ["S", "L"], [("能源互联网", "energy internet"), ("智能电网", "smart grid"),
                               ("碳排放管理", "carbon management")]),
    ("agriculture", 5, ["S", "L"], [("智慧农业", "smart agriculture"), ("农业数字化", "digital agriculture")]),
    ("transport-logistics", 4, ["S"], [("智慧物流", "smart logistics"), ("智能交通", "intelligent transport"),
                                       ("无人机", "drone")]),
    ("finance", 2, ["S"], [("金融科技", "fintech"), ("数字金融", "digital finance")]),
    ("health-care", 2, ["S"], [("智慧医疗", "smart health care"), ("医疗数据", "medical data")]),
    ("commerce-services", 4, ["S"], [("电子商务", "e-commerce"), ("数字营销", "digital marketing"),
                                     ("在线服务", "online service")]),
    ("culture-media", 4, ["S"], [("全媒体", "omnimedia"), ("虚拟现实", "virtual reality"),
                                 ("数字内容", "digital content")]),
]

#: occupation roles: zh, en (singular), standard type
ROLES = [
    ("工程技术人员", "engineering technician", "technical-skill"),
    ("应用开发员", "application developer", "technical-skill"),
    ("系统架构设计师", "system architect", "technical-skill"),
    ("测试工程技术人员", "test engineering technician", "technical-skill"),
    ("数据分析师", "data analyst", "technical-skill"),
    ("运维员", "operations and maintenance worker", "skill"),
    ("安装调试员", "installation and commissioning worker", "skill"),
    ("数据标注员", "data labeller", "skill"),
    ("平台运营员", "platform operator", "skill"),
    ("操作员", "operator", "skill"),
    ("技术支持员", "technical support worker", "skill"),
    ("训练师", "trainer", "skill"),
]

#: competence phrases of digital occupations: zh, en
TOPICS = [
    ("数据采集", "data collection"), ("数据清洗", "data cleaning"), ("数据标注", "data labelling"),
    ("数据治理", "data governance"), ("数据建模", "data modelling"), ("数据可视化", "data visualisation"),
    ("数据仓库建设", "data warehouse construction"), ("数据质量评估", "data quality assessment"),
    ("数据安全防护", "data security protection"), ("数据脱敏", "data masking"),
    ("数据备份与恢复", "data backup and recovery"), ("元数据管理", "metadata management"),
    ("特征工程", "feature engineering"), ("模型训练", "model training"), ("模型评估", "model evaluation"),
    ("模型部署", "model deployment"), ("模型调优", "model tuning"), ("算法测试", "algorithm testing"),
    ("知识图谱构建", "knowledge graph construction"), ("自然语言处理", "natural language processing"),
    ("计算机视觉", "computer vision"), ("语音识别", "speech recognition"), ("智能推荐", "recommendation systems"),
    ("网络安全", "network security"), ("漏洞扫描", "vulnerability scanning"), ("渗透测试", "penetration testing"),
    ("安全审计", "security auditing"), ("应急响应", "incident response"),
    ("身份认证与访问控制", "identity and access control"), ("密码应用", "applied cryptography"),
    ("防火墙配置", "firewall configuration"), ("入侵检测", "intrusion detection"), ("云计算", "cloud computing"),
    ("云平台运维", "cloud platform operations"), ("虚拟化部署", "virtualisation deployment"),
    ("容器编排", "container orchestration"), ("微服务架构", "microservice architecture"),
    ("持续集成与持续交付", "continuous integration and delivery"), ("分布式存储", "distributed storage"),
    ("负载均衡", "load balancing"), ("资源调度", "resource scheduling"), ("成本优化", "cost optimisation"),
    ("边缘计算", "edge computing"), ("物联网设备接入", "IoT device onboarding"), ("传感器选型", "sensor selection"),
    ("嵌入式开发", "embedded development"), ("工业互联网平台应用", "industrial internet platform use"),
    ("数字孪生建模", "digital twin modelling"), ("智能产线调试", "smart production line commissioning"),
    ("工业控制系统维护", "industrial control system maintenance"), ("区块链应用", "blockchain applications"),
    ("智能合约开发", "smart contract development"), ("数据库管理", "database administration"),
    ("SQL查询优化", "SQL query optimisation"), ("系统集成", "system integration"), ("网络规划", "network planning"),
    ("网络设备配置", "network device configuration"), ("无线网络优化", "wireless network optimisation"),
    ("5G基站运维", "5G base station maintenance"), ("软件测试", "software testing"),
    ("自动化测试", "test automation"), ("需求分析", "requirements analysis"),
    ("用户界面设计", "user interface design"), ("前端开发", "front-end development"),
    ("后端开发", "back-end development"), ("接口开发", "API development"),
    ("移动应用开发", "mobile app development"), ("信息系统运维", "information system operations"),
    ("故障诊断", "fault diagnosis"), ("性能监控", "performance monitoring"), ("日志分析", "log analysis"),
    ("电子商务运营", "e-commerce operations"), ("直播营销", "live-stream marketing"), ("用户画像", "user profiling"),
    ("商务数据分析", "business data analysis"), ("数字营销", "digital marketing"),
    ("供应链数字化", "supply chain digitalisation"), ("智能仓储", "smart warehousing"),
    ("无人机操控", "drone operation"), ("虚拟现实内容制作", "virtual reality content production"),
    ("三维建模", "3D modelling"), ("地理信息处理", "geographic information processing"),
    ("遥感影像解译", "remote sensing image interpretation"), ("智慧农业监测", "smart agriculture monitoring"),
    ("碳排放核算", "carbon emission accounting"), ("能源数据监测", "energy data monitoring"),
    ("医疗数据管理", "medical data management"), ("在线学习平台运营", "online learning platform operations"),
    ("数字资产管理", "digital asset management"), ("项目管理", "project management"),
    ("质量管理", "quality management"), ("技术文档编写", "technical documentation"),
    ("集成电路测试", "integrated circuit testing"), ("芯片设计验证", "chip design verification"),
    ("机器人编程", "robot programming"), ("工业视觉检测", "industrial vision inspection"),
    ("智能语音交互", "voice interaction design"), ("信息安全风险评估", "information security risk assessment"),
    ("隐私保护", "privacy protection"), ("网络舆情监测", "online public opinion monitoring"),
]

#: occupational functions: zh, en; the last ones are the higher levels' training and management
FUNCTIONS = [
    ("需求分析", "Requirements analysis"), ("方案设计", "Solution design"), ("数据处理", "Data processing"),
    ("系统部署", "System deployment"), ("应用开发", "Application development"), ("设备安装调试", "Installation and commissioning"),
    ("测试验证", "Testing and verification"), ("模型开发", "Model development"), ("数据分析", "Data analysis"),
    ("平台运营", "Platform operations"), ("运行维护", "Operation and maintenance"), ("安全防护", "Security protection"),
    ("故障处理", "Troubleshooting"), ("监测评估", "Monitoring and evaluation"), ("质量管理", "Quality management"),
    ("项目实施", "Project implementation"), ("咨询服务", "Consulting services"),
]
MANAGEMENT_FUNCTIONS = [("技术管理", "Technical management"), ("培训与指导", "Training and guidance")]

DIRECTIONS = [
    ("ops", "运维方向", "Operations"), ("dev", "开发方向", "Development"), ("test", "测试方向", "Testing"),
    ("analysis", "分析方向", "Analysis"), ("security", "安全方向", "Security"), ("design", "设计方向", "Design"),
    ("integration", "集成方向", "Integration"), ("service", "服务方向", "Service"),
]

CONTEXTS = [("业务需求", "business requirements"), ("项目任务书", "the project brief"),
            ("客户要求", "customer requirements"), ("技术规范", "the technical specification"),
            ("作业指导书", "the work instructions"), ("安全管理制度", "the security management rules")]
TOOLS = [("主流开源工具", "mainstream open-source tools"), ("Python等脚本语言", "scripting languages such as Python"),
         ("可视化管理平台", "a visual management platform"), ("专用测试仪器", "dedicated test instruments"),
         ("云管理控制台", "a cloud management console"), ("自动化运维工具", "automated operations tools")]
NORMS = [("国家标准", "the relevant national standards"), ("行业规范", "industry codes of practice"),
         ("企业质量标准", "the company's quality standards")]

# requirement templates: (zh, en); slots {t} topic, {c} context, {tool}, {n} norm
REQUIREMENT_TEMPLATES = [
    ("能根据{c}完成{t}工作", "Can carry out {t} according to {c}"),
    ("能使用{tool}开展{t}", "Can use {tool} to perform {t}"),
    ("能编制{t}方案并组织实施", "Can draw up a {t} plan and organise its implementation"),
    ("能对{t}过程中的异常进行分析和处置", "Can analyse and handle the anomalies that arise during {t}"),
    ("能指导初级人员开展{t}", "Can guide junior staff in {t}"),
    ("能评估{t}结果并提出改进建议", "Can evaluate the results of {t} and propose improvements"),
    ("能按照{n}检查{t}质量", "Can check the quality of {t} against {n}"),
    ("能配置和维护{t}所需的软硬件环境", "Can configure and maintain the hardware and software environment needed for {t}"),
    ("能识别{t}中的安全风险并采取防护措施", "Can identify the security risks in {t} and take protective measures"),
    ("能编写{t}操作规程", "Can write the operating procedures for {t}"),
]
KNOWLEDGE_TEMPLATES = [
    ("{t}的基本概念和原理", "Basic concepts and principles of {t}"),
    ("{t}常用工具的使用方法", "Use of the common tools for {t}"),
    ("{t}相关国家标准和行业规范", "National standards and industry codes of practice related to {t}"),
    ("{t}的质量评价指标", "Quality indicators and evaluation methods for {t}"),
    ("{t}中的安全风险与防范措施", "Security risks in {t} and the measures that prevent them"),
    ("{t}的工作流程与方法", "Workflow and working methods of {t}"),
    ("{t}与{u}的关系", "How {t} relates to {u}"),
    ("{t}的常见问题及处理方法", "Common problems in {t} and how to solve them"),
]
# suffixes that lengthen a sentence in both languages: (zh, en)
REQUIREMENT_SUFFIXES = [
    ("，并记录处理过程", ", and record each step in the work log"),
    ("，确保结果准确可靠", " so that the results are accurate, complete and reliable"),
    ("，形成书面报告", ", and summarise the findings in a written report for the project team"),
    ("，满足数据安全和隐私保护要求", " while meeting data security and personal privacy requirements"),
    ("，在规定时间内完成", " within the time limits set by the work plan"),
    ("，并对结果进行复核", ", and double-check the results before handing them over"),
    ("，保证系统稳定运行", " so that the system keeps running stably"),
    ("，兼顾成本与效率", " at a reasonable cost"),
    ("，必要时上报", ", escalating when needed"),
]
KNOWLEDGE_SUFFIXES = [
    ("及其在实际项目中的应用", " and how they apply in real projects"),
    ("（含典型案例分析）", ", including the analysis of typical cases from industry practice"),
    ("的最新发展", ", with their recent developments"),
    ("与操作要点", " and the key points of practical operation"),
    ("在本行业的特殊要求", " as they apply to this sector"),
    ("及评价方法", " and how to assess them"),
    ("的基础知识", " at an introductory level"),
]



def _suffix_set(suffixes: list[tuple[str, str]], name: str) -> tuple[list, list[int], list[list[int]]]:
    """Suffixes with their English word counts and 64 fixed random orders to try them in."""
    rng = random.Random(f"suffix-orders:{name}")
    orders = []
    for _ in range(64):
        order = list(range(len(suffixes)))
        rng.shuffle(order)
        orders.append(order)
    return suffixes, [len(en.split()) for _, en in suffixes], orders


REQUIREMENT_SUFFIX_SET = _suffix_set(REQUIREMENT_SUFFIXES, "requirement")
KNOWLEDGE_SUFFIX_SET = _suffix_set(KNOWLEDGE_SUFFIXES, "knowledge")

ETHICS_KNOWLEDGE = [("职业道德基本知识", "Basic knowledge of professional ethics"),
                    ("职业守则的主要内容", "The main content of the code of conduct")]
CODE_OF_CONDUCT = [
    ("遵纪守法，诚实守信", "Abide by laws and regulations; be honest and trustworthy"),
    ("爱岗敬业，精益求精", "Be dedicated to the job and strive for excellence"),
    ("保守秘密，保护数据安全和个人隐私", "Keep confidences; protect data security and personal privacy"),
    ("团结协作，勇于创新", "Work as a team and be ready to innovate"),
    ("安全生产，文明作业", "Work safely and keep the workplace orderly"),
    ("终身学习，提升技能", "Keep learning and improving your skills"),
]
BASIC_KNOWLEDGE = [
    ("法律法规知识", "Laws and regulations", [
        ("《中华人民共和国劳动法》相关知识", "Relevant provisions of the Labour Law of the PRC"),
        ("《中华人民共和国网络安全法》相关知识", "Relevant provisions of the Cybersecurity Law of the PRC"),
        ("《中华人民共和国数据安全法》相关知识", "Relevant provisions of the Data Security Law of the PRC"),
        ("《中华人民共和国个人信息保护法》相关知识", "Relevant provisions of the Personal Information Protection Law of the PRC"),
        ("知识产权相关知识", "Basics of intellectual property")]),
    ("计算机基础知识", "Computer basics", [
        ("计算机组成原理", "How computers are built"), ("操作系统基础知识", "Basics of operating systems"),
        ("计算机网络基础知识", "Basics of computer networks"), ("数据库基础知识", "Basics of databases")]),
    ("安全生产知识", "Workplace safety", [
        ("用电安全知识", "Electrical safety"), ("消防安全知识", "Fire safety"),
        ("信息安全基础知识", "Basics of information security")]),
    ("专业基础知识", "Professional basics", [
        ("程序设计基础知识", "Basics of programming"), ("统计学基础知识", "Basics of statistics"),
        ("项目管理基础知识", "Basics of project management"), ("技术文档规范", "Technical documentation conventions")]),
    ("相关标准知识", "Related standards", [
        ("信息技术相关国家标准", "National standards for information technology"),
        ("行业技术规范", "Technical codes of the sector")]),
]

LEVEL_SHORT = {"L5": "L5", "L4": "L4", "L3": "L3", "L2": "L2", "L1": "L1", "junior": "J", "intermediate": "I",
               "senior": "S"}
LEVEL_ZH = {"L5": "五级/初级工", "L4": "四级/中级工", "L3": "三级/高级工", "L2": "二级/技师", "L1": "一级/高级技师",
            "junior": "初级", "intermediate": "中级", "senior": "高级"}
LEVEL_EN = {"L5": "level 5", "L4": "level 4", "L3": "level 3", "L2": "level 2", "L1": "level 1",
            "junior": "junior", "intermediate": "intermediate", "senior": "senior"}

SYNTHETIC_NOTE_ZH = "合成基准数据：本文件由 benchmarks/gen_corpus.py 按固定随机种子自动生成，仅用于性能测试；结构仿照国家职业标准，内容均为虚构，并非官方文本。"
SYNTHETIC_NOTE_EN = ("Synthetic benchmark data generated by benchmarks/gen_corpus.py from a fixed seed, for performance "
                     "tests only. The structure follows national occupational standards; every word of the content "
                     "is invented and none of it is official text.")

# --- the skew of the per-standard item counts --------------------------------------------------

MEDIAN_ITEMS = 143
SIGMA = 0.30
MIN_ITEMS, MAX_ITEMS = 90, 330


def item_targets(count: int, total: int, seed: int) -> list[int]:
    """Per-standard requirement+knowledge counts: log-normal (median 143), rescaled to ``total``."""
    rng = random.Random(f"{seed}:counts")
    raw = [min(MAX_ITEMS, max(MIN_ITEMS, rng.lognormvariate(math.log(MEDIAN_ITEMS), SIGMA))) for _ in range(count)]
    scale = total / sum(raw)
    targets = [max(24, round(x * scale)) for x in raw]
    # make the sum exact by nudging the largest ones (deterministic)
    diff = total - sum(targets)
    order = sorted(range(count), key=lambda i: (-targets[i], i))
    i = 0
    while diff and count:
        j = order[i % count]
        step = 1 if diff > 0 else -1
        if targets[j] + step >= 24:
            targets[j] += step
            diff -= step
        i += 1
    return targets


# --- YAML emitting ------------------------------------------------------------------------------

_PLAIN_OK = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`0-9.+~][^\n]*\Z")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def q(value: str) -> str:
    """A YAML scalar for a string: plain when unambiguous, otherwise double-quoted (JSON syntax)."""
    if ":" not in value and "#" not in value and value and value[-1] != " ":
        first = value[0]
        if (first >= "\u3000" or "A" <= first <= "Z" or "a" <= first <= "z") and (
                len(value) > 5 or value.lower() not in _RESERVED):
            return value
    if (_PLAIN_OK.match(value) and ": " not in value and " #" not in value and not value.endswith((":", " "))
            and value.lower() not in _RESERVED):
        return value
    return json.dumps(value, ensure_ascii=False)


class Emitter:
    """Block-style YAML writer; a text is a plain string or a {lang: text} map."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def kv(self, indent: int, key: str, value: str) -> None:
        self.lines.append(f"{' ' * indent}{key}: {value}")

    def key(self, indent: int, key: str) -> None:
        self.lines.append(f"{' ' * indent}{key}:")

    def text(self, indent: int, key: str, text) -> None:
        pad = " " * indent
        if isinstance(text, str):
            self.lines.append(f"{pad}{key}: {q(text)}")
        else:
            self.lines.append(f"{pad}{key}:")
            for lang, value in text.items():
                self.lines.append(f"{pad}  {lang}: {q(value)}")

    def text_list_item(self, indent: int, text) -> None:
        """``- <text>`` in a list of texts."""
        pad = " " * indent
        if isinstance(text, str):
            self.lines.append(f"{pad}- {q(text)}")
        else:
            first = True
            for lang, value in text.items():
                self.lines.append(f"{pad}{'- ' if first else '  '}{lang}: {q(value)}")
                first = False

    def item(self, indent: int, ident: str, number: str | None, text) -> None:
        pad = " " * indent
        lines = self.lines
        lines.append(f"{pad}- id: {ident}")
        if number is not None:
            lines.append(f'{pad}  number: "{number}"')
        if isinstance(text, str):
            lines.append(f"{pad}  text: {q(text)}")
        else:
            lines.append(f"{pad}  text:")
            for lang, value in text.items():
                lines.append(f"{pad}    {lang}: {q(value)}")

    def result(self) -> str:
        return "\n".join(self.lines) + "\n"


# --- one standard -------------------------------------------------------------------------------


def _words(text: str) -> int:
    return len(text.split())


class Standard:
    def __init__(self, index: int, seed: int, code: str, n_items: int):
        self.rng = random.Random(f"{seed}:{index}")
        self.index, self.code, self.n_items = index, code, n_items
        self.items = 0

    # texts -------------------------------------------------------------------------------------

    def bilingual(self, zh: str, en: str) -> dict | str:
        """A text in the master language zh, translated to en unless this item stays untranslated."""
        if self.rng.random() < self.untranslated:
            return zh
        return {"zh": zh, "en": en}

    def _fit(self, zh: str, en: str, suffixes, end_zh: str) -> tuple[str, str]:
        """Lengthen an English sentence with suffixes to a random 10-25 words; same in Chinese."""
        r = self.rng.random
        target = 10 + int(r() * 16)
        n = len(en.split())
        if n < target:
            texts, words, orders = suffixes
            for i in orders[int(r() * len(orders))]:
                w = words[i]
                if n + w <= 25:
                    zh += texts[i][0]
                    en += texts[i][1]
                    n += w
                    if n >= target:
                        break
        if n < 10:  # still short (rare): a generic tail keeps the 10-word floor
            zh += "，符合相关规定"
            en += ", in line with the applicable rules and procedures of the organisation"
        return zh + end_zh, en + "."

    def requirement(self, topic: tuple[str, str]) -> dict | str:
        r = self.rng.random
        t_zh, t_en = REQUIREMENT_TEMPLATES[int(r() * len(REQUIREMENT_TEMPLATES))]
        c, tool, n = CONTEXTS[int(r() * len(CONTEXTS))], TOOLS[int(r() * len(TOOLS))], NORMS[int(r() * len(NORMS))]
        zh = t_zh.format(t=topic[0], c=c[0], tool=tool[0], n=n[0])
        en = t_en.format(t=topic[1], c=c[1], tool=tool[1], n=n[1])
        return self.bilingual(*self._fit(zh, en, REQUIREMENT_SUFFIX_SET, "。"))

    def knowledge(self, topic: tuple[str, str]) -> dict | str:
        r = self.rng.random
        t_zh, t_en = KNOWLEDGE_TEMPLATES[int(r() * len(KNOWLEDGE_TEMPLATES))]
        other = self.topics[int(r() * len(self.topics))]
        zh = t_zh.format(t=topic[0], u=other[0])
        en = t_en.format(t=topic[1], u=other[1])
        en = en[0].upper() + en[1:]
        return self.bilingual(*self._fit(zh, en, KNOWLEDGE_SUFFIX_SET, "。"))

    # structure ---------------------------------------------------------------------------------

    def plan(self) -> None:
        rng = self.rng
        self.sector, major, markers, domains = SECTORS[self.index % len(SECTORS)]
        self.markers = markers
        self.domain = rng.choice(domains)
        self.role = rng.choice(ROLES)
        self.standard_type = self.role[2]
        self.untranslated = rng.choice([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.1, 0.3])
        if self.standard_type == "skill":
            self.level_scheme, self.column_label = "skill-grades", "skill"
            self.levels = ["L5", "L4", "L3", "L2", "L1"] if rng.random() < 0.6 else ["L4", "L3", "L2", "L1"]
        else:
            self.level_scheme, self.column_label = "technical-levels", "competence"
            self.levels = ["junior", "intermediate", "senior"]
        self.directions = []
        if rng.random() < 0.25:
            self.directions = rng.sample(DIRECTIONS, rng.choice([2, 2, 3]))
        self.nesting = "direction-level" if self.directions and rng.random() < 0.3 else "level-direction"
        self.topics = rng.sample(TOPICS, rng.randint(12, 20))
        n_decl = rng.randint(4, 7)
        self.functions = sorted(rng.sample(range(len(FUNCTIONS)), n_decl))
        self.functions = [FUNCTIONS[i] for i in self.functions] + MANAGEMENT_FUNCTIONS[: rng.randint(1, 2)]
        self.function_ids = [f"F{i + 1}-" + re.sub(r"[^a-z]+", "-", en.lower()).strip("-")[:24]
                             for i, (_, en) in enumerate(self.functions)]

        # sections: (level, direction) in the nesting order
        if not self.directions:
            keys = [(lv, None) for lv in self.levels]
        elif self.nesting == "level-direction":
            keys = [(lv, d[0]) for lv in self.levels for d in self.directions]
        else:
            keys = [(lv, d[0]) for d in self.directions for lv in self.levels]
        # items per section: rising with the level, then rescaled to the standard's total
        shares = [1.0 + 0.15 * self.levels.index(lv) + rng.random() * 0.3 for lv, _ in keys]
        per = _apportion(self.n_items, shares, minimum=6)
        self.sections = []
        n_decl_all = len(self.functions)
        for (level, direction), n_sec in zip(keys, per):
            rank = self.levels.index(level)
            k = min(n_decl_all, rng.randint(3, 6))
            max_k = max(1, n_sec // 2)  # every work content needs a requirement and a knowledge item
            k = max(1, min(k, max_k))
            start = round(rank / max(1, len(self.levels) - 1) * (n_decl_all - k))
            used = list(range(start, start + k))
            # work contents: 4-8 items each on average, 1-5 per function
            n_wc = max(k, min(5 * k, round(n_sec / rng.uniform(4.5, 8.0))))
            n_wc = min(n_wc, n_sec // 2)
            wc_per_f = _apportion(n_wc, [rng.random() + 0.5 for _ in used], minimum=1)
            blocks = []
            wc_items = _apportion(n_sec, [rng.random() + 0.6 for _ in range(n_wc)], minimum=2)
            it = iter(wc_items)
            for f, nwc in zip(used, wc_per_f):
                contents = []
                for _ in range(nwc):
                    n = next(it)
                    n_req = max(1, min(n - 1, round(n * rng.uniform(0.5, 0.68))))
                    contents.append((rng.choice(self.topics), n_req, n - n_req))
                blocks.append((f, contents))
            self.sections.append((level, direction, blocks))

    # the document ------------------------------------------------------------------------------

    def render(self) -> str:
        self.plan()
        rng, e = self.rng, Emitter()
        d_zh, d_en = self.domain
        r_zh, r_en, _ = self.role
        occupation_zh, occupation_en = d_zh + r_zh, f"{d_en} {r_en}"
        type_zh = "国家职业技能标准" if self.standard_type == "skill" else "国家职业技术技能标准"
        type_en = "Skill" if self.standard_type == "skill" else "Technical Skill"
        edition = 2019 + rng.randrange(7)
        serial = self.index + 1

        e.lines.append("# SYNTHETIC BENCHMARK DATA generated by benchmarks/gen_corpus.py; not an official text.")
        e.kv(0, "schema_version", '"1.0"')
        e.kv(0, "code", f'"{self.code}"')
        e.kv(0, "version", '"1.0"')
        e.kv(0, "edition", str(edition))
        e.kv(0, "standard_type", self.standard_type)
        e.key(0, "markers")
        for m in self.markers:
            e.lines.append(f"  - {m}")
        e.kv(0, "sector", self.sector)
        e.key(0, "languages")
        e.kv(2, "master", "zh")
        e.key(2, "translations")
        e.lines.append("    - en")
        e.text(0, "title", {"zh": f"{occupation_zh}{type_zh}（合成基准数据{serial}）",
                            "en": f"National Occupational {type_en} Standard for {_cap(occupation_en)}s "
                                  f"(synthetic benchmark data {serial})"})
        e.text(0, "occupation", {"zh": occupation_zh, "en": _cap(occupation_en)})
        e.key(0, "keywords")
        for t in rng.sample(self.topics, 5):
            e.text_list_item(2, {"zh": t[0], "en": t[1]})

        e.key(0, "provenance")
        e.kv(2, "document_status", "illustrative-sample")
        e.text(2, "note", {"zh": SYNTHETIC_NOTE_ZH, "en": SYNTHETIC_NOTE_EN})
        e.key(2, "issuers")
        e.text_list_item(4, {"zh": "合成基准数据发布机构（虚构）", "en": "Synthetic benchmark issuer (fictitious)"})
        e.key(2, "drafting_bodies")
        e.text_list_item(4, {"zh": f"合成起草单位{rng.randint(1, 40)}", "en": "Synthetic drafting body"})
        e.key(2, "notices")
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        e.lines.append(f"    - number: 合成〔{edition}〕{rng.randint(1, 120)}号")
        e.lines.append(f'      date: "{edition}-{month:02d}-{day:02d}"')
        e.lines.append("      role: promulgation")
        e.kv(2, "effective_from", f'"{edition}-{month:02d}-{day:02d}"')
        e.kv(2, "revision", "first-edition")
        e.key(0, "crosswalks")
        e.key(2, "isco08")
        e.lines.append(f'    - "{rng.choice(["2511", "2512", "2513", "2514", "2519", "2521", "2522", "2523", "2529", "3511", "3512", "3513", "3514", "7421", "7422"])}"')

        e.kv(0, "level_scheme", self.level_scheme)
        e.key(0, "levels")
        for lv in self.levels:
            e.lines.append(f"  - id: {lv}")
        if self.directions:
            e.key(0, "directions")
            for ident, zh, en in self.directions:
                e.lines.append(f"  - id: {ident}")
                e.text(4, "name", {"zh": zh, "en": en})

        # overview
        e.key(0, "overview")
        topics = "、".join(t[0] for t in self.topics[:4])
        topics_en = ", ".join(t[1] for t in self.topics[:3]) + " and " + self.topics[3][1]
        e.text(2, "definition", {"zh": f"从事{d_zh}领域{topics}等工作的人员。",
                                 "en": f"Workers in the {d_en} field who carry out {topics_en}."})
        e.text(2, "environment", {"zh": "室内，常温。", "en": "Indoors, at normal temperature."})
        e.text(2, "abilities", {"zh": "具有一定的学习能力、分析判断能力和表达能力。",
                                "en": "Good learning, analytical and communication abilities."})
        e.text(2, "education", {"zh": "高中毕业（或同等学力）。" if self.standard_type == "skill" else "大学专科学历（或高等职业学校毕业）。",
                                "en": "Senior secondary school (or equivalent)." if self.standard_type == "skill"
                                else "Associate degree (or graduation from a higher vocational school)."})
        e.key(2, "training_hours")
        for i, lv in enumerate(self.levels):
            e.lines.append(f"    - level: {lv}")
            e.lines.append(f"      hours: {80 + 16 * i + 8 * rng.randrange(4)}")
        e.key(2, "eligibility")
        for i, lv in enumerate(self.levels):
            e.lines.append(f"    - level: {lv}")
            e.key(6, "conditions")
            e.text_list_item(8, {"zh": f"取得本职业{LEVEL_ZH[lv]}培训学时证明。",
                                 "en": f"Holds proof of {LEVEL_EN[lv]} training hours for this occupation."})
            if i:
                years = rng.randint(1, 4)
                e.text_list_item(8, {"zh": f"取得本职业{LEVEL_ZH[self.levels[i - 1]]}证书后，从事本职业工作满{years}年。",
                                     "en": f"Has worked {years} years in this occupation after obtaining the "
                                           f"{LEVEL_EN[self.levels[i - 1]]} certificate."})
        e.key(2, "assessment")
        e.text(4, "method", {"zh": "理论知识考试和技能考核，均实行百分制，成绩皆达60分（含）以上者为合格。",
                             "en": "A theory exam and a skills assessment, each out of 100; 60 or more passes."})
        e.kv(4, "pass_mark", "60")
        e.text(4, "duration", {"zh": "理论知识考试不少于90分钟，技能考核不少于120分钟。",
                               "en": "At least 90 minutes for the theory exam and 120 minutes for the skills assessment."})

        # basic requirements
        e.key(0, "basic_requirements")
        e.key(2, "ethics")
        e.key(4, "knowledge")
        for i, (zh, en) in enumerate(ETHICS_KNOWLEDGE[: rng.randint(1, 2)]):
            e.item(6, f"E-K{i + 1}", f"2.1.{i + 1}", {"zh": zh + "。", "en": en + "."})
        e.key(4, "code_of_conduct")
        for i, (zh, en) in enumerate(CODE_OF_CONDUCT[: rng.randint(4, 6)]):
            e.item(6, f"E-C{i + 1}", None, {"zh": zh + "。", "en": en + "."})
        e.key(2, "basic_knowledge")
        groups = BASIC_KNOWLEDGE[: rng.randint(3, 5)]
        for g, (zh, en, items) in enumerate(groups):
            e.lines.append(f"    - id: BK-{g + 1}")
            e.lines.append(f'      number: "2.2.{g + 1}"')
            e.text(6, "title", {"zh": zh, "en": en})
            e.key(6, "items")
            for i, (izh, ien) in enumerate(items[: rng.randint(2, len(items))]):
                e.item(8, f"BK-{g + 1}-{i + 1}", None, {"zh": izh + "。", "en": ien + "."})

        # functions
        e.key(0, "functions")
        for ident, (zh, en) in zip(self.function_ids, self.functions):
            e.lines.append(f"  - id: {ident}")
            e.text(4, "name", {"zh": zh, "en": en})

        # work requirements
        e.key(0, "work_requirements")
        e.kv(2, "column_label", self.column_label)
        e.kv(2, "nesting", self.nesting)
        e.key(2, "sections")
        for level, direction, blocks in self.sections:
            e.lines.append(f"    - level: {level}")
            if direction:
                e.kv(6, "direction", direction)
            e.key(6, "functions")
            prefix = LEVEL_SHORT[level] + (f"-{direction}" if direction else "")
            for i, (f, contents) in enumerate(blocks):
                e.lines.append(f"        - function: {self.function_ids[f]}")
                e.lines.append(f'          number: "{i + 1}"')
                e.key(10, "work_contents")
                for j, (topic, n_req, n_know) in enumerate(contents):
                    number = f"{i + 1}.{j + 1}"
                    stem = f"{prefix}-f{f + 1}-{j + 1}"
                    e.lines.append(f"            - id: WC-{stem}")
                    e.lines.append(f'              number: "{number}"')
                    e.text(14, "name", {"zh": topic[0], "en": _cap(topic[1])})
                    e.key(14, "requirements")
                    for k in range(n_req):
                        e.item(16, f"R-{stem}-{k + 1}", f"{number}.{k + 1}", self.requirement(topic))
                    e.key(14, "knowledge")
                    for k in range(n_know):
                        e.item(16, f"K-{stem}-{k + 1}", f"{number}.{k + 1}", self.knowledge(topic))
                    self.items += n_req + n_know

        # weights: every column sums to 100, functions used by the section weighted, others null
        e.key(0, "weights")
        for table in ("theory", "skills"):
            e.key(2, table)
            for level, direction, blocks in self.sections:
                rank = self.levels.index(level)
                e.lines.append(f"    - level: {level}")
                if direction:
                    e.kv(6, "direction", direction)
                rest = 100
                if table == "theory":
                    bk = max(10, 30 - 5 * rank)
                    e.kv(6, "ethics", "5")
                    e.kv(6, "basic_knowledge", str(bk))
                    rest = 95 - bk
                used = [f for f, _ in blocks]
                units = _apportion(rest // 5, [rng.random() + 0.5 for _ in used], minimum=1)
                weight = dict(zip(used, units))
                e.key(6, "functions")
                for f, ident in enumerate(self.function_ids):
                    e.kv(8, ident, str(5 * weight[f]) if f in weight else "null")
        return e.result()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _apportion(total: int, shares: list[float], minimum: int) -> list[int]:
    """Split ``total`` into len(shares) integers >= minimum, proportional to ``shares`` (largest remainder)."""
    n = len(shares)
    if n == 0:
        return []
    minimum = min(minimum, total // n)
    spare = total - minimum * n
    s = sum(shares)
    raw = [spare * x / s for x in shares]
    out = [minimum + int(r) for r in raw]
    left = total - sum(out)
    for i in sorted(range(n), key=lambda i: (-(raw[i] - int(raw[i])), i))[:left]:
        out[i] += 1
    return out


# --- codes --------------------------------------------------------------------------------------


def real_codes(repo: Path) -> set[str]:
    """Codes (and alias codes) used by the repository's real standards, to be avoided."""
    codes: set[str] = set()
    folder = repo / "standards"
    if folder.is_dir():
        for path in folder.rglob("*.yaml"):
            codes.add(path.parent.name)
            codes.update(re.findall(r"\b[1-8]-\d\d-\d\d-\d\d\b", path.read_text(encoding="utf-8", errors="replace")))
    return codes


def synthetic_codes(count: int, seed: int, avoid: set[str]) -> list[str]:
    """Unique D-9D-DD-DD codes: medium groups 90-99 do not exist in the 2022 classification."""
    rng = random.Random(f"{seed}:codes")
    codes: list[str] = []
    seen: set[str] = set()
    for i in range(count):
        major = SECTORS[i % len(SECTORS)][1]
        while True:
            code = f"{major}-9{rng.randrange(10)}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 100):02d}"
            if code not in seen:
                break
        if code in avoid:
            raise SystemExit(f"synthetic code {code} collides with a real standard; change the code space")
        seen.add(code)
        codes.append(code)
    return codes


def _write_one(args: tuple[Path, int, int, str, int]) -> tuple[str, int, int, bytes]:
    """Render and write one standard; return (code, items, bytes, sha256 of the file)."""
    out, index, seed, code, n_items = args
    std = Standard(index, seed, code, n_items)
    data = std.render().encode("utf-8")
    folder = out / code
    folder.mkdir(exist_ok=True)
    (folder / "1.0.yaml").write_bytes(data)
    return code, std.items, len(data), hashlib.sha256(data).digest()


def generate(out: Path, count: int, seed: int, items: int, jobs: int = 1) -> dict:
    """Write the corpus; the output does not depend on ``jobs`` (each standard has its own generator)."""
    repo = Path(__file__).resolve().parent.parent
    codes = synthetic_codes(count, seed, real_codes(repo))
    targets = item_targets(count, items, seed)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [(out, i, seed, code, n) for i, (code, n) in enumerate(zip(codes, targets))]
    total_items = total_bytes = 0
    per_file = []
    digests: dict[str, bytes] = {}
    pool = None
    if jobs > 1 and count >= 64:
        from multiprocessing import Pool

        pool = Pool(jobs)
        results = pool.imap_unordered(_write_one, tasks, chunksize=16)
    else:
        results = map(_write_one, tasks)
    try:
        for code, n, size, file_digest in results:
            total_items += n
            total_bytes += size
            per_file.append(n)
            digests[code] = file_digest
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    digest = hashlib.sha256()
    for code in sorted(digests):
        digest.update(code.encode() + b"\0" + digests[code])
    per_file.sort()
    return {"files": count, "items": total_items, "bytes": total_bytes, "sha256": digest.hexdigest(),
            "items_min": per_file[0], "items_median": per_file[len(per_file) // 2], "items_max": per_file[-1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="output folder (created; files are overwritten)")
    parser.add_argument("--count", type=int, default=2000, help="number of standards [2000]")
    parser.add_argument("--seed", type=int, default=42, help="random seed [42]")
    parser.add_argument("--items", type=int, default=None,
                        help="requirement+knowledge items in total [150 per standard: 300,000 for 2,000]")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes [one per core]; the files are the same for any value")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    items = args.items if args.items is not None else 150 * args.count
    started = time.perf_counter()
    stats = generate(args.out, args.count, args.seed, items, max(1, args.jobs))
    elapsed = time.perf_counter() - started
    print(f"files: {stats['files']:,}  items (requirements + knowledge): {stats['items']:,} "
          f"(per file min/median/max {stats['items_min']}/{stats['items_median']}/{stats['items_max']})  "
          f"bytes: {stats['bytes']:,} ({stats['bytes'] / 1e6:.1f} MB)  time: {elapsed:.1f} s")
    print(f"corpus sha256 (over sorted <code>, sha256(file)): {stats['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
