// sensor-server dashboard: live values over Server-Sent Events (/events), a chart of recent
// history (/api/history) drawn on a <canvas>. No libraries, no inline code (the page's CSP
// forbids it), no external requests. Without this script the server-rendered values still show.
'use strict';

(() => {
  const KEEP = 300;        // readings kept for the chart, or as many as /api/history returns...
  const KEEP_MAX = 3600;   // ...up to this many
  const RETRY_MIN = 2000;  // ms before re-opening an EventSource the browser gave up on
  const RETRY_MAX = 30000;

  const $ = (id) => document.getElementById(id);

  // A quantity is any finite number whose key carries a unit suffix ("temperature_c").
  const KNOWN = { temperature_c: 'Temperature', humidity_pct: 'Humidity', pressure_hpa: 'Pressure' };
  const UNITS = {
    c: '°C', f: '°F', k: 'K', pct: '%', hpa: 'hPa', kpa: 'kPa', pa: 'Pa', bar: 'bar', mbar: 'mbar',
    ppm: 'ppm', ppb: 'ppb', ugm3: 'µg/m³', lux: 'lx', lx: 'lx', v: 'V', mv: 'mV', a: 'A', ma: 'mA',
    w: 'W', kw: 'kW', wh: 'Wh', kwh: 'kWh', hz: 'Hz', db: 'dB', dba: 'dBA', m: 'm', cm: 'cm',
    mm: 'mm', km: 'km', mps: 'm/s', kmh: 'km/h', deg: '°', s: 's', ms: 'ms', rpm: 'rpm', g: 'g', kg: 'kg',
  };
  const isQuantity = (key, v) => key !== 'ts' && /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/i.test(key) &&
    typeof v === 'number' && Number.isFinite(v);
  const unitOf = (key) => UNITS[key.slice(key.lastIndexOf('_') + 1).toLowerCase()] || '';
  const labelOf = (key) => KNOWN[key] || key;

  // 1 or 2 decimals (a trailing zero dropped): 21.5 -> "21.5", 1013.25 -> "1013.25", 45 -> "45.0".
  function fmt(v) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    return v.toFixed(2).replace(/(\.\d)0$/, '$1').replace(/^-(0\.0+)$/, '$1');  // never "-0.0"
  }
  const timeFmt = (t, seconds = true) => new Date(t).toLocaleTimeString([], seconds
    ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
  function span(ms) {
    const s = ms / 1000;
    if (s < 120) return `${Math.round(s)} s`;
    if (s < 7200) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${+(s / 3600).toFixed(1)} h`;
    return `${+(s / 86400).toFixed(1)} days`;
  }

  // ---- state ----
  const points = [];         // readings with a numeric ts, sorted by ts, at most `keep`
  let keep = KEEP;
  let latest = -Infinity;    // ts of the reading shown on the cards
  const keys = [];           // quantities seen, in display order
  const cards = new Map();   // key -> { card, num }
  let selected = null;       // quantity in the chart
  let preferred = null;      // the user's last choice, kept across reloads
  try { preferred = localStorage.getItem('sensor.chart'); } catch { /* storage may be disabled */ }
  const intervalMs = (parseFloat($('interval_s').textContent) || 1) * 1000;

  for (const card of document.querySelectorAll('#cards .card[data-q]')) {
    cards.set(card.dataset.q, { card, num: $(card.dataset.q) });
  }

  function addCard(key) {
    const card = document.createElement('article');
    card.className = 'card';
    card.dataset.q = key;
    const h = card.appendChild(document.createElement('h3'));
    h.className = 'label';
    h.id = 'l-' + key;
    h.textContent = labelOf(key);
    card.setAttribute('aria-labelledby', h.id);
    const p = card.appendChild(document.createElement('p'));
    p.className = 'value';
    const num = p.appendChild(document.createElement('span'));
    num.className = 'num';
    num.id = key;
    num.textContent = '—';
    const unit = unitOf(key);
    if (unit) {
      p.append(' ');
      const u = p.appendChild(document.createElement('span'));
      u.className = 'unit';
      u.textContent = unit;
    }
    $('cards').appendChild(card);
    cards.set(key, { card, num });
  }

  // Registers new quantities (card, chart choice); known ones first, others as they appear.
  function learnKeys(r) {
    let changed = false;
    for (const [key, v] of Object.entries(r)) {
      if (!isQuantity(key, v) || keys.includes(key)) continue;
      keys.push(key);
      changed = true;
      if (!cards.has(key)) addCard(key);
    }
    if (!changed) return;
    const order = Object.keys(KNOWN);
    keys.sort((a, b) => ((order.indexOf(a) + 1) || 99) - ((order.indexOf(b) + 1) || 99));
    // A card the sensor never reports (e.g. humidity with --sensor fixed:21.5) is hidden.
    for (const [key, { card }] of cards) card.hidden = !keys.includes(key);
    buildPicker();
  }

  // Adds one reading; returns true if it is the newest so far (and so belongs on the cards).
  function add(r) {
    if (!r || typeof r !== 'object' || Array.isArray(r)) return false;
    const ts = Number(r.ts);
    if (!Number.isFinite(ts)) return false;
    learnKeys(r);
    let i = points.length;
    while (i > 0 && points[i - 1].ts > ts) i--;
    if (i > 0 && points[i - 1].ts === ts) points[i - 1] = { ...r, ts };  // same reading twice
    else points.splice(i, 0, { ...r, ts });
    if (points.length > keep) points.splice(0, points.length - keep);
    if (ts < latest) return false;
    latest = ts;
    return true;
  }

  function show(r) {
    for (const [key, { num }] of cards) num.textContent = fmt(r[key]);
    const el = $('ts');
    const d = new Date(r.ts);
    const today = d.toDateString() === new Date().toDateString();
    el.textContent = today ? timeFmt(d) : d.toLocaleString();
    el.dateTime = d.toISOString();
    el.title = d.toISOString();
  }

  function ingest(list) {
    let newest = null;
    for (const r of list) if (add(r)) newest = r;
    if (newest) show(newest);
    drawSoon();
  }

  // ---- connection ----
  function setStatus(state) {
    $('status').textContent = state;
    $('status-pill').dataset.state = state;
  }

  let source = null;
  let retry = RETRY_MIN;
  let retryTimer = 0;

  function onEvent(e) {
    let data;
    try { data = JSON.parse(e.data); } catch { console.warn('bad event data', e.data); return; }
    ingest(Array.isArray(data) ? data : [data]);
  }

  function connect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    setStatus('reconnecting');
    const es = source = new EventSource('/events');
    es.onopen = () => { retry = RETRY_MIN; setStatus('live'); };
    es.onmessage = onEvent;
    es.addEventListener('reading', onEvent);
    es.onerror = () => {
      if (es !== source) return;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (HTTP error, wrong type): retry ourselves, then fill the gap.
        setStatus('offline');
        retryTimer = setTimeout(() => { loadHistory(); connect(); }, retry);
        retry = Math.min(retry * 2, RETRY_MAX);
      } else {
        setStatus(navigator.onLine === false ? 'offline' : 'reconnecting');  // it retries itself
      }
    };
  }
  addEventListener('offline', () => setStatus('offline'));
  addEventListener('online', () => {
    if (!source || source.readyState !== EventSource.OPEN) connect();
  });

  async function loadHistory() {
    try {
      const res = await fetch('/api/history', { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      const list = Array.isArray(body) ? body : (body && (body.readings || body.history)) || [];
      if (!Array.isArray(list)) throw new Error('unexpected history format');
      keep = Math.min(KEEP_MAX, Math.max(keep, list.length));
      ingest(list);
    } catch (err) {
      console.warn('history:', err);
      drawSoon();
    }
  }

  // ---- chart ----
  const canvas = $('chart');
  const ctx = canvas.getContext('2d');
  let hoverX = null;       // pointer x in CSS pixels, or null
  let queued = false;

  function drawSoon() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; draw(); });
  }

  function buildPicker() {
    const pick = $('pick');
    if (keys.includes(preferred)) selected = preferred;
    else if (!keys.includes(selected)) selected = keys[0] || null;
    for (const el of pick.querySelectorAll('input, label')) el.remove();
    for (const key of keys) {
      const input = pick.appendChild(document.createElement('input'));
      input.type = 'radio';
      input.name = 'q';
      input.id = 'pick-' + key;
      input.value = key;
      input.checked = key === selected;
      const label = pick.appendChild(document.createElement('label'));
      label.htmlFor = input.id;
      label.textContent = labelOf(key);
    }
    pick.hidden = keys.length < 2;
  }
  $('pick').addEventListener('change', (e) => {
    selected = preferred = e.target.value;
    try { localStorage.setItem('sensor.chart', selected); } catch { /* ignore */ }
    drawSoon();
  });

  // Round steps: 1, 2, 2.5, 5 × 10^n, about n of them between lo and hi.
  function niceTicks(lo, hi, n) {
    const raw = (hi - lo) / n;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const f = [1, 2, 2.5, 5, 10].find((m) => raw <= m * mag * 1.0001);
    const step = f * mag;
    const first = Math.floor(lo / step + 1e-9);
    const last = Math.ceil(hi / step - 1e-9);
    const ticks = [];
    for (let i = first; i <= last; i++) ticks.push(i * step);
    const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (f === 2.5 ? 1 : 0));
    return { ticks, decimals };
  }

  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  function timeTicks(t0, t1, n) {
    const step = 1000 * (TIME_STEPS.find((s) => (t1 - t0) / (s * 1000) <= n) || 86400 * Math.ceil((t1 - t0) / 864e5 / n));
    const off = new Date(t0).getTimezoneOffset() * 60000;  // align to local minutes/hours
    const ticks = [];
    for (let t = Math.ceil((t0 - off) / step) * step + off; t <= t1; t += step) ticks.push(t);
    return { ticks, step };
  }

  const cssVar = (el, name) => getComputedStyle(el).getPropertyValue(name).trim();
  function withAlpha(color, a) {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
    if (!m) return color;
    const h = m[1].length === 3 ? m[1].replace(/./g, '$&$&') : m[1];
    const n = parseInt(h, 16);
    return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${a})`;
  }

  function draw() {
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (!w || !h) return;
    const dpr = window.devicePixelRatio || 1;
    const W = Math.round(w * dpr);
    const H = Math.round(h * dpr);
    if (canvas.width !== W || canvas.height !== H) { canvas.width = W; canvas.height = H; }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);

    const root = document.documentElement;
    const muted = cssVar(root, '--muted');
    const text = cssVar(root, '--text');
    const line = selected && cards.has(selected) ? cssVar(cards.get(selected).card, '--q') : cssVar(root, '--accent');
    ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';

    const pts = selected ? points.filter((p) => isQuantity(selected, p[selected])) : [];
    if (!pts.length) {
      ctx.fillStyle = muted;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('Waiting for readings…', w / 2, h / 2);
      $('stats').textContent = '';
      return;
    }

    let min = Infinity, max = -Infinity, sum = 0;
    for (const p of pts) {
      const v = p[selected];
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    let lo = min, hi = max;
    if (hi - lo < 1e-6) { const pad = Math.max(Math.abs(lo) * 0.002, 0.5); lo -= pad; hi += pad; }
    const { ticks: yTicks, decimals } = niceTicks(lo, hi, Math.max(2, Math.round(h / 60)));
    lo = yTicks[0];
    hi = yTicks[yTicks.length - 1];
    const yLabels = yTicks.map((v) => v.toFixed(decimals));

    const left = Math.ceil(Math.max(...yLabels.map((s) => ctx.measureText(s).width))) + 12;
    const right = 14, top = 10, bottom = 26;
    const pw = w - left - right;
    const ph = h - top - bottom;
    const t1 = pts[pts.length - 1].ts;
    const t0 = Math.min(pts[0].ts, t1 - 10 * intervalMs);
    const X = (t) => left + ((t - t0) / (t1 - t0)) * pw;
    const Y = (v) => top + ((hi - v) / (hi - lo)) * ph;

    // Grid and y labels.
    ctx.lineWidth = 1;
    ctx.strokeStyle = cssVar(root, '--grid');
    ctx.fillStyle = muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    yTicks.forEach((v, i) => {
      const y = Math.round(Y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(w - right, y);
      ctx.stroke();
      ctx.fillText(yLabels[i], left - 8, y);
    });

    // Time labels, as many as fit; seconds only when the ticks are less than a minute apart.
    const fit = (seconds) => Math.max(1, Math.floor(pw / (ctx.measureText(timeFmt(t1, seconds)).width + 28)));
    let { ticks: xTicks, step } = timeTicks(t0, t1, fit(false));
    const withSeconds = step < 60000;
    if (withSeconds) xTicks = timeTicks(t0, t1, fit(true)).ticks;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    for (const t of xTicks) {
      const x = Math.round(X(t)) + 0.5;
      const s = timeFmt(t, withSeconds);
      const half = ctx.measureText(s).width / 2;
      ctx.beginPath();
      ctx.moveTo(x, top + ph);
      ctx.lineTo(x, top + ph + 4);
      ctx.stroke();
      ctx.fillText(s, Math.min(Math.max(x, half), w - half), h - 6);
    }

    // The line, broken where readings are missing (server down, sensor error).
    const gaps = [];
    for (let i = 1; i < pts.length; i++) gaps.push(pts[i].ts - pts[i - 1].ts);
    gaps.sort((a, b) => a - b);
    const maxGap = 3 * Math.max(intervalMs, gaps.length ? gaps[gaps.length >> 1] : 0);
    const runs = [[pts[0]]];
    for (let i = 1; i < pts.length; i++) {
      if (pts[i].ts - pts[i - 1].ts > maxGap) runs.push([]);
      runs[runs.length - 1].push(pts[i]);
    }
    const fill = ctx.createLinearGradient(0, top, 0, top + ph);
    fill.addColorStop(0, withAlpha(line, 0.22));
    fill.addColorStop(1, withAlpha(line, 0));
    for (const run of runs) {
      ctx.beginPath();
      run.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, X(p.ts), Y(p[selected])));
      ctx.strokeStyle = line;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.lineTo(X(run[run.length - 1].ts), top + ph);
      ctx.lineTo(X(run[0].ts), top + ph);
      ctx.closePath();
      ctx.fillStyle = fill;
      ctx.fill();
    }

    // Latest point, or the one under the pointer with its value.
    let p = pts[pts.length - 1];
    if (hoverX !== null) {
      const t = t0 + ((hoverX - left) / pw) * (t1 - t0);
      p = pts.reduce((a, b) => (Math.abs(b.ts - t) < Math.abs(a.ts - t) ? b : a));
    }
    const px = X(p.ts), py = Y(p[selected]);
    if (hoverX !== null) {
      ctx.strokeStyle = muted;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.round(px) + 0.5, top);
      ctx.lineTo(Math.round(px) + 0.5, top + ph);
      ctx.stroke();
    }
    ctx.beginPath();
    ctx.arc(px, py, 4, 0, 2 * Math.PI);
    ctx.fillStyle = line;
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = cssVar(root, '--surface');
    ctx.stroke();
    if (hoverX !== null) {
      const unit = unitOf(selected);
      const a = `${fmt(p[selected])}${unit ? ' ' + unit : ''}`;
      const b = timeFmt(p.ts);
      ctx.font = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      const bw = Math.max(ctx.measureText(a).width, ctx.measureText(b).width) + 16;
      const bx = px + 10 + bw > w - right ? px - 10 - bw : px + 10;
      const by = Math.min(Math.max(py - 40, top), top + ph - 38);
      ctx.fillStyle = cssVar(root, '--surface');
      ctx.strokeStyle = cssVar(root, '--border');
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.roundRect ? ctx.roundRect(bx, by, bw, 38, 6) : ctx.rect(bx, by, bw, 38);
      ctx.fill();
      ctx.stroke();
      ctx.textAlign = 'left';
      ctx.fillStyle = text;
      ctx.fillText(a, bx + 8, by + 16);
      ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      ctx.fillStyle = muted;
      ctx.fillText(b, bx + 8, by + 31);
    }

    // Summary for everyone, and the chart's text alternative.
    const unit = unitOf(selected);
    const u = unit ? ' ' + unit : '';
    const range = span(t1 - pts[0].ts);
    const stats = $('stats');
    stats.replaceChildren();
    const item = (name, v) => {
      if (stats.childNodes.length) stats.append(' · ');
      stats.append(name + ' ');
      stats.appendChild(document.createElement('b')).textContent = v;
    };
    item('min', fmt(min) + u);
    item('avg', fmt(sum / pts.length) + u);
    item('max', fmt(max) + u);
    stats.append(` · ${pts.length} reading${pts.length === 1 ? '' : 's'} over ${range}`);
    canvas.setAttribute('aria-label', `${labelOf(selected)} over the last ${range}: ` +
      `between ${fmt(min)} and ${fmt(max)}${u}, latest ${fmt(pts[pts.length - 1][selected])}${u}`);
  }

  canvas.addEventListener('pointermove', (e) => { hoverX = e.offsetX; drawSoon(); });
  canvas.addEventListener('pointerleave', () => { hoverX = null; drawSoon(); });
  if (window.ResizeObserver) new ResizeObserver(drawSoon).observe(canvas);
  addEventListener('resize', drawSoon);  // also catches a devicePixelRatio change (zoom)
  matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', drawSoon);

  // ---- start ----
  $('history').hidden = false;
  buildPicker();
  connect();
  loadHistory();
})();
