"""Text mode: reading a typed answer in the terminal, with the same promises
as a spoken one. The time limit is shown and enforced; an empty line, "done"
or a closing phrase ("that's my answer") ends the answer, and the phrase is
not part of it; Ctrl-C keeps what was typed (TypedInterrupt carries it)."""

from __future__ import annotations

import os
import select
import sys
import time

from voicecoach.core.answer_text import CLOSING_PHRASES
from voicecoach.errors import TypedInterrupt  # noqa: F401  (raised here; tests import it from here too)

DONE_WORDS = {"done", "i'm done", "im done", "end", "finished"}
HOW_TO_FINISH = "finish with an empty line, or type \"done\" or \"that's my answer\""


class LineReader:
    """Lines from a stream, each wait bounded by a deadline (select on the
    descriptor, so the time limit can end an answer while nothing is typed)."""

    def __init__(self, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stdin
        self.buf = b""
        self.eof = False

    def readline(self, deadline: float | None) -> str | None:
        """The next line; None when the deadline passed first; EOFError at the end."""
        try:
            fd = self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            line = self.stream.readline()  # no descriptor (a test's StringIO): no deadline either
            if not line:
                raise EOFError
            return line.rstrip("\n")
        while b"\n" not in self.buf:
            if self.eof:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line.decode(errors="replace")
                raise EOFError
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if chunk:
                self.buf += chunk
            else:
                self.eof = True
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")


_reader: LineReader | None = None


def _stdin_reader() -> LineReader:
    global _reader
    if _reader is None or _reader.stream is not sys.stdin:
        _reader = LineReader(sys.stdin)
    return _reader


def closing(line: str) -> str | None:
    """A line that ends the answer, without the closing words (None: it does not end it)."""
    text = line.strip()
    if text.lower().rstrip(".!") in DONE_WORDS:
        return ""
    m = CLOSING_PHRASES.search(text)
    if not m:
        return None
    head = text[: m.start()]
    cut = max(head.rfind(c) for c in ".?!,;")
    tail = head[cut + 1 :]
    if len(tail.split()) <= (4 if cut >= 0 else 2):  # "... labels. So that's my answer" / "That's my answer"
        head = head[: cut + 1]
    return head.rstrip(" ,;")


def _wrap(text: str) -> str:
    """Wrapped at word boundaries to the terminal's width (never mid-word)."""
    import shutil
    import textwrap

    width = shutil.get_terminal_size((80, 24)).columns
    return "\n".join(textwrap.fill(line, width=max(40, width - 1)) if line else line for line in text.split("\n"))


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 90:
        return f"{seconds} seconds"
    m, s = divmod(seconds, 60)
    return f"{m} minute{'s' if m != 1 else ''}" + (f" {s} seconds" if s else "")


def typed_answer(prompt: str, limit_s: float | None = None, reader: LineReader | None = None, echo=None) -> str:
    """Print the question and read the answer: lines until an empty line,
    "done" or a closing phrase, or until ``limit_s`` runs out (what was typed
    by then is the answer). EOFError when the input ends before anything was
    typed; TypedInterrupt (with the text so far) on Ctrl-C."""
    import click

    echo = echo or (lambda s: click.echo(_wrap(s), err=False))
    reader = reader or _stdin_reader()
    limit = f"you have {duration(limit_s)}; " if limit_s else ""
    echo(f"\n{prompt}\n(type your answer: {limit}{HOW_TO_FINISH})")
    deadline = time.monotonic() + limit_s if limit_s else None
    lines: list[str] = []
    warned = False
    tty = _KeepPendingLine(reader.stream)
    try:
        while True:
            try:
                line = reader.readline(deadline)
            except EOFError:
                if not lines:
                    raise
                break
            if line is None:
                echo("Time is up" + (": your answer so far is scored." if lines else ", and nothing was typed."))
                break
            end = closing(line)
            if end is not None:
                if end:
                    lines.append(end)
                break
            if not line.strip():
                if lines:
                    break
                continue
            lines.append(line.strip())
            if deadline and not warned and limit_s > 45 and deadline - time.monotonic() <= 30:
                warned = True
                echo(f"({duration(deadline - time.monotonic())} left)")
    except KeyboardInterrupt:
        lines.append(tty.pending().strip())  # the line being typed when Ctrl-C came
        if tty.fd is not None:
            sys.stderr.write("\n")  # the message that follows starts on its own line
        raise TypedInterrupt(" ".join(x for x in lines if x)) from None
    finally:
        tty.restore()
    return " ".join(lines)


class _KeepPendingLine:
    """In a terminal, Ctrl-C normally discards the line being typed. With
    NOFLSH set the terminal keeps it, and ``pending`` reads it (switching
    to non-canonical input for a moment), so nothing typed is lost."""

    def __init__(self, stream) -> None:
        self.fd, self.saved = None, None
        try:
            import termios

            fd = stream.fileno()
            if os.isatty(fd):
                self.saved = termios.tcgetattr(fd)
                attrs = termios.tcgetattr(fd)
                attrs[3] |= termios.NOFLSH
                termios.tcsetattr(fd, termios.TCSANOW, attrs)
                self.fd = fd
        except (ImportError, AttributeError, OSError, ValueError):
            self.fd = None

    def pending(self) -> str:
        if self.fd is None:
            return ""
        import termios

        try:
            attrs = termios.tcgetattr(self.fd)
            attrs[3] &= ~termios.ICANON
            attrs[6][termios.VMIN], attrs[6][termios.VTIME] = 0, 0
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
            data = os.read(self.fd, 4096)
        except OSError:
            return ""
        return data.decode(errors="replace").replace("\x03", "").strip()

    def restore(self) -> None:
        if self.fd is not None and self.saved is not None:
            import termios

            try:
                termios.tcsetattr(self.fd, termios.TCSANOW, self.saved)
            except OSError:
                pass
