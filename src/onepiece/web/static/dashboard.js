/* Workload dashboard: re-reads /summary when a job or run event arrives, and the
   OpenCue summary on connect and every 30 s (OpenCue has no stream). */
"use strict";
(function () {
  const T = window.Trafalgar;
  let opencue = null;

  function pick(data, path) {
    return path.split(".").reduce((v, key) => (v === null || v === undefined ? v : v[key]), data);
  }

  function fill(data) {
    for (const node of document.querySelectorAll("[data-field]")) {
      const path = node.dataset.field;
      const top = path.split(".")[0];
      if (!(top in data)) continue;
      let value = pick(data, path);
      if (path.startsWith("render.by_status.") && value === undefined) value = 0;
      if (node.dataset.format === "time") T.setTime(node, value, path === "ingest.last_success_at" ? "never" : "–");
      else if (node.dataset.format === "duration") node.textContent = T.duration(value);
      else if (typeof value === "number") node.textContent = T.number(value);
      else node.textContent = value === null || value === undefined ? "" : String(value);
    }
  }

  function buckets(counts) {
    if (!counts) return "–";
    const parts = Object.entries(counts).filter(([, n]) => n).sort((a, b) => b[1] - a[1])
      .map(([key, n]) => `${key.replace(/_/g, " ")} ${T.number(n)}`);
    return parts.join(" · ") || "–";
  }

  function fillFarms(byFarm) {
    const body = document.querySelector("#by-farm tbody");
    const rows = Object.entries(byFarm || {}).map(([farm, n]) =>
      T.el("tr", {}, T.el("th", { scope: "row", text: farm }), T.el("td", { class: "num", text: T.number(n) })));
    body.replaceChildren(...(rows.length ? rows :
      [T.el("tr", { class: "empty" }, T.el("td", { colspan: 2, text: "No render jobs yet." }))]));
  }

  function fillProjects(projects) {
    const body = document.querySelector("#projects tbody");
    const rows = projects.map((p) => T.el("tr", {},
      T.el("th", { scope: "row" }, p.code,
        p.name && p.name !== p.code ? T.el("span", { class: "sub", text: p.name }) : null),
      T.el("td", { class: "num", text: T.number(p.shots) }),
      T.el("td", { class: "num", text: T.number(p.versions) }),
      T.el("td", { text: buckets(p.status && p.status.shots) }),
      T.el("td", { text: buckets(p.status && p.status.versions) }),
      T.el("td", { class: "num", text: T.number(p.review.playlists) }),
      T.el("td", { class: "num", text: T.number(p.review.clips) }),
      T.el("td", { class: "num", text: T.duration(p.review.duration_seconds) })));
    body.replaceChildren(...(rows.length ? rows : [T.el("tr", { class: "empty" }, T.el("td", {
      colspan: 8, text: "No projects yet: set ONEPIECE_DASHBOARD_PROJECTS or create one in the tracker.",
    }))]));
  }

  const refresh = T.coalesce(async function () {
    const result = await T.getJSON("/summary");
    const note = document.getElementById("summary-note");
    if (!result.ok) {
      note.hidden = false;
      note.textContent = `Summary unavailable: ${result.error}`;
      return;
    }
    const s = result.body;
    fill(s);
    note.hidden = !s.message;
    document.getElementById("tracker-alert").hidden = s.tracker.available;
    fillFarms(s.render.by_farm);
    fillProjects(s.projects);
    T.touch();
  }, 250);

  function openCueAlert(kind, text) {
    const box = document.getElementById("opencue-alert");
    box.className = `alert ${kind}`;
    box.textContent = text;
    box.hidden = !text;
  }

  const loadOpenCue = T.coalesce(async function () {
    const result = await T.getJSON("/render/opencue/summary");
    if (result.status === 404) {
      openCueAlert("warn", "OpenCue endpoints are not installed on this server.");
      return;
    }
    if (!result.ok) {
      openCueAlert("bad", `OpenCue summary unavailable: ${result.error}`);
      return;
    }
    opencue = result.body;
    fill({ opencue });
    if (!opencue.enabled) openCueAlert("warn", opencue.message || "OpenCue is not configured: set OPENCUE_HOSTS and OPENCUE_DEFAULT_SHOW");
    else if (!opencue.available) openCueAlert("bad", opencue.message || "OpenCue is unreachable.");
    else openCueAlert("good", "");
  });

  // trends.js re-reads its charts on the same events, without a stream of its own.
  const changed = () => document.dispatchEvent(new CustomEvent("onepiece:changed"));
  T.subscribe("jobs", (event) => {
    refresh();
    changed();
    if (event.job && event.job.farm === "opencue") loadOpenCue();
  }, () => { refresh(); loadOpenCue(); });
  T.subscribe("runs", () => { refresh(); changed(); }, () => refresh());
  loadOpenCue();
  setInterval(loadOpenCue, 30000);
})();
