/* Operations: render jobs (OnePiece's and, with the dashboard token, the OpenCue queue)
   and ingest runs, kept live from /jobs/stream and /runs/stream; filters, sorting, cancel. */
"use strict";
(function () {
  const T = window.Trafalgar;
  const FINISHED = new Set(["succeeded", "failed", "cancelled", "completed"]);
  const jobs = new Map(), runs = new Map();
  let queue = [];  // OpenCue details rows (needs the dashboard token)

  const stamp = (iso) => (iso ? Date.parse(iso) || 0 : 0);
  const newer = (old, fresh) => !old || stamp(fresh.updated_at || fresh.completed_at || fresh.started_at) >=
    stamp(old.updated_at || old.completed_at || old.started_at);

  // ---- rows: one flat record per table line, used for filtering, sorting and drawing ----
  function jobRow(job) {
    const f = job.frame_counts || {};
    const total = f.total || 0, done = f.succeeded || 0;
    return {
      key: "job:" + job.id, id: job.id, farm: job.farm || "", status: job.status || "",
      scene: job.scene || "", user: job.user || "", done, total, running: f.running || 0,
      failed: (f.failed || 0) + (f.dead || 0),
      progress: job.progress !== undefined && job.progress !== null ? job.progress : total ? (100 * done) / total : 0,
      submitted_at: job.submitted_at, started_at: job.started_at, finished_at: job.finished_at,
      cancellable: !FINISHED.has(job.status), title: job.message || "",
      text: [job.id, job.scene, job.user, job.output, job.farm_job_id, job.dcc].join(" ").toLowerCase(),
    };
  }
  function queueRow(q) {
    const f = q.frames || {};
    return {
      key: "cue:" + q.job_id, id: q.name || q.job_id, farm: "opencue", status: q.job_status || q.status,
      scene: [q.show, q.shot].filter(Boolean).join(" / "), user: q.user || "", done: f.succeeded || 0,
      total: f.total || 0, running: f.running || 0, failed: (f.failed || 0) + (f.dead || 0),
      progress: f.total ? (100 * (f.succeeded || 0)) / f.total : 0,
      submitted_at: q.started_at, started_at: q.started_at, finished_at: q.finished_at,
      cancellable: false, title: `OpenCue queue (${q.state}); hosts: ${(q.hosts || []).join(", ") || "none"}`,
      text: [q.name, q.job_id, q.show, q.shot, q.user, ...(q.layers || [])].join(" ").toLowerCase(),
    };
  }
  function runRow(run) {
    return {
      key: "run:" + run.id, id: run.id, project: [run.project, run.show].filter(Boolean).join(" / "),
      source: run.source || "", status: run.status || "", counts: run.counts || {},
      started_at: run.started_at, completed_at: run.completed_at,
      text: [run.id, run.project, run.show, run.source].join(" ").toLowerCase(),
    };
  }

  const badge = (status) => T.el("span", { class: `badge ${status}`, text: status });
  const when = (iso) => (iso ? T.el("time", { datetime: iso, text: T.time(iso) }) : "–");
  const countsText = (counts) => Object.entries(counts)
    .filter(([, v]) => typeof v === "number").map(([k, v]) => `${k.replace(/_/g, " ")} ${T.number(v)}`).join(" · ") || "–";

  function drawJob(r) {
    const pct = Math.round(r.progress * 10) / 10;
    const action = r.cancellable
      ? T.el("button", { type: "button", "data-cancel": r.id, "aria-label": `Cancel job ${r.id}`, text: "Cancel" })
      : r.key.startsWith("cue:") ? T.el("span", { class: "meta", text: "–", title: "In the OpenCue queue: cancel it in OpenCue" }) : "–";
    return T.el("tr", { "data-key": r.key, "data-status": r.status, title: r.title || null },
      T.el("th", { scope: "row", class: "code", text: r.id }), T.el("td", { text: r.farm }),
      T.el("td", {}, badge(r.status)), T.el("td", { text: r.scene.split("/").pop(), title: r.scene }),
      T.el("td", { text: r.user || "–" }),
      T.el("td", { class: "num", "data-col": "done", text: `${T.number(r.done)} / ${T.number(r.total)}` }),
      T.el("td", { class: "num", text: T.number(r.running) }), T.el("td", { class: "num", text: T.number(r.failed) }),
      T.el("td", { class: "num" }, T.el("progress", { max: 100, value: pct, "aria-label": `${r.id} ${pct}% done` }), ` ${pct}%`),
      T.el("td", {}, when(r.submitted_at)), T.el("td", {}, when(r.started_at)), T.el("td", {}, when(r.finished_at)),
      T.el("td", {}, action));
  }
  function drawRun(r) {
    return T.el("tr", { "data-key": r.key, "data-status": r.status },
      T.el("th", { scope: "row", class: "code", text: r.id }), T.el("td", { text: r.project || "–" }),
      T.el("td", { text: r.source || "–" }), T.el("td", {}, badge(r.status)),
      T.el("td", { text: countsText(r.counts) }), T.el("td", {}, when(r.started_at)), T.el("td", {}, when(r.completed_at)));
  }

  // ---- a table: filter, sort, and redraw only the rows that changed ----
  function table(id, defaultSort, rowsOf, draw, emptyText) {
    const tableEl = document.getElementById(id);
    const body = tableEl.tBodies[0];
    const form = document.querySelector(`form[data-table="${id}"]`);
    const count = document.querySelector(`[data-count="${id}"]`);
    const drawn = new Map();  // key -> {sig, tr}
    const sort = { key: defaultSort, dir: -1 };
    let pending = false;

    function redraw() {
      pending = false;
      const all = rowsOf();
      const q = form.elements.q.value.trim().toLowerCase();
      const filters = [...form.elements].filter((e) => e.tagName === "SELECT" && e.value);
      const shown = all.filter((r) => (!q || r.text.includes(q)) && filters.every((f) => r[f.name] === f.value));
      shown.sort((a, b) => {
        const x = a[sort.key], y = b[sort.key];
        const cmp = typeof x === "number" && typeof y === "number" ? x - y : String(x || "").localeCompare(String(y || ""));
        return cmp * sort.dir || String(a.key).localeCompare(String(b.key));
      });
      const trs = shown.map((r) => {
        const sig = JSON.stringify(r), old = drawn.get(r.key);
        if (old && old.sig === sig) return old.tr;
        const tr = draw(r);
        if (old) old.tr.replaceWith(tr);
        drawn.set(r.key, { sig, tr });
        return tr;
      });
      const keep = new Set(shown.map((r) => r.key));
      for (const key of [...drawn.keys()]) if (!keep.has(key)) { drawn.get(key).tr.remove(); drawn.delete(key); }
      const current = [...body.children];
      if (!trs.length) {
        body.replaceChildren(T.el("tr", { class: "empty" }, T.el("td", { colspan: tableEl.tHead.rows[0].cells.length, text: all.length ? "Nothing matches the filters." : emptyText })));
      } else if (current.length !== trs.length || trs.some((tr, i) => current[i] !== tr)) {
        body.replaceChildren(...trs);
      }
      count.textContent = `(${shown.length} shown of ${all.length})`;
    }
    const schedule = () => { if (!pending) { pending = true; queueMicrotask(redraw); } };

    form.addEventListener("input", schedule);
    form.addEventListener("submit", (e) => e.preventDefault());
    tableEl.tHead.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-sort]");
      if (!button) return;
      const key = button.dataset.sort;
      sort.dir = sort.key === key ? -sort.dir : key.endsWith("_at") ? -1 : 1;
      sort.key = key;
      for (const th of tableEl.tHead.querySelectorAll("th[aria-sort]")) th.setAttribute("aria-sort", "none");
      button.parentElement.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
      schedule();
    });
    const initial = tableEl.tHead.querySelector(`button[data-sort="${defaultSort}"]`);
    if (initial) initial.parentElement.setAttribute("aria-sort", "descending");
    return { schedule };
  }

  const jobsTable = table("jobs", "submitted_at", () => {
    const ours = [...jobs.values()];
    const known = new Set(ours.filter((j) => j.farm === "opencue").map((j) => j.farm_job_id));
    return ours.map(jobRow).concat(queue.filter((q) => !known.has(q.job_id)).map(queueRow));
  }, drawJob, "No render jobs yet.");
  const runsTable = table("runs", "started_at", () => [...runs.values()].map(runRow), drawRun, "No ingest runs yet.");

  function syncFarmOptions() {
    const select = document.getElementById("jobs-farm");
    const have = new Set([...select.options].map((o) => o.value));
    const farms = new Set([...jobs.values()].map((j) => j.farm));
    if (queue.length) farms.add("opencue");
    for (const farm of [...farms].sort()) if (farm && !have.has(farm)) select.append(T.el("option", { value: farm, text: farm }));
  }

  // ---- data: each stream opens with a snapshot (or replays what was missed), then events ----
  function upsert(map, item) {
    if (item && item.id && newer(map.get(item.id), item)) map.set(item.id, item);
  }
  function replaceAll(map, items, complete) {
    const ids = new Set(items.map((i) => i.id));
    if (complete) for (const id of [...map.keys()]) if (!ids.has(id)) map.delete(id);
    for (const item of items) if (item && item.id) map.set(item.id, item);
  }
  function feed(path, key, map, tbl) {
    const one = key.slice(0, -1);  // "jobs" -> "job"
    const changed = () => { if (key === "jobs") syncFarmOptions(); tbl.schedule(); };
    // Fallback when the stream reports it dropped events (stream.lagged): re-read the list.
    const reload = T.coalesce(async () => {
      const result = await T.getJSON(`${path}?limit=${LIMIT}`);
      if (!result.ok) { showResult("bad", `Could not load ${key}: ${result.error}`); return; }
      const items = T.listOf(result.body, key);
      replaceAll(map, items, items.length < LIMIT);
      changed();
      T.touch();
    });
    const onEvent = (event) => {
      if (Array.isArray(event[key])) replaceAll(map, event[key], event[key].length < LIMIT);
      else if (event.event === "stream.lagged") { reload(); return; }
      else if (/\.removed$/.test(event.event || "")) { if (event[one]) map.delete(event[one].id); }
      else upsert(map, event[one]);
      changed();
    };
    return { onEvent, reload };
  }
  const LIMIT = 500;  // the streams' snapshot size: a shorter snapshot is the whole list
  const jobFeed = feed("/jobs", "jobs", jobs, jobsTable);
  const runFeed = feed("/runs", "runs", runs, runsTable);
  T.subscribe("jobs", jobFeed.onEvent, () => {});
  T.subscribe("runs", runFeed.onEvent, () => {});

  // ---- messages, token, cancel, OpenCue ----
  function showResult(kind, text) {
    const box = document.getElementById("action-result");
    box.className = `alert ${kind}`;
    box.textContent = text;
    box.hidden = false;
  }
  function cueAlert(kind, text) {
    const box = document.getElementById("opencue-alert");
    box.className = `alert ${kind}`;
    box.textContent = text || "";
    box.hidden = !text;
  }

  const loadQueue = T.coalesce(async () => {
    const admin = Boolean(T.adminToken());
    const result = await T.getJSON(admin ? "/render/opencue/details" : "/render/opencue/summary", admin ? "admin" : "read");
    if (result.status === 404) { queue = []; cueAlert("info", "OpenCue endpoints are not installed on this server."); }
    else if (!result.ok) { queue = []; cueAlert("bad", `OpenCue ${admin ? "details" : "summary"} refused: ${result.error}`); }
    else {
      const q = result.body;
      queue = admin && q.enabled && q.available ? q.jobs || [] : [];
      if (!q.enabled) cueAlert("warn", q.message || "OpenCue is not configured: set OPENCUE_HOSTS and OPENCUE_DEFAULT_SHOW");
      else if (!q.available) cueAlert("bad", q.message || "OpenCue is unreachable.");
      else cueAlert("info", admin ? "" : "Enter the dashboard token to list the OpenCue queue's jobs here.");
    }
    syncFarmOptions();
    jobsTable.schedule();
  });

  const tokenForm = document.getElementById("token-form");
  const tokenInput = document.getElementById("admin-token");
  const tokenState = document.getElementById("token-state");
  function showToken() {
    tokenState.textContent = T.adminToken()
      ? "Token set for this tab. Cancel buttons and OpenCue details will use it."
      : "No token: jobs can be viewed; cancelling asks for the dashboard token.";
  }
  tokenForm.addEventListener("submit", (e) => {
    e.preventDefault();
    T.setAdminToken(tokenInput.value.trim());
    tokenInput.value = "";
    showToken();
    loadQueue();
  });
  document.getElementById("forget-token").addEventListener("click", () => {
    T.setAdminToken("");
    showToken();
    loadQueue();
  });
  showToken();

  document.getElementById("jobs").tBodies[0].addEventListener("click", async (e) => {
    const button = e.target.closest("button[data-cancel]");
    if (!button) return;
    const id = button.dataset.cancel;
    if (!window.confirm(`Cancel render job ${id}?`)) return;
    const hadToken = Boolean(T.adminToken());
    const result = await T.request("POST", `/jobs/${encodeURIComponent(id)}/cancel`, "admin");
    if (result.ok) {
      const job = result.body && (result.body.job || result.body);
      upsert(jobs, job);
      jobsTable.schedule();
      showResult("good", `Job ${id} cancelled.`);
      return;
    }
    showResult("bad", `Cancel refused for job ${id}: ${result.error.replace(/\.$/, "")}. ` +
      (hadToken ? "Check the dashboard token above." : "Enter the dashboard token above, then cancel again."));
    if (result.status === 401 || result.status === 503) tokenInput.focus();
  });

  loadQueue();
  setInterval(loadQueue, 30000);
})();
