"""Throughput of newsbot.text.clean and search_key on ~10 MB of news-like Arabic text.

Run:  .venv/bin/python bench/bench_text.py [--mb 10] [--repeat 3]

Single core (one process, one thread).  The text is generated deterministically (fixed
seed) from a built-in word list: mostly unvocalised prose, with some digits (Western and
Arabic-Indic), Latin names, punctuation and quotes, a few diacritics, meaningful and
decorative tatweel, filter-dodging breaks, NBSP, ZWNJ, bidi marks, decomposed hamza and
the odd presentation-form ligature.  Each function runs on ~500-character paragraphs
(as the pipeline calls it) and on the whole text as one string, for the news text, the
same text without diacritics, and ASCII-only text of the same size.  MB/s counts UTF-8
bytes of input (MB = 10**6 bytes); the best of --repeat runs is printed.  pyarabic's
strip_tashkeel is timed for comparison.  Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyarabic import araby

from newsbot.text import clean, search_key

SEED = 20240601

_WORD_LIST = """
قال أعلن أكد أشار أضاف أوضح كشف نفى رحب دعا طالب حذر شدد اعتبر
الرئيس الوزير الحكومة البرلمان المجلس الوزارة الجيش الشرطة المتحدث الرسمي
وزير الخارجية رئيس الوزراء الأمين العام الأمم المتحدة مجلس الأمن الاتحاد الأوروبي
الولايات المتحدة الأمريكية روسيا الصين فرنسا بريطانيا ألمانيا تركيا إيران مصر
السعودية الإمارات قطر الكويت الأردن لبنان سوريا العراق فلسطين المغرب الجزائر تونس
ليبيا السودان اليمن عمان البحرين القاهرة دمشق بيروت بغداد عمان الرياض غزة القدس
في من إلى على عن مع بعد قبل خلال بين حول ضد منذ حتى لدى عند أمام وراء
أن إن لأن لكن إذا كما أيضا حيث التي الذي الذين هذا هذه ذلك تلك هناك هنا
اليوم أمس غدا الأسبوع الشهر العام الماضي المقبل الجاري الحالي صباح مساء
الاقتصاد السياسة الأمن الصحة التعليم الطاقة النفط الغاز الكهرباء المياه الزراعة
الاستثمار التضخم الأسعار الدولار الموازنة الديون البنك المركزي البورصة الأسهم
الانتخابات المفاوضات الاتفاق الهدنة وقف إطلاق النار المساعدات الإنسانية اللاجئين
المواطنين السكان الأطفال النساء الشباب العمال الطلاب المستشفى المدرسة الجامعة
مؤتمر صحفي بيان رسمي تصريحات مصادر مطلعة وكالة الأنباء التلفزيون الرسمي
ارتفاع انخفاض زيادة تراجع نمو أزمة مشروع خطة قرار قانون تقرير دراسة
جديد جديدة كبير كبيرة مهم مهمة دولي دولية محلي محلية عربي عربية إقليمي
الشرق الأوسط شمال جنوب شرق غرب المنطقة الحدود العاصمة المدينة القرية المحافظة
مسؤول مسؤولون مصدر مصادر شخص أشخاص قتيل جريح مصاب ضحايا المدنيين العسكريين
بحث ناقش استقبل زار وصل غادر التقى اجتمع وقع أبرم افتتح أطلق نظم شارك
مستشفى على إلى حتى متى لدى مبنى معنى مستوى مدى سوى موسى عيسى مصطفى
"""
WORDS = _WORD_LIST.split()

_LATIN_LIST = "CNN BBC Reuters AFP Google Microsoft OPEC NATO UNICEF Biden Macron COVID-19 iPhone"
LATIN = _LATIN_LIST.split()
DIACRITIC_WORDS = ["أيضاً", "جدّاً", "شكراً", "مُؤتمر", "عَلَى", "الْعَرَبِيَّةُ", "فَوْراً", "إنَّ"]
TATWEEL_WORDS = [
    "الـ 900",
    "1445هـ",
    "الـــعربية",
    "دمشق ـ سانا",
    "الـ-19",
    "الجـ.رائم",
    "قـ.ـتل",
    "مبـــروك",
]
PUNCT_END = [".", ".", ".", "،", ":", "!", "؟"]
RARE = ["\u00a0", "\u200c", "\u200f", "\ufefb", "\ufef7", "\u200b", "\u2009", "\u0627\u0654"]


def _number(rng: random.Random) -> str:
    n = str(rng.choice([rng.randint(1, 100), rng.randint(1900, 2025), rng.randint(1000, 999999)]))
    if rng.random() < 0.3:
        n = n.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    return n + rng.choice(["", "", "%", " مليون", " دولار"])


def paragraph(rng: random.Random, target: int = 500) -> str:
    out: list[str] = []
    size = 0
    while size < target:
        r = rng.random()
        if r < 0.84:
            tok = rng.choice(WORDS)
        elif r < 0.90:
            tok = _number(rng)
        elif r < 0.93:
            tok = rng.choice(LATIN)
        elif r < 0.96:
            tok = "«" + rng.choice(WORDS) + " " + rng.choice(WORDS) + "»"
        elif r < 0.98:
            tok = rng.choice(DIACRITIC_WORDS)
        elif r < 0.99:
            tok = rng.choice(TATWEEL_WORDS)
        else:
            tok = rng.choice(WORDS) + rng.choice(RARE) + rng.choice(WORDS)
        if rng.random() < 0.08:
            tok += rng.choice(PUNCT_END)
        out.append(tok)
        size += len(tok) + 1
    return " ".join(out) + "."


def make_corpus(megabytes: float) -> list[str]:
    rng = random.Random(SEED)
    paras: list[str] = []
    total = 0
    while total < megabytes * 1e6:
        p = paragraph(rng)
        paras.append(p)
        total += len(p.encode("utf-8")) + 2
    return paras


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    paras = make_corpus(args.mb)
    # The same text without diacritics, and an ASCII-only text of the same byte size.
    bare = [araby.strip_tashkeel(p) for p in paras]
    ascii_whole = "".join(c if c.isascii() else "x" for c in "\n\n".join(paras))
    ascii_whole = ascii_whole[: len("\n\n".join(paras).encode("utf-8"))]
    ascii_paras = [ascii_whole[i : i + 900] for i in range(0, len(ascii_whole), 900)]
    corpora = {"news": paras, "no diacritics": bare, "ASCII only": ascii_paras}
    whole = "\n\n".join(paras)
    print(
        f"corpus: {len(paras)} paragraphs of ~500 chars, {len(whole):,} chars, "
        f"{len(whole.encode('utf-8')) / 1e6:.2f} MB UTF-8; Python {sys.version.split()[0]}, "
        f"one process, best of {args.repeat}; MB/s of UTF-8 input"
    )
    rows = [
        ("clean", clean, "news"),
        ("search_key", search_key, "news"),
        ("pyarabic strip_tashkeel", araby.strip_tashkeel, "news"),
        ("clean", clean, "no diacritics"),
        ("search_key", search_key, "no diacritics"),
        ("pyarabic strip_tashkeel", araby.strip_tashkeel, "no diacritics"),
        ("clean", clean, "ASCII only"),
        ("search_key", search_key, "ASCII only"),
    ]
    print(f"{'function':25s} {'text':14s} {'per paragraph':>14s} {'whole string':>14s}")
    for name, fn, corpus in rows:
        chunks = corpora[corpus]
        one = "\n\n".join(chunks)
        nbytes = len(one.encode("utf-8"))
        per_para = best_of(args.repeat, lambda fn=fn, chunks=chunks: [fn(c) for c in chunks])
        whole_s = best_of(args.repeat, lambda fn=fn, one=one: fn(one))
        print(
            f"{name:25s} {corpus:14s} {nbytes / per_para / 1e6:9.1f} MB/s "
            f"{nbytes / whole_s / 1e6:9.1f} MB/s"
        )
    cleaned = [clean(p) for p in paras]
    changed = sum(c != p for c, p in zip(cleaned, paras, strict=True))
    same = clean(whole) == "\n\n".join(cleaned)
    print(
        f"clean changed {changed}/{len(paras)} news paragraphs; the whole-string result "
        f"{'equals' if same else 'DIFFERS FROM'} the per-paragraph results joined"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
