"""The CJK fonts of printed standards, prepared once at set-up.

A printed national standard sets its body text in a Song (serif) face and its headings in a Hei
(sans) face. Debian's ``fonts-noto-cjk`` ships both, Noto Serif CJK and Noto Sans CJK, as TrueType
Collections of 65,535 CFF glyphs (about 19 MB each). Embedding those fonts costs WeasyPrint most
of a render: each PDF subsets the whole CFF font again (about 8.7 s of a 10 s render with
fontTools, 1-2 s with HarfBuzz), and without subsetting the PDF weighs 32 MB. :func:`prepare`
therefore builds, once, a small copy of each Simplified Chinese face the print stylesheet uses
(:data:`FACES`: Song regular for text, Hei bold for headings, table heads, labels and emphasis),
restricted to the characters a standard can use (GB 2312, which holds the 6,763 common hanzi,
plus CJK and general punctuation, full-width forms, Latin with the accents of French, and a few
symbol blocks), with its outlines converted to TrueType. Subsetting such a font takes
milliseconds and the PDF embeds only the glyphs used.

The prepared files live in ``registry/static/print/fonts/`` (git-ignored, rebuilt by
``scripts/prepare-fonts``, which keeps each build in a cache of the machine, :func:`cache_dir`, for
its other checkouts). They are served to WeasyPrint by the render fetcher like any other
print asset. When they are missing, the stylesheet names the system fonts instead ("Noto Serif
CJK SC", "Noto Sans CJK SC"): slower (the full fonts are subset on every render) but just as
correct. Characters outside the prepared set fall back to the system fonts in the same way, so
nothing is ever drawn as tofu.

The stylesheet picks a family through two custom properties that :func:`font_face_css` sets:
``var(--song)`` (text) and ``var(--hei)`` (headings, table heads, bold).

This module never imports WeasyPrint; it needs fontTools only to prepare.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Where the prepared fonts are written; a print asset directory served by the render fetcher.
FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "print" / "fonts"
MANIFEST = "manifest.json"
#: Bump when the faces, the character set or the conversion change: prepared fonts are then rebuilt.
PREPARE_VERSION = 2
#: The precision of the prepared outlines, set for size: the curves are approximated within
#: :data:`CURVE_TOLERANCE` of Noto's 1000 units per em, then put on a grid of 1/:data:`UNITS_PER_EM`
#: em. Together they move no point by more than 0.004 em: 0.04 pt in 10 pt text, 0.015 mm, which
#: neither paper nor a screen shows (checked side by side with the original font at 1,200 dpi).
#: Coordinates on the coarser grid take fewer bytes: the largest standard's PDF is 23 KB (8 %)
#: smaller than with 1000 units per em and a tolerance of 1.
UNITS_PER_EM = 256
CURVE_TOLERANCE = 2.0
#: Tables the PDF never uses (vertical metrics: standards are set horizontally).
DROPPED_TABLES = ("vhea", "vmtx", "VORG")

SOURCE_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),   # Debian, Ubuntu: fonts-noto-cjk
    Path("/usr/share/fonts/noto-cjk"),        # Arch, Alpine
    Path("/usr/share/fonts/google-noto-cjk"), # Fedora
)


@dataclass(frozen=True)
class Family:
    """A typeface of the printed standard: the prepared copy and the system font it comes from."""

    role: str            # the CSS custom property that names it: --song | --hei
    name: str            # family name of the prepared font (in the stylesheet and its name table)
    source_family: str   # the family inside the system collection
    source_prefix: str   # file names of the system collections: <prefix>-<style>.ttc
    fallback: tuple[str, ...]  # the font stack after the prepared face (also covers rare characters)

    @property
    def postscript(self) -> str:
        return self.name.replace(" ", "")


#: Song (宋体): the text of the standard.
SONG = Family("song", "Registry Serif CJK SC", "Noto Serif CJK SC", "NotoSerifCJK",
              ('"Noto Serif CJK SC"', '"Noto Serif SC"', '"Source Han Serif SC"', '"Source Han Serif CN"',
               '"Songti SC"', '"SimSun"', '"Noto Sans CJK SC"', "serif"))
#: Hei (黑体): headings, table heads, labels, bold.
HEI = Family("hei", "Registry Sans CJK SC", "Noto Sans CJK SC", "NotoSansCJK",
             ('"Noto Sans CJK SC"', '"Noto Sans SC"', '"Source Han Sans SC"', '"Source Han Sans CN"',
              '"WenQuanYi Micro Hei"', '"Microsoft YaHei"', '"PingFang SC"', "sans-serif"))
FAMILIES = (SONG, HEI)


@dataclass(frozen=True)
class Face:
    family: Family
    weight: int      # CSS font-weight
    style_name: str  # Regular | Bold

    @property
    def key(self) -> str:
        """The face's name in the manifest."""
        return f"{self.family.postscript}-{self.style_name}"

    @property
    def file_name(self) -> str:
        return f"{self.key}.ttf"

    @property
    def source_file(self) -> str:
        """File name of the collection in :data:`SOURCE_DIRS`."""
        return f"{self.family.source_prefix}-{self.style_name}.ttc"


#: The faces the print stylesheet uses: text in Song, and everything bold (headings, table heads,
#: labels) in Hei, as printed standards set them; nothing is set in a bold Song or a regular Hei.
FACES = (Face(SONG, 400, "Regular"), Face(HEI, 700, "Bold"))

#: Code point ranges always kept besides GB 2312 (inclusive).
EXTRA_RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 Supplement, Latin Extended-A (French: é è à ç œ …)
    (0x0192, 0x0192), (0x02C6, 0x02DD),
    (0x0391, 0x03C9),  # Greek
    (0x2000, 0x206F),  # General Punctuation (— – … ‘ ’ “ ” ‰ ※)
    (0x2100, 0x218F),  # Letterlike symbols, Number forms (℃ № Ⅰ Ⅱ …)
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical operators (≤ ≥ × ÷ ±)
    (0x2460, 0x24FF),  # Enclosed alphanumerics (① ②)
    (0x2500, 0x257F),  # Box drawing
    (0x25A0, 0x25FF),  # Geometric shapes (■ □ ▲ ○ ●)
    (0x2600, 0x2606), (0x2610, 0x2612), (0x2713, 0x2717),
    (0x3000, 0x303F),  # CJK Symbols and Punctuation (、。〔〕《》「」【】)
    (0x3200, 0x32FF),  # Enclosed CJK letters (㈠ ㈡)
    (0xFE10, 0xFE1F), (0xFE30, 0xFE4F),  # Vertical and compatibility forms
    (0xFF00, 0xFFEF),  # Half-width and full-width forms (，：；（）)
)


def gb2312_characters() -> set[int]:
    """Every character of GB 2312 (the 6,763 common hanzi and its 682 symbols)."""
    chars: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.update(ord(c) for c in bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def charset(extra: str = "") -> set[int]:
    """The code points the prepared font keeps: GB 2312, :data:`EXTRA_RANGES` and ``extra``."""
    points = gb2312_characters()
    for first, last in EXTRA_RANGES:
        points.update(range(first, last + 1))
    points.update(ord(c) for c in extra)
    return points


def corpus_characters(standards_dir: Path) -> str:
    """Every character used in the YAML files of a corpus, so that none of them needs a fallback."""
    chars: set[str] = set()
    for path in sorted(Path(standards_dir).rglob("*.yaml")):
        try:
            chars.update(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return "".join(sorted(c for c in chars if c.isprintable()))


def find_source(face: Face) -> Path | None:
    """The system's Noto CJK collection for ``face``, if installed."""
    for folder in SOURCE_DIRS:
        if (folder / face.source_file).is_file():
            return folder / face.source_file
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}", f"{face.family.source_family}:style={face.style_name}"],
                capture_output=True, text=True, timeout=10, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        if found and Path(found).suffix.lower() in (".ttc", ".otc", ".otf") and "CJK" in found:
            return Path(found)
    return None


def _source_identity(path: Path) -> dict:
    stat = path.stat()
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- reading the prepared state ----------------------------------------------------------------


def read_manifest(fonts_dir: Path = FONTS_DIR) -> dict | None:
    try:
        manifest = json.loads((fonts_dir / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("version") != PREPARE_VERSION:
        return None
    for face in FACES:
        entry = manifest.get("faces", {}).get(face.key)
        if not entry or not (fonts_dir / face.file_name).is_file():
            return None
        if (fonts_dir / face.file_name).stat().st_size != entry.get("bytes"):
            return None
    return manifest


def prepared_faces(fonts_dir: Path = FONTS_DIR) -> list[Face]:
    """The prepared faces that are present and complete (all of :data:`FACES`, or none)."""
    return list(FACES) if read_manifest(fonts_dir) else []


def font_stack(family: Family, prepared: bool) -> str:
    return ", ".join(((f'"{family.name}"',) if prepared else ()) + family.fallback)


def font_stacks_css(prepared: bool) -> str:
    """The custom properties the stylesheet names its families by: ``--song`` and ``--hei``."""
    return ":root { %s }" % " ".join(f"--{family.role}: {font_stack(family, prepared)};" for family in FAMILIES)


def font_face_css(asset_base: str, fonts_dir: Path = FONTS_DIR) -> str:
    """``@font-face`` rules for the prepared fonts, and the font stacks of the document.

    Without prepared fonts this declares none (a missing asset would fail the render): the
    stacks then start with the system Noto Serif CJK SC and Noto Sans CJK SC.
    """
    faces = prepared_faces(fonts_dir)
    rules = [
        "@font-face { font-family: \"%s\"; src: url(\"%sfonts/%s\") format(\"truetype\"); "
        "font-weight: %d; font-style: normal; }" % (face.family.name, asset_base, face.file_name, face.weight)
        for face in faces
    ]
    rules.append(font_stacks_css(bool(faces)))
    return "\n".join(rules)


def status(fonts_dir: Path = FONTS_DIR) -> dict:
    """What the renderer will use: the prepared fonts, or the slow fallback."""
    manifest = read_manifest(fonts_dir)
    return {
        "prepared": manifest is not None,
        "fonts_dir": str(fonts_dir),
        "faces": manifest.get("faces") if manifest else {},
        "sources": {face.key: str(find_source(face) or "") for face in FACES},
    }


def fingerprint(fonts_dir: Path = FONTS_DIR) -> str:
    """A short identity of the fonts in use, part of the template version of exports."""
    manifest = read_manifest(fonts_dir)
    if manifest is None:
        return "system"
    return hashlib.sha256(json.dumps(manifest.get("faces"), sort_keys=True).encode()).hexdigest()[:12]


# --- preparing ---------------------------------------------------------------------------------


def _collection_index(path: Path, family: str) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == family:
            return index
    raise ValueError(f"{path} holds no face of the family {family!r}")


def _to_truetype(font) -> None:
    """Replace the CFF outlines of ``font`` by quadratic TrueType outlines (in place)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    glyph_set = font.getGlyphSet()
    order = font.getGlyphOrder()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=CURVE_TOLERANCE, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ",):
        if tag in font:
            del font[tag]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0
    font.sfntVersion = "\0\1\0\0"


def _rename(font, face: Face) -> None:
    """Give the modified font its own names (the OFL asks modified versions not to pose as the original)."""
    family, style_name = face.family.name, face.style_name
    full = f"{family} {style_name}"
    postscript = face.key
    names = {1: family, 2: style_name, 3: f"{postscript};prepared-v{PREPARE_VERSION}", 4: full, 6: postscript,
             16: family, 17: style_name}
    table = font["name"]
    table.names = [record for record in table.names if record.nameID not in names]
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
        table.setName(value, name_id, 1, 0, 0)


def prepare_face(face: Face, source: Path, out_dir: Path, extra: str = "") -> dict:
    """Build one prepared face from ``source``; returns its manifest entry."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    started = time.perf_counter()
    index = _collection_index(source, face.family.source_family) if source.suffix.lower() in (".ttc", ".otc") else 0
    font = TTFont(str(source), fontNumber=index, lazy=False)
    options = subset.Options()
    # Keep the features Pango shapes with, but not 'locl': its Japanese, Korean and Traditional
    # variants would double the glyph count for text that is Simplified Chinese.
    options.layout_features = [f for f in options.layout_features if f != "locl"] + ["palt", "halt", "kern"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True
    options.drop_tables = list(options.drop_tables) + list(DROPPED_TABLES)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=charset(extra))
    subsetter.subset(font)
    _to_truetype(font)
    scale_upem(font, UNITS_PER_EM)
    _rename(font, face)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / face.file_name
    partial = out_dir / f".{face.file_name}.{os.getpid()}.tmp"
    font.save(str(partial))
    os.replace(partial, target)
    return {
        "file": face.file_name,
        "bytes": target.stat().st_size,
        "sha256": _sha256(target),
        "glyphs": len(font.getGlyphOrder()),
        "source": _source_identity(source),
        "source_index": index,
        "seconds": round(time.perf_counter() - started, 1),
    }


def cache_dir() -> Path | None:
    """Where this machine keeps prepared fonts for every checkout of the project: the setting FONTS_CACHE
    (``off``: nowhere), by default ``registry-fonts`` in $XDG_CACHE_HOME (``~/.cache``)."""
    from ..config import load_config

    value = load_config()["FONTS_CACHE"]
    if value:
        return None if value.strip().lower() == "off" else Path(value)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "registry-fonts"


def _cache_key(sources: dict[str, Path], extra_digest: str | None) -> str:
    """What a build depends on: this code's preparation, fontTools, the source fonts and the extra characters."""
    from importlib.metadata import version

    facts = {"version": PREPARE_VERSION, "fonttools": version("fonttools"), "extra": extra_digest,
             "sources": {key: _source_identity(path) for key, path in sorted(sources.items())}}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:24]


def _prepared_files() -> list[str]:
    """The files of a preparation, the manifest last: written last, it says the fonts are all there."""
    return [face.file_name for face in FACES] + [MANIFEST]


def _from_cache(kept: Path, out_dir: Path) -> dict | None:
    """The prepared fonts in ``kept`` copied into ``out_dir`` when each file matches the manifest's
    sha256 (a damaged cache is built again); their manifest, or None."""
    manifest = read_manifest(kept)
    if manifest is None or any(_sha256(kept / face.file_name) != manifest["faces"][face.key]["sha256"]
                               for face in FACES):
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in _prepared_files():
        partial = out_dir / f".{name}.{os.getpid()}.tmp"
        shutil.copyfile(kept / name, partial)
        os.replace(partial, out_dir / name)
    return manifest


def _to_cache(out_dir: Path, kept: Path) -> None:
    """Keep a build for the other checkouts of this machine (written aside, then renamed: a reader sees
    all of it or nothing); a cache that cannot be written only costs them a build."""
    if kept.exists():
        return
    partial = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
    try:
        partial.mkdir(parents=True)
        for name in _prepared_files():
            shutil.copyfile(out_dir / name, partial / name)
        os.rename(partial, kept)
    except OSError as error:
        log.info("prepared fonts not kept in %s: %s", kept, error)
        shutil.rmtree(partial, ignore_errors=True)


def prepare(out_dir: Path = FONTS_DIR, *, force: bool = False, standards_dir: Path | None = None,
            jobs: int | None = None, progress=None, cache: Path | None = None) -> dict:
    """Build the prepared fonts unless they are present and up to date, or copy them from ``cache``
    (:func:`cache_dir`, where each build is kept); returns the manifest. ``progress(text)``, when
    given, is told when building starts and as each face is done.

    Raises ``FileNotFoundError`` when Noto Serif CJK or Noto Sans CJK is not installed
    (``fonts-noto-cjk``).
    """
    out_dir = Path(out_dir)
    sources = {face.key: find_source(face) for face in FACES}
    missing = [f"{face.family.source_family} {face.style_name}" for face in FACES if sources[face.key] is None]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} not installed: "
                                "install Debian's fonts-noto-cjk (scripts/system-packages.sh fonts-noto-cjk)")
    extra = corpus_characters(standards_dir) if standards_dir else ""
    extra_digest = hashlib.sha256(extra.encode()).hexdigest()[:16]
    kept = None if cache is None else cache / _cache_key(sources, extra_digest if extra else None)
    current = read_manifest(out_dir)
    if current and not force:
        same_sources = set(current["faces"]) == {face.key for face in FACES} and all(
            current["faces"][face.key]["source"] == _source_identity(sources[face.key]) for face in FACES)
        if same_sources and (not extra or current.get("extra_sha256") == extra_digest):
            if kept is not None:
                _to_cache(out_dir, kept)  # fonts built before the cache existed
            return current
    say = progress or (lambda text: None)
    if kept is not None and not force and (manifest := _from_cache(kept, out_dir)) is not None:
        say(f"copied from this machine's cache {kept}")
        return manifest
    manifest = _build(sources, out_dir, extra, extra_digest, jobs, say)
    if kept is not None:
        _to_cache(out_dir, kept)
    return manifest


def _build(sources: dict[str, Path], out_dir: Path, extra: str, extra_digest: str, jobs: int | None, say) -> dict:
    """Build every face into ``out_dir`` (in parallel), then write the manifest; returns it."""
    workers = max(1, min(len(FACES), jobs or os.cpu_count() or 1))
    say(f"building {len(FACES)} subset fonts from fonts-noto-cjk with {workers} process(es) "
        "(once per machine, about a minute)...")
    if workers == 1:
        entries = []
        for n, face in enumerate(FACES, 1):
            entries.append(prepare_face(face, sources[face.key], out_dir, extra))
            say(f"[{n}/{len(FACES)}] {face.file_name} ({entries[-1]['seconds']:.0f} s)")
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(prepare_face, face, sources[face.key], out_dir, extra): face for face in FACES}
            for n, future in enumerate(as_completed(futures), 1):
                say(f"[{n}/{len(FACES)}] {futures[future].file_name} ({future.result()['seconds']:.0f} s)")
            entries = [future.result() for future in futures]
    manifest = {
        "version": PREPARE_VERSION,
        "families": {family.role: family.name for family in FAMILIES},
        "extra_sha256": extra_digest if extra else None,
        "faces": {face.key: entry for face, entry in zip(FACES, entries)},
    }
    partial = out_dir / f".{MANIFEST}.tmp"
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(partial, out_dir / MANIFEST)
    for stale in set(out_dir.glob("Registry*.ttf")) - {out_dir / face.file_name for face in FACES}:
        stale.unlink(missing_ok=True)  # a face an earlier version prepared
    return manifest


def main(argv: list[str] | None = None) -> int:
    """``python -m registry.render.fonts [prepare|status] [--force] [--standards DIR]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="prepare-fonts", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="prepare", choices=("prepare", "status"))
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--standards", type=Path, default=None,
                        help="also keep every character used in this corpus folder")
    parser.add_argument("--out", type=Path, default=FONTS_DIR, help=f"output folder (default {FONTS_DIR})")
    args = parser.parse_args(argv)
    if args.command == "status":
        print(json.dumps(status(args.out), indent=2, ensure_ascii=False))
        return 0 if read_manifest(args.out) else 1
    started = time.perf_counter()
    built = []

    def progress(text: str) -> None:
        built.append(text)
        print(f"fonts: {text}", file=sys.stderr, flush=True)

    try:
        manifest = prepare(args.out, force=args.force, standards_dir=args.standards, progress=progress,
                           cache=cache_dir())
    except FileNotFoundError as error:
        print(f"prepare-fonts: {error}", file=sys.stderr)
        return 1
    sizes = ", ".join(f"{entry['file']} {entry['bytes'] // 1024} KiB" for entry in manifest["faces"].values())
    if built:
        how = "copied" if built[-1].startswith("copied") else "built"
        print(f"fonts: {how} in {time.perf_counter() - started:.1f} s into {args.out} ({sizes})", file=sys.stderr)
    else:
        print(f"fonts: up to date ({sizes})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
