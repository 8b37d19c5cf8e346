// The camera coach (the /coach/{session} page, on top of player.js).
//
// The browser finds the body's landmarks with MediaPipe Pose (served by this app, never a
// CDN) and sends only those numbers over the /ws/coach WebSocket (protocol 1,
// docs/live-coach-protocol.md); the server's motion coach counts and coaches and sends
// events back. Always the newest frame: the pose model takes the video's current picture
// each time it is free, so frames are dropped, never queued. The video itself stays here,
// unless the person ticks "keep a video of this session".
(function () {
  "use strict";
  var root = document.getElementById("camera");
  var player = window.nerveglidePlayer;
  if (!root || !player) return;
  var data = JSON.parse(document.getElementById("player-data").textContent);
  var cfg = data.camera;
  var sessionId = data.session.id;
  var $ = function (id) { return document.getElementById(id); };
  // API writes carry the login session's CSRF token (the page's <meta name="csrf-token">).
  function csrfHeaders(extra) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var headers = { "X-CSRF-Token": meta ? meta.getAttribute("content") : "" };
    Object.keys(extra || {}).forEach(function (k) { headers[k] = extra[k]; });
    return headers;
  }
  var ui = {
    view: $("c-view"), video: $("c-video"), overlay: $("c-overlay"), cue: $("c-cue"),
    phase: $("c-phase"), setup: $("c-setup"), body: $("c-check-body"), side: $("c-check-side"),
    model: $("c-model"), record: $("c-record"), begin: $("c-begin"), timer: $("c-timer"),
    status: $("c-status"), stats: $("c-stats"), videos: $("videos"), videosList: $("videos-list")
  };

  // What tests (and a curious person, in the console) can read.
  var stats = window.nerveglideCoachStats = {
    model: null, processed: 0, found: 0, sent: 0, dropped: 0, presented: 0,
    poseMs: [], started: null, events: 0, reconnects: 0
  };
  var events = window.nerveglideCoachEvents = [];

  // --- settings ------------------------------------------------------------------------------
  var MODEL_KEY = "nerveglide.poseModel";
  var chosen = null;
  try { chosen = localStorage.getItem(MODEL_KEY); } catch (e) { /* private mode */ }
  ui.model.value = chosen || cfg.model || "auto";
  ui.model.addEventListener("change", function () {
    try { localStorage.setItem(MODEL_KEY, ui.model.value); } catch (e) { /* private mode */ }
  });
  function onPhone() {
    return window.matchMedia("(pointer: coarse)").matches && Math.min(screen.width, screen.height) < 768;
  }
  function modelName() {
    var m = ui.model.value;
    if (m === "auto") m = onPhone() ? "lite" : "full";
    return m;
  }
  var COMPLEXITY = { lite: 0, full: 1, heavy: 2 };

  function say(text) { ui.status.textContent = text; }

  // --- falling back to the timer ---------------------------------------------------------------
  var stream = null;
  var running = false;
  function toTimer(message) {
    running = false;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    if (socket) { closing = true; socket.close(); }
    ui.view.hidden = true;
    ui.setup.hidden = true;
    root.setAttribute("data-camera", "off");
    say(message + " The session runs on the timer instead: press Start when you are ready.");
    player.useTimer();
  }
  ui.timer.addEventListener("click", function () { toTimer("You chose the timer."); });

  // --- the camera ------------------------------------------------------------------------------
  function cameraProblem(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "The camera was not allowed. To use it, allow the camera for this site in your browser's settings and reload the page.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "No camera was found on this device.";
    }
    if (name === "NotReadableError") return "The camera is in use by another program, or can't be started.";
    return "The camera could not be started (" + (name || String(err)) + ").";
  }

  ui.begin.addEventListener("click", function () {
    ui.begin.disabled = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      toTimer("This browser can't use a camera here (it needs a secure connection: https, or this computer's own address).");
      return;
    }
    if (typeof window.Pose !== "function") {
      toTimer("The pose model did not load (is it installed on the server? `npm ci`).");
      return;
    }
    say("Starting the camera...");
    navigator.mediaDevices.getUserMedia({
      video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } }, audio: false
    }).then(function (s) {
      stream = s;
      ui.video.srcObject = s;
      return ui.video.play();
    }).then(function () {
      ui.view.hidden = false;
      root.setAttribute("data-camera", "on");
      ui.overlay.width = ui.video.videoWidth;
      ui.overlay.height = ui.video.videoHeight;
      say("Loading the pose model...");
      return startPose();
    }).then(function () {
      connect();
      watchBrightness();
      countPresented();
    }).catch(function (err) {
      if (stream || err && err.name && err.name !== "Error") toTimer(cameraProblem(err));
      else toTimer("The pose model could not start (" + (err && err.message || err) + ").");
    });
  });

  // Too dark to see: the mean brightness of a tiny copy of the picture, here in the page.
  var DARK_LUMA = 30;   // of 255: a dim room at night; the model finds nobody below this
  var DARK_FOR_S = 3;
  function watchBrightness() {
    var canvas = document.createElement("canvas");
    canvas.width = 32; canvas.height = 24;
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    var darkSince = null;
    var timer = setInterval(function () {
      if (!running) { clearInterval(timer); return; }
      ctx.drawImage(ui.video, 0, 0, 32, 24);
      var px = ctx.getImageData(0, 0, 32, 24).data;
      var sum = 0;
      for (var i = 0; i < px.length; i += 4) sum += 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
      var luma = sum / (px.length / 4);
      if (luma < DARK_LUMA) {
        darkSince = darkSince === null ? performance.now() : darkSince;
        if (performance.now() - darkSince > DARK_FOR_S * 1000 && stats.processed > 0 && stats.found === 0) {
          clearInterval(timer);
          toTimer("It is too dark for the camera to see you: turn on a light, then reload the page to try again.");
        }
      } else {
        darkSince = null;
      }
    }, 500);
  }

  // How many pictures the camera gave, to count those the pose model had no time for.
  function countPresented() {
    if (!ui.video.requestVideoFrameCallback) return;
    var first = null;
    var onFrame = function (now, meta) {
      if (first === null) first = meta.presentedFrames;
      stats.presented = meta.presentedFrames - first;
      stats.dropped = Math.max(0, stats.presented - stats.processed);
      if (running) ui.video.requestVideoFrameCallback(onFrame);
    };
    ui.video.requestVideoFrameCallback(onFrame);
  }

  // --- pose, always on the newest frame -------------------------------------------------------
  var pose = null;
  function startPose() {
    stats.model = modelName();
    pose = new window.Pose({ locateFile: function (file) { return cfg.assets + file; } });
    pose.setOptions({
      modelComplexity: COMPLEXITY[stats.model],
      smoothLandmarks: true,
      enableSegmentation: false,
      useCpuInference: cfg.inference !== "gpu",
      minDetectionConfidence: 0.5,
      minTrackingConfidence: 0.5
    });
    pose.onResults(onResults);
    return pose.initialize().then(function () {
      running = true;
      stats.started = performance.now();
      say("The camera is on.");
      loop();
    });
  }

  var lastVideoTime = -1;
  function loop() {
    if (!running) return;
    var video = ui.video;
    if (video.readyState < 2 || video.currentTime === lastVideoTime) {
      window.requestAnimationFrame(loop);
      return;
    }
    lastVideoTime = video.currentTime;
    var t0 = performance.now();
    pose.send({ image: video }).then(function () {
      stats.processed += 1;
      stats.poseMs.push(Math.round((performance.now() - t0) * 10) / 10);
      if (stats.poseMs.length > 2000) stats.poseMs.shift();
      showStats();
      // setTimeout, not requestAnimationFrame: keeps going when the tab is in the background.
      setTimeout(loop, 0);
    }, function (err) {
      toTimer("The pose model stopped (" + (err && err.message || err) + ").");
    });
  }

  function showStats() {
    if (stats.processed % 10) return;
    var seconds = (performance.now() - stats.started) / 1000;
    ui.stats.textContent = "Pose model " + stats.model + ": " + (stats.processed / seconds).toFixed(1) +
      " pictures a second" + (stats.dropped ? ", " + stats.dropped + " skipped to stay current" : "") + ".";
  }

  var ROUND = 1e4;
  function r4(x) { return Math.round(x * ROUND) / ROUND; }
  function clamp(x, lo, hi) { return Math.min(hi, Math.max(lo, x)); }

  var inFrameSince = null;
  function onResults(results) {
    var lm = results.poseLandmarks;
    draw(lm);
    if (lm) stats.found += 1;
    checkBody(lm);
    var frame = {
      v: 1, type: "frame", t: r4(performance.now() / 1000),
      w: ui.video.videoWidth, h: ui.video.videoHeight, lm: null, world: null
    };
    if (lm) {
      frame.lm = lm.map(function (p) {
        return [r4(clamp(p.x, -10, 10)), r4(clamp(p.y, -10, 10)), r4(clamp(p.z, -10, 10)),
          r4(clamp(p.visibility === undefined ? 0 : p.visibility, 0, 1))];
      });
      var world = results.poseWorldLandmarks;
      if (world && world.length === 33) {
        frame.world = world.map(function (p) { return [r4(clamp(p.x, -10, 10)), r4(clamp(p.y, -10, 10)), r4(clamp(p.z, -10, 10))]; });
      }
    }
    send(frame);
  }

  // --- the skeleton over the picture ----------------------------------------------------------------
  var ctx = ui.overlay.getContext("2d");
  function draw(lm) {
    var w = ui.overlay.width, h = ui.overlay.height;
    ctx.clearRect(0, 0, w, h);
    if (!lm) return;
    var pairs = window.POSE_CONNECTIONS || [];
    ctx.lineWidth = Math.max(2, w / 200);
    ctx.strokeStyle = "#00e0a0";
    pairs.forEach(function (pair) {
      var a = lm[pair[0]], b = lm[pair[1]];
      if (!a || !b || a.visibility < 0.5 || b.visibility < 0.5) return;
      ctx.beginPath();
      ctx.moveTo(a.x * w, a.y * h);
      ctx.lineTo(b.x * w, b.y * h);
      ctx.stroke();
    });
    ctx.fillStyle = "#ffffff";
    lm.forEach(function (p) {
      if (p.visibility < 0.5) return;
      ctx.beginPath();
      ctx.arc(p.x * w, p.y * h, Math.max(2, w / 160), 0, 2 * Math.PI);
      ctx.fill();
    });
  }

  // --- the set-up step: whole body in frame, side-on, before the first repetition --------------------
  // Shoulders, hips, knees, ankles of the side facing the camera, seen and inside the picture.
  var BODY = { left: [11, 23, 25, 27], right: [12, 24, 26, 28] };
  var SEEN = 0.5;
  // Long enough for the server's view check (it reports a problem after a second of it).
  var SETUP_HOLD_S = 2.5;
  var streamingSince = null;
  var viewProblem = null;
  var setupDone = false;
  function bodyInFrame(lm) {
    if (!lm) return false;
    return ["left", "right"].some(function (side) {
      return BODY[side].every(function (i) {
        var p = lm[i];
        return p.visibility >= SEEN && p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1;
      });
    });
  }
  function checkBody(lm) {
    var inFrame = bodyInFrame(lm);
    ui.body.setAttribute("data-ok", String(inFrame));
    if (!inFrame) { inFrameSince = null; return; }
    if (inFrameSince === null) inFrameSince = performance.now();
    var sideOn = viewProblem === null && socketReady && streamingSince !== null &&
      performance.now() - streamingSince >= SETUP_HOLD_S * 1000;
    ui.side.setAttribute("data-ok", String(sideOn));
    if (setupDone || !sideOn || performance.now() - inFrameSince < SETUP_HOLD_S * 1000) return;
    setupDone = true;
    ui.setup.hidden = true;
    root.setAttribute("data-setup", "done");
    showCue("You're in the picture and side-on. Let's start.");
    if (ui.record.checked) startRecording();
    player.start();
  }

  // --- the WebSocket ------------------------------------------------------------------------------------
  var TOKEN_KEY = "nerveglide.live." + sessionId;
  var socket = null;
  var socketReady = false;
  var closing = false;
  var lastSeq = 0;
  var backoff = 500;
  var lastSent = 0;
  var minGapMs = 1000 / cfg.max_fps;

  function token(fresh) {
    var saved = null;
    try { saved = sessionStorage.getItem(TOKEN_KEY); } catch (e) { /* private mode */ }
    if (saved && !fresh) return Promise.resolve(saved);
    return fetch("/api/sessions/" + sessionId + "/live", { method: "POST", headers: csrfHeaders() }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (body) { throw new Error(body.detail || ("status " + response.status)); });
      }
      return response.json();
    }).then(function (body) {
      try { sessionStorage.setItem(TOKEN_KEY, body.token); } catch (e) { /* private mode */ }
      return body.token;
    });
  }

  function connect(fresh) {
    if (!running || closing) return;
    token(fresh).then(function (secret) {
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/coach";
      var ws = new WebSocket(url);
      socket = ws;
      ws.onopen = function () {
        var step = player.current();
        ws.send(JSON.stringify({
          v: 1, type: "hello", session: sessionId, token: secret, last_seq: lastSeq,
          exercise_id: step ? step.exercise_id : null, leg: step ? step.leg : null
        }));
      };
      ws.onmessage = function (message) {
        var event;
        try { event = JSON.parse(message.data); } catch (e) { return; }
        handle(event);
      };
      ws.onclose = function (close) {
        socketReady = false;
        streamingSince = null;
        socket = null;
        if (closing || !running) return;
        if (close.code === 4403 && !fresh) { connect(true); return; }  // a stale key: get a new one
        if (close.code === 4401) {  // the login ended: a reconnect would be refused too
          toTimer("Your login has ended: log in again to use the camera coach.");
          return;
        }
        if (close.code === 4403 || close.code === 4404) {
          toTimer("The camera coach refused this session (" + (close.reason || close.code) + ").");
          return;
        }
        stats.reconnects += 1;
        say("Reconnecting to the coach...");
        setTimeout(function () { connect(false); }, backoff);
        backoff = Math.min(5000, backoff * 2);
      };
    }).catch(function (err) {
      toTimer("The camera coach could not start (" + (err && err.message || err) + ").");
    });
  }

  function send(frame) {
    if (!socket || !socketReady || socket.readyState !== WebSocket.OPEN) return;  // newest only: no queue
    var now = performance.now();
    if (now - lastSent < minGapMs) return;
    var text = JSON.stringify(frame);
    if (text.length > cfg.max_message_bytes) return;
    lastSent = now;
    if (streamingSince === null) streamingSince = now;
    stats.sent += 1;
    socket.send(text);
  }

  window.addEventListener("nerveglide:step", function (e) {
    var step = e.detail;
    if (socket && socketReady) {
      socket.send(JSON.stringify({ v: 1, type: "step", exercise_id: step.exercise_id, leg: step.leg }));
    }
  });

  window.addEventListener("nerveglide:finished", function () {
    closing = true;
    stopRecording();
    running = false;
    if (socket) socket.close(1000);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    ui.setup.hidden = true;
  });

  // --- events from the coach ---------------------------------------------------------------------------
  var NUMBERS = ["", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
    "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen",
    "Nineteen", "Twenty"];
  var PHASES = { rest: "At rest", swing: "Leg back", out: "Towards the stretch", hold: "Hold", "return": "Coming back" };

  function showCue(text) {
    ui.cue.textContent = text;
    player.speak(text);
  }

  function handle(event) {
    if (event.seq) {
      if (event.seq <= lastSeq && event.type !== "ready") return;  // seen before a reconnect
      lastSeq = Math.max(lastSeq, event.seq);
    }
    events.push(event);
    stats.events += 1;
    switch (event.type) {
      case "ready":
        socketReady = true;
        backoff = 500;
        say("The camera coach is listening.");
        player.synced(event.repetitions || []);
        break;
      case "rep":
        if (event.saved) {
          player.counted(event);
          var n = event.rep_no;
          showCue((NUMBERS[n] || String(n)) + (event.hold_s ? ". Held " + event.hold_s.toFixed(1) + " seconds." : "."));
        } else if (!event.complete) {
          showCue("That one was partial: it isn't counted.");
        }
        break;
      case "cue":
        showCue(event.text);
        break;
      case "phase":
        ui.phase.textContent = PHASES[event.phase] || event.phase;
        break;
      case "calibration":
        if (event.message) ui.phase.textContent = event.message;
        break;
      case "visibility":
      case "view":
        if (event.type === "view") viewProblem = event.ok ? null : event.problem || "view";
        if (!event.ok && event.message) showCue(event.message);
        else if (event.ok && ui.cue.textContent) ui.cue.textContent = "";
        break;
      case "error":
        say("Coach: " + event.message);
        break;
      default:
        break;
    }
  }

  // --- keeping a video (only if ticked) -------------------------------------------------------------
  var recorder = null;
  var chunks = [];
  var recordedBytes = 0;
  function startRecording() {
    if (!window.MediaRecorder || !stream) { say("This browser can't record video: nothing is kept."); return; }
    var type = ["video/webm;codecs=vp8", "video/webm", "video/mp4"].filter(function (t) {
      return MediaRecorder.isTypeSupported(t);
    })[0];
    try {
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    } catch (e) { say("This browser can't record video: nothing is kept."); return; }
    recorder.ondataavailable = function (e) {
      if (!e.data || !e.data.size) return;
      recordedBytes += e.data.size;
      if (recordedBytes > cfg.recording_max_bytes) {
        say("The video reached the size limit; recording stopped.");
        recorder.stop();
        return;
      }
      chunks.push(e.data);
    };
    recorder.onstop = upload;
    recorder.start(1000);
    root.setAttribute("data-recording", "on");
  }
  function stopRecording() {
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }
  function upload() {
    if (!chunks.length) return;
    var type = (recorder.mimeType || "video/webm").split(";")[0];
    var blob = new Blob(chunks, { type: type });
    chunks = [];
    say("Saving your video...");
    fetch("/api/sessions/" + sessionId + "/recordings", {
      method: "POST", headers: csrfHeaders({ "Content-Type": type }), body: blob
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      say("Your video is saved on your nerveglide server.");
      listVideos();
    }).catch(function (err) { say("The video could not be saved (" + (err.message || err) + ")."); });
  }
  function listVideos() {
    fetch("/api/sessions/" + sessionId + "/recordings").then(function (r) { return r.ok ? r.json() : []; }).then(function (list) {
      ui.videosList.innerHTML = "";
      ui.videos.hidden = !list.length;
      list.forEach(function (v) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = v.url;
        a.textContent = "Video of " + new Date(v.created_at).toLocaleString() + " (" + Math.ceil(v.size_bytes / 1048576) + " MB)";
        var del = document.createElement("button");
        del.type = "button";
        del.textContent = "Delete";
        del.setAttribute("aria-label", "Delete " + a.textContent);
        del.addEventListener("click", function () {
          fetch(v.url, { method: "DELETE", headers: csrfHeaders() }).then(listVideos);
        });
        li.appendChild(a);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(del);
        ui.videosList.appendChild(li);
      });
    });
  }

  // The Start button waits for the set-up check while the camera coaches.
  var start = $("p-start");
  if (start && data.session.status === "in_progress") {
    start.addEventListener("click", function (e) {
      if (player.cameraMode() && !setupDone) {
        e.stopImmediatePropagation();
        say("First the camera: press \"Turn on the camera\", then get into position side-on.");
      }
    }, true);
  }
  if (data.session.status !== "in_progress") ui.setup.hidden = true;
  listVideos();
})();
