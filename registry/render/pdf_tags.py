"""The structure tree of a tagged PDF (PDF/A-3a), lean: one element per element of meaning.

WeasyPrint 70 tags a PDF (``pdf/a-3a`` turns ``pdf_tags`` on) by giving every text fragment a
``Span`` element of its own and every anonymous box a ``NonStruct`` one: for the largest standard
about 4,600 elements, 80 KB of PDF and a quarter of a second per render. This module builds the
same tree with only the elements that carry meaning, the way a screen reader reads it:

* headings ``H1``-``H3``, paragraphs ``P``, sections ``Sect``, the body ``Part``, lists ``L``/``LI``,
  tables ``Table``/``THead``/``TBody``/``TR``/``TH``/``TD``, links ``Link`` (with their
  annotations), the QR code ``Figure`` (its SVG ``<title>`` as ``Alt``);
* the marked content of text goes straight to the element it belongs to (no ``Span`` per line),
  anonymous boxes and ``div``/``span`` wrappers are transparent, except that an element whose
  language differs from the document's keeps an element of its own with that ``Lang`` (the
  translations are read in their language). The language is ``data-lang`` (or ``lang``):
  :func:`registry.render.html.languages_for_the_structure_tree` turns the ``lang`` attributes of
  the body into ``data-lang`` for the PDF, which WeasyPrint lays out faster;
* a header cell says what it heads: ``Scope`` ``Column``, or ``Row`` for ``<th scope="row">``;
* what is not content (page margins, the hidden strings of the running header, elements marked
  ``aria-hidden``) is kept out of the tree: its marked content is mapped to an element that no
  parent lists, as WeasyPrint does for page margins.

:func:`install` makes WeasyPrint's ``generate_pdf`` call :func:`add_tags` instead of its own; it
is called by :mod:`registry.render.pdf`, the only other module that imports WeasyPrint. It reads
WeasyPrint's box tree and the marked content WeasyPrint wrote while painting, which are internal
to WeasyPrint 70 (the project pins ``weasyprint>=70,<71``); ``tests/render/test_pdf_print.py`` reads the tree
of a real standard back.
"""

from __future__ import annotations

import pydyf
from weasyprint import pdf as _wp_pdf
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.logger import LOGGER
from weasyprint.pdf.tags import _get_pdf_tag

#: Tags whose elements are kept; the others ("Div", "Span", "NonStruct") are transparent.
_KEPT = {"Part", "Art", "Sect", "BlockQuote", "P", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl",
         "LBody", "Table", "THead", "TBody", "TFoot", "TR", "TH", "TD", "Figure", "Caption", "Link"}
_SVG = "{http://www.w3.org/2000/svg}"


class _Tree:
    """The state of one page's walk."""

    def __init__(self, pdf, page_number: int, tags: dict, lang: str, annotations: list):
        self.pdf = pdf
        self.page = pdf.page_references[page_number]
        self.tags = tags
        self.lang = lang
        self.annotations = annotations
        self.nums: dict[int, object] = {}

    def element(self, tag: str, parent) -> pydyf.Dictionary:
        """A structure element (its optional /Type left out: 2,000 of them make a PDF 1 KB larger)."""
        element = pydyf.Dictionary({"S": f"/{tag}", "P": parent.reference, "K": pydyf.Array()})
        self.pdf.add_object(element)
        return element

    def content(self, box, element) -> None:
        """Map the marked content of ``box`` (a text fragment or a replaced box) to ``element``;
        the element then names its page (/Pg), which only elements with marked content need."""
        kid = self.tags.pop(box, None)
        if kid is None:
            return
        element["K"].append(kid["mcid"])
        element["Pg"] = self.page
        self.nums[kid["mcid"]] = element.reference

    def walk(self, box, parent) -> list:
        """The elements ``box`` adds under ``parent`` (returned, in order, for its ``K``)."""
        if isinstance(box, AbsolutePlaceholder):
            box = box._box
        if isinstance(box, boxes.MarginBox):
            self.hide(box, parent)
            return []
        element_tag = None if box.element is None else box.element_tag
        if element_tag in ("html", "body") or isinstance(box, boxes.PageBox):
            return self.children(box, parent)
        if box.element is not None and box.element.get("aria-hidden") == "true" and box.element_tag != "html":
            self.hide(box, parent)
            return []
        if element_tag and "::" in element_tag and element_tag != "li::marker":
            tag = "NonStruct"  # generated content (the page numbers of the contents) joins its element
        else:
            tag = _get_pdf_tag(element_tag)
        if tag in ("TD", "TH") and str(parent["S"]) in ("/TD", "/TH"):
            tag = "NonStruct"  # the anonymous block of a cell
        lang = None
        if box.element is not None and "::" not in (element_tag or ""):
            lang = box.element.get("data-lang") or box.element.get("lang")
        if lang == self.lang:
            lang = None
        if tag not in _KEPT:
            if not lang:
                return self.children(box, parent)
            tag = "Span"  # a wrapper that says the language of its text
        element = self.element(tag, parent)
        if lang:
            element["Lang"] = pydyf.String(lang)
        if tag == "Figure":
            title = box.element.find(f"{_SVG}title") if box.element.tag == f"{_SVG}svg" else None
            alt = title.text if title is not None else box.element.get("alt")
            if alt:
                element["Alt"] = pydyf.String(alt)
        elif tag == "Table" and box.is_table_wrapper:
            table = box.get_wrapped_table()
            if table is not None:  # the caption and the table's rows are the Table's children
                box = table.copy_with_children(
                    [grand for child in box.children for grand in (child.children if child is table else [child])])
        elif tag in ("TH", "TD"):
            attributes = pydyf.Dictionary({"O": "/Table"})
            if tag == "TH":
                attributes["Scope"] = "/Row" if box.element.get("scope") == "row" else "/Column"
            if box.colspan != 1:
                attributes["ColSpan"] = box.colspan
            if box.rowspan != 1:
                attributes["RowSpan"] = box.rowspan
            element["A"] = attributes
        if box.link_annotation:
            annotation = box.link_annotation
            reference = pydyf.Dictionary({"Type": "/OBJR", "Obj": annotation.reference, "Pg": self.page})
            self.pdf.add_object(reference)
            self.annotations.append((element.reference, annotation))
            element["K"].append(reference.reference)
        if isinstance(box, boxes.ReplacedBox):
            self.content(box, element)
        elif tag == "LI":  # LI: its label (the list marker), then its body
            body = self.element("LBody", element)
            for child in self.children(box, body):
                if str(child["S"]) == "/Lbl":
                    child["P"] = element.reference
                    element["K"].append(child.reference)
                else:
                    body["K"].append(child.reference)
            element["K"].append(body.reference)
        else:
            for child in self.children(box, element):
                element["K"].append(child.reference)
        return [element]

    def children(self, box, parent) -> list:
        """The elements of the children of ``box``; their text goes to ``parent``."""
        found = []
        for child in getattr(box, "children", ()):
            for kid in (child.children if isinstance(child, boxes.LineBox) else (child,)):
                if isinstance(kid, boxes.TextBox):
                    self.content(kid, parent)
                else:
                    found += self.walk(kid, parent)
        return found

    def hide(self, box, parent) -> None:
        """Map the marked content of ``box`` to an element that is not in the tree (not content)."""
        hidden = self.element("NonStruct", parent)
        stack = [box]
        while stack:
            current = stack.pop()
            if isinstance(current, AbsolutePlaceholder):
                current = current._box
            if isinstance(current, (boxes.TextBox, boxes.ReplacedBox)):
                self.content(current, hidden)
            else:
                stack.extend(reversed(getattr(current, "children", ())))


def add_tags(pdf, document, pdf_version, page_streams) -> None:
    """The structure tree of ``document``: what ``weasyprint.pdf.tags.add_tags`` does, leaner."""
    parent_tree = pydyf.Dictionary({})
    pdf.add_object(parent_tree)
    root = pydyf.Dictionary({"Type": "/StructTreeRoot", "ParentTree": parent_tree.reference})
    pdf.add_object(root)
    top = pydyf.Dictionary({"S": "/Document", "P": root.reference, "K": pydyf.Array()})
    pdf.add_object(top)
    root["K"] = pydyf.Array([top.reference])
    pdf.catalog["StructTreeRoot"] = root.reference
    if str(pdf_version) >= "2.0":
        namespace = pydyf.Dictionary({"Type": "/Namespace", "NS": pydyf.String("http://iso.org/pdf2/ssn")})
        pdf.add_object(namespace)
        root["Namespaces"] = pydyf.Array([namespace.reference])
        top["NS"] = namespace.reference
    lang = document.metadata.lang or ""
    nums = pydyf.Array()
    parent_tree["Nums"] = nums
    annotations: list = []
    for page_number, (page, stream) in enumerate(zip(document.pages, page_streams)):
        tree = _Tree(pdf, page_number, stream._tags, lang, annotations)
        for element in tree.walk(page._page_box, top):
            top["K"].append(element.reference)
        if tree.tags:  # marked content no box was found for: keep it out of the reading order
            orphan = tree.element("NonStruct", top)
            orphan["Pg"] = tree.page
            for kid in tree.tags.values():
                orphan["K"].append(kid["mcid"])
                tree.nums[kid["mcid"]] = orphan.reference
            tree.tags.clear()
        nums.append(page_number)
        nums.append(pydyf.Array([reference for _, reference in sorted(tree.nums.items())]))
    for index, (reference, annotation) in enumerate(annotations, start=len(document.pages)):
        nums.append(index)
        nums.append(reference)
        annotation["StructParent"] = index
    pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
    pdf.catalog["MarkInfo"] = pydyf.Dictionary({"Marked": "true"})
    if "Lang" not in pdf.catalog:
        LOGGER.error('Missing required "lang" attribute at the root of the document')
        pdf.catalog["Lang"] = pydyf.String()


def install() -> None:
    """Make WeasyPrint build the structure tree with :func:`add_tags` (idempotent)."""
    _wp_pdf.add_tags = add_tags
