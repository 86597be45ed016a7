/* Shared by the Trafalgar pages: tokens, JSON fetches, live streams, formatting.
   Plain JavaScript, no build step. Exposes window.Trafalgar. */
"use strict";
(function () {
  const root = document.body.dataset.root || "";
  const store = window.sessionStorage;
  const READ_KEY = "onepiece.readToken";
  const ADMIN_KEY = "onepiece.adminToken";

  // A read token given as ?token= (TRAFALGAR_READ_TOKEN servers) is kept for this tab.
  const given = new URLSearchParams(location.search).get("token");
  if (given) store.setItem(READ_KEY, given);

  const readToken = () => store.getItem(READ_KEY) || "";
  const adminToken = () => store.getItem(ADMIN_KEY) || "";
  const setAdminToken = (value) =>
    value ? store.setItem(ADMIN_KEY, value) : store.removeItem(ADMIN_KEY);

  // Links between pages carry the read token so the next page is let in too.
  if (readToken()) {
    for (const link of document.querySelectorAll("a[data-keep-token]")) {
      const url = new URL(link.href);
      url.searchParams.set("token", readToken());
      link.href = url.toString();
    }
  }

  function authHeader(kind) {
    const token = kind === "admin" ? adminToken() : readToken();
    return token ? { Authorization: "Bearer " + token } : {};
  }

  /* fetch JSON; never throws: {ok, status, body, error} where error is the envelope text. */
  async function request(method, path, kind) {
    let response;
    try {
      response = await fetch(root + path, {
        method,
        headers: { Accept: "application/json", ...authHeader(kind) },
        cache: "no-store",
      });
    } catch (exc) {
      return { ok: false, status: 0, body: null, error: "server unreachable" };
    }
    const body = await response.json().catch(() => null);
    const envelope = body && body.error;
    const error = response.ok
      ? null
      : envelope
        ? `${envelope.message} (${envelope.code}, HTTP ${response.status})` +
          (envelope.hint ? `. ${envelope.hint}` : "")
        : `HTTP ${response.status}`;
    return { ok: response.ok, status: response.status, body, error };
  }
  const getJSON = (path, kind) => request("GET", path, kind || "read");

  /* Lists come as a bare array or under a key ({"jobs": [...]}). */
  function listOf(body, key) {
    if (Array.isArray(body)) return body;
    if (body && Array.isArray(body[key])) return body[key];
    if (body && Array.isArray(body.items)) return body.items;
    return [];
  }

  // ---- formatting (the same shapes as web/page_format.py) ----
  const number = (v) => (v === null || v === undefined ? "–" : Number(v).toLocaleString("en"));
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const whole = Math.round(seconds);
    const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  }
  function time(iso, fallback) {
    if (!iso) return fallback || "–";
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay
      ? d.toLocaleTimeString([], { hour12: false })
      : d.toLocaleString([], { hour12: false, dateStyle: "short", timeStyle: "medium" });
  }
  function setTime(el, iso, fallback) {
    if (iso) el.setAttribute("datetime", iso);
    else el.removeAttribute("datetime");
    el.textContent = time(iso, fallback);
  }
  // First paint shows UTC from the server; switch every stamp to local time.
  for (const el of document.querySelectorAll("time[datetime]")) {
    setTime(el, el.getAttribute("datetime"));
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  // ---- live state: "live" when every stream is open, else "reconnecting" ----
  const stateEl = document.getElementById("live-state");
  const updatedEl = document.getElementById("last-updated");
  const streams = {};
  function showState() {
    const states = Object.values(streams);
    let state = "live", text = "Live";
    if (states.some((s) => s === "offline")) [state, text] = ["offline", "Offline: retrying"];
    else if (states.some((s) => s === "reconnecting")) [state, text] = ["reconnecting", "Reconnecting…"];
    else if (states.some((s) => s === "connecting")) [state, text] = ["connecting", "Connecting…"];
    if (stateEl && stateEl.dataset.state !== state) {
      stateEl.dataset.state = state;
      stateEl.textContent = text;
    }
  }
  function touch() {
    if (updatedEl) setTime(updatedEl, new Date().toISOString());
  }

  const NAMES = ["snapshot", "stream.lagged", "job.created", "job.updated", "job.removed",
    "run.created", "run.updated", "run.removed", "jobs.snapshot", "runs.snapshot"];

  /* Subscribe to /<topic>/stream. onOpen runs on every (re)connection: re-fetch the
     snapshot there, since events may have been missed while disconnected.
     EventSource retries by itself after a network error; when it gives up (an HTTP
     error such as 401, or the server answering something else while it restarts)
     a new one is opened with a growing delay. */
  function subscribe(topic, onEvent, onOpen) {
    let source = null, attempt = 0, timer = null;
    streams[topic] = "connecting";
    const handle = (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch (exc) { return; }
      if (!data || typeof data !== "object") return;
      if (!data.event && message.type !== "message") data.event = message.type;
      onEvent(data);
      touch();
    };
    function connect() {
      const token = readToken();
      const url = `${root}/${topic}/stream` + (token ? `?token=${encodeURIComponent(token)}` : "");
      source = new EventSource(url);
      source.onopen = () => {
        attempt = 0;
        streams[topic] = "live";
        showState();
        onOpen();
      };
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) {
          streams[topic] = "offline";
          clearTimeout(timer);
          timer = setTimeout(connect, Math.min(15000, 500 * 2 ** attempt++));
        } else {
          streams[topic] = "reconnecting";
        }
        showState();
      };
      source.onmessage = handle;
      for (const name of NAMES) source.addEventListener(name, handle);
    }
    connect();
    showState();
  }

  /* Run fn at most once at a time; calls during a run collapse into one more run,
     started no sooner than gapMs after the previous one began (a burst of events
     costs the server one request per gap per page, not one per event). */
  function coalesce(fn, gapMs) {
    let running = false, again = false;
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    return async function run() {
      if (running) { again = true; return; }
      running = true;
      try {
        do {
          again = false;
          const started = performance.now();
          await fn();
          if (again && gapMs) await pause(gapMs - (performance.now() - started));
        } while (again);
      } finally {
        running = false;
      }
    };
  }

  window.Trafalgar = {
    root, adminToken, setAdminToken, readToken, request, getJSON, listOf,
    number, duration, time, setTime, el, subscribe, touch, coalesce,
  };
})();
