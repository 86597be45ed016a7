/* Workload dashboard: the latest Versions' thumbnails and the trend charts (uPlot,
   vendored under /static/vendor/uplot). Re-reads /summary/trends when dashboard.js
   reports a job or run event ("onepiece:changed"), and every minute for the
   tracker's figures (cached server-side for dashboard.cache_ttl). */
"use strict";
(function () {
  const T = window.Trafalgar;
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const DAYS = 14;
  const HEIGHT = 220;
  const COLOURS = {
    completed: "#1d7a3e", failed: "#b42318", running: "#1f5fbf", queued: "#8a5a00",
    cancelled: "#7d8590", other: "#a05cc0", bytes: "#1f5fbf", files: "#8a5a00",
    waiting: "#8a5a00", ready: "#2b8a9e", in_progress: "#1f5fbf", review: "#a05cc0",
    approved: "#1d7a3e", final: "#0e5a2a", on_hold: "#c2410c", omitted: "#7d8590",
    unknown: "#59626f",
  };
  const charts = {};  // id -> {plot, key}
  // Counts are whole: no 0.5 runs on the axis.
  const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000, 1000000];

  const withToken = (path) => (T.readToken() ? `${path}?token=${enc(T.readToken())}` : path);
  const label = (name) => name.replace(/_/g, " ");
  const epoch = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;
  const ink = () => getComputedStyle(document.body).color;

  function width(box) {
    return Math.max(240, Math.floor(box.clientWidth || box.parentNode.clientWidth || 320));
  }

  /* Series with something in them (a chart of ten flat lines says nothing). */
  function shown(trend, keep) {
    return Object.entries(trend.series)
      .filter(([name, values]) => (keep && keep.includes(name)) || values.some((n) => n > 0));
  }

  /* Counts are drawn as stacked bars (a day's bar is its total, split by series):
     each series is drawn at its running sum, the tallest first, so the segments
     below stay visible; the legend shows each series' own value. */
  function draw(id, trend, options) {
    const box = $(id);
    if (!box || !window.uPlot) return;
    const entries = shown(trend, options.keep);
    const scale = options.scale || 1;
    const own = entries.map(([, values]) => values.map((n) => n / scale));
    const running = [];
    own.forEach((values, i) => running.push(values.map((n, d) => n + (i ? running[i - 1][d] : 0))));
    const order = entries.map((_, i) => i).reverse();  // tallest (the running total) first
    const data = [trend.days.map(epoch), ...order.map((i) => running[i])];
    const key = entries.map(([name]) => name).join(",");
    const totals = entries.map(([name], i) =>
      `${label(name)} ${T.number(Math.round(own[i].reduce((a, b) => a + b, 0) * 100) / 100)}`);
    box.setAttribute("aria-label", totals.length ? `Totals: ${totals.join(", ")}` : "Nothing in this period");
    box.dataset.series = key;
    box.dataset.total = String(entries.reduce((sum, [, values]) => sum + values.reduce((a, b) => a + b, 0), 0));
    const current = charts[id];
    if (current && current.key === key) {
      current.own = own;
      current.plot.setData(data);
      return;
    }
    if (current) current.plot.destroy();
    const chart = { key, own };
    const stroke = ink();
    const grid = { stroke: "rgba(127,127,127,.25)", width: 1 };
    const bars = window.uPlot.paths.bars({ size: [0.7, 40] });
    chart.plot = new window.uPlot({
      width: width(box),
      height: HEIGHT,
      // Half a day either side, so the first and last days' bars are whole.
      scales: { x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] },
        y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [
        { stroke, grid, values: "{MMM} {D}" },
        { stroke, grid, size: 56, values: (u, ticks) => ticks.map((v) => T.number(v)),
          incrs: options.scale ? undefined : COUNT_STEPS },
      ],
      series: [
        { value: "{YYYY}-{MM}-{DD}" },
        ...order.map((i) => {
          const colour = COLOURS[entries[i][0]] || "#59626f";
          return {
            label: label(entries[i][0]),
            stroke: colour,
            fill: colour + "cc",
            width: 1,
            paths: bars,
            points: { show: false },
            value: (u, v, si, idx) => (idx === null || idx === undefined ? "--" : T.number(chart.own[i][idx])),
          };
        }),
      ],
    }, data, box);
    charts[id] = chart;
  }

  /* Bytes in the largest unit the busiest day reaches. */
  function byteUnit(values) {
    const most = Math.max(0, ...values);
    const units = [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]];
    for (const [name, size] of units) if (most >= size) return [name, size];
    return ["bytes", 1];
  }

  function thumbnail(row) {
    const review = T.root + withToken("/review") + (T.readToken() ? "&" : "?") + `project=${enc(row.project)}`;
    const picture = row.thumbnail_url
      ? T.el("img", { src: T.root + withToken(row.thumbnail_url), alt: `Thumbnail of ${row.code}`, loading: "lazy", width: 320, height: 180 })
      : T.el("span", { class: "nothumb", text: "no thumbnail" });
    return T.el("li", { "data-code": row.code },
      T.el("a", { href: review, title: `Review ${row.code}` },
        picture,
        T.el("span", { class: "code", text: row.code }),
        T.el("span", { class: "sub", text: `${row.project} · ${label(row.bucket)}` + (row.shot ? ` · ${row.shot}` : "") })));
  }

  function fillLatest(latest) {
    const note = $("latest-note");
    $("latest").replaceChildren(...latest.map(thumbnail));
    note.hidden = latest.length > 0;
    note.textContent = latest.length ? "" : "No Versions yet.";
  }

  const refresh = T.coalesce(async function () {
    const result = await T.getJSON(`/summary/trends?days=${DAYS}`);
    const note = $("trends-note");
    if (!result.ok) {
      note.hidden = false;
      note.textContent = `Trends unavailable: ${result.error}`;
      $("latest-note").textContent = "";
      return;
    }
    const t = result.body;
    $("trend-days").textContent = String(t.days.length);
    note.hidden = !t.message;
    note.textContent = t.message || "";
    draw("chart-ingest-runs", t.ingest_runs, { keep: ["completed", "failed"] });
    const [unit, size] = byteUnit(t.ingest_volume.series.bytes);
    $("volume-unit").textContent = unit;
    const volume = { days: t.ingest_volume.days, series: { bytes: t.ingest_volume.series.bytes } };
    draw("chart-ingest-volume", volume, { keep: ["bytes"], scale: size });
    draw("chart-render", t.render, { keep: ["completed", "failed"] });
    draw("chart-versions", t.versions, { keep: [] });
    fillLatest(t.latest);
    document.body.dataset.trends = "ready";
  }, 2000);

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const [id, chart] of Object.entries(charts)) chart.plot.setSize({ width: width($(id)), height: HEIGHT });
    }, 150);
  });
  document.addEventListener("onepiece:changed", () => refresh());
  refresh();
  setInterval(refresh, 60000);
})();
