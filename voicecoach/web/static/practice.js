// The practice page: the question spoken, the microphone streamed to the
// server (16 kHz mono int16 over /ws/practice), live level, time and
// transcript, typed answers, the interview's turns, and the feedback.
// No library, no build step.
(function () {
  "use strict";
  const root = document.getElementById("practice");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const mode = root.dataset.mode;
  const cardId = root.dataset.card;
  const cards = root.dataset.cards.split(",").filter(Boolean);
  const persona = root.dataset.persona;
  const speak = root.dataset.speak === "yes";
  let ws = null, capture = null, player = null, limit = 0, finished = false, typedInterview = false, answers = 0;

  const show = (id, on = true) => { $(id).hidden = !on; };
  const fmt = (s) => { s = Math.max(0, Math.floor(s)); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); };
  function problem(message, hint) {
    $("problem").textContent = message || ""; show("problem", !!message);
    $("problem-hint").textContent = hint || ""; show("problem-hint", !!hint);
  }
  function say(kind, text, link) {
    const p = document.createElement("p");
    p.className = kind;
    if (kind === "interviewer") { const b = document.createElement("strong"); b.textContent = "Interviewer: "; p.appendChild(b); }
    p.appendChild(document.createTextNode(text));
    if (link) { const a = document.createElement("a"); a.href = link; a.textContent = " Open History"; p.appendChild(a); }
    $("dialogue").appendChild(p); show("dialogue");
  }
  function send(obj) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj)); }

  // ---------------------------------------------------------------- sounds
  function playUrl(url, id) {
    stopAudio();
    const a = new Audio(url);
    player = a;
    let reported = false;
    const done = () => { if (reported) return; reported = true; if (player === a) player = null; if (id) send({ type: "ended", id: id }); };
    a.addEventListener("ended", done);
    a.addEventListener("error", done);
    a.play().catch(done);
    a._done = done;
    return a;
  }
  function stopAudio() { if (player) { const a = player; try { a.pause(); } catch (e) { /* gone */ } if (a._done) a._done(); } }

  // ------------------------------------------------------------ microphone
  const TAP = "class Tap extends AudioWorkletProcessor{process(i){const c=i[0]&&i[0][0];if(c)this.port.postMessage(c.slice(0));return true}}registerProcessor('vc-tap',Tap);";
  async function openMic() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      const e = new Error("no getUserMedia"); e.name = "NotSupportedError"; throw e;
    }
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: true } });
    let ctx;
    try { ctx = new AudioContext({ sampleRate: 16000 }); } catch (e) { ctx = new AudioContext(); }
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([TAP], { type: "application/javascript" })));
    const src = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, "vc-tap");
    const mute = ctx.createGain(); mute.gain.value = 0;
    src.connect(node); node.connect(mute); mute.connect(ctx.destination);
    const ratio = ctx.sampleRate / 16000;
    let carry = new Float32Array(0), t = 0;
    const out = new Int16Array(1600); let n = 0;  // 100 ms a frame
    function resample(x) {
      if (ratio === 1) return x;
      const b = new Float32Array(carry.length + x.length); b.set(carry); b.set(x, carry.length);
      const res = [];
      for (; t + 1 < b.length; t += ratio) { const i = Math.floor(t), f = t - i; res.push(b[i] * (1 - f) + b[i + 1] * f); }
      const drop = Math.floor(t); carry = b.slice(drop); t -= drop;
      return res;
    }
    node.port.onmessage = (e) => {
      const x = resample(e.data);
      for (let i = 0; i < x.length; i++) {
        const v = Math.max(-1, Math.min(1, x[i]));
        out[n++] = v < 0 ? v * 32768 : v * 32767;
        if (n === out.length) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(out.slice(0).buffer); n = 0; }
      }
    };
    if (ctx.state === "suspended") await ctx.resume();
    return { stop() { stream.getTracks().forEach((tr) => tr.stop()); ctx.close(); } };
  }
  function stopMic() { if (capture) { capture.stop(); capture = null; } }
  function micProblem(err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      problem("The browser did not allow the microphone, so voicecoach cannot hear you.",
        "Allow the microphone for this page (the icon in the address bar) and reload, or type your answer" + (mode === "interview" ? "s: press “Type the interview instead”." : " below."));
    } else if (name === "NotFoundError" || name === "OverconstrainedError") {
      problem("No microphone was found.", "Plug one in and reload, or type your answer" + (mode === "interview" ? "s instead." : " below."));
    } else {
      problem("The microphone could not be opened (" + (name || "unknown error") + ").", "Type your answer instead, or reload and try again.");
    }
    if (mode === "single") openTyped();
  }

  // ---------------------------------------------------------------- socket
  function connect(answer) {
    finished = false;
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/practice");
    ws.binaryType = "arraybuffer";
    ws.onopen = () => ws.send(JSON.stringify({ type: "start", mode: mode, card: cardId, cards: cards, persona: persona, answer: answer }));
    ws.onmessage = (e) => { try { handle(JSON.parse(e.data)); } catch (err) { console.error(err); } };
    ws.onclose = (e) => {
      stopMic();
      if (!finished) {
        problem(e.code === 1008 ? "This page is not allowed to talk to voicecoach (" + (e.reason || "refused") + ")." : "The connection to voicecoach was lost.",
          "Anything you said is saved as an incomplete attempt (see History). Reload the page to go on.");
        $("state").textContent = "Disconnected";
        $("done").disabled = true;
      }
    };
  }

  const times = window.voicecoachTimes = {};  // when each kind of event first and last arrived (ms)
  function handle(ev) {
    const key = ev.type + (ev.type === "listening" ? (ev.on ? "_on" : "_off") : "");
    if (!(key in times)) times[key] = performance.now();
    times[key + "_last"] = performance.now();
    switch (ev.type) {
      case "card":
        $("question").textContent = ev.title;
        $("question-meta").textContent = "";
        [ev.category, ev.difficulty, "up to " + fmt(ev.limit_s) + " to answer"].forEach((x) => {
          const s = document.createElement("span"); s.className = "pill"; s.textContent = x; $("question-meta").appendChild(s); $("question-meta").append(" ");
        });
        limit = ev.limit_s;
        $("state").textContent = "Listen to the question…";
        break;
      case "status":
        $("state").textContent = ev.text || ($("done").disabled ? "" : "Listening: speak now");
        break;
      case "listening":
        show("live"); show("between", false);
        $("done").disabled = !ev.on;
        if (ev.on) {
          $("state").textContent = "Listening: speak now";
          $("transcript").textContent = "Your words appear here as you speak."; $("transcript").classList.remove("words");
          $("clock").textContent = "0:00 / " + fmt(limit);
        } else { $("state").textContent = "Got it: scoring your answer…"; $("level").style.width = "0"; }
        break;
      case "tick": {
        const pct = Math.max(0, Math.min(100, (ev.level + 60) / 50 * 100));
        $("level").style.width = pct + "%";
        $("clock").textContent = fmt(ev.elapsed) + " / " + fmt(ev.limit);
        $("elapsed").style.width = Math.min(100, 100 * ev.elapsed / ev.limit) + "%";
        $("elapsed").parentElement.classList.toggle("late", ev.elapsed > 0.8 * ev.limit);
        break;
      }
      case "partial":
        if (ev.text) { $("transcript").textContent = ev.text; $("transcript").classList.add("words"); }
        break;
      case "interviewer": say("interviewer", ev.text); break;
      case "info": say("info", ev.text, ev.link); break;
      case "warn": say("info warn", ev.text); break;
      case "play": playUrl(ev.url, ev.id); break;
      case "stop_audio": stopAudio(); break;
      case "result": showResult(ev); break;
      case "ask_text":
        $("typed-label").textContent = ev.prompt;
        $("answer-text").value = "";
        show("typed"); show("between", false); show("working", false);
        $("submit-text").disabled = false;
        $("answer-text").focus();
        break;
      case "between": show("between"); show("live", false); show("working", false); break;
      case "busy":
        finished = true; stopMic();
        problem(ev.message, "");
        show("live", false);
        if (mode === "single") openTyped(); else show("choose");
        break;
      case "error":
        finished = true; stopMic(); show("working", false);
        problem(ev.message, ev.hint);
        $("done").disabled = true; $("state").textContent = "Stopped";
        if (mode === "single" && !$("feedback").children.length) openTyped();
        break;
      case "done":
        finished = true; stopMic();
        show("live", false); show("between", false); show("typed", false); show("after");
        break;
    }
  }

  function showResult(ev) {
    answers += 1;
    const block = document.createElement("div");
    block.className = "answer-block";
    const h = document.createElement("h2");
    const again = ev.attempt_id && document.querySelector('#feedback .vc-result[data-attempt="' + ev.attempt_id + '"]');
    h.textContent = again ? "Your answer and the follow-up, scored together" : ev.parent_id ? "Feedback on your follow-up answer"
      : mode === "interview" ? "Feedback: " + (ev.prompt || "") : "Feedback";
    show("working", false);
    block.appendChild(h);
    const body = document.createElement("div"); body.innerHTML = ev.html; block.appendChild(body);
    $("feedback").appendChild(block);
    if (mode === "single") show("live", false);
    show("typed", false);
    block.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // ---------------------------------------------------------- typed answers
  function openTyped() {
    show("choose", false); show("typed"); $("answer-text").focus();
  }
  $("typed").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("answer-text").value;
    if (!text.trim()) { problem("The answer is empty.", "Type your answer, then press Score my answer."); return; }
    problem("");
    if (typedInterview) { send({ type: "answer_text", text: text }); show("typed", false); show("working"); return; }
    $("submit-text").disabled = true; $("submit-text").textContent = "Scoring…"; show("working");
    try {
      const body = new FormData(); body.append("card", cardId); body.append("text", text);
      const res = await fetch("/practice/answer", { method: "POST", body: body, credentials: "same-origin" });
      const data = await res.json().catch(() => ({ error: "The server's answer could not be read.", hint: "Reload the page." }));
      if (!res.ok || data.error) { problem(data.error || "Scoring failed.", data.hint); return; }
      showResult({ html: data.html, attempt_id: data.attempt_id });
      (data.warnings || []).forEach((w) => say("info warn", w));
      show("after");
      if (data.summary_url) playUrl(data.summary_url, null);
    } catch (err) {
      problem("voicecoach could not be reached.", "Is `voicecoach serve` still running? Your text is still in the box.");
    } finally { $("submit-text").disabled = false; $("submit-text").textContent = "Score my answer"; show("working", false); }
  });
  if ($("stop-typed")) $("stop-typed").addEventListener("click", () => { send({ type: "command", command: "stop" }); show("typed", false); });

  // ---------------------------------------------------------------- buttons
  $("start-voice").addEventListener("click", async () => {
    problem("");
    $("start-voice").disabled = true;
    try { capture = await openMic(); } catch (err) { $("start-voice").disabled = false; micProblem(err); return; }
    show("choose", false); show("live");
    $("state").textContent = "Getting ready (loading speech recognition)…";
    connect("voice");
  });
  $("start-text").addEventListener("click", () => {
    problem("");
    if (mode === "interview") { typedInterview = true; show("choose", false); connect("text"); return; }
    openTyped();
    if (speak) playUrl("/practice/question/" + encodeURIComponent(cardId) + ".wav", null);
  });
  if ($("hear")) $("hear").addEventListener("click", () => playUrl("/practice/question/" + encodeURIComponent(cardId) + ".wav", null));
  $("done").addEventListener("click", () => { send({ type: "stop" }); $("done").disabled = true; $("state").textContent = "Finishing…"; });
  document.querySelectorAll("#between [data-command]").forEach((b) => b.addEventListener("click", () => {
    send({ type: "command", command: b.dataset.command }); show("between", false);
  }));
  // chart bars and pauses carry data-start: a click plays that moment
  $("feedback").addEventListener("click", (e) => {
    const el = e.target.closest("[data-start]");
    if (!el) return;
    const a = el.closest(".vc-result").querySelector("audio.attempt-audio");
    if (a) { a.currentTime = parseFloat(el.dataset.start); a.play(); }
  });
  window.voicecoachPractice = { handle: handle };  // for tests and debugging
})();
