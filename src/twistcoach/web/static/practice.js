// twistcoach browser coach: pose estimation runs here, in the browser, with the
// @mediapipe/pose files served by the app at /mp/ (never a CDN). Only landmarks leave the
// page, over the WebSocket; the camera image never does. The server runs the same
// tracker and coach as the desktop app and sends cues back, which are shown and spoken.
"use strict";

// Degrees as people read them, in whole degrees: "35°", "-12°", and "0°" for anything
// that rounds to zero (a drop of -0.3 showed "-0°"). Every degree number this page writes
// goes through here; twistcoach.metrics.degrees_text is its Python twin.
function tcDegrees(value) {
  const whole = value.toFixed(0);
  return (Number(whole) === 0 ? "0" : whole) + "°";
}

// The gauge's text: the knee drop in whole degrees, or "?" when it was not measured (the
// server sends null where the view or side cannot be measured: unknown travels as
// unknown, never a stale or guessed number).
function tcGaugeLabel(kneeDrop) {
  if (typeof kneeDrop !== "number" || !Number.isFinite(kneeDrop)) return "?";
  return tcDegrees(kneeDrop);
}

// The set-up's first check, "your whole body in view", from this browser's own landmarks
// (MediaPipe's poseLandmarks: x, y normalized to the frame, visibility in [0, 1]): the joints
// the tracker measures the twist from (by default a supine twist's shoulders, hips, knees and
// ankles, BlazePose indices 11, 12, 23-28; the page names them in the check's data-joints)
// must each be seen (visibility at least minVisibility: the tracker's own min_confidence,
// 0.5, by default) and inside the frame (0 <= x, y <= 1).
// "none": nobody found; "bad": someone, not all of them in view; "ok".
const TC_BODY_LANDMARKS = [11, 12, 23, 24, 25, 26, 27, 28];
function tcBodyInView(lm, minVisibility, joints) {
  if (!Array.isArray(lm) || lm.length === 0) return "none";
  for (const i of joints || TC_BODY_LANDMARKS) {
    const p = lm[i];
    if (!p) return "bad";
    const seen = typeof p.visibility === "number" ? p.visibility : 0;
    const inside = p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1;
    if (!(seen >= minVisibility) || !inside) return "bad";
  }
  return "ok";
}
if (typeof module !== "undefined" && module.exports) {
  module.exports = { tcDegrees, tcGaugeLabel, tcBodyInView, TC_BODY_LANDMARKS };
}

(function () {
  if (typeof document === "undefined") return;
  const root = document.getElementById("practice");
  if (!root) return;
  const sessionId = root.dataset.session;
  const cap = root.dataset.cap === "" ? null : Number(root.dataset.cap);
  const video = document.getElementById("camera");
  const canvas = document.getElementById("overlay");
  const ctx = canvas.getContext("2d");
  const cueBox = document.getElementById("cue");
  const cueLog = document.getElementById("cue-log");
  const reasonBox = document.getElementById("cue-reason");
  const statusBox = document.getElementById("status");
  const stepBox = document.getElementById("step");
  const setupPanel = document.getElementById("setup-panel");
  const setupAdvice = document.getElementById("setup-advice");
  const gaugeDrop = document.getElementById("gauge-drop");
  const gaugeBand = document.getElementById("gauge-band");
  const gaugeSaid = document.getElementById("gauge-said");
  // The page's words, in its language (rendered by the server from the message catalogue:
  // twistcoach.i18n.JS_TEXTS); "{n}" and "{words}" take a value.
  const T = JSON.parse(document.getElementById("tc-texts").textContent);
  const fill = (text, value) => text.replace(/\{(n|words)\}/, value);
  // What the gauge measures, in the page's words (the knee drop, or a seated twist's turn).
  const gaugeWords = {
    shown: gaugeSaid.dataset.shown || T.knees,
    about: gaugeSaid.dataset.about || fill(T.about, "").trim(),
    unknown: gaugeSaid.dataset.unknown || T.not_measured,
  };
  const stats = { framesSent: 0, framesWithPerson: 0, cues: 0, lastCue: "", stopped: false,
                  kneeDrop: null, cap: null, stay: null, errors: 0, state: "starting",
                  spoken: [], cancels: 0, logged: 0, gaugeFontCssPx: null,
                  camera: "starting", cameraError: "", model: "waiting", modelError: "" };
  window.tcStats = stats;
  // Cues that are set-up advice: shown on the set-up panel, where they stay, not in the
  // cue box that the next cue replaces.
  const SETUP_CUES = new Set(["camera_advice", "paused_camera_view"]);
  const SETUP_STATES = new Set(["waiting_for_person", "setting_up", "calibrating", "paused"]);
  // The coach's states before it has measured the starting position: no knee drop is
  // drawn in them, whatever a message says (the server sends none either: the tracker's
  // reading there has no measured zero).
  const BEFORE_CALIBRATION = new Set(["waiting_for_person", "setting_up", "calibrating"]);
  // The set-up screen's three checks (the verdicts are the tracker's and the coach's, sent
  // with the metrics; the whole body in view is read from this page's landmarks).
  const checkBody = document.getElementById("check-body");
  const checkPlace = document.getElementById("check-place");
  const checkCalib = document.getElementById("check-calib");
  const viewWords = document.getElementById("view-words");
  const setupChips = document.getElementById("setup-chips");
  const defaultAdvice = setupAdvice.textContent;
  // The tracker's min_confidence (tracking.Tracker's default).
  const MIN_VISIBILITY = 0.5;
  // A body verdict is shown once it has held this long (landmarks flicker frame to frame;
  // the checklist is a live region and is not re-read at 30 frames a second).
  const BODY_HOLD_MS = 700;
  const bodyJoints = checkBody && checkBody.dataset.joints
    ? checkBody.dataset.joints.split(",").map(Number) : TC_BODY_LANDMARKS;
  let bodyCandidate = { state: "waiting", since: 0 };
  stats.setup = { body: "waiting", place: "waiting", calib: "waiting", view: "", viewOk: false,
                  advice: "" };

  // BlazePose bones without the face (same as twistcoach.landmarks.BONES).
  const BONES = [[11, 12], [11, 13], [13, 15], [12, 14], [14, 16], [11, 23], [12, 24],
    [23, 24], [23, 25], [25, 27], [24, 26], [26, 28], [27, 29], [29, 31], [28, 30], [30, 32]];
  const MIN_INTERVAL_MS = 1000 / 30; // at most 30 landmark frames a second
  let lastSent = -Infinity;
  let t0 = null;
  let running = true;
  let ws = null;

  function setStatus(text) { statusBox.textContent = text; stats.state = text; }
  // "Starting the camera…", as the page first says it (a retry says it again).
  const T_STARTING = statusBox.textContent;

  // One check of the set-up list: its state (waiting, active, ok, bad: drawn by app.css)
  // and its words (the item's data-<state> text unless given); changed only when it changes.
  function setCheck(item, key, state, text) {
    if (!item) return;
    const words = text || item.dataset[state] || "";
    const said = item.querySelector(".check-said");
    if (item.dataset.state === state && said.textContent === words) return;
    item.dataset.state = state;
    said.textContent = words;
    stats.setup[key] = state;
    const chip = document.querySelector(`#setup-chips [data-for="${item.id}"]`);
    if (chip) chip.dataset.state = state;
  }

  function checkBodyInView(lm, now) {
    const state = tcBodyInView(lm ? lm : null, MIN_VISIBILITY, bodyJoints);
    if (state !== bodyCandidate.state) bodyCandidate = { state, since: now };
    else if (now - bodyCandidate.since >= BODY_HOLD_MS) setCheck(checkBody, "body", state);
  }

  // The camera's place: the tracker's verdict (view, and whether it can measure from there)
  // in the words the page has for that view; the sketch marks where the camera is now.
  // Only a place the coach has measured from (it has calibrated there) is ticked: before
  // then the tracker's verdict is a first guess (a side view was once read as a diagonal
  // one), said as "looks right so far".
  function showPlace(msg, calibrated) {
    const view = typeof msg.view === "string" ? msg.view : "";
    stats.setup.view = view;
    stats.setup.viewOk = msg.view_ok === true;
    stats.setup.advice = typeof msg.advice === "string" ? msg.advice : "";
    const word = view && viewWords ? viewWords.content.querySelector(`[data-view="${view}"]`) : null;
    const verdict = word ? word.dataset.verdict : "";
    if (!view) setCheck(checkPlace, "place", "waiting");
    else if (msg.view_ok && !calibrated) setCheck(checkPlace, "place", "active", T.place_checking);
    else if (msg.view_ok) setCheck(checkPlace, "place", "ok", verdict === "ok" ? word.textContent : "");
    else if (verdict === "wait") setCheck(checkPlace, "place", "waiting", word.textContent);
    else setCheck(checkPlace, "place", "bad", verdict === "bad" ? word.textContent : "");
    document.querySelectorAll(".cam-now").forEach(mark => {
      if (!msg.view_ok && mark.dataset.view === view) mark.removeAttribute("hidden");
      else mark.setAttribute("hidden", "");
    });
    if (typeof msg.advice === "string") {
      const advice = msg.advice || defaultAdvice;
      if (setupAdvice.textContent !== advice) setupAdvice.textContent = advice;
    }
  }

  function showCalibration(state, calibrated) {
    if (calibrated) setCheck(checkCalib, "calib", "ok");
    else if (state === "calibrating") setCheck(checkCalib, "calib", "active");
    else setCheck(checkCalib, "calib", "waiting");
  }

  // Speech: one cue at a time, spoken to its end. A cue that comes while another is being
  // spoken waits (only the newest waiting one is kept); only a safety cue interrupts (and
  // nothing interrupts the stop).
  let waiting = null;
  function say(text) {
    const synth = window.speechSynthesis;
    const u = new SpeechSynthesisUtterance(text);
    u.lang = T.speech_lang; // the browser speaks with a voice of the page's language
    u.onend = () => { if (waiting !== null) { const next = waiting; waiting = null; say(next); } };
    stats.spoken.push(text);
    synth.speak(u);
  }
  function speak(text, urgent) {
    try {
      const synth = window.speechSynthesis;
      if (!synth) return;
      if (urgent && !stats.stopped) {
        // Once stopped, the stop being said is not cut off: later cues wait for it.
        waiting = null;
        if (synth.speaking || synth.pending) { synth.cancel(); stats.cancels += 1; }
        say(text);
      } else if (synth.speaking || synth.pending) {
        waiting = text;
      } else {
        say(text);
      }
    } catch (e) { /* speech is optional */ }
  }

  function logCue(text) {
    const item = document.createElement("li");
    item.textContent = text;
    cueLog.prepend(item);
    stats.logged += 1;
  }

  function showCue(msg) {
    stats.cues += 1;
    stats.lastCue = msg.text;
    const urgent = msg.priority === "safety";
    if (SETUP_CUES.has(msg.id)) {
      // A long paragraph: kept on the set-up panel, said once.
      setupAdvice.textContent = msg.text;
      setupPanel.hidden = false;
      if (urgent) { cueBox.textContent = msg.text; cueBox.className = "cue priority-safety"; }
    } else {
      cueBox.textContent = msg.text;
      cueBox.className = "cue priority-" + (msg.priority || "info");
      reasonBox.textContent = msg.reason ? T.why + " " + msg.reason : "";
    }
    logCue(msg.text);
    speak(msg.text, urgent);
  }

  function stopLocal(words) {
    running = false;
    if (!stats.stopped) setStatus(fill(T.session_ended, words));
    stats.stopped = true;
    document.body.classList.add("session-ended");
    // "Sharp pain — stop" stays: sharp pain felt coming out of the twist still counts.
    document.querySelectorAll(".pain button, #end, #camera-retry")
      .forEach(b => { b.disabled = true; });
    if (stats.stopReason === "sharp_pain" || stats.sharpAfter) {
      document.getElementById("sharp").disabled = true;
    }
    const stream = video.srcObject;
    if (stream) stream.getTracks().forEach(t => t.stop());
  }

  // The socket opens once the camera has started (a page without a camera keeps no idle
  // connection, which the server would close after a minute, while the person allows the
  // camera). A pain report, sharp pain or the end said before then opens it and waits in
  // the outbox until it is open: they always reach the coach. Frames never wait.
  const outbox = [];
  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(obj)); return; }
    if (obj.type === "landmarks") return;
    outbox.push(obj);
    if (ws === null) connect();
  }

  function drawGauge(kneeDrop, cap, stay) {
    // A half dial under the image: -90 (left) .. +90 (right) degrees of knee drop, with
    // the plan's cap as a green band on each side (amber from where the coach says "stay
    // here") and the needle at the current drop.
    const r = Math.max(40, Math.min(canvas.width, canvas.height) * 0.16);
    // Text at least 16 CSS pixels tall however small the canvas is shown (a phone).
    const scale = canvas.clientWidth > 0 ? canvas.width / canvas.clientWidth : 1;
    const fontPx = Math.max(r * 0.22, 16 * scale);
    stats.gaugeFontCssPx = fontPx / scale;
    const cx = canvas.width - r - 24, cy = r + 30;
    const ang = d => Math.PI * 1.5 + (d / 90) * (Math.PI / 2);
    // A dark card behind the dial and its labels, readable over any image.
    ctx.fillStyle = "rgba(0,0,0,0.55)";
    const bottom = cy + r * 0.3 + (cap !== null ? fontPx * 1.1 : 0) + fontPx * 0.45;
    ctx.fillRect(cx - r - 14, cy - r - 14, 2 * r + 28, bottom - (cy - r - 14));
    ctx.lineWidth = Math.max(6, r * 0.14);
    ctx.strokeStyle = "rgba(200,60,60,0.7)";
    ctx.beginPath(); ctx.arc(cx, cy, r, Math.PI, 2 * Math.PI); ctx.stroke();
    if (cap !== null) {
      ctx.strokeStyle = "rgba(40,170,90,0.9)";
      ctx.beginPath(); ctx.arc(cx, cy, r, ang(-cap), ang(cap)); ctx.stroke();
      if (stay !== null && stay < cap) {
        ctx.strokeStyle = "rgba(245,180,40,0.95)";
        ctx.beginPath(); ctx.arc(cx, cy, r, ang(-cap), ang(-stay)); ctx.stroke();
        ctx.beginPath(); ctx.arc(cx, cy, r, ang(stay), ang(cap)); ctx.stroke();
      }
    }
    ctx.fillStyle = "#fff";
    ctx.font = "bold " + Math.round(fontPx) + "px sans-serif";
    ctx.textAlign = "center";
    const measured = tcGaugeLabel(kneeDrop) !== "?";
    ctx.fillText(tcGaugeLabel(kneeDrop), cx, cy + r * 0.3);
    if (cap !== null) ctx.fillText(fill(T.cap, tcDegrees(cap)), cx, cy + r * 0.3 + fontPx * 1.1);
    if (measured) {
      const a = ang(Math.max(-90, Math.min(90, kneeDrop)));
      ctx.strokeStyle = "#fff"; ctx.lineWidth = 4;
      ctx.beginPath(); ctx.moveTo(cx, cy);
      ctx.lineTo(cx + Math.cos(a) * (r + 6), cy + Math.sin(a) * (r + 6)); ctx.stroke();
    }
  }

  function onResults(results) {
    canvas.width = results.image.width;
    canvas.height = results.image.height;
    ctx.drawImage(results.image, 0, 0, canvas.width, canvas.height);
    const lm = results.poseLandmarks;
    const now = performance.now();
    if (t0 === null) t0 = now;
    if (lm) {
      ctx.strokeStyle = "#39f"; ctx.lineWidth = 3;
      for (const [a, b] of BONES) {
        ctx.beginPath();
        ctx.moveTo(lm[a].x * canvas.width, lm[a].y * canvas.height);
        ctx.lineTo(lm[b].x * canvas.width, lm[b].y * canvas.height);
        ctx.stroke();
      }
      ctx.fillStyle = "#ff0";
      for (const p of lm) {
        ctx.beginPath(); ctx.arc(p.x * canvas.width, p.y * canvas.height, 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    if (running) checkBodyInView(lm, now);
    drawGauge(stats.kneeDrop, cap === null ? null : Math.min(cap, stats.cap || cap), stats.stay);
    if (running && now - lastSent >= MIN_INTERVAL_MS) {
      lastSent = now;
      const frame = { type: "landmarks", t: (now - t0) / 1000, w: canvas.width, h: canvas.height,
        lm: lm ? lm.map(p => [round(p.x), round(p.y), round(p.z), round(p.visibility || 0)]) : null };
      send(frame);
      stats.framesSent += 1;
      if (lm) stats.framesWithPerson += 1;
    }
  }

  function round(v) { return Math.round(v * 10000) / 10000; }

  function showMetrics(msg) {
    // Defence in depth: a number only once the coach has calibrated and is past setting up
    // (the server already sends none before then).
    const calibrated = msg.calibrated === true && !BEFORE_CALIBRATION.has(msg.state);
    stats.setup.calibrated = calibrated;
    stats.kneeDrop = calibrated && typeof msg.knee_drop === "number" ? msg.knee_drop : null;
    stats.cap = msg.cap;
    stats.stay = msg.stay;
    stats.coachState = msg.state;
    stepBox.textContent = msg.step;
    gaugeDrop.textContent = gaugeWords.shown + " " + tcGaugeLabel(stats.kneeDrop);
    // The screen readers' live region changes only when the reading moves 5 degrees (or
    // becomes known or unknown): it is not read a number five times a second.
    const said = stats.kneeDrop === null
      ? gaugeWords.unknown
      : gaugeWords.about + " " + tcGaugeLabel(5 * Math.round(stats.kneeDrop / 5)) +
        (typeof msg.cap === "number" ? ", " + fill(T.range_up_to, tcDegrees(msg.cap)) : "");
    if (gaugeSaid.textContent !== said) gaugeSaid.textContent = said;
    if (typeof msg.cap === "number") gaugeBand.textContent = fill(T.up_to, tcDegrees(msg.cap));
    showPlace(msg, calibrated);
    showCalibration(msg.state, calibrated);
    // The set-up panel stays until the coach has calibrated (or comes back to a pause).
    setupPanel.hidden = !SETUP_STATES.has(msg.state);
    if (setupChips) setupChips.hidden = setupPanel.hidden;
  }

  // One server message (the socket's; tests may call it through window.tcHandle).
  function handle(msg) {
    if (msg.type === "cue") {
      if (!stats.stopped || msg.priority === "safety") showCue(msg);
    } else if (msg.type === "metrics") showMetrics(msg);
    else if (msg.type === "error") { stats.errors += 1; setStatus(T.problem + " " + msg.message); }
    else if (msg.type === "status" && typeof msg.text === "string") setStatus(msg.text);
    else if (msg.type === "stopped") {
      // The stop cue came just before, as a cue: it is not shown or logged twice.
      if (msg.text && msg.text !== stats.lastCue) showCue({ text: msg.text, priority: "safety" });
      stats.stopReason = msg.reason;
      if (msg.reason === "no_camera") stopLocal(cameraProblem.dataset.ended);
      else if (msg.status === "interrupted") {
        // Ended before anything reached the coach (the pose model never loaded): nothing
        // was practised, so no pain after it is asked.
        stopLocal(typeof msg.words === "string" && msg.words ? msg.words : T.stopped);
      } else {
        stopLocal(msg.status === "completed" ? T.well_done : T.stopped);
        askEndPain();
      }
    }
  }

  // "How is your back now?": the pain after the session, asked once the coach has finished
  // (done, stopped, stopped early). The record is closed by then, so the answer goes
  // through the API as the session's end pain. Never after sharp pain: its advice stays
  // alone, and "Sharp pain — stop" stays usable whatever is asked here.
  const endPain = document.getElementById("end-pain");
  const endPainSaid = document.getElementById("end-pain-said");
  const endPainSave = document.getElementById("end-pain-save");
  function askEndPain() {
    if (stats.stopReason === "sharp_pain" || stats.sharpAfter || stats.endPainAsked) return;
    stats.endPainAsked = true;
    endPain.hidden = false;
  }
  endPain.addEventListener("submit", async ev => {
    ev.preventDefault();
    const chosen = endPain.querySelector('input[name="end_pain"]:checked');
    if (!chosen) { endPainSaid.textContent = T.end_pain_choose; return; }
    endPainSave.disabled = true;
    let why = T.connection_closed;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      let r = null;
      try {
        r = await fetch("/api/sessions/" + encodeURIComponent(sessionId) + "/end-pain", {
          method: "POST",
          headers: { "X-CSRF-Token": root.dataset.csrf || "", "Content-Type": "application/json" },
          credentials: "same-origin",
          body: JSON.stringify({ end_pain: Number(chosen.value) }),
        });
      } catch (e) { r = null; }
      if (r !== null && r.ok) {
        endPain.querySelectorAll("input, button").forEach(b => { b.disabled = true; });
        endPainSaid.textContent = T.end_pain_noted;
        stats.endPain = Number(chosen.value);
        return;
      }
      if (r !== null) {
        why = String(r.status);
        try {
          const detail = (await r.json()).detail;
          if (typeof detail === "string") why = detail;
        } catch (e) { /* keep the status */ }
        // 409 may be the server still storing the session's end: ask again in a moment.
        if (r.status !== 409) break;
      }
      await new Promise(done => setTimeout(done, 1000));
    }
    endPainSave.disabled = false;
    endPainSaid.textContent = T.end_pain_not_noted + " " + why;
  });
  document.getElementById("end-pain-skip").addEventListener("click", () => {
    endPain.hidden = true;
  });
  window.tcHandle = handle;

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const body = encodeURIComponent(root.dataset.body || "neutral");
    ws = new WebSocket(
      proto + location.host + "/ws/practice/" + encodeURIComponent(sessionId) + "?body=" + body +
        "&lang=" + encodeURIComponent(document.documentElement.lang || "en")
    );
    ws.onopen = () => {
      // Never over the pose model's problem, which says what to do.
      if (stats.camera === "started" && stats.model !== "failed" && stats.model !== "slow") {
        setStatus(T.connected);
      }
      while (outbox.length > 0 && ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify(outbox.shift()));
      }
    };
    ws.onmessage = ev => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      handle(msg);
    };
    ws.onclose = () => { if (running) stopLocal(T.connection_closed); };
  }

  document.querySelectorAll(".pain button").forEach(button => {
    button.addEventListener("click", () => send({ type: "pain", level: Number(button.dataset.level) }));
  });
  const sharp = document.getElementById("sharp");
  // Sharp pain after the session ended (felt coming out of the twist): the server stores
  // it as the session's sharp-pain stop, so the rest of the day is locked as for a stop in
  // the session. Said at once here, whatever the network does.
  async function sharpAfterTheEnd() {
    if (stats.sharpAfter || stats.stopReason === "sharp_pain") return;
    stats.sharpAfter = true;
    sharp.disabled = true;
    endPain.hidden = true;  // sharp pain's advice alone: its end pain is not asked now
    speak(T.stop_now, true);
    cueBox.textContent = T.stop_now;
    cueBox.className = "cue priority-safety";
    reasonBox.textContent = "";  // the end's own reason ("you ended it") no longer applies
    cueBox.scrollIntoView({ block: "center" });
    let why = T.connection_closed;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      let r = null;
      try {
        r = await fetch("/api/sessions/" + encodeURIComponent(sessionId) + "/sharp", {
          method: "POST", headers: { "X-CSRF-Token": root.dataset.csrf || "" },
          credentials: "same-origin",
        });
      } catch (e) { r = null; }
      if (r !== null && r.ok) {
        stats.stopReason = "sharp_pain";
        cueBox.textContent = T.stop_now + " " + T.sharp_noted;  // said where it is seen
        setStatus(T.sharp_noted);
        return;
      }
      if (r !== null) {
        why = String(r.status);
        try { why = (await r.json()).detail || why; } catch (e) { /* keep the status */ }
        // 409 may be the server still storing the session's end: ask again in a moment.
        if (r.status !== 409) break;
      }
      await new Promise(done => setTimeout(done, 1000));
    }
    setStatus(T.sharp_not_noted + " " + why);
    cueBox.textContent = T.stop_now + " " + T.sharp_not_noted + " " + why;
  }
  function stopForSharpPain() {
    if (stats.stopped) { sharpAfterTheEnd(); return; }
    // No open socket (refused: the session is open in another tab; not yet connected):
    // the server hears it through the API, and the coaching socket stops for it.
    const viaApi = !(ws && ws.readyState === WebSocket.OPEN);
    // Stop here at once, whatever the network does; the server stops and records it too,
    // and its stop cue (the one logged) follows.
    send({ type: "sharp" });
    speak(T.stop_now, true);
    cueBox.textContent = T.stop_now;
    cueBox.className = "cue priority-safety";
    stopLocal(T.sharp_pain);
    if (viaApi) sharpAfterTheEnd();
  }
  sharp.addEventListener("click", stopForSharpPain);
  // The big keyboard shortcut (aria-keyshortcuts="Escape" on the button): Esc stops.
  document.addEventListener("keydown", ev => {
    // After the end only the button itself reports sharp pain (a stray Esc must not).
    if (ev.key === "Escape" && !ev.repeat && !stats.stopped) {
      ev.preventDefault();
      stopForSharpPain();
    }
  });
  // Ended before the camera ever started, or before the pose model loaded: the server
  // stores that nothing was practised and why (it checks that no frame came), not practice
  // stopped early.
  document.getElementById("end").addEventListener("click", () => {
    if (stats.camera !== "started") send({ type: "end", reason: "no_camera" });
    else if (stats.model !== "ready") send({ type: "end", reason: "no_pose_model" });
    else send({ type: "end" });
  });

  // Why the browser gave no camera (getUserMedia's DOMException names), in the words the
  // page has for it: never the browser's own English reason.
  const cameraProblem = document.getElementById("camera-problem");
  const cameraWords = document.getElementById("camera-words");
  const CAMERA_KINDS = {
    NotAllowedError: "blocked", PermissionDeniedError: "blocked", SecurityError: "blocked",
    NotFoundError: "missing", DevicesNotFoundError: "missing", OverconstrainedError: "missing",
    NotReadableError: "busy", TrackStartError: "busy", AbortError: "busy",
    Unsupported: "unsupported",
  };
  function showCameraProblem(error) {
    const kind = CAMERA_KINDS[error && error.name] || "other";
    stats.camera = kind;
    stats.cameraError = error && error.name ? String(error.name) : "";
    const word = cameraWords.content.querySelector(`[data-kind="${kind}"]`);
    setStatus(cameraProblem.dataset.status);
    cameraProblem.hidden = false;
    document.getElementById("camera-problem-said").textContent = word ? word.textContent : "";
    // Nothing to try again where the browser offers no camera at all.
    document.getElementById("camera-retry").hidden = kind === "unsupported";
  }
  // The pose model's problem is said in the same box, with the same "Try again" (it comes
  // only once the camera has started, so the two never show at once).
  function showModelProblem(kind, error) {
    stats.model = kind;
    stats.modelError = error ? String(error && error.message ? error.message : error) : "";
    setStatus(T.model_status);
    cameraProblem.hidden = false;
    document.getElementById("camera-problem-said").textContent =
      kind === "slow" ? T.model_slow : T.model_failed;
    document.getElementById("camera-retry").hidden = false;
  }
  document.getElementById("camera-retry").addEventListener("click", () => {
    if (stats.stopped) return;
    // One request at a time (a second tap while the browser asks changes nothing).
    if (stats.camera === "started") {
      if (stats.model === "failed" || stats.model === "slow") startModel();
    } else if (stats.camera !== "starting") start();
  });

  async function start() {
    let stream;
    stats.camera = "starting";
    setStatus(T_STARTING);
    try {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        throw { name: "Unsupported" };
      }
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (e) {
      showCameraProblem(e);
      return;
    }
    if (stats.stopped) { stream.getTracks().forEach(t => t.stop()); return; }
    stats.camera = "started";
    cameraProblem.hidden = true;
    if (ws === null) connect();
    video.srcObject = stream;
    try { await video.play(); } catch (e) { /* a muted inline video plays; frames still come */ }
    await startModel();
  }

  // The pose model (MediaPipe's files from /mp/, about 15 MB): a failed request says so at
  // once, and a load still going after MODEL_TIMEOUT_MS is said to be slow, both with
  // "Try again" (a slow load that finishes later still goes on). Tests may shorten the wait
  // with window.tcModelTimeoutMs.
  const MODEL_TIMEOUT_MS = typeof window.tcModelTimeoutMs === "number"
    ? window.tcModelTimeoutMs : 90000;
  let modelTry = 0;
  // Free a pose model not used (failed, or overtaken by a retry); closing one that never
  // loaded may itself fail, which changes nothing.
  function closePose(pose) {
    if (pose) Promise.resolve().then(() => pose.close()).catch(() => {});
  }
  async function startModel() {
    const attempt = ++modelTry;
    stats.model = "loading";
    cameraProblem.hidden = true;
    if (!stats.stopped) setStatus(T.loading);
    let pose = null;
    const timer = setTimeout(() => {
      if (attempt === modelTry && stats.model === "loading" && !stats.stopped) {
        showModelProblem("slow");
      }
    }, MODEL_TIMEOUT_MS);
    try {
      if (typeof Pose !== "function") throw new Error("pose.js did not load");
      pose = new Pose({ locateFile: f => "/mp/" + f });
      // Model, smoothing and thresholds as the Python estimator's (estimator.py), from the page.
      pose.setOptions(Object.assign({ useCpuInference: true }, JSON.parse(root.dataset.pose)));
      pose.onResults(onResults);
      await pose.initialize();
    } catch (e) {
      clearTimeout(timer);
      closePose(pose);
      if (attempt === modelTry && !stats.stopped) showModelProblem("failed", e);
      return;
    }
    clearTimeout(timer);
    if (attempt !== modelTry || stats.stopped) {
      // A later "Try again" took over (or the session ended): this one is not used.
      closePose(pose);
      return;
    }
    stats.model = "ready";
    cameraProblem.hidden = true;
    if (!stats.stopped) setStatus(T.watching);
    while (running) {
      if (video.readyState >= 2) {
        try { await pose.send({ image: video }); } catch (e) { setStatus(T.pose_error + " " + e); }
      }
      await new Promise(r => requestAnimationFrame(r));
    }
  }
  start();
})();
