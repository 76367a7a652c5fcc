"""The interview loop: wires the stages together. Knows nothing about the
terminal (it reports through a UI object) or about libraries (it gets its
engines from factories)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from voicecoach.analysis import delivery as delivery_mod
from voicecoach.analysis import feedback as feedback_mod
from voicecoach.core.answer_text import strip_closing_phrase
from voicecoach.engines.audiofile import SAMPLE_RATE, read_audio, write_wav
from voicecoach.config import Settings
from voicecoach.errors import Interrupted, NoSpeechError, Step, VoicecoachError
from voicecoach.models import AttemptResult, Card, Recording, Transcript
from voicecoach.store.db import Store
from voicecoach.core.listen import PhraseWatcher
from voicecoach.core.parts import UI, AnswerInput, Engines, Lazy  # noqa: F401  (the pieces of a coach; imported from here too)
from voicecoach.engines.streaming import StreamingTranscriber

MAX_REPEATS = 2
# The answer so far covers this share of the card's key points: its pauses get
# the early end-of-turn looks (Endpointer.fast_checks_s). The answer has said
# what was asked; a finished-sounding pause then most likely ends it.
COVERED_FOR_FAST_END = 0.6
# After an end the model decided, the microphone listens this long more (the
# end tone has sounded; the tail is being transcribed meanwhile): speech in it
# means the pause only sounded final, and the answer goes on.
RESUME_S = 1.5
# From asking for the opener to its first sound (the player's shallow buffer,
# 0.1 s, and a margin): its last sound has been heard this long after its
# length; the next sound may replace it then.
OPENER_LEAD_S = 0.25


@dataclass
class Coach:
    settings: Settings
    engines: Engines
    store: Store
    ui: UI
    play: Callable[..., None] | None = None  # audio output: play(samples, rate, blocking=True, quick=False)
    record: Callable[..., Recording] | None = None  # microphone input
    stop_checks: list[Callable[[], str | None]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # monotonic marks of the last attempt
    # Speaking while listening (duplex.Voice): the microphone is open while
    # the interviewer speaks (barge-in, nothing lost at the question's end).
    # Without it the coach speaks, then records.
    voice: Any = None
    # The answer transcribed so far, at each pause while it is spoken (a live
    # transcript in the web page); called from a background thread.
    on_partial: Callable[[Transcript], None] | None = None
    _toned: bool = field(default=False, repr=False)  # the end tone (or the opener) of this answer has sounded
    opener: str = ""  # the opener playing after the last answer (feedback.opener), until the next sound
    opener_said: str = ""  # the last answer's opener (for the timings file)
    _opener_until: float = field(default=0.0, repr=False)  # when its last sound will have been heard (monotonic)
    stt_jobs: list = field(default_factory=list, repr=False)  # the last answer's transcriptions (StreamingTranscriber.jobs_log)

    def mark(self, name: str) -> None:
        self.timings[name] = time.monotonic()

    # ------------------------------------------------------------------ speech

    def say(self, text: str, mark: str = "") -> None:
        """Speak; with a microphone at hand the candidate may speak over it
        (the sound stops, and what they say goes to the next listening)."""
        if not (self.settings.speak and self.play) or (self.voice is not None and self.voice.carry is not None):
            return  # (the candidate is talking: listen first)
        from voicecoach.engines.tts import speakable

        samples, rate = self.engines.synthesizer.get().synthesize(speakable(text))
        after_opener = self._let_opener_finish()
        if mark:
            self.mark(mark)
        if self.voice is None:
            self.play(samples, rate)
        else:  # straight on from an opener: its shallow buffer too
            self.voice.speak(samples, rate, quick=after_opener)

    def release(self) -> None:
        if self.voice is not None:
            self.voice.release()

    def _ask(self, text: str, mic) -> list:
        """Speak the question and the start tone as one sound while the
        microphone listens; returns the audio that belongs to the answer."""
        if not (self.settings.speak and self.play):
            return []
        from voicecoach.engines.audio import tone
        from voicecoach.engines.tts import speakable

        samples, rate = self.engines.synthesizer.get().synthesize(speakable(text))
        beep = tone(880, rate=rate)
        sound = np.concatenate([samples.astype(np.float32), np.zeros(int(0.1 * rate), np.float32), beep])
        self._let_opener_finish()
        self.mark("question_start")
        heard = self.voice.speak(sound, rate, mic, on_started=self.engines.listening_prewarm)
        self.mark("question_end")
        if heard.barged_in:
            self.ui.info("(You started answering: the question stopped.)")
        return heard.blocks

    def _warm_judge(self, card: Card) -> None:
        """Build the judge and let it read the card in the background: its
        first verdict loads the parser (4-5 s of CPU here), which must not
        fall after the answer (bench/turn_e2e.py: feedback 10-15 s after it)."""
        import threading

        def run() -> None:
            try:
                judge = self.engines.judge.get()
                warm = getattr(judge, "warm", None)
                if warm is not None:
                    warm(card)
            except Exception:  # noqa: BLE001 - an optimisation: the real verdict reports errors
                pass

        # not a daemon: an answer that ends at once (no speech, Ctrl-C) must not
        # exit while a native library loads here (C++ "terminate called", SIGABRT)
        threading.Thread(target=run, name="judge-warm").start()

    def _end_tone(self, card: Card, listening: bool = True) -> None:
        """The answer is over: the first words of the feedback (the opener:
        its length, which needs no transcript) where the candidate can still
        be told from the interviewer, else the end tone. ``listening``: the
        microphone listens on (RESUME_S) and speech there resumes the answer;
        with a loudspeaker the microphone would hear the opener, so only the
        tone plays then."""
        self._toned = True
        self.mark("end_tone")
        text = self._opener_text(card, listening)
        if text:
            from voicecoach.engines.tts import speakable

            try:
                samples, rate = self.engines.synthesizer.get().synthesize(speakable(text))
                samples = _trim_end(samples, rate)  # its trailing silence would only hold up the summary
                self.mark("opener")
                self.play(samples, rate, blocking=False, quick=True)
                self.opener = self.opener_said = text
                self._opener_until = time.monotonic() + OPENER_LEAD_S + len(samples) / rate
                return
            except VoicecoachError:
                pass  # the tone, and the summary says the rest
        self.cue(660, wait=False)

    def _opener_text(self, card: Card, listening: bool) -> str:
        ep = getattr(self, "endpointer", None)
        if not (self.settings.speak and self.play and self.voice is not None and ep is not None):
            return ""
        if ep.first_speech is None or ep.last_speech_end is None:
            return ""
        grace = listening and ep.end_reason == "turn" and self.engines.turn is not None
        if grace and not self.voice.policy.active:  # (echo heard, or barge-in off)
            return ""
        return feedback_mod.opener(ep.last_speech_end - ep.first_speech, card.target_range_s)

    def _opener_stop(self) -> None:
        """The candidate went on after the end was decided: the opener stops."""
        if self.opener and self.voice is not None:
            self.voice.stop()
        self.opener = ""

    def _let_opener_finish(self) -> bool:
        """The next sound waits for the opener (a new sound would cut it off),
        until its last sound has been heard, not for the silence the player
        pads a sound with (engines/player.py). True if an opener played."""
        played = bool(self.opener and self.voice is not None)
        if played:
            while self.voice.playing() and time.monotonic() < self._opener_until:
                time.sleep(0.02)
            self.mark("opener_released")  # (a benchmark: the opener's wait is over)
            self.timings["opener_until"] = self._opener_until
        self.opener = ""
        return played

    def cue(self, freq: float, wait: bool = True) -> None:
        if self.settings.speak and self.play:
            from voicecoach.engines.audio import tone

            self.play(tone(freq), 22050, blocking=wait)

    # -------------------------------------------------------------- the answer

    def _record(self, card: Card, path: Path, allow_repeat: bool = False, mic=None,
                preroll: list | None = None) -> tuple[Recording, StreamingTranscriber, float | None]:
        from voicecoach.engines.vad import Endpointer, SileroVAD

        turn = self.engines.turn.get() if self.engines.turn is not None else None
        covered = [0.0]  # the share of the card's key points the answer so far covers

        def card_covered() -> bool:
            return covered[0] >= COVERED_FOR_FAST_END

        endpointer = Endpointer(SileroVAD(), end_silence_s=self.settings.end_silence_s, turn=turn, background=True, fast_ok=card_covered)
        self.endpointer = endpointer  # for benchmarks: the turn model's verdicts

        def warm(partial: Transcript) -> None:
            if self.on_partial is not None:
                self.on_partial(strip_closing_phrase(partial))
            # the judge caches embeddings by text: scoring the answer so far
            # makes the final scoring (usually of the same text) quick, and
            # says how much of the card is covered (earlier end-of-turn looks)
            verdicts = self.engines.judge.get().judge(card, strip_closing_phrase(partial), None)
            covered[0] = verdicts.covered_share()

        stream = StreamingTranscriber(self.engines.transcriber.get, warm=warm)
        phrase = PhraseWatcher(endpointer, self.engines.transcriber, stream.audio, allow_repeat=allow_repeat)
        checks = [phrase.check, *self.stop_checks]

        def should_stop() -> str | None:
            stream.poll(endpointer.segments, endpointer.pauses)
            for c in checks:
                why = c()
                if why:
                    return why
            return None

        extra = {"mic": mic, "preroll": preroll or []} if mic is not None else {}
        # the end tone sounds the moment the end is decided; after an end by
        # the model, the microphone listens RESUME_S more: speech resumes the answer
        extra.update(on_end=lambda: self._end_tone(card), resume_s=RESUME_S if turn is not None else 0.0, on_resume=self._opener_stop)
        self._toned, self.opener_said = False, ""
        try:
            with self.ui.listening() as on_tick:
                self.mark("listening")
                rec = self.record(path, endpointer, limit_s=card.answer_limit_s, no_speech_timeout_s=self.settings.no_speech_timeout_s,
                                  device=self.settings.input_device, should_stop=should_stop, on_tick=on_tick, on_audio=stream.add, **extra)
            if rec.stop_reason == "silence":
                # a short last utterance may still be being checked: a closing
                # phrase or a request to repeat the question decides the reason
                late = phrase.settle()
                if late:
                    rec = rec.model_copy(update={"stop_reason": late})
        except BaseException:
            stream.close()
            raise
        finally:
            phrase.close()
            endpointer.close()
        return rec, stream, endpointer.last_speech_end

    def answer(self, card: Card, given: AnswerInput, attempt_id: str, audio_path: Path,
               prompt: str | None = None) -> tuple[Transcript, Recording | None, np.ndarray | None]:
        """The answer's transcript, its recording (None when typed) and its
        16 kHz samples, so later stages need not read the file again."""
        if given.text is not None:
            text = given.text.strip()
            if not text:
                raise NoSpeechError("the typed answer is empty", hint="Type your answer.", step=Step("type_answer"))
            return Transcript(text=text, engine="typed", model=""), None, None
        if given.file:
            audio = read_audio(given.file)
            write_wav(audio_path, audio)  # keep a 16 kHz copy beside the database for replay
            rec = Recording(path=str(audio_path), sample_rate=SAMPLE_RATE, duration_s=round(len(audio) / SAMPLE_RATE, 3), stop_reason="file")
        else:
            self.release()
            mic = self.voice.open_mic() if self.voice is not None else None
            try:
                for repeats in range(MAX_REPEATS + 1):
                    if mic is not None:
                        preroll = self._ask(prompt or card.title, mic)
                    else:
                        self.say(prompt or card.title)
                        self.cue(880)
                        preroll = None
                    self._warm_judge(card)  # loads while the candidate speaks
                    rec, stream, last_speech = self._record(card, audio_path, allow_repeat=repeats < MAX_REPEATS, mic=mic, preroll=preroll)
                    if rec.stop_reason != "repeat" or repeats == MAX_REPEATS:
                        break
                    stream.close()
                    self._opener_stop()  # (a request heard after an end the model decided)
                    self.ui.info("Repeating the question.")
            except KeyboardInterrupt as exc:
                partial = getattr(exc, "partial_recording", None)
                secs = partial.duration_s if partial else 0.0
                self.store.mark(attempt_id, "incomplete", secs)
                raise Interrupted(f"stopped; the {secs:.0f} s recorded so far are saved as attempt {attempt_id}",
                                  step=Step("score_file", {"card_id": card.id, "path": str(audio_path)})) from None
            except VoicecoachError as exc:
                partial = getattr(exc, "partial_recording", None)
                if partial:
                    self.store.mark(attempt_id, "incomplete", partial.duration_s)
                raise
            finally:
                if mic is not None:
                    mic.close()
            self.mark("recording_ended")
            if not self._toned:  # (stopped by a phrase, Enter or the time limit)
                self._end_tone(card, listening=False)  # plays while the tail is transcribed
            if rec.stop_reason == "no_speech":
                stream.close()
                self.store.mark(attempt_id, "no_speech", rec.duration_s)
                raise NoSpeechError("I didn't hear an answer", hint="Check the microphone level, then try again.", step=Step("type_answer", {"devices": True}))
        if given.file:
            with self.ui.status("Transcribing your answer..."):
                from voicecoach.engines.streaming import transcribe_in_pieces

                transcript = transcribe_in_pieces(self.engines.transcriber.get(), audio)
        else:
            with self.ui.status("Transcribing the end of your answer..."):
                # most of the answer was transcribed while it was spoken
                transcript = stream.finish(rec.duration_s, last_speech_s=last_speech)
                audio = stream.audio()
                self.timings["chunks_early"] = stream.chunks_done_early
                self.timings["speculative_tail"] = float(stream.used_speculative)
                self.stt_jobs = stream.jobs_log
        self.mark("transcribed")
        transcript = strip_closing_phrase(transcript)
        if not transcript.words:
            self.store.mark(attempt_id, "no_speech", rec.duration_s)
            raise NoSpeechError("no speech was found in the answer audio", hint="Check the recording.", step=Step("type_answer"))
        return transcript, rec, audio

    # ----------------------------------------------------------------- attempt

    def attempt(self, card: Card, given: AnswerInput, session_id: str, prompt: str | None = None, parent_id: str | None = None,
                speak_prompt: bool = True) -> AttemptResult:
        prompt = prompt or card.title
        given.check()  # no attempt row (a phantom 'recording') for an empty answer
        if parent_id is None:
            self.ui.show_card(card)
        if given.source == "microphone" and self.record is not None:
            with self.ui.status("Getting ready..."):
                self.engines.ready(speak=self.settings.speak and self.play is not None)
        else:
            self.engines.prewarm(speak=self.settings.speak and given.source == "microphone", audio=given.source != "text")
        attempt_id, audio_path = self.store.new_attempt(session_id, card, given.source, parent_id=parent_id, prompt=prompt)
        try:
            transcript, rec, audio = self.answer(card, given, attempt_id, audio_path, prompt=prompt if speak_prompt else None)
            if audio is not None and given.source == "microphone":
                self._check_levels(audio)
            result = self.score(card, transcript, rec, attempt_id, given.source, prompt=prompt, parent_id=parent_id, audio=audio)
        except KeyboardInterrupt:
            # Ctrl-C while speaking, transcribing or scoring: keep what exists.
            has_audio = audio_path.exists() and audio_path.stat().st_size > 44
            self.store.mark(attempt_id, "incomplete")
            if given.text and given.text.strip():
                self.store.keep_text(attempt_id, given.text.strip())
            kept = has_audio or bool(given.text and given.text.strip())
            saved = f"; the answer's {'audio' if has_audio else 'text'} is saved as attempt {attempt_id}" if kept else ""
            raise Interrupted(f"stopped{saved}", step=Step("rescore", {"attempt_id": attempt_id}) if kept else None) from None
        if given.source == "microphone" or self.settings.speak:
            try:
                self.say(result.spoken_feedback, mark="speaking_started")
            except KeyboardInterrupt:
                pass  # the result is saved; skipping the spoken summary is fine
        self._write_timings(result.attempt_id)
        return result

    def keep_typed(self, card: Card, text: str, session_id: str, prompt: str | None = None, parent_id: str | None = None) -> str | None:
        """Save a typed answer cut short (Ctrl-C) as an incomplete attempt; None if nothing was typed."""
        if not text.strip():
            return None
        attempt_id, _ = self.store.new_attempt(session_id, card, "text", parent_id=parent_id, prompt=prompt or card.title)
        self.store.keep_text(attempt_id, text.strip())
        self.store.mark(attempt_id, "incomplete")
        return attempt_id

    def _write_timings(self, attempt_id: str | None) -> None:
        if not self.settings.timings_file:
            return
        t0 = self.timings.get("recording_ended")
        rel = {k: round(v - t0, 3) if t0 and k not in ("chunks_early", "speculative_tail") else v for k, v in self.timings.items()}
        rel["t0"] = t0  # time.monotonic() of recording_ended (a benchmark lines these up with its own clock)
        ep = getattr(self, "endpointer", None)
        if ep is not None:  # how the answer's end was found
            rel.update(end_reason=ep.end_reason, last_speech_s=ep.last_speech_end, audio_s=round(ep.samples_seen / 16000, 3), turn_log=ep.turn_log,
                       check_s=ep.check_s, fast_pauses=ep.fast_pauses, resumed=ep.resumed, decided=round(ep.decided_at - t0, 3) if ep.decided_at and t0 else None)
        if self.opener_said:
            rel["opener_text"] = self.opener_said
        jobs = self.stt_jobs
        if jobs and t0:  # each transcription while and after the answer: audio span, then submitted/started/plain/done
            rel["stt_jobs"] = [[a, b, *(None if x is None else round(x - t0, 3) for x in marks)] for a, b, *marks in jobs]
        with open(self.settings.timings_file, "a", encoding="utf-8") as f:
            f.write(json.dumps({"attempt_id": attempt_id, **rel}) + "\n")

    def score(self, card: Card, transcript: Transcript, rec: Recording | None, attempt_id: str, source: str,
              prompt: str | None = None, parent_id: str | None = None, delivery=None, note: str = "",
              audio: np.ndarray | None = None) -> AttemptResult:
        """Delivery, judge, feedback; saved as a new result of the attempt."""
        if delivery is None and rec:
            audio = audio if audio is not None else _load(rec.path)
            delivery = delivery_mod.measure(transcript, rec.duration_s, audio=audio, card=card)
        with self.ui.status("Scoring against the rubric..."):
            verdicts = self.engines.judge.get().judge(card, transcript, delivery)
        if note:
            verdicts = verdicts.model_copy(update={"judge": verdicts.judge.model_copy(update={"note": (verdicts.judge.note + " " + note).strip()})})
        self.mark("judged")
        fb = feedback_mod.build(verdicts, delivery, baseline=self._baseline(attempt_id) if delivery else [])
        result = AttemptResult(
            attempt_id=attempt_id,
            card_id=card.id,
            card_title=card.title,
            prompt=prompt or card.title,
            parent_id=parent_id,
            answer_source=source,
            audio_path=rec.path if rec else None,
            stop_reason=rec.stop_reason if rec else None,
            transcript=transcript,
            delivery=delivery,
            key_points=verdicts.key_points,
            mistakes=verdicts.mistakes,
            scores=verdicts.scores,
            fixes=fb.fixes,
            structure_notes=verdicts.structure_notes,
            improved_answer=verdicts.improved_answer,
            spoken_feedback=fb.spoken,
            judge=verdicts.judge,
            disagreements=verdicts.disagreements,
        )
        self.store.save_result(result)
        self.ui.show_result(result, card)
        self.mark("written_feedback")
        return result

    def _check_levels(self, audio: np.ndarray) -> None:
        """Warn about clipping or a very quiet microphone (the answer is still scored)."""
        if len(audio) == 0:
            return
        clipped = float(np.mean(np.abs(audio) >= 0.99))
        loud = np.sort(np.abs(audio))[int(len(audio) * 0.99)]  # 99th percentile: the speech peaks
        if clipped > 0.001:
            self.ui.warn(f"The recording clipped ({clipped:.1%} of samples at full scale): lower the microphone gain or sit further back.")
        elif loud < 0.02:
            self.ui.warn("The recording is very quiet: raise the microphone level or move closer; transcription may suffer.")

    def _baseline(self, attempt_id: str) -> list:
        """Delivery of the candidate's recent spoken answers (not this one)."""
        out = []
        for row in self.store.attempts(limit=60):
            if row["id"] == attempt_id or row["words_per_minute"] is None:
                continue
            r = self.store.latest_result(row["id"])
            if r and r.delivery:
                out.append(r.delivery)
        return out

    def combine(self, card: Card, main: AttemptResult, follow: AttemptResult) -> AttemptResult:
        """Score the card again on the main answer plus the follow-up answer,
        saved as a new result of the main attempt: the follow-up counts
        towards the card's coverage."""
        from voicecoach.core.answer_text import merge_transcripts

        transcript = merge_transcripts(main.transcript, follow.transcript)
        rec = None
        if main.audio_path and main.delivery:
            rec = Recording(path=main.audio_path, sample_rate=SAMPLE_RATE, duration_s=main.delivery.duration_s, stop_reason=main.stop_reason or "silence")
        return self.score(card, transcript, rec, main.attempt_id, main.answer_source, prompt=main.prompt, delivery=main.delivery,
                          note=f"Includes the follow-up answer ({follow.attempt_id}).")

    def think(self, seconds: float) -> None:
        """Thinking time before the answer; Enter ends it early."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if any(c() for c in self.stop_checks):
                return
            time.sleep(0.1)

    def listen_for_command(self, window_s: float, keys: Callable[[], str | None] | None = None) -> tuple[str | None, str]:
        """A short listening window between questions: (command, what was
        heard). A key typed meanwhile wins (``keys`` returns its command).
        Nothing said -> (None, ""); speech without a command -> (None, text).
        The audio goes to a private temporary file and is not kept."""
        import tempfile

        from voicecoach.core.commands import match_command
        from voicecoach.engines.vad import Endpointer, SileroVAD

        if self.record is None:
            return None, ""
        endpointer = Endpointer(SileroVAD(), end_silence_s=0.8)
        typed: list[str] = []
        chunks: list[np.ndarray] = []

        def should_stop() -> str | None:
            command = keys() if keys else None
            if command:
                typed.append(command)
                return "key"
            return None

        extra = {}
        carry = self.voice.take_carry() if self.voice is not None else None
        if carry is not None:  # they spoke over the interviewer: that is what to listen to
            extra = {"mic": carry[0], "preroll": carry[1]}
        try:
            with tempfile.TemporaryDirectory(prefix="voicecoach-") as tmp:
                self.record(Path(tmp) / "command.wav", endpointer, limit_s=window_s, no_speech_timeout_s=window_s,
                            device=self.settings.input_device, should_stop=should_stop, on_tick=None, on_audio=chunks.append, **extra)
        finally:
            if carry is not None:
                carry[0].close()
        if typed:
            return typed[0], ""
        if not endpointer.heard_speech or not chunks:
            return None, ""
        text = self.engines.transcriber.get().transcribe(np.concatenate(chunks)).text.strip()
        return match_command(text), text

    def rescore(self, attempt_id: str) -> AttemptResult:
        """Score a saved attempt again (another model, a newer prompt), keeping
        earlier results. An interrupted attempt is transcribed from its audio."""
        row = self.store.attempt(attempt_id)
        card = self.store.card_of(attempt_id)
        previous = self.store.latest_result(attempt_id)
        rec = None
        if row["audio_path"] and Path(row["audio_path"]).exists():
            audio = read_audio(row["audio_path"])
            rec = Recording(path=row["audio_path"], sample_rate=SAMPLE_RATE, duration_s=round(len(audio) / SAMPLE_RATE, 3),
                            stop_reason=previous.stop_reason if previous and previous.stop_reason else "interrupted")
            if previous:
                transcript = previous.transcript
            else:
                with self.ui.status("Transcribing the saved audio..."):
                    transcript = strip_closing_phrase(self.engines.transcriber.get().transcribe(audio))
                if not transcript.words:
                    raise NoSpeechError(f"attempt {attempt_id} holds no speech")
        elif previous:
            transcript = previous.transcript
        elif row["answer_text"]:
            transcript = Transcript(text=row["answer_text"], engine="typed", model="")
        else:
            raise NoSpeechError(f"attempt {attempt_id} has neither audio nor a transcript to score")
        return self.score(card, transcript, rec, attempt_id, row["answer_source"])


def _trim_end(samples: np.ndarray, rate: int, keep_s: float = 0.05) -> np.ndarray:
    """A sound without its trailing silence (``keep_s`` of it kept)."""
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[: loud[-1] + 1 + int(keep_s * rate)] if len(loud) else samples


def _load(path: str) -> np.ndarray | None:
    try:
        return read_audio(path)
    except VoicecoachError:
        return None  # delivery then uses word timings only
