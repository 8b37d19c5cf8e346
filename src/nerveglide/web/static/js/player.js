// The session player. The server computes the timeline (nerveglide.domain.pacing); this
// script walks it on the page's clock (sped up only when the app's clock_speed setting
// says so), saves each repetition as it completes (queued in localStorage until the
// server has it), speaks the cues, and always offers "Stop: it hurts".
// In camera mode (the /coach page; coach.js) a repetition's steps wait for the live
// coach to count it, which the server saves; rests and the rest still run on the clock.
(function () {
  "use strict";
  var root = document.getElementById("player");
  if (!root) return;
  var data = JSON.parse(document.getElementById("player-data").textContent);
  var sessionId = data.session.id;
  var speed = data.clock_speed || 1;
  var steps = data.timeline;
  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    glide: $("p-glide"), where: $("p-where"), kind: $("p-kind"), cue: $("p-cue"),
    instruction: $("p-instruction"), ring: $("p-ring"), seconds: $("p-seconds"),
    start: $("p-start"), pause: $("p-pause"), skip: $("p-skip"), redo: $("p-redo"),
    end: $("p-end"), hurts: $("p-hurts"), speech: $("p-speech"), counts: $("p-counts"),
    save: $("p-save"), live: $("p-live"), dialog: $("hurt-dialog"), hurtForm: $("hurt-form"),
    hurtError: $("hurt-error"), advice: $("advice"), after: $("after"),
    afterForm: $("after-form"), afterError: $("after-error"), summary: $("summary"),
    summaryCounts: $("summary-counts")
  };
  var KIND_LABEL = {
    get_ready: "Get into position", move: "Move", hold: "Hold", "return": "Return",
    rest_rep: "Rest", rest_set: "Rest between sets", switch_leg: "Switch legs",
    next_glide: "Next glide"
  };
  var REP_KINDS = { move: true, hold: true, "return": true };
  // Camera mode: repetitions advance when the live coach counts them (coach.js).
  var cameraMode = !!data.camera;

  // The page's speech queue: every cue the player spoke, in order (tests read it too).
  window.nerveglideSpeech = window.nerveglideSpeech || [];

  function clock() { return performance.now() / 1000 * speed; }
  function wallTime(t) { return new Date(performance.timeOrigin + t * 1000 / speed).toISOString(); }
  function repKey(s) { return [s.exercise_id, s.leg, s.set_no, s.rep_no].join("|"); }

  // --- counts and attempts from what the server already has -----------------------------
  var attempts = {};
  var counts = {};
  data.session.repetitions.forEach(function (r) {
    var key = [r.exercise_id, r.leg, r.set_no, r.rep_no].join("|");
    attempts[key] = Math.max(attempts[key] || 0, r.attempt);
  });
  Object.keys(attempts).forEach(function (key) {
    var parts = key.split("|");
    var legKey = parts[0] + "|" + parts[1];
    counts[legKey] = (counts[legKey] || 0) + 1;
  });

  // --- saving, with a queue that survives a lost connection or a closed tab --------------
  var queueKey = "nerveglide.pending." + sessionId;
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(queueKey) || "[]"); } catch (e) { return []; }
  }
  function storeQueue(queue) {
    try { localStorage.setItem(queueKey, JSON.stringify(queue)); } catch (e) { /* private mode */ }
  }
  var queue = loadQueue();
  // API writes carry the login session's CSRF token (the page's <meta name="csrf-token">).
  function jsonHeaders() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.getAttribute("content") : "" };
  }
  var flushing = false;
  function flush() {
    if (flushing || !queue.length) { showSaveStatus(); return; }
    flushing = true;
    var body = queue[0];
    fetch("/api/sessions/" + sessionId + "/repetitions", {
      method: "PUT", headers: jsonHeaders(), body: JSON.stringify(body)
    }).then(function (response) {
      flushing = false;
      if (response.ok || response.status === 422) {
        // 422: the server refuses it for good (it says why); keeping it would block the rest.
        queue.shift();
        storeQueue(queue);
        flush();
      } else {
        setTimeout(flush, 3000);
        showSaveStatus();
      }
    }).catch(function () {
      flushing = false;
      showSaveStatus();
      setTimeout(flush, 3000);
    });
  }
  function showSaveStatus() {
    ui.save.textContent = queue.length
      ? queue.length + " repetition" + (queue.length === 1 ? "" : "s") + " waiting to be saved (no connection)."
      : "Every repetition is saved.";
  }
  window.addEventListener("online", flush);

  // --- sound and speech ------------------------------------------------------------------
  var audio = null;
  function tone() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 523;
      gain.gain.setValueAtTime(0.0001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.08, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
    } catch (e) { /* no audio here: the cue is still shown */ }
  }
  function speak(text) {
    window.nerveglideSpeech.push(text);
    if (!ui.speech.checked || !("speechSynthesis" in window)) return;
    try {
      window.speechSynthesis.cancel();
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.rate = 0.95;
      window.speechSynthesis.speak(utterance);
    } catch (e) { /* speech unavailable: the cue is on screen */ }
  }

  // --- the figure, in step with the phase -------------------------------------------------
  var figures = {};
  Array.prototype.forEach.call(document.querySelectorAll(".player-figure .fig"), function (fig) {
    var svg = fig.querySelector("svg");
    if (svg && svg.pauseAnimations) svg.pauseAnimations();
    figures[fig.getAttribute("data-glide")] = {
      box: fig, svg: svg, phases: svg ? JSON.parse(svg.getAttribute("data-phases") || "[]") : []
    };
  });
  function showFigure(step, fraction) {
    Object.keys(figures).forEach(function (g) { figures[g].box.hidden = g !== step.exercise_id; });
    var fig = figures[step.exercise_id];
    if (!fig || !fig.svg || !fig.svg.setCurrentTime) return;
    var phase = null;
    for (var i = 0; i < fig.phases.length; i++) {
      if (fig.phases[i].id === step.phase_id) phase = fig.phases[i];
      if (!phase && step.kind.indexOf("rest") === 0 && fig.phases[i].kind === "rest") phase = fig.phases[i];
    }
    var t = phase ? phase.start + (phase.end - phase.start) * Math.min(1, Math.max(0, fraction)) : 0;
    fig.svg.setCurrentTime(t);
  }

  // --- the player: the same rules as nerveglide.domain.pacing.Player --------------------
  var player = { index: 0, stepStart: 0, pausedAt: null, state: "idle", repStart: null, hold: null };

  function current() { return steps[player.index]; }
  function sameRep(a, b) { return b && REP_KINDS[b.kind] && repKey(a) === repKey(b); }

  function enter(at) {
    var step = current();
    if (REP_KINDS[step.kind] && player.repStart === null) player.repStart = at;
    announce(step);
  }

  function advance(at) {
    var step = current();
    if (step.kind === "hold") player.hold = at - player.stepStart;
    var next = steps[player.index + 1];
    if (REP_KINDS[step.kind] && !sameRep(step, next)) completeRep(step, at);
    if (!next) { finish(at, false); return; }
    player.index += 1;
    player.stepStart = at;
    enter(at);
  }

  function completeRep(step, at) {
    var key = repKey(step);
    var attempt = (attempts[key] || 0) + 1;
    if (attempt === 1) {
      var legKey = step.exercise_id + "|" + step.leg;
      counts[legKey] = (counts[legKey] || 0) + 1;
    }
    attempts[key] = attempt;
    queue.push({
      exercise_id: step.exercise_id, leg: step.leg, set_no: step.set_no, rep_no: step.rep_no,
      attempt: attempt, started_at: wallTime(player.repStart === null ? at : player.repStart),
      ended_at: wallTime(at), hold_s: player.hold === null ? null : Math.round(player.hold * 1000) / 1000
    });
    storeQueue(queue);
    player.repStart = null;
    player.hold = null;
    renderCounts();
    flush();
  }

  function tick() {
    if (player.state !== "running") return;
    var now = clock();
    while (player.state === "running") {
      var step = current();
      if (cameraMode && REP_KINDS[step.kind]) break;  // the camera counts this one
      var end = player.stepStart + step.seconds;
      if (now < end) break;
      advance(end);
    }
  }

  function start() {
    if (!steps.length) { finish(clock(), false); return; }
    player.state = "running";
    player.stepStart = clock();
    enter(player.stepStart);
    setButtons();
  }

  function pause() {
    if (player.state !== "running") return;
    tick();
    if (player.state !== "running") return;
    player.state = "paused";
    player.pausedAt = clock();
    draw();  // the countdown shows the paused time now, not at the next frame
    ui.live.textContent = "Paused.";
    setButtons();
  }

  function resume() {
    if (player.state !== "paused") return;
    var now = clock();
    player.stepStart += now - player.pausedAt;
    player.pausedAt = null;
    player.state = "running";
    ui.live.textContent = "Resumed.";
    setButtons();
  }

  function skip() {
    if (player.state !== "running" && player.state !== "paused") return;
    var paused = player.state === "paused";
    var at = paused ? player.pausedAt : clock();
    advance(at);
    if (paused && player.state === "running") { player.stepStart = at; player.pausedAt = at; player.state = "paused"; }
  }

  function redo() {
    if (player.state !== "running" && player.state !== "paused") return;
    var step = current();
    if (!REP_KINDS[step.kind] && step.kind !== "rest_rep" && step.kind !== "rest_set") return;
    var key = repKey(step);
    for (var i = 0; i < steps.length; i++) {
      if (REP_KINDS[steps[i].kind] && repKey(steps[i]) === key) {
        var at = player.state === "paused" ? player.pausedAt : clock();
        player.index = i;
        player.stepStart = at;
        player.repStart = null;
        player.hold = null;
        enter(at);
        return;
      }
    }
  }

  function finish(at, early) {
    player.state = "finished";
    ui.kind.textContent = early ? "Session ended" : "Well done";
    ui.cue.textContent = early ? "You ended the session." : "That's the whole session.";
    ui.instruction.textContent = "";
    ui.seconds.textContent = "";
    speak(early ? "Session ended." : "Well done. That's the whole session.");
    setButtons();
    showAfter(early ? "ended_early" : "completed");
    window.dispatchEvent(new CustomEvent("nerveglide:finished", { detail: { early: early } }));
  }

  // --- what the person sees and hears -----------------------------------------------------
  function announce(step) {
    var name = data.names[step.exercise_id] || step.exercise_id;
    ui.glide.textContent = name;
    var where = step.leg.charAt(0).toUpperCase() + step.leg.slice(1) + " leg";
    if (REP_KINDS[step.kind] || step.kind === "rest_rep") {
      where += " · Set " + step.set_no + " of " + step.sets + " · Rep " + step.rep_no + " of " + step.reps;
    }
    ui.where.textContent = where;
    ui.kind.textContent = KIND_LABEL[step.kind] || step.kind;
    ui.cue.textContent = step.cue;
    ui.instruction.textContent = step.step_item ? (data.step_texts[step.step_item] || "") : "";
    root.setAttribute("data-step-index", String(step.index));
    root.setAttribute("data-step-kind", step.kind);
    ui.live.textContent = where + ". " + step.cue;
    tone();
    speak(step.cue);
    window.dispatchEvent(new CustomEvent("nerveglide:step", { detail: step }));
  }

  function renderCounts() {
    ui.counts.innerHTML = "";
    data.plan.forEach(function (row) {
      var key = row.exercise_id + "|" + row.leg;
      var li = document.createElement("li");
      li.setAttribute("data-count", key);
      li.textContent = (data.names[row.exercise_id] || row.exercise_id) + ", " + row.leg + " leg: " +
        (counts[key] || 0) + " of " + row.total;
      ui.counts.appendChild(li);
    });
  }

  var CIRCUMFERENCE = 100;
  function draw() {
    if (player.state === "running" || player.state === "paused") {
      tick();
      if (player.state === "running" || player.state === "paused") {
        var step = current();
        var now = player.state === "paused" ? player.pausedAt : clock();
        var elapsed = Math.max(0, now - player.stepStart);
        var left = Math.max(0, step.seconds - elapsed);
        var fraction = step.seconds > 0 ? elapsed / step.seconds : 1;
        var paced = cameraMode && REP_KINDS[step.kind];  // your own pace: no countdown
        ui.ring.setAttribute("stroke-dashoffset", String(paced ? 0 : CIRCUMFERENCE * Math.min(1, fraction)));
        ui.seconds.textContent = paced ? "" : String(Math.ceil(left));
        showFigure(step, fraction);
      }
    }
  }
  function render() {
    draw();
    window.requestAnimationFrame(render);
  }
  // rAF stops in a hidden tab; the interval keeps repetitions counted and saved there.
  setInterval(tick, 250);

  function setButtons() {
    var active = player.state === "running" || player.state === "paused";
    ui.start.hidden = player.state !== "idle";
    ui.pause.disabled = !active;
    ui.skip.disabled = !active;
    ui.redo.disabled = !active;
    ui.pause.textContent = player.state === "paused" ? "Resume" : "Pause";
    ui.pause.setAttribute("aria-pressed", String(player.state === "paused"));
    ui.end.disabled = player.state === "finished";
    ui.hurts.disabled = player.state === "finished";
  }

  // --- "Stop: it hurts" -------------------------------------------------------------------
  function itHurts() {
    if (player.state === "finished") return;
    if (player.state === "running") pause();
    ui.hurtError.hidden = true;
    if (ui.dialog.showModal) ui.dialog.showModal(); else ui.dialog.setAttribute("open", "");
  }

  ui.hurtForm.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "cancel") return;  // back to the (paused) session
    event.preventDefault();
    var areas = Array.prototype.map.call(
      ui.hurtForm.querySelectorAll('input[name="area"]:checked'),
      function (box) { var p = box.value.split(":"); return { area: p[0], side: p[1] }; });
    var pain = ui.hurtForm.querySelector('input[name="pain"]:checked');
    if (!areas.length || !pain) {
      ui.hurtError.textContent = !areas.length ? "Tick where it hurts." : "Choose how much it hurts, 0 to 10.";
      ui.hurtError.hidden = false;
      return;
    }
    var step = player.state === "idle" ? null : current();
    var body = {
      pain: Number(pain.value), areas: areas, occurred_at: new Date().toISOString(),
      exercise_id: step ? step.exercise_id : null, leg: step ? step.leg : null,
      set_no: step ? step.set_no : null, rep_no: step ? step.rep_no : null,
      step_kind: step ? step.kind : null
    };
    fetch("/api/sessions/" + sessionId + "/stop", {
      method: "POST", headers: jsonHeaders(), body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      ui.dialog.close();
      player.state = "finished";
      setButtons();
      ui.kind.textContent = "Stopped";
      ui.cue.textContent = "You stopped because it hurt.";
      speak("Stopped. Your answers are saved.");
      ui.advice.hidden = false;
      ui.advice.focus();
      showAfter("completed");
      window.dispatchEvent(new CustomEvent("nerveglide:finished", { detail: { early: true, hurt: true } }));
    }).catch(function () {
      ui.hurtError.textContent = "Could not save: check your connection and press Save again.";
      ui.hurtError.hidden = false;
    });
  });

  // --- after the session --------------------------------------------------------------------
  var finishStatus = "completed";
  function showAfter(status) {
    finishStatus = status;
    ui.after.hidden = false;
    if (ui.advice.hidden) ui.after.focus();
  }
  ui.afterForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var back = ui.afterForm.querySelector('input[name="after_back"]:checked');
    var leg = ui.afterForm.querySelector('input[name="after_leg"]:checked');
    var worse = ui.afterForm.querySelector('input[name="worse"]:checked');
    var spread = ui.afterForm.querySelector('input[name="spread"]:checked');
    if (!back || !leg || !worse || !spread) {
      ui.afterError.textContent = "Please answer the four questions.";
      ui.afterError.hidden = false;
      return;
    }
    var body = {
      status: finishStatus, pain_after: { back: Number(back.value), leg: Number(leg.value) },
      felt_worse: worse.value === "yes", spread: spread.value === "yes",
      felt_worse_note: ui.afterForm.elements.worse_note.value || null
    };
    flush();
    fetch("/api/sessions/" + sessionId + "/finish", {
      method: "POST", headers: jsonHeaders(), body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (saved) {
      ui.after.hidden = true;
      ui.summaryCounts.innerHTML = "";
      saved.counts.forEach(function (c) {
        var li = document.createElement("li");
        li.textContent = (data.names[c.exercise_id] || c.exercise_id) + ", " + c.leg + " leg: " + c.reps + " repetitions";
        ui.summaryCounts.appendChild(li);
      });
      ui.summary.hidden = false;
      ui.summary.focus();
    }).catch(function () {
      ui.afterError.textContent = "Could not save: check your connection and press Save again.";
      ui.afterError.hidden = false;
    });
  });

  // --- controls and keys --------------------------------------------------------------------
  ui.start.addEventListener("click", start);
  ui.pause.addEventListener("click", function () { if (player.state === "paused") resume(); else pause(); });
  ui.skip.addEventListener("click", skip);
  ui.redo.addEventListener("click", redo);
  ui.end.addEventListener("click", function () {
    if (player.state === "finished") return;
    tick();
    finish(clock(), true);
  });
  ui.hurts.addEventListener("click", itHurts);
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || ui.dialog.open) return;
    var tag = event.target && event.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (event.key === " ") {
      if (tag === "BUTTON" || tag === "A") return;  // Space presses the focused control
      event.preventDefault();
      if (player.state === "idle") start(); else if (player.state === "paused") resume(); else pause();
    } else if (event.key === "s" || event.key === "S") {
      event.preventDefault();
      ui.end.click();
    } else if (event.key === "h" || event.key === "H") {
      event.preventDefault();
      itHurts();
    }
  });

  // --- what the camera coach (coach.js) may do -----------------------------------------------
  function counted(rep) {
    // A repetition the live coach counted and the server saved: move past its steps.
    var key = [rep.exercise_id, rep.leg, rep.set_no, rep.rep_no].join("|");
    if (!attempts[key]) {
      attempts[key] = 1;
      var legKey = rep.exercise_id + "|" + rep.leg;
      counts[legKey] = (counts[legKey] || 0) + 1;
      renderCounts();
    }
    if (player.state === "idle") start();
    if (player.state !== "running" && player.state !== "paused") return;
    var last = -1;
    for (var i = 0; i < steps.length; i++) {
      if (REP_KINDS[steps[i].kind] && repKey(steps[i]) === key) last = i;
    }
    if (last < player.index) return;  // already past it
    var at = player.state === "paused" ? player.pausedAt : clock();
    player.repStart = null;
    player.hold = null;
    if (last + 1 >= steps.length) { player.index = last; finish(at, false); return; }
    player.index = last + 1;
    player.stepStart = at;
    if (player.state === "paused") player.pausedAt = at;
    enter(at);
  }
  function synced(repetitions) {
    // The server's saved repetitions (after a reconnect): count any the page missed.
    repetitions.forEach(function (r) { counted(r); });
  }
  window.nerveglidePlayer = {
    start: function () { if (player.state === "idle") start(); },
    state: function () { return player.state; },
    current: function () { return player.state === "idle" ? steps[0] : current(); },
    counted: counted,
    synced: synced,
    useTimer: function () {
      // The camera can't be used: the clock paces the repetitions again.
      if (!cameraMode) return;
      cameraMode = false;
      if (player.state === "running") player.stepStart = clock();
      root.setAttribute("data-mode", "timer");
    },
    speak: speak,
    cameraMode: function () { return cameraMode; }
  };
  root.setAttribute("data-mode", cameraMode ? "camera" : "timer");

  if (data.session.status !== "in_progress") {
    player.state = "finished";
    ui.kind.textContent = "This session has ended";
    ui.cue.textContent = "";
    ui.start.hidden = true;
  }
  renderCounts();
  setButtons();
  if (player.state === "finished") { ui.pause.disabled = true; ui.end.disabled = true; ui.hurts.disabled = true; }
  if (steps.length) showFigure(steps[0], 0);
  flush();
  render();
})();
