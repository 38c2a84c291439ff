#!/usr/bin/env python3
"""Makes scans and photos of a labelled inbox's text PDFs, to measure OCR reading on lists it
was never developed on.

    scripts/make-scanned-inbox.py INBOX OUT [--seed N] [--dpi 200]

For every email of INBOX (an inbox_real_dev-style folder: *.eml plus labels.json) whose list is a
text PDF (format_class ending in "pdf-LO" or "pdf"), OUT gets two emails with the same body and
labels: one whose PDF is a scan of it (pages rasterised in grey at --dpi, turned by a fraction of
a degree, blurred, speckled, saved again as an image-only PDF; class "scanned-pdf") and, for a
one-page PDF, one whose list is a photo of the page (colour, turned a degree or two, uneven
light, softer focus, JPEG; class "photo"). OUT/labels.json pairs them for scripts/score-inbox.py
(PDF, scan and photo labels pair by VIN, so the rows keep their labels).

Needs pdftoppm (poppler-utils) and Pillow (python3-pil); says which is missing and stops.
"""
import argparse
import copy
import email
import email.policy
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

try:
    from PIL import Image, ImageChops, ImageFilter
except ImportError:
    sys.exit("make-scanned-inbox: Pillow is missing (apt-get install python3-pil)")


def pdf_pages(pdf_bytes, dpi, gray):
    """The PDF's pages as PIL images, rasterised by pdftoppm."""
    tmp = tempfile.mkdtemp(prefix="scan-")
    try:
        src = os.path.join(tmp, "in.pdf")
        with open(src, "wb") as f:
            f.write(pdf_bytes)
        args = ["pdftoppm", "-r", str(dpi), "-png"] + (["-gray"] if gray else []) + [src, os.path.join(tmp, "p")]
        subprocess.run(args, check=True, capture_output=True)
        names = sorted(n for n in os.listdir(tmp) if n.startswith("p") and n.endswith(".png"))
        pages = []
        for n in names:
            with Image.open(os.path.join(tmp, n)) as im:
                pages.append(im.copy())
        return pages
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def scan_page(im, rng):
    im = im.convert("L")
    im = im.rotate(rng.uniform(-0.8, 0.8), resample=Image.BICUBIC, expand=False, fillcolor=255)
    im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.8)))
    im = Image.blend(im, Image.effect_noise(im.size, 40).convert("L"), rng.uniform(0.04, 0.08))
    # A scanner's contrast: whites a little grey, blacks a little lifted.
    lo, hi = rng.randint(8, 25), rng.randint(225, 245)
    return im.point(lambda v: lo + v * (hi - lo) // 255)


def photo_page(im, rng):
    im = im.convert("RGB")
    w, h = im.size
    # The page on a desk, a margin around it, turned a little.
    desk = Image.new("RGB", (int(w * 1.08), int(h * 1.08)), (rng.randint(90, 140),) * 3)
    desk.paste(im, ((desk.width - w) // 2, (desk.height - h) // 2))
    im = desk.rotate(rng.uniform(-2.0, 2.0), resample=Image.BICUBIC, expand=False, fillcolor=(110, 110, 110))
    # Uneven light: darker towards one side.
    grad = Image.linear_gradient("L")
    if rng.random() < 0.5:
        grad = grad.transpose(Image.ROTATE_90)
    grad = grad.resize(im.size)
    dim = rng.randint(40, 70)
    shade = grad.point(lambda v: 255 - v * dim // 255)
    im = ImageChops.multiply(im, Image.merge("RGB", (shade, shade, shade)))
    im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    im = Image.blend(im, Image.effect_noise(im.size, 35).convert("RGB"), rng.uniform(0.03, 0.06))
    return im


def replace_attachment(msg, name, data, maintype, subtype, new_name):
    for part in msg.walk():
        if part.get_filename() == name:
            part.set_content(data, maintype=maintype, subtype=subtype, disposition="attachment",
                             filename=new_name)
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inbox")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dpi", type=int, default=200)
    a = ap.parse_args()
    if not shutil.which("pdftoppm"):
        sys.exit("make-scanned-inbox: pdftoppm is missing (apt-get install poppler-utils)")
    labels = json.load(open(os.path.join(a.inbox, "labels.json"), encoding="utf-8"))
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    out_labels = []
    for lab in labels:
        if not lab.get("format_class", "").endswith("pdf-LO") and lab.get("format_class") != "pdf":
            continue
        vehicles = lab.get("vehicles") or []
        if not vehicles:
            continue
        att = vehicles[0]["source"]["attachment"]
        with open(os.path.join(a.inbox, lab["file"]), "rb") as f:
            raw = f.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        pdf = next((p.get_content() for p in msg.walk() if p.get_filename() == att), None)
        if pdf is None:
            print("%s: no attachment %s, left out" % (lab["file"], att), file=sys.stderr)
            continue
        stem = os.path.splitext(lab["file"])[0]
        # The scan.
        pages = [scan_page(p, rng) for p in pdf_pages(pdf, a.dpi, True)]
        buf = io.BytesIO()
        pages[0].save(buf, "PDF", resolution=a.dpi, save_all=True, append_images=pages[1:])
        kinds = [("scan", "scanned-pdf", "pdf_scanned", "Escaneo_%s.pdf" % stem, buf.getvalue(), "application", "pdf")]
        if len(pages) == 1:
            photo = photo_page(pdf_pages(pdf, 150, False)[0], rng)
            jbuf = io.BytesIO()
            photo.save(jbuf, "JPEG", quality=rng.randint(65, 80))
            kinds.append(("photo", "photo", "jpg", "IMG_%s.jpg" % stem, jbuf.getvalue(), "image", "jpeg"))
        for tag, cls, fmt, name, data, maintype, subtype in kinds:
            m = email.message_from_bytes(raw, policy=email.policy.default)
            replace_attachment(m, att, data, maintype, subtype, name)
            # Another Message-ID, so that the scan and the photo are cases of their own.
            mid = (lab.get("message_id") or "<%s@scan>" % stem).replace("@", ".%s@" % tag, 1)
            del m["Message-ID"]
            m["Message-ID"] = mid
            fname = "%s_%s.eml" % (stem, tag)
            with open(os.path.join(a.out, fname), "wb") as f:
                f.write(m.as_bytes(policy=email.policy.SMTP))
            nl = copy.deepcopy(lab)
            nl.update(file=fname, message_id=mid, format_class=cls, is_duplicate_of=None)
            for v in nl["vehicles"]:
                v["source"]["attachment"] = name
                v["source"]["format"] = fmt
            out_labels.append(nl)
        print("%s: scan of %d page(s)%s" % (lab["file"], len(pages), " and a photo" if len(pages) == 1 else ""))
    with open(os.path.join(a.out, "labels.json"), "w", encoding="utf-8") as f:
        json.dump(out_labels, f, ensure_ascii=False, indent=1)
    print("%d emails in %s" % (len(out_labels), a.out))


if __name__ == "__main__":
    main()
