// The dashboard page: a list of curricula and one curriculum live. Data comes from
// /ui/api/* (downsampled on the server) and, for live updates, from the curriculum's
// event log followed as a streamed fetch (EventSource cannot send an Authorization
// header; the token never goes in a URL).
"use strict";
(function () {
  const C = window.Charts;
  const TOKEN_KEY = "curriculum-token";
  const ORIGIN_COLORS = { bootstrap: "#b0b0b0", random: "#505050", gaussian: "#0072b2",
    region: "#009e73", mutation: "#d55e00", oracle: "#cc79a7", box: "#56b4e9",
    boundary: "#e69f00", new: "#0072b2", replay: "#f0e442" };
  const SERIES = ["#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9"];
  const $ = (id) => document.getElementById(id);
  let view = null;  // the state of the page on screen; replaced on navigation

  class AuthError extends Error {}

  async function api(path, options) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = token ? { Authorization: "Bearer " + token } : {};
    const r = await fetch(path, Object.assign({ headers, cache: "no-store" }, options || {}));
    if (r.status === 401) throw new AuthError("the server wants an API token");
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r;
  }

  function status(text) { $("status").textContent = text; }

  function showOnly(id) {
    for (const s of ["token-form", "list-view", "curriculum-view"]) $(s).hidden = s !== id;
    $("forget-token").hidden = !sessionStorage.getItem(TOKEN_KEY);
  }

  function askToken(message) {
    stop();
    showOnly("token-form");
    $("token-error").textContent = message || "";
    $("token-input").focus();
  }

  function failed(err) {
    if (err instanceof AuthError) {
      askToken(sessionStorage.getItem(TOKEN_KEY) ? "That token was refused." : "");
    } else if (!(err && err.name === "AbortError")) {
      status("error: " + (err && err.message ? err.message : err));
    }
  }

  function stop() {
    if (view) { view.stopped = true; if (view.abort) view.abort.abort(); clearTimeout(view.timer); }
    view = null;
  }

  // ---- the list of curricula ------------------------------------------------------------
  async function showList() {
    const me = (view = { stopped: false });
    const refresh = async () => {
      if (me.stopped) return;
      try {
        const data = await (await api("/ui/api/curricula")).json();
        if (me.stopped) return;
        showOnly("list-view");
        renderList(data.curricula);
        status(`${data.curricula.length} curricula · updated ${new Date().toLocaleTimeString()}`);
        document.body.dataset.ready = "list";
      } catch (err) { failed(err); if (err instanceof AuthError) return; }
      if (!me.stopped) me.timer = setTimeout(refresh, 2000);
    };
    await refresh();
  }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function renderList(rows) {
    const body = $("curricula").tBodies[0];
    body.replaceChildren();
    for (const c of rows) {
      const tr = document.createElement("tr");
      tr.dataset.id = c.id;
      const name = document.createElement("td"), a = document.createElement("a");
      a.href = "#/c/" + encodeURIComponent(c.id);
      a.textContent = c.name;
      name.append(a);
      tr.append(name, cell(c.teacher), cell(String(c.episodes), "num"),
        cell(c.results_per_s === null ? "–" : c.results_per_s.toFixed(1), "num"),
        cell(String(c.pending), "num"), cell(String(c.fits), "num"),
        cell(c.latest_mastery_pct === null ? "–" : c.latest_mastery_pct.toFixed(1) + "%", "num"));
      body.append(tr);
    }
    $("list-empty").hidden = rows.length > 0;
  }

  // ---- one curriculum -------------------------------------------------------------------
  async function showCurriculum(id) {
    const me = (view = { stopped: false, id, abort: new AbortController(), tasks: [],
      results: [], overview: null, pendingRefresh: false, lastRefresh: 0 });
    try {
      const base = "/ui/api/curricula/" + encodeURIComponent(id);
      const [ov, recent] = await Promise.all([
        api(base + "/overview").then((r) => r.json()),
        api(base + "/recent?tasks=" + $("window").value).then((r) => r.json()),
      ]);
      if (me.stopped) return;
      me.overview = ov;
      me.seq = recent.seq;
      me.tasks = recent.task_seq.map((seq, i) => ({ seq, origin: recent.origin[i],
        p: recent.params.map((col) => col[i]) }));
      me.workersInitial = recent.workers;
      showOnly("curriculum-view");
      setupControls(ov);
      renderAll();
      document.body.dataset.ready = "curriculum";
      window.__dashReadyMs = performance.now();  // read by the tests and the benchmark
      follow(me);
    } catch (err) { failed(err); }
  }

  function setupControls(ov) {
    const names = ov.space.names;
    for (const [sel, pick] of [["dim-x", 0], ["dim-y", Math.min(1, names.length - 1)]]) {
      const s = $(sel);
      s.replaceChildren(...names.map((n, i) => new Option(n, String(i), false, i === pick)));
      s.disabled = names.length < 2;
    }
    for (const k of ["tasks", "alp", "mastery", "workers"]) {
      $("src-" + k).textContent = "data: " + ov.sources[k];
    }
  }

  function renderAll() {
    renderHeader();
    renderTasks();
    renderAlp();
    renderMastery();
    renderWorkers();
  }

  function renderHeader() {
    const ov = view.overview;
    $("c-title").textContent = `${ov.name} · ${ov.teacher}`;
    const m = ov.latest_mastery_pct === null ? "–" : ov.latest_mastery_pct.toFixed(1) + "%";
    $("c-counts").textContent = `${ov.episodes} episodes · ${ov.tasks} tasks · ` +
      `${ov.pending} pending · ${ov.fits} fits · latest mastery ${m} · seq ${view.seq}`;
  }

  function recencyColor(t) {  // light grey (old) to blue (new)
    const a = [205, 205, 205], b = [0, 114, 178];
    const c = a.map((v, j) => Math.round(v + t * (b[j] - v)));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  function renderTasks() {
    const ov = view.overview, canvas = $("tasks-canvas");
    const ix = Number($("dim-x").value), iy = Number($("dim-y").value);
    const lo = ov.space.low, hi = ov.space.high, names = ov.space.names;
    const one = names.length === 1;
    const tasks = view.tasks, n = tasks.length;
    const byOrigin = $("color-by").value === "origin";
    const f = C.frame(canvas, {
      xlim: one ? [0, Math.max(1, n)] : [lo[ix], hi[ix]], ylim: [lo[iy], hi[iy]],
      xlabel: one ? "newest tasks (oldest left)" : names[ix], ylabel: names[iy],
    });
    const st = ov.declared;
    if (st.kind === "regions" && !one) {
      const top = Math.max(1e-12, ...st.regions.map((r) => r.alp));
      for (const r of st.regions) {
        C.rect(f, r.low[ix], r.low[iy], r.high[ix], r.high[iy], C.viridis(r.alp / top, 0.25),
          "rgba(0,0,0,0.3)");
      }
    } else if (st.kind === "window" && !one) {
      C.rect(f, st.low[ix], st.low[iy], st.high[ix], st.high[iy], "rgba(204,121,167,0.2)",
        "#cc79a7");
    } else if (st.kind === "box" && !one) {
      C.rect(f, st.low[ix], st.low[iy], st.high[ix], st.high[iy], "rgba(86,180,233,0.15)",
        "#56b4e9");
    } else if (st.kind === "gaussian" && !one) {
      const tc = st.target_cov, c = st.cov;
      C.ellipse(f, st.target_mean[ix], st.target_mean[iy], tc[ix][ix], tc[ix][iy], tc[iy][iy],
        2, "rgba(160,160,160,0.08)", "#a0a0a0");
      C.ellipse(f, st.mean[ix], st.mean[iy], c[ix][ix], c[ix][iy], c[iy][iy], 2,
        "rgba(0,114,178,0.2)", "#0072b2");
    }
    if (st.kind === "levels" && !one && st.levels.length) {  // under the tasks, by score
      const top = Math.max(1e-12, ...st.levels.map((l) => l.score));
      C.scatter(f, st.levels.map((l) => l.task[ix]), st.levels.map((l) => l.task[iy]),
        st.levels.map((l) => C.viridis(Math.max(0, l.score) / top, 0.6)), 7);
    }
    const xs = tasks.map((t, i) => (one ? i : t.p[ix])), ys = tasks.map((t) => t.p[iy]);
    const colors = tasks.map((t, i) => (byOrigin ? ORIGIN_COLORS[t.origin] || "#e69f00"
      : recencyColor(n > 1 ? i / (n - 1) : 1)));
    C.scatter(f, xs, ys, colors, 3);
    const mix = ov.mixture;
    let stateText;
    if (mix && !one) {
      const top = Math.max(1e-12, ...mix.components.map((c) => c.alp));
      for (const c of mix.components) {
        C.ellipse(f, c.mean[ix], c.mean[iy], c.cov[ix][ix], c.cov[ix][iy], c.cov[iy][iy], 2,
          C.viridis(c.alp / top, 0.3), C.viridis(c.alp / top, 0.9));
      }
      C.labels(f, mix.components.map((c) => ({ x: c.mean[ix], y: c.mean[iy],
        text: `${c.index}: ${C.fmt(c.alp)}` })));
      stateText = `Mixture of fit ${mix.fit_index} (episode ${mix.episode}, k=${mix.k}): ` +
        "2-sd ellipses coloured and labelled by ALP — " +
        mix.components.map((c) => `${c.index}: ALP ${C.fmt(c.alp)}, weight ` +
          c.weight.toFixed(2)).join("; ") + ". Source: " + ov.sources.mixture + ".";
    } else if (st.kind === "regions") {
      stateText = `${st.regions.length} regions (rectangles, shaded by ALP). ` +
        "Source: " + ov.sources.declared + ".";
    } else if (st.kind === "window") {
      stateText = "The oracle's sampling window (rectangle). Source: " + ov.sources.declared + ".";
    } else if (st.kind === "box") {
      stateText = `ADR's box (rectangle): ${st.expansions} expansions, ${st.shrinks} ` +
        "shrinks of its sides. Source: " + ov.sources.declared + ".";
    } else if (st.kind === "levels") {
      stateText = `PLR's level buffer: ${st.size} of ${st.capacity} levels, ${st.replays} ` +
        `replays; the ${st.levels.length} highest-scored drawn as large dots coloured by ` +
        "score. Source: " + ov.sources.declared + ".";
    } else if (st.kind === "gaussian") {
      stateText = `SPDL's Gaussian after update ${st.fit_index} (blue) and its target (grey), ` +
        "2-sd ellipses" + (st.fit.status ? ` — last update: ${st.fit.status}` : "") +
        ". Source: " + ov.sources.declared + ".";
    } else {
      stateText = `Teacher ${ov.teacher} declares no state to draw ` +
        `(${st.updates} updates, ${st.sampled} tasks sampled).`;
    }
    $("teacher-state").textContent = stateText;
    canvas.dataset.points = String(n);
    canvas.dataset.fit = String(mix ? mix.fit_index : 0);
    const legend = $("legend");
    legend.replaceChildren();
    if (byOrigin) {
      const seen = [...new Set(tasks.map((t) => t.origin))];
      for (const o of seen) {
        const s = document.createElement("span"), i = document.createElement("i");
        i.style.background = ORIGIN_COLORS[o] || "#e69f00";
        s.append(i, document.createTextNode(o));
        legend.append(s);
      }
    } else {
      legend.textContent = `${n} newest tasks: grey = older, blue = newer`;
    }
  }

  function renderAlp() {
    const a = view.overview.alp, canvas = $("alp-canvas");
    if (!a) { C.message(canvas, `teacher ${view.overview.teacher} computes no ALP`); return; }
    const top = Math.max(1e-12, ...a.max);
    const f = C.frame(canvas, { xlim: [0, Math.max(1, a.episodes)], ylim: [0, top * 1.05],
      xlabel: "episode", ylabel: "ALP" });
    C.line(f, a.episode, a.max, "#d55e00", 1, [3, 3]);
    C.line(f, a.episode, a.mean, "#0072b2", 1.8);
    f.ctx.fillStyle = "#444";
    f.ctx.textAlign = "right";
    f.ctx.textBaseline = "top";
    f.ctx.fillText(`mean (blue) and max (dashed) per bucket of ` +
      `${Math.ceil(a.episodes / a.episode.length)} episodes`, f.R - 4, f.T + 4);
  }

  function renderMastery() {
    const m = view.overview.mastery, canvas = $("mastery-canvas");
    if (!m.length) { C.message(canvas, "no evaluations with a mastery threshold yet"); return; }
    const xOf = (s) => s.step.map((v, i) => (v === null ? i + 1 : v));
    const xmax = Math.max(1, ...m.flatMap(xOf));
    const hasStep = m.every((s) => s.step.every((v) => v !== null));
    const f = C.frame(canvas, { xlim: [0, xmax], ylim: [0, 100],
      xlabel: hasStep ? "step" : "evaluation round", ylabel: "% mastered" });
    m.forEach((s, k) => C.line(f, xOf(s), s.pct, SERIES[k % SERIES.length], 1.8));
    f.ctx.textAlign = "left";
    f.ctx.textBaseline = "top";
    m.forEach((s, k) => {
      f.ctx.fillStyle = SERIES[k % SERIES.length];
      f.ctx.fillText(`${s.test_set}: ${s.pct[s.pct.length - 1].toFixed(1)}%`, f.L + 6,
        f.T + 4 + 14 * k);
    });
  }

  function renderWorkers() {
    const canvas = $("workers-canvas");
    let rows = view.workersInitial;
    const res = view.results;
    if (res.length >= 2) {  // live: the newest results seen on the stream
      const span = (res[res.length - 1].t - res[0].t) / 1000, counts = {};
      for (const r of res) counts[r.worker] = (counts[r.worker] || 0) + 1;
      rows = Object.keys(counts).sort().map((w) => ({ worker: w, results: counts[w],
        per_s: span > 0 ? counts[w] / span : null }));
    }
    rows = rows.filter((r) => r.per_s !== null);
    if (!rows.length) { C.message(canvas, "no recent results"); return; }
    C.bars(canvas, rows.map((r) => r.worker), rows.map((r) => r.per_s),
      "results / s over the newest results");
  }

  // ---- live updates: the event log, followed ----------------------------------------------
  async function follow(me) {
    const base = `/v1/curricula/${encodeURIComponent(me.id)}/events?follow=true&after=`;
    for (let attempt = 0; attempt < 1000 && !me.stopped; attempt++) {
      try {
        const r = await api(base + me.seq, { signal: me.abort.signal });
        status("live: following the event log");
        const reader = r.body.getReader(), dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done || me.stopped) break;
          buf += dec.decode(value, { stream: true });
          const lines = buf.split("\n");
          buf = lines.pop();
          for (const line of lines) if (line.trim()) onEvent(me, JSON.parse(line));
          scheduleRender(me);
        }
      } catch (err) {
        if (me.stopped || (err && err.name === "AbortError")) return;
        if (err instanceof AuthError) { failed(err); return; }
        status("stream interrupted, reconnecting…");
      }
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }

  function onEvent(me, e) {
    me.seq = Math.max(me.seq, e.seq);
    const ov = me.overview;
    if (e.type === "task") {
      me.tasks.push({ seq: e.seq, origin: String(e.origin).split(":")[0],
        p: ov.space.names.map((n) => e.params[n]) });
      const cap = Number($("window").value);
      if (me.tasks.length > cap) me.tasks.splice(0, me.tasks.length - cap);
      ov.tasks += 1;
      ov.pending += 1;
    } else if (e.type === "result") {
      ov.episodes += 1;
      ov.pending = Math.max(0, ov.pending - 1);
      me.results.push({ t: Date.parse(e.time), worker: e.worker || "(unnamed)" });
      if (me.results.length > 2000) me.results.splice(0, me.results.length - 2000);
      me.needOverview = true;  // ALP, counts
    } else if (e.type === "fit" || e.type === "evaluation" || e.type === "score") {
      me.needOverview = true;
    }
  }

  // At most a few redraws per second, and a fresh overview (mixture, ALP, mastery) at
  // most every 1.5 s while events arrive.
  function scheduleRender(me) {
    if (me.renderQueued) return;
    me.renderQueued = true;
    requestAnimationFrame(async () => {
      me.renderQueued = false;
      if (me.stopped) return;
      renderHeader(); renderTasks(); renderWorkers();
      const now = Date.now();
      if (me.needOverview && now - me.lastRefresh > 1500 && !me.pendingRefresh) {
        me.needOverview = false;
        me.pendingRefresh = true;
        me.lastRefresh = now;
        try {
          const fresh = await (await api(`/ui/api/curricula/${encodeURIComponent(me.id)}/overview`)).json();
          if (me.stopped) return;
          if (fresh.seq < me.seq) {  // the stream is ahead of this answer: keep its counts
            const old = me.overview;
            fresh.tasks = Math.max(fresh.tasks, old.tasks);
            fresh.episodes = Math.max(fresh.episodes, old.episodes);
            fresh.pending = Math.max(0, old.pending);
          }
          me.overview = fresh;
          renderAll();
        } catch (err) { failed(err); } finally { me.pendingRefresh = false; }
      } else if (me.needOverview) {
        clearTimeout(me.timer);
        me.timer = setTimeout(() => scheduleRender(me), 1600);
      }
    });
  }

  // ---- routing ------------------------------------------------------------------------------
  function route() {
    stop();
    document.body.dataset.ready = "";
    const m = location.hash.match(/^#\/c\/(.+)$/);
    if (m) showCurriculum(decodeURIComponent(m[1])); else showList();
  }

  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = $("token-input").value.trim();
    if (!t) { $("token-error").textContent = "Enter the token."; return; }
    sessionStorage.setItem(TOKEN_KEY, t);
    $("token-input").value = "";
    route();
  });
  $("forget-token").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    route();
  });
  for (const id of ["dim-x", "dim-y", "color-by"]) {
    $(id).addEventListener("change", () => { if (view && view.overview) renderTasks(); });
  }
  $("window").addEventListener("change", () => { if (view && view.overview) route(); });
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => { if (view && view.overview) renderAll(); });
  window.__dashRenderAll = () => renderAll();  // timed by the benchmark
  route();
})();
