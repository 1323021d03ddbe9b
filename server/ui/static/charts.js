// Small canvas charts for the dashboard: axes with round ticks, scatter, lines, bars,
// ellipses and rectangles. Hand-written, no dependencies. Exposes window.Charts.
"use strict";
(function () {
  const FONT = "11px system-ui, sans-serif";
  const PAD = { left: 52, right: 12, top: 10, bottom: 34 };

  function setup(canvas) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 400, h = canvas.clientHeight || 260;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = FONT;
    return { ctx, w, h };
  }

  function ticks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step && out.length < 50; v += step) {
      out.push(Math.abs(v) < 1e-12 * step ? 0 : v);
    }
    return out;
  }

  function fmt(v) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
    if (a >= 100) return String(Math.round(v));
    return String(Number(v.toPrecision(3)));
  }

  // A frame with axes: returns the mapping from data to pixels.
  function frame(canvas, opt) {
    const { ctx, w, h } = setup(canvas);
    const [x0, x1] = opt.xlim, [y0, y1] = opt.ylim;
    const L = PAD.left, R = w - PAD.right, T = PAD.top, B = h - PAD.bottom;
    const sx = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (R - L);
    const sy = (y) => B - ((y - y0) / (y1 - y0 || 1)) * (B - T);
    ctx.strokeStyle = "#ccc";
    ctx.fillStyle = "#444";
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of ticks(x0, x1, Math.max(2, Math.floor((R - L) / 80)))) {
      ctx.beginPath(); ctx.moveTo(sx(t), B); ctx.lineTo(sx(t), B + 4); ctx.stroke();
      ctx.fillText(fmt(t), sx(t), B + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of ticks(y0, y1, Math.max(2, Math.floor((B - T) / 50)))) {
      ctx.strokeStyle = "#eee";
      ctx.beginPath(); ctx.moveTo(L, sy(t)); ctx.lineTo(R, sy(t)); ctx.stroke();
      ctx.fillText(fmt(t), L - 6, sy(t));
    }
    ctx.strokeStyle = "#999";
    ctx.strokeRect(L, T, R - L, B - T);
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    if (opt.xlabel) ctx.fillText(opt.xlabel, (L + R) / 2, h - 2);
    if (opt.ylabel) {
      ctx.save(); ctx.translate(12, (T + B) / 2); ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle"; ctx.fillText(opt.ylabel, 0, 0); ctx.restore();
    }
    return { ctx, sx, sy, L, R, T, B, w, h };
  }

  function clip(f) {
    f.ctx.save();
    f.ctx.beginPath();
    f.ctx.rect(f.L, f.T, f.R - f.L, f.B - f.T);
    f.ctx.clip();
  }

  function message(canvas, text) {
    const { ctx, w, h } = setup(canvas);
    ctx.fillStyle = "#888";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(text, w / 2, h / 2);
  }

  function scatter(f, xs, ys, colors, size) {
    clip(f);
    const r = size || 2.5;
    for (let i = 0; i < xs.length; i++) {
      f.ctx.fillStyle = colors[i];
      f.ctx.fillRect(f.sx(xs[i]) - r / 2, f.sy(ys[i]) - r / 2, r, r);
    }
    f.ctx.restore();
  }

  function line(f, xs, ys, color, width, dash) {
    clip(f);
    f.ctx.strokeStyle = color;
    f.ctx.lineWidth = width || 1.5;
    f.ctx.setLineDash(dash || []);
    f.ctx.beginPath();
    let started = false;
    for (let i = 0; i < xs.length; i++) {
      if (ys[i] === null || !isFinite(ys[i])) { started = false; continue; }
      const px = f.sx(xs[i]), py = f.sy(ys[i]);
      if (started) f.ctx.lineTo(px, py); else { f.ctx.moveTo(px, py); started = true; }
    }
    f.ctx.stroke();
    f.ctx.setLineDash([]);
    f.ctx.restore();
  }

  // An n-sd ellipse of a 2x2 covariance [[a, b], [b, c]] centred on (mx, my).
  function ellipse(f, mx, my, a, b, c, nStd, fill, stroke) {
    const tr = (a + c) / 2, det = Math.sqrt(Math.max(0, ((a - c) / 2) ** 2 + b * b));
    const l1 = Math.max(0, tr + det), l2 = Math.max(0, tr - det);
    const angle = Math.abs(b) < 1e-15 ? (a >= c ? 0 : Math.PI / 2) : Math.atan2(l1 - a, b);
    clip(f);
    f.ctx.beginPath();
    for (let i = 0; i <= 48; i++) {
      const t = (i / 48) * 2 * Math.PI;
      const u = nStd * Math.sqrt(l1) * Math.cos(t), v = nStd * Math.sqrt(l2) * Math.sin(t);
      const x = mx + u * Math.cos(angle) - v * Math.sin(angle);
      const y = my + u * Math.sin(angle) + v * Math.cos(angle);
      if (i === 0) f.ctx.moveTo(f.sx(x), f.sy(y)); else f.ctx.lineTo(f.sx(x), f.sy(y));
    }
    f.ctx.fillStyle = fill;
    f.ctx.fill();
    f.ctx.strokeStyle = stroke;
    f.ctx.lineWidth = 1.5;
    f.ctx.stroke();
    f.ctx.restore();
  }

  function rect(f, x0, y0, x1, y1, fill, stroke) {
    clip(f);
    const px = f.sx(x0), py = f.sy(y1), pw = f.sx(x1) - px, ph = f.sy(y0) - py;
    f.ctx.fillStyle = fill;
    f.ctx.fillRect(px, py, pw, ph);
    f.ctx.strokeStyle = stroke;
    f.ctx.lineWidth = 1;
    f.ctx.strokeRect(px, py, pw, ph);
    f.ctx.restore();
  }

  // Labels that never overlap: each takes the nearest free spot around its anchor.
  function labels(f, items) {
    const placed = [];
    f.ctx.font = FONT;
    f.ctx.textAlign = "left";
    f.ctx.textBaseline = "top";
    for (const it of items) {
      const tw = f.ctx.measureText(it.text).width + 6, th = 15;
      const ax = f.sx(it.x), ay = f.sy(it.y);
      let box = null;
      for (let r = 0; r <= 120 && !box; r += 12) {
        for (let k = 0; k < (r ? 12 : 1) && !box; k++) {
          const t = (k / 12) * 2 * Math.PI;
          const x = ax + r * Math.cos(t) - tw / 2, y = ay + r * Math.sin(t) - th / 2;
          const b = [x, y, x + tw, y + th];
          if (!placed.some((p) => b[0] < p[2] && p[0] < b[2] && b[1] < p[3] && p[1] < b[3])) {
            box = b;
          }
        }
      }
      if (!box) continue;  // no room left: the legend line below the chart has it all
      placed.push(box);
      if (Math.hypot(box[0] + tw / 2 - ax, box[1] + th / 2 - ay) > 2) {
        f.ctx.strokeStyle = "#555";
        f.ctx.lineWidth = 0.7;
        f.ctx.beginPath(); f.ctx.moveTo(ax, ay);
        f.ctx.lineTo(box[0] + tw / 2, box[1] + th / 2); f.ctx.stroke();
      }
      f.ctx.fillStyle = "rgba(255,255,255,0.85)";
      f.ctx.fillRect(box[0], box[1], tw, th);
      f.ctx.strokeStyle = "#999";
      f.ctx.strokeRect(box[0], box[1], tw, th);
      f.ctx.fillStyle = "#111";
      f.ctx.fillText(it.text, box[0] + 3, box[1] + 2);
    }
  }

  function bars(canvas, names, values, xlabel) {
    const { ctx, w } = setup(canvas);
    const top = Math.max(1e-9, ...values);
    const rowH = Math.min(28, 220 / Math.max(1, names.length)), L = 110;
    ctx.textBaseline = "middle";
    names.forEach((n, i) => {
      const y = 8 + i * rowH, bw = (values[i] / top) * (w - L - 70);
      ctx.fillStyle = "#444"; ctx.textAlign = "right";
      ctx.fillText(n.length > 16 ? n.slice(0, 15) + "…" : n, L - 6, y + rowH / 2);
      ctx.fillStyle = "#0072b2"; ctx.fillRect(L, y + 3, Math.max(1, bw), rowH - 6);
      ctx.fillStyle = "#444"; ctx.textAlign = "left";
      ctx.fillText(fmt(values[i]), L + bw + 4, y + rowH / 2);
    });
    ctx.textAlign = "center";
    ctx.fillStyle = "#666";
    ctx.fillText(xlabel, w / 2, 8 + names.length * rowH + 12);
  }

  // viridis, five stops, for ALP colours.
  const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function viridis(t, alpha) {
    t = Math.min(1, Math.max(0, isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
    const i = Math.min(VIRIDIS.length - 2, Math.floor(t)), u = t - i;
    const c = VIRIDIS[i].map((v, j) => Math.round(v + u * (VIRIDIS[i + 1][j] - v)));
    return `rgba(${c[0]},${c[1]},${c[2]},${alpha === undefined ? 1 : alpha})`;
  }

  window.Charts = { frame, scatter, line, ellipse, rect, labels, bars, message, viridis, fmt };
})();
