"""Job descriptions and résumés as plain text: the only module that imports the
PDF reader (pypdf) and the DOCX reader (python-docx), both imported lazily.

The kind of file is told from its first bytes, not its name, so a PDF saved as
``cv.txt`` still reads. Every failure (missing, empty, too large, damaged,
encrypted, scanned, or not a document at all) is a DocumentError that says what
to do; the libraries' own exceptions never reach the user."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voicecoach.errors import DocumentError

# A long résumé PDF with a photo is ~1-2 MB; 5 MB leaves room without letting a
# stray video or archive through.
MAX_BYTES = 5 * 1024 * 1024
# A DOCX is a zip: refuse one that would inflate past this (a zip bomb).
MAX_UNZIPPED = 60 * 1024 * 1024
# Pages read from a PDF; a job description or CV is a few pages.
MAX_PAGES = 30
# Characters kept after extraction (~15k words), far past any real document.
MAX_CHARS = 100_000
# Fewer letters than this and there is nothing to read (a scanned PDF, say).
MIN_LETTERS = 40

Kind = Literal["pdf", "docx", "text"]
FORMATS_HINT = "Give a PDF, a DOCX, or a text/Markdown file (paste the text into a .txt file if all else fails)."


@dataclass(frozen=True)
class Document:
    path: Path
    kind: Kind
    text: str
    truncated: bool = False

    @property
    def name(self) -> str:
        return self.path.name


def read_document(path: Path, what: str = "document", max_bytes: int = MAX_BYTES) -> Document:
    """Read ``path`` as text. ``what`` names it in messages ("job description")."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(f"{what} {path} not found", hint="Check the path.")
    if not path.is_file():
        raise DocumentError(f"{what} {path} is not a file", hint=FORMATS_HINT)
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(f"{what} {path} is empty", hint="Save the text into the file first.")
    if size > max_bytes:
        raise DocumentError(f"{what} {path} is {size / 1e6:.1f} MB, more than the {max_bytes / 1e6:.0f} MB limit",
                            hint="Is it the right file? Export a text-only PDF or paste the text into a .txt file.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {what} {path}: {exc.strerror or exc}", hint="Check the file's permissions.") from exc
    kind = sniff(data)
    if kind == "pdf":
        text = _pdf_text(data, path, what)
    elif kind == "docx":
        text = _docx_text(data, path, what)
    else:
        text = _plain_text(data, path, what)
    text = _tidy(text)
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        extra = " (a scanned PDF has images, not text)" if kind == "pdf" else ""
        raise DocumentError(f"{what} {path} has almost no text{extra}",
                            hint="Use a PDF with selectable text, a DOCX, or paste the text into a .txt file.")
    truncated = len(text) > MAX_CHARS
    return Document(path=path, kind=kind, text=text[:MAX_CHARS], truncated=truncated)


def sniff(data: bytes) -> Kind | str:
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"  # old .doc / .xls
    if head.startswith(b"{\\rtf"):
        return "rtf"
    return "text"


def _plain_text(data: bytes, path: Path, what: str) -> str:
    kind = sniff(data)
    if kind == "ole":
        raise DocumentError(f"{what} {path} is an old binary Word (.doc) file", hint="Save it as .docx or PDF. " + FORMATS_HINT)
    if kind == "rtf":
        raise DocumentError(f"{what} {path} is an RTF file", hint="Save it as .docx, PDF or plain text.")
    if b"\x00" in data[:4096]:
        raise DocumentError(f"{what} {path} is not a text file (it holds binary data)", hint=FORMATS_HINT)
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DocumentError(f"{what} {path} is not UTF-8 text", hint="Save it as UTF-8 text. " + FORMATS_HINT)
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 20:
        raise DocumentError(f"{what} {path} is not a text file (it holds binary data)", hint=FORMATS_HINT)
    if re.search(r"<(html|body|div|p)\b", text[:5000], re.I):  # a saved web page: keep the words
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|h\d)>", "\n", text)
        text = re.sub(r"<[^>]+>", " ", text)
        import html

        text = html.unescape(text)
    return text


def _pdf_text(data: bytes, path: Path, what: str) -> str:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise DocumentError("reading PDF needs pypdf", hint="pip install pypdf, or give the text as a .txt file.") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except Exception:  # noqa: BLE001 - pypdf raises several kinds here
                    ok = 0
                if not ok:
                    raise DocumentError(f"{what} {path} is a password-protected PDF",
                                        hint="Save a copy without a password, or paste the text into a .txt file.")
            pages = reader.pages
            texts = [pages[i].extract_text() or "" for i in range(min(len(pages), MAX_PAGES))]
    except DocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged PDF fails in many places inside pypdf
        raise DocumentError(f"{what} {path} is not a readable PDF ({type(exc).__name__})",
                            hint="Open and re-save it (print to PDF), or paste the text into a .txt file.") from exc
    return "\n".join(texts)


def _docx_text(data: bytes, path: Path, what: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            inflated = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile as exc:
        raise DocumentError(f"{what} {path} is a damaged DOCX (zip) file", hint="Open and re-save it, or export it as PDF.") from exc
    if "word/document.xml" not in names:
        raise DocumentError(f"{what} {path} is a zip file but not a Word document", hint=FORMATS_HINT)
    if inflated > MAX_UNZIPPED:
        raise DocumentError(f"{what} {path} would unpack to {inflated / 1e6:.0f} MB", hint="Export it as PDF or text.")
    try:
        import docx
    except ImportError as exc:
        raise DocumentError("reading DOCX needs python-docx", hint="pip install python-docx, or give the text as a .txt file.") from exc
    try:
        doc = docx.Document(io.BytesIO(data))
        lines = [p.text for p in doc.paragraphs]
        for table in doc.tables:
            for row in table.rows:
                cells = []
                for cell in row.cells:
                    if cell.text not in cells:  # merged cells repeat
                        cells.append(cell.text)
                lines.append(" | ".join(cells))
    except Exception as exc:  # noqa: BLE001 - lxml, KeyError, python-docx's own errors
        raise DocumentError(f"{what} {path} is not a readable DOCX ({type(exc).__name__})",
                            hint="Open and re-save it in Word or LibreOffice, or export it as PDF.") from exc
    return "\n".join(lines)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n\s*\n+", "\n\n", text)
    return text.strip()


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d ().-]{7,}\d(?![\w])")
_URL = re.compile(r"\b(https?://|www\.)\S+|\b(linkedin|github)\.com/\S+", re.I)


def scrub(text: str) -> str:
    """Remove emails, phone numbers and links: what an LLM is never sent."""
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub("[link]", text)
    # a phone number has 9+ digits; "2019 - 2023" has 8 and stays
    return _PHONE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group()) >= 9 else m.group(), text)
