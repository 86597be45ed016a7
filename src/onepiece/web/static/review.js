/* Review: newest Versions with thumbnails; play the review movie with frame stepping and
   timecode; approve or request changes with the dashboard token. Keyboard: "," and "."
   step one frame (space plays and pauses, as in any video player). */
"use strict";
(function () {
  const T = window.Trafalgar;
  const $ = (id) => document.getElementById(id);
  const form = $("review-filters"), list = $("review-versions"), state = $("review-state");
  const player = $("player"), panel = $("player-panel");
  let current = null;  // {project, row}

  const enc = encodeURIComponent;
  const withToken = (path) => (T.readToken() ? `${path}?token=${enc(T.readToken())}` : path);
  const mediaUrl = (project, code, kind) => T.root + withToken(`/review/${enc(project)}/${enc(code)}/${kind}`);

  function fps(row) {
    const text = row.review && row.review.fps;
    if (!text) return 24;
    const [num, den] = String(text).split("/").map(Number);
    return den ? num / den : num || 24;
  }
  function tcFrames(tc, rate) {
    const parts = (tc || "00:00:00:00").split(/[:;]/).map(Number);
    const base = Math.round(rate);
    return ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * base + parts[3];
  }
  function tcText(frames, rate) {
    const base = Math.round(rate), pad = (n) => String(n).padStart(2, "0");
    const s = Math.floor(frames / base);
    return `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}:${pad(frames % base)}`;
  }
  function showTime() {
    if (!current) return;
    const rate = fps(current.row), review = current.row.review || {};
    const index = Math.min(Math.floor(player.currentTime * rate + 1e-3), Math.max((review.frames || 1) - 1, 0));
    $("timecode").value = tcText(tcFrames(review.timecode, rate) + index, rate);
    $("frame-number").value = review.first_frame !== undefined && review.first_frame !== null
      ? String(review.first_frame + index) : String(index + 1);
  }
  function step(delta) {
    if (!current) return;
    player.pause();
    const rate = fps(current.row);
    // Frame i spans [i / rate, (i + 1) / rate): land in the middle of the next one.
    const frame = Math.floor(player.currentTime * rate + 1e-3) + delta;
    const last = Math.max(0, Math.round(player.duration * rate) - 1);
    player.currentTime = (Math.max(0, Math.min(frame, last)) + 0.5) / rate;
  }

  function card(project, row) {
    const review = row.review;
    const picture = review && review.thumbnail
      ? T.el("img", { src: mediaUrl(project, row.code, "thumbnail"), alt: `Thumbnail of ${row.code}`, width: 240, loading: "lazy" })
      : T.el("span", { class: "meta", text: "no review media" });
    const open = T.el("button", { type: "button", "data-code": row.code, "aria-label": `Play ${row.code}`, disabled: review && review.proxy ? null : "" }, picture);
    return T.el("li", { "data-code": row.code },
      open,
      T.el("p", { class: "code", text: row.code }),
      T.el("p", {}, T.el("span", { class: `badge ${row.bucket}`, "data-status": "", text: row.status || "–" }),
        ` ${[row.episode, row.shot].filter(Boolean).join(" / ")}`));
  }

  async function load() {
    const data = new FormData(form);
    const project = String(data.get("project") || "").trim();
    if (!project) { state.textContent = "Name a project."; return; }
    const query = new URLSearchParams();
    for (const key of ["status", "episode", "shot"]) if (data.get(key)) query.set(key, String(data.get(key)));
    const result = await T.getJSON(`/review/${enc(project)}/versions?${query}`);
    list.replaceChildren();
    if (!result.ok) { state.textContent = result.error; return; }
    const rows = T.listOf(result.body, "versions");
    state.textContent = `${rows.length} version(s) in ${project}`;
    for (const row of rows) list.append(card(project, row));
    list.onclick = (event) => {
      const button = event.target.closest("button[data-code]");
      if (!button) return;
      const row = rows.find((r) => r.code === button.dataset.code);
      play(project, row);
    };
    T.touch();
  }

  function play(project, row) {
    current = { project, row };
    panel.hidden = false;
    $("player-title").textContent = row.code;
    player.src = mediaUrl(project, row.code, "proxy");
    player.load();
    showTime();
    player.focus();
  }

  async function verdict(kind) {
    const out = $("review-result");
    if (!current) return;
    const token = $("admin-token").value.trim() || T.adminToken();
    if (token) T.setAdminToken(token);
    let response, body = null;
    try {
      response = await fetch(`${T.root}/review/${enc(current.project)}/${enc(current.row.code)}/status`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json",
          ...(token ? { Authorization: "Bearer " + token } : {}) },
        body: JSON.stringify({ verdict: kind }),
      });
      body = await response.json().catch(() => null);
    } catch (exc) {
      response = null;
    }
    out.hidden = false;
    if (response && response.ok) {
      const row = body.version;
      out.className = "alert info";
      out.textContent = `${row.code}: status ${row.status}`;
      current.row.status = row.status;
      const badge = list.querySelector(`li[data-code="${CSS.escape(row.code)}"] .badge`);
      if (badge) { badge.textContent = row.status; badge.className = `badge ${row.bucket}`; }
    } else {
      const envelope = body && body.error;
      out.className = "alert warn";
      out.textContent = envelope ? `${envelope.message} (${envelope.code})` : "server unreachable";
    }
  }

  // No live stream here: the list is read on demand ("Last updated" says when).
  const live = document.getElementById("live-state");
  if (live) live.hidden = true;
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  player.addEventListener("timeupdate", showTime);
  player.addEventListener("seeked", showTime);
  $("step-back").addEventListener("click", () => step(-1));
  $("step-forward").addEventListener("click", () => step(1));
  $("approve").addEventListener("click", () => verdict("approve"));
  $("changes").addEventListener("click", () => verdict("changes"));
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea")) return;
    if (event.key === ",") { step(-1); event.preventDefault(); }
    if (event.key === ".") { step(1); event.preventDefault(); }
  });
  if (form.elements.project.value) load();
})();
