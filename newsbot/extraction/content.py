"""The article body: find the container of the article's text, then read it in order.

1. Prune: scripts and the like, hidden and screen-reader-only elements, page furniture (nav,
   aside, header, footer) and elements whose class/id mark boilerplate (share, related,
   comments, sidebar ...), unless they hold the article body.
2. Score: every block of running text gives its length (less its link text) to its parent and,
   less and less, to the ancestors above; the best-scoring element is the article container,
   joined by siblings that score nearly as well.
3. Read: walk the container in document order; ``<p>``, ``<div>``s of text and ``<br>``-split
   lines become paragraphs, ``h2``-``h6`` headings, figures images with their captions. Lines that
   are mostly links, read-also lines, bylines and section labels are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

from lxml import etree

from newsbot.extraction import boilerplate as bp
from newsbot.extraction import xpaths
from newsbot.extraction.textutil import collapse
from newsbot.items import Block, Image

HEADINGS = {"h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dd", "dt",
        "blockquote", "pre", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "center",
        "address", "figure", "figcaption", "header", "footer", "form", "fieldset", "hr", "h1",
        "body", "caption", "details", "summary", "nav", "aside",
    }
)
_TEXT_BLOCK_TAGS = frozenset({"p", "pre", "td", "blockquote", "li", "dd", "div", "section",
                              "article", "span", "font", "center", "body", "main"})
_PROTECTED_TAGS = frozenset({"html", "body", "main", "article"})
_MIN_BLOCK_CHARS = 25
_SENTENCE_PUNCT = re.compile(r"[.،,؛;!؟?:]")
# A short line without sentence punctuation: a sub-heading when set apart by <br> or in bold.
_LABEL_RE = re.compile(r"^(?!\d)(?:\S+\s){0,5}\S+$(?<![.!؟?:،,;؛…)»\"'])")
_SRCSET_FIRST = re.compile(r"^\s*(\S+)")
_IMG_SRC_ATTRS = ("src", "data-src", "data-lazy-src", "data-original", "data-srcset", "srcset")
_CAPTION_CLASS_RE = re.compile(
    r"caption|(?:^|[\s_-])(?:cap|legend)(?:$|[\s_-])|(?:img|image|photo|pic)[-_]?(?:desc|text|title|info)",
    re.IGNORECASE,
)
_IMAGE_BOX_RE = re.compile(r"figure|image|img|photo|picture|media|thumb|wp-caption", re.IGNORECASE)
_CREDIT_CLASS_RE = re.compile(r"credit|copyright|source", re.IGNORECASE)
_MAX_CAPTION_CHARS = 300
_MAX_LEAD_IMAGES = 2
_SKIP_IMG = re.compile(
    r"(?:^data:|\.svg(?:$|\?)|logo|icon|avatar|spacer|pixel|blank\.gif|gravatar)", re.IGNORECASE
)


@dataclass(slots=True)
class Content:
    headings: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    link_density: float = 0.0  # of the chosen container


_SCREEN_READER, _POSITIVE, _NEGATIVE = "screen-reader", "positive", "negative"
_MAX_LABEL_CHARS = 60


@lru_cache(maxsize=4096)
def _classify(attrs: str) -> str | None:
    """What a class/id value says of its element (pages repeat the same few values)."""
    if bp.SCREEN_READER_RE.search(attrs):
        return _SCREEN_READER
    if bp.POSITIVE_RE.search(attrs):
        return _POSITIVE
    if bp.NEGATIVE_RE.search(attrs):
        return _NEGATIVE
    return None


def _attrs(el: etree._Element) -> str:
    cls, ident = el.get("class"), el.get("id")
    if cls and ident:
        return f"{cls} {ident}"
    return cls or ident or ""


_TEXT_LEN = etree.XPath("string-length(normalize-space(.))")


def _text_len(el: etree._Element) -> int:
    """Length of an element's text with white space collapsed (computed in libxml2)."""
    return int(_TEXT_LEN(el))


def _remove(el: etree._Element) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def prune(root: etree._Element, lenient: bool = False) -> None:
    """Remove what cannot be article text (see the module docstring).

    ``lenient`` keeps boilerplate-named elements whose names also speak of content
    ("box article modal-enabled", "content-with-sidebar"): the second pass, for pages where
    the strict one removed the article's own wrapper.
    """
    etree.strip_elements(root, *bp.DROP_TAGS, etree.Comment, etree.ProcessingInstruction,
                         with_tail=False)
    body = root.find("body")
    total = _text_len(body if body is not None else root) or 1
    doomed: list[etree._Element] = []
    for el in root.iter():
        tag = el.tag
        if tag in _PROTECTED_TAGS:
            continue
        attrs = _attrs(el)
        labelled_by = el.get("aria-labelledby")
        if labelled_by:
            attrs = f"{attrs} {labelled_by}"
        style = el.get("style")
        if (style and bp.HIDDEN_STYLE_RE.search(style)) or el.get("hidden") is not None or (
            attrs and _classify(attrs) is _SCREEN_READER
        ):
            doomed.append(el)
            continue
        furniture = tag in bp.FURNITURE_TAGS
        kind = _classify(attrs) if attrs else None
        if not furniture and kind is not _NEGATIVE:
            continue
        if kind is _POSITIVE or (lenient and attrs and bp.MAYBE_CONTENT_RE.search(attrs)):
            continue
        if el.find('.//*[@itemprop="articleBody"]') is not None:
            continue
        if _text_len(el) > 0.6 * total:
            continue  # a wrapper of the whole page with an unlucky class name
        doomed.append(el)
    for el in doomed:
        _remove(el)


def _is_text_block(el: etree._Element) -> int:
    """Length of the running text an element holds directly (its own text and inline children)."""
    parts = [el.text or ""]
    for child in el:
        if child.tag not in BLOCK_TAGS and child.tag not in HEADINGS and child.tag != "a":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return len(collapse("".join(parts)))


def _score(root: etree._Element) -> dict[etree._Element, float]:
    scores: dict[etree._Element, float] = {}
    for el in root.iter(*_TEXT_BLOCK_TAGS):
        length = _is_text_block(el)
        if length < _MIN_BLOCK_CHARS:
            continue
        weight = length + 10 * len(_SENTENCE_PUNCT.findall(el.text or ""))
        node, level = el, 0
        while node is not None and level <= 4:
            share = weight if level <= 1 else weight / (level * 1.5)
            scores[node] = scores.get(node, 0.0) + share
            node, level = node.getparent(), level + 1
    return scores


def _link_density(el: etree._Element) -> float:
    text = _text_len(el)
    if not text:
        return 1.0
    links = sum(len(collapse("".join(a.itertext()))) for a in el.iter("a"))
    return min(1.0, links / text)


def find_container(root: etree._Element) -> tuple[list[etree._Element], float]:
    """The element(s) holding the article body, in document order, and their link density."""
    body = root.find("body")
    scores = _score(body if body is not None else root)
    if not scores:
        return [], 1.0
    ranked: list[tuple[float, etree._Element]] = []
    for el, score in scores.items():
        if el.tag in ("p", "pre", "blockquote", "html"):
            continue
        attrs = _attrs(el)
        if attrs:
            kind = _classify(attrs)
            if kind is _POSITIVE:
                score *= 1.25
            elif kind is _NEGATIVE:
                score *= 0.5
        ranked.append((score, el))
    if not ranked:
        return [next(iter(scores))], 0.0
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    # Link-heavy containers (teaser lists) lose to the article among the top candidates.
    best_score, best = max(
        ((score * (1 - _link_density(el)), el) for score, el in ranked[:5]),
        key=lambda pair: pair[0],
    )
    # A wrapper that adds nothing (a column around the text) is the container's real level:
    # the article's other columns are its siblings.
    best_text = _text_len(best)
    parent = best.getparent()
    while parent is not None and parent.tag != "body" and _text_len(parent) <= best_text + 30:
        best, parent = parent, parent.getparent()
    chosen = [best]
    if parent is not None:
        threshold = max(_MIN_BLOCK_CHARS * 4, best_score * 0.2)
        chosen = [sib for sib in parent
                  if sib is best or _joins(sib, best, scores, threshold, best_text)]
    return chosen, _link_density(best)


def _joins(
    sib: etree._Element, container: etree._Element, scores: dict, threshold: float, best_text: int
) -> bool:
    """Whether a sibling of the container holds more of the article."""
    if not isinstance(sib.tag, str):
        return False
    if scores.get(sib, 0) * (1 - _link_density(sib)) >= threshold:
        return True
    if sib.tag == "p":
        return _is_text_block(sib) > 80 and _link_density(sib) < 0.25
    # A sibling made like the container (another column of the same story).
    if sib.tag != container.tag or sib.get("class") != container.get("class"):
        return False
    text = _text_len(sib)
    return text >= max(0.2 * best_text, 200) and _link_density(sib) < 0.2 and any(
        _is_text_block(p) > 80 for p in sib.iter("p")
    )


class _Reader:
    """Walks the container in document order and builds the blocks."""

    def __init__(self, url: str, title: str | None) -> None:
        self.url = url
        self.title = collapse(title).casefold() if title else None
        self.content = Content()
        self._buf: list[str] = []
        self._link_chars = 0
        self._seen_images: set[str] = set()
        self._seen_captions: set[str] = set()
        self._bold_chars = 0
        self._after_br = False
        self._label_candidates: set[int] = set()

    # -- inline text ---------------------------------------------------------------------
    def _add(self, text: str | None, in_link: bool = False, in_bold: bool = False) -> None:
        if text:
            self._buf.append(text)
            if in_link:
                self._link_chars += len(text.strip())
            if in_bold:
                self._bold_chars += len(text.strip())

    def flush(self, at_br: bool = False) -> None:
        after_br, self._after_br = self._after_br, at_br
        if not self._buf:
            return
        text = collapse("".join(self._buf))
        link_chars, bold_chars = self._link_chars, self._bold_chars
        self._buf, self._link_chars, self._bold_chars = [], 0, 0
        if not text:
            return
        if link_chars > 0.8 * len(text) or (link_chars > 0.5 * len(text) and len(text) < 120):
            return  # a link list, a teaser or a read-also line (a long sentence may link a lot)
        if self._is_noise(text):
            return
        if len(text) <= _MAX_LABEL_CHARS and _LABEL_RE.match(text) and (
            at_br or after_br or bold_chars >= 0.9 * len(text)
        ):
            self._label_candidates.add(len(self.content.blocks))
        self.content.blocks.append({"type": "paragraph", "text": text})

    def finish(self) -> Content:
        """Turn short labels between paragraphs into headings; fill the lists from the blocks."""
        self.flush()
        blocks = self.content.blocks
        for i in sorted(self._label_candidates):
            if 0 < i < len(blocks) - 1 and blocks[i - 1]["type"] == "paragraph" and \
                    blocks[i + 1]["type"] == "paragraph" and i + 1 not in self._label_candidates:
                blocks[i] = {"type": "heading", "text": blocks[i]["text"], "level": 3}
        self.content.paragraphs = [b["text"] for b in blocks if b["type"] == "paragraph"]
        self.content.headings = [b["text"] for b in blocks if b["type"] == "heading"]
        return self.content

    def _is_noise(self, text: str) -> bool:
        if self.title and text.casefold() == self.title:
            return True
        if len(text) <= bp.MAX_LABEL_CHARS * 2 and bp.BOILERPLATE_PHRASE_RE.match(text):
            return True
        if len(text) <= 60 and (bp.BYLINE_RE.match(text) or bp.is_date_line(text)):
            return True
        return len(text) <= 150 and bp.DATELINE_RE.search(text) is not None

    # -- structure -----------------------------------------------------------------------
    def walk(self, el: etree._Element, in_link: bool = False, in_bold: bool = False) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            return
        if tag in HEADINGS or tag == "h1":
            self.flush()
            self._heading(el, HEADINGS.get(tag, 1))
            return
        if tag == "figure" or (tag in ("div", "table") and _is_caption_box(el)):
            self.flush()
            self._figure(el)
            return
        if tag == "img":
            self._image(el, None, None)
            return
        if _is_caption_el(el):
            self.flush()
            self._caption(collapse("".join(el.itertext())))
            return
        if tag == "br":
            self.flush(at_br=True)
            return
        if tag == "tr" and _is_data_row(el):
            self.flush()
            cells = [collapse("".join(c.itertext())) for c in el if c.tag in ("td", "th")]
            self._add(" | ".join(c for c in cells if c), in_link=False)
            self.flush()
            return
        block = tag in BLOCK_TAGS
        if block:
            self.flush()
        link = in_link or tag == "a"
        bold = in_bold or tag in ("strong", "b")
        self._add(el.text, link, bold)
        for child in el:
            self.walk(child, link, bold)
            self._add(child.tail, link, in_bold)
        if block:
            self.flush()

    def _heading(self, el: etree._Element, level: int) -> None:
        text = collapse("".join(el.itertext()))
        if not text or level == 1:
            return
        if self.title and text.casefold() == self.title:
            return
        if bp.BOILERPLATE_PHRASE_RE.match(text) or _link_density(el) > 0.8:
            return  # a section label, or a teaser headline linking elsewhere
        self.content.blocks.append({"type": "heading", "text": text, "level": level})

    def _figure(self, el: etree._Element) -> None:
        imgs = list(el.iter("img"))
        caption, credit = _box_caption(el, imgs[-1] if imgs else None, self.title)
        if not imgs:
            if caption:
                self._caption(caption)
            return
        for i, img in enumerate(imgs):
            self._image(img, caption if i == len(imgs) - 1 else None, credit)

    def lead_images(self, images: list[etree._Element]) -> None:
        """Images between the headline and the body (a lead photo and its caption)."""
        for img in images[:_MAX_LEAD_IMAGES]:
            box = _image_box(img)
            caption, credit = _box_caption(box, img, self.title) if box is not None else (
                img.get("caption") or img.get("data-caption"), None)
            self._image(img, caption, credit)

    def _image(self, img: etree._Element, caption: str | None, credit: str | None) -> None:
        src = next((img.get(a) for a in _IMG_SRC_ATTRS if img.get(a)), None)
        if not src:
            return
        if src is img.get("srcset") or src is img.get("data-srcset"):
            match = _SRCSET_FIRST.match(src)
            src = match.group(1) if match else src
        src = src.strip()
        if _SKIP_IMG.search(src) or _is_tiny(img):
            return
        src = urljoin(self.url, src)
        caption = _clean_caption(caption)
        if src in self._seen_images:
            # The same picture again (a lead photo repeated in a gallery): keep its caption.
            earlier = next(i for i in self.content.images if i["src"] == src)
            if caption and earlier["caption"] is None:
                earlier["caption"] = caption
                next(b for b in self.content.blocks if b.get("src") == src)["caption"] = caption
                self._remember_caption(caption)
            return
        self._seen_images.add(src)
        if credit:
            credit = bp.CREDIT_LABEL_RE.sub("", credit) or None
        alt = collapse(img.get("alt") or "") or None
        image: Image = {"src": src, "alt": alt, "caption": caption, "credit": credit}
        self.content.images.append(image)
        self.content.blocks.append({"type": "image", **image})
        if caption:
            self._remember_caption(caption)

    def _caption(self, text: str) -> None:
        caption = _clean_caption(text)
        if not caption:
            return
        images = self.content.images
        if images and images[-1]["caption"] is None and self.content.blocks[-1]["type"] == "image":
            images[-1]["caption"] = caption
            self.content.blocks[-1]["caption"] = caption
        self._remember_caption(caption)

    def _remember_caption(self, caption: str) -> None:
        if caption not in self._seen_captions:
            self._seen_captions.add(caption)
            self.content.captions.append(caption)


def _is_caption_el(el: etree._Element) -> bool:
    if el.tag in ("figcaption", "caption"):
        return True
    attrs = _attrs(el)
    return bool(attrs) and _CAPTION_CLASS_RE.search(attrs) is not None


def _image_box(img: etree._Element) -> etree._Element | None:
    """The small container of an image and its caption, up to three levels up."""
    node = img.getparent()
    for _ in range(3):
        if node is None:
            return None
        if node.tag == "figure" or _IMAGE_BOX_RE.search(_attrs(node)) or any(
            _is_caption_el(c) for c in node.iter() if c is not node
        ):
            return node if _text_len(node) <= _MAX_CAPTION_CHARS * 2 else None
        node = node.getparent()
    return None


def _box_caption(
    box: etree._Element, img: etree._Element | None, title: str | None
) -> tuple[str | None, str | None]:
    """Caption and credit of an image box: a caption element, the image's own caption
    attribute, or else the short text the box holds beside the image."""
    caption_el = next((c for c in box.iter() if c is not box and _is_caption_el(c)), None)
    credit_el = next((c for c in box.iter() if c is not box and _CREDIT_CLASS_RE.search(_attrs(c))
                      and (caption_el is None or c not in set(caption_el.iter()))), None)
    credit = collapse("".join(credit_el.itertext())) if credit_el is not None else None
    if caption_el is not None:
        caption = "".join(caption_el.itertext())
        if credit and credit_el in set(caption_el.iter()):
            caption = caption.replace(credit, "")
    elif img is not None and (img.get("caption") or img.get("data-caption")):
        caption = img.get("caption") or img.get("data-caption")
    else:
        caption = "".join(box.itertext())
        if credit:
            caption = caption.replace(credit, "")
        caption = collapse(caption)
        if len(caption) > _MAX_CAPTION_CHARS or (title and caption.casefold() == title):
            caption = None
    return collapse(caption) if caption else None, credit or None


def _clean_caption(text: str | None) -> str | None:
    if not text:
        return None
    return collapse(bp.CAPTION_LABEL_RE.sub("", collapse(text))) or None


def _is_data_row(tr: etree._Element) -> bool:
    """A table row of short cells (a standings table), not a layout row holding paragraphs."""
    cells = [c for c in tr if c.tag in ("td", "th")]
    return len(cells) >= 2 and all(
        _text_len(c) <= 40 and c.find(".//img") is None and c.find(".//table") is None
        for c in cells
    )


def _is_caption_box(el: etree._Element) -> bool:
    """A wp-caption style box: an image and a caption element inside one small container."""
    attrs = _attrs(el).lower()
    if "caption" not in attrs and "figure" not in attrs and "photo" not in attrs and \
            "image" not in attrs and "img" not in attrs:
        return False
    return el.find(".//img") is not None and _text_len(el) < 400


def _is_tiny(img: etree._Element) -> bool:
    for attr in ("width", "height"):
        value = img.get(attr, "")
        if value.isdigit() and int(value) < 50:
            return True
    return False


def _lead_region_images(
    root: etree._Element, headline: etree._Element | None, first: etree._Element
) -> list[etree._Element]:
    """Images after the headline and before the body, in document order."""
    if headline is None or headline.getroottree().getroot() is not root:
        return []
    found: list[etree._Element] = []
    started = False
    for el in root.iter():
        if el is headline:
            started = True
        elif el is first:
            break
        elif started and el.tag == "img":
            found.append(el)
    else:
        return []  # the body comes before the headline
    return found


def read_article(
    containers: list[etree._Element], url: str, title: str | None,
    lead_images: list[etree._Element] = (),
) -> Content:
    reader = _Reader(url, title)
    reader.lead_images(list(lead_images))
    for el in containers:
        reader.walk(el)
        reader.flush()
    return reader.finish()


def _headline(root: etree._Element, title: str | None) -> etree._Element | None:
    if not title:
        return None
    wanted = collapse(title).casefold()
    for h1 in root.iter("h1"):
        if collapse("".join(h1.itertext())).casefold() == wanted:
            return h1
    return next(iter(xpaths.ELEMENT_WITH_TEXT(root, t=collapse(title))), None)


def extract_content(
    root: etree._Element, url: str, title: str | None, lenient: bool = False
) -> Content:
    """Prune ``root`` (in place), find the article's container and read it."""
    headline = _headline(root, title)
    prune(root, lenient=lenient)
    containers, density = find_container(root)
    lead = _lead_region_images(root, headline, containers[0]) if containers else []
    content = read_article(containers, url, title, lead)
    content.link_density = density
    return content


def body_chars(content: Content) -> int:
    return sum(map(len, content.paragraphs))
