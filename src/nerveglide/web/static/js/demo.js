// The glide page's demonstration: keeps the written instruction in step with the animated
// figure, pauses and resumes it, steps through phases, and honours reduced motion.
(function () {
  "use strict";
  var svg = document.querySelector(".demo-figure svg");
  if (!svg || typeof svg.getCurrentTime !== "function") return;
  var phases = JSON.parse(svg.getAttribute("data-phases") || "[]");
  var cycle = parseFloat(svg.getAttribute("data-cycle-seconds") || "0");
  if (!phases.length || !(cycle > 0)) return;
  var items = Array.prototype.slice.call(document.querySelectorAll("#phase-list li"));
  var label = document.getElementById("phase-label");
  var instruction = document.getElementById("phase-instruction");
  var toggle = document.getElementById("demo-toggle");
  var note = document.getElementById("demo-motion-note");
  var current = -1;

  function phaseAt(seconds) {
    var t = ((seconds % cycle) + cycle) % cycle;
    for (var i = 0; i < phases.length; i++) {
      if (t >= phases[i].start && t < phases[i].end) return i;
    }
    return phases.length - 1;
  }

  function show(index) {
    if (index === current) return;
    current = index;
    var item = items[index];
    items.forEach(function (li, i) {
      if (i === index) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    });
    if (item) {
      label.textContent = item.querySelector(".phase-kind").textContent;
      instruction.textContent = item.getAttribute("data-step-text");
    }
    svg.setAttribute("data-current-phase", String(index));
  }

  function paused() { return svg.animationsPaused(); }

  function setPaused(value) {
    if (value) svg.pauseAnimations(); else svg.unpauseAnimations();
    toggle.textContent = value ? "Play" : "Pause";
    toggle.setAttribute("aria-pressed", String(value));
    show(phaseAt(svg.getCurrentTime()));
  }

  function go(step) {
    var target = (Math.max(current, 0) + step + phases.length) % phases.length;
    var phase = phases[target];
    // Paused: show the pose the phase ends in; playing: carry on from the phase's start.
    svg.setCurrentTime(paused() ? Math.max(phase.start, phase.end - 0.05) : phase.start + 0.01);
    show(target);
  }

  toggle.addEventListener("click", function () { setPaused(!paused()); });
  document.getElementById("demo-prev").addEventListener("click", function () { go(-1); });
  document.getElementById("demo-next").addEventListener("click", function () { go(1); });

  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  if (reduce && reduce.matches) {
    setPaused(true);
    if (note) note.hidden = false;
  }

  (function tick() {
    if (!paused()) show(phaseAt(svg.getCurrentTime()));
    window.requestAnimationFrame(tick);
  })();
  show(phaseAt(svg.getCurrentTime()));
})();
