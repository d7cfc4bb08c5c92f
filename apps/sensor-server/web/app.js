// sensor-server dashboard: live values over Server-Sent Events (/events), a chart of recent
// history (/api/history) drawn on a <canvas>, the device panel kept current from /api/device.
// No libraries, no inline code (the page's CSP forbids it), no external requests. Without this
// script the server-rendered values still show.
'use strict';

(() => {
  const KEEP = 300;        // readings kept for the chart, or as many as /api/history returns...
  const KEEP_MAX = 3600;   // ...up to this many
  const RETRY_MIN = 2000;  // ms before re-opening an EventSource the browser gave up on
  const RETRY_MAX = 30000;
  const OFFLINE_AFTER = 15000;  // ms of failed reconnects before the status says "offline"
  const DEVICE_EVERY = 30000;   // ms between /api/device reads (DHCP may change the address)

  const $ = (id) => document.getElementById(id);

  // A quantity is any finite number whose key carries a unit suffix ("temperature_c").
  const KNOWN = { temperature_c: 'Temperature', humidity_pct: 'Humidity', pressure_hpa: 'Pressure' };
  const UNITS = {
    c: '°C', f: '°F', k: 'K', pct: '%', hpa: 'hPa', kpa: 'kPa', pa: 'Pa', bar: 'bar', mbar: 'mbar',
    ppm: 'ppm', ppb: 'ppb', ugm3: 'µg/m³', lux: 'lx', lx: 'lx', v: 'V', mv: 'mV', a: 'A', ma: 'mA',
    w: 'W', kw: 'kW', wh: 'Wh', kwh: 'kWh', hz: 'Hz', db: 'dB', dba: 'dBA', m: 'm', cm: 'cm',
    mm: 'mm', km: 'km', mps: 'm/s', kmh: 'km/h', deg: '°', s: 's', ms: 'ms', rpm: 'rpm', g: 'g', kg: 'kg',
    b: 'B', kib: 'KiB', mib: 'MiB', gib: 'GiB', kb: 'kB', mb: 'MB', gb: 'GB',
  };
  const isQuantity = (key, v) => key !== 'ts' && /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/i.test(key) &&
    typeof v === 'number' && Number.isFinite(v);
  const unitOf = (key) => UNITS[key.slice(key.lastIndexOf('_') + 1).toLowerCase()] || '';
  const labelOf = (key) => KNOWN[key] || key;

  // Quantities that have had a fractional value; the others (counters, fixed:21) show as integers.
  const fractional = new Set();

  // 1 or 2 decimals (a trailing zero dropped): 21.5 -> "21.5", 1013.25 -> "1013.25", 45 -> "45.0";
  // an integer as is if `key` has only ever had integer values.
  function fmt(v, key) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    if (Number.isInteger(v) && key && !fractional.has(key)) return String(v);
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

  // "3 d 4 h", "2 h 5 min", "4 min 3 s", "12 s" (dashboard.cpp renders the same on the server).
  function uptimeFmt(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s >= 86400) return `${Math.floor(s / 86400)} d ${Math.floor(s / 3600) % 24} h`;
    if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min`;
    if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
    return `${s} s`;
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
    card.dataset.tone = String((cards.size - 3) % 4);  // colours for extra quantities (style.css)
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
      if (!isQuantity(key, v)) continue;
      if (!Number.isInteger(v)) fractional.add(key);
      if (keys.includes(key)) continue;
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
    for (const [key, { num }] of cards) num.textContent = fmt(r[key], key);
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

  // ---- device panel ----
  // The uptime counts on between reads of /api/device, from the last value the server gave.
  let uptimeBase = parseFloat($('uptime').dataset.s);
  let uptimeAt = performance.now();
  let deviceTimer = 0;

  function showUptime() {
    if (Number.isFinite(uptimeBase)) $('uptime').textContent = uptimeFmt(uptimeBase + (performance.now() - uptimeAt) / 1000);
  }

  function showDevice(d) {
    for (const key of ['hostname', 'ip', 'netmask', 'gateway', 'dns', 'sensor', 'platform']) {
      if (typeof d[key] === 'string') $(key).textContent = d[key];
    }
    if (typeof d.interval_s === 'number') $('interval_s').textContent = String(d.interval_s);
    if (typeof d.uptime_s === 'number') {
      uptimeBase = d.uptime_s;
      uptimeAt = performance.now();
      $('uptime').dataset.s = String(Math.floor(d.uptime_s));
      showUptime();
    }
    const heap = typeof d.free_heap_bytes === 'number' && Number.isFinite(d.free_heap_bytes);
    $('free_heap-row').hidden = !heap;
    if (heap) $('free_heap').textContent = `${(d.free_heap_bytes / 1024).toFixed(1)} KiB`;
  }

  async function loadDevice() {
    clearTimeout(deviceTimer);
    try {
      const res = await fetch('/api/device', { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      if (!body || typeof body !== 'object') throw new Error('unexpected device format');
      showDevice(body);
    } catch (err) {
      console.warn('device:', err);
    }
    deviceTimer = setTimeout(loadDevice, DEVICE_EVERY);
  }

  // ---- connection ----
  function setStatus(state) {
    $('status').textContent = state;
    $('status-pill').dataset.state = state;
  }

  let source = null;
  let retry = RETRY_MIN;
  let retryTimer = 0;
  let downSince = 0;         // when the connection was last lost (0: it is up)

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
    es.onopen = () => {
      // After an outage the device may have restarted or got a new address: read it again.
      if (downSince) loadDevice();
      retry = RETRY_MIN; downSince = 0; setStatus('live');
    };
    es.onmessage = onEvent;
    es.addEventListener('reading', onEvent);
    es.onerror = () => {
      if (es !== source) return;
      downSince = downSince || Date.now();
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (HTTP error, wrong type): retry ourselves, then fill the gap.
        setStatus('offline');
        retryTimer = setTimeout(() => { loadHistory(); connect(); }, retry);
        retry = Math.min(retry * 2, RETRY_MAX);
      } else {
        // The browser retries by itself; after OFFLINE_AFTER without success, say so.
        const gone = navigator.onLine === false || Date.now() - downSince > OFFLINE_AFTER;
        setStatus(gone ? 'offline' : 'reconnecting');
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

  const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  function draw() {
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (!w || !h) return;
    const dpr = window.devicePixelRatio || 1;  // draw at device resolution: crisp on high-DPI
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const root = document.documentElement;
    const colors = {
      text: cssVar(root, '--text'), muted: cssVar(root, '--muted'), grid: cssVar(root, '--grid'),
      surface: cssVar(root, '--surface'), border: cssVar(root, '--border'),
      line: cards.has(selected) ? cssVar(cards.get(selected).card, '--q') : cssVar(root, '--accent'),
    };
    ctx.font = FONT;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';

    const pts = selected ? points.filter((p) => isQuantity(selected, p[selected])) : [];
    if (!pts.length) {
      ctx.fillStyle = colors.muted;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('Waiting for readings…', w / 2, h / 2);
      $('stats').textContent = '';
      return;
    }
    const values = pts.map((p) => p[selected]);
    const min = Math.min(...values);
    const max = Math.max(...values);
    const chart = layout(pts, min, max, w, h);
    drawAxes(chart, colors);
    drawSeries(chart, pts, colors.line);
    drawMarker(chart, pts, colors);
    summarize(pts, values, min, max);
  }

  // Scales and margins: y from round ticks around [min, max], x from the first reading (or
  // ten intervals back, so a lone reading is not stretched) to the latest.
  function layout(pts, min, max, w, h) {
    let lo = min, hi = max;
    if (hi - lo < 1e-6) { const pad = Math.max(Math.abs(lo) * 0.002, 0.5); lo -= pad; hi += pad; }
    const { ticks, decimals } = niceTicks(lo, hi, Math.max(2, Math.round(h / 60)));
    lo = ticks[0];
    hi = ticks[ticks.length - 1];
    const labels = ticks.map((v) => v.toFixed(decimals));
    const left = Math.ceil(Math.max(...labels.map((s) => ctx.measureText(s).width))) + 12;
    const right = 14, top = 10, bottom = 26;
    const pw = w - left - right, ph = h - top - bottom;
    const t1 = pts[pts.length - 1].ts;
    const t0 = Math.min(pts[0].ts, t1 - 10 * intervalMs);
    return {
      w, h, left, right, top, ph, pw, t0, t1, lo, hi, ticks, labels,
      X: (t) => left + ((t - t0) / (t1 - t0)) * pw,
      Y: (v) => top + ((hi - v) / (hi - lo)) * ph,
    };
  }

  function drawAxes(c, colors) {
    ctx.lineWidth = 1;
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    c.ticks.forEach((v, i) => {
      const y = Math.round(c.Y(v)) + 0.5;  // +0.5: a 1px line on a pixel, not across two
      ctx.beginPath();
      ctx.moveTo(c.left, y);
      ctx.lineTo(c.w - c.right, y);
      ctx.stroke();
      ctx.fillText(c.labels[i], c.left - 8, y);
    });
    // Time labels, as many as fit; seconds only when the ticks are less than a minute apart.
    const fit = (seconds) => Math.max(1, Math.floor(c.pw / (ctx.measureText(timeFmt(c.t1, seconds)).width + 28)));
    let { ticks, step } = timeTicks(c.t0, c.t1, fit(false));
    if (step < 60000) ({ ticks, step } = timeTicks(c.t0, c.t1, fit(true)));
    const seconds = step < 60000;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    for (const t of ticks) {
      const x = Math.round(c.X(t)) + 0.5;
      const s = timeFmt(t, seconds);
      const half = ctx.measureText(s).width / 2;
      ctx.beginPath();
      ctx.moveTo(x, c.top + c.ph);
      ctx.lineTo(x, c.top + c.ph + 4);
      ctx.stroke();
      ctx.fillText(s, Math.min(Math.max(x, half), c.w - half), c.h - 6);
    }
  }

  // The line with a fading fill, broken where readings are missing (server down, sensor error).
  function drawSeries(c, pts, color) {
    const steps = [];
    for (let i = 1; i < pts.length; i++) steps.push(pts[i].ts - pts[i - 1].ts);
    steps.sort((a, b) => a - b);
    const maxGap = 3 * Math.max(intervalMs, steps.length ? steps[steps.length >> 1] : 0);
    const runs = [[pts[0]]];
    for (let i = 1; i < pts.length; i++) {
      if (pts[i].ts - pts[i - 1].ts > maxGap) runs.push([]);
      runs[runs.length - 1].push(pts[i]);
    }
    const fill = ctx.createLinearGradient(0, c.top, 0, c.top + c.ph);
    fill.addColorStop(0, withAlpha(color, 0.22));
    fill.addColorStop(1, withAlpha(color, 0));
    for (const run of runs) {
      ctx.beginPath();
      run.forEach((p, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, c.X(p.ts), c.Y(p[selected])));
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.lineTo(c.X(run[run.length - 1].ts), c.top + c.ph);
      ctx.lineTo(c.X(run[0].ts), c.top + c.ph);
      ctx.closePath();
      ctx.fillStyle = fill;
      ctx.fill();
    }
  }

  // A dot on the latest reading, or on the one nearest the pointer with a label of its value.
  function drawMarker(c, pts, colors) {
    let p = pts[pts.length - 1];
    if (hoverX !== null) {
      const t = c.t0 + ((hoverX - c.left) / c.pw) * (c.t1 - c.t0);
      p = pts.reduce((a, b) => (Math.abs(b.ts - t) < Math.abs(a.ts - t) ? b : a));
    }
    const x = c.X(p.ts), y = c.Y(p[selected]);
    if (hoverX !== null) {
      ctx.strokeStyle = colors.muted;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.round(x) + 0.5, c.top);
      ctx.lineTo(Math.round(x) + 0.5, c.top + c.ph);
      ctx.stroke();
    }
    ctx.beginPath();
    ctx.arc(x, y, 4, 0, 2 * Math.PI);
    ctx.fillStyle = colors.line;
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = colors.surface;
    ctx.stroke();
    if (hoverX === null) return;

    const unit = unitOf(selected);
    const value = fmt(p[selected], selected) + (unit ? ' ' + unit : '');
    const time = timeFmt(p.ts);
    ctx.font = '600 ' + FONT;
    const bw = Math.max(ctx.measureText(value).width, ctx.measureText(time).width) + 16;
    const bx = x + 10 + bw > c.w - c.right ? x - 10 - bw : x + 10;
    const by = Math.min(Math.max(y - 40, c.top), c.top + c.ph - 38);
    ctx.fillStyle = colors.surface;
    ctx.strokeStyle = colors.border;
    ctx.lineWidth = 1;
    ctx.beginPath();
    if (ctx.roundRect) ctx.roundRect(bx, by, bw, 38, 6);
    else ctx.rect(bx, by, bw, 38);
    ctx.fill();
    ctx.stroke();
    ctx.textAlign = 'left';
    ctx.fillStyle = colors.text;
    ctx.fillText(value, bx + 8, by + 16);
    ctx.font = FONT;
    ctx.fillStyle = colors.muted;
    ctx.fillText(time, bx + 8, by + 31);
  }

  // The line under the chart, and the chart's text alternative for screen readers.
  function summarize(pts, values, min, max) {
    const unit = unitOf(selected);
    const u = unit ? ' ' + unit : '';
    const range = span(pts[pts.length - 1].ts - pts[0].ts);
    const stats = $('stats');
    stats.replaceChildren();
    const item = (name, v) => {
      if (stats.childNodes.length) stats.append(' · ');
      stats.append(name + ' ');
      stats.appendChild(document.createElement('b')).textContent = fmt(v, name === 'avg' ? null : selected) + u;
    };
    item('min', min);
    item('avg', values.reduce((a, b) => a + b, 0) / values.length);
    item('max', max);
    stats.append(` · ${pts.length} reading${pts.length === 1 ? '' : 's'} over ${range}`);
    canvas.setAttribute('aria-label', `${labelOf(selected)} over the last ${range}: ` +
      `between ${fmt(min, selected)} and ${fmt(max, selected)}${u}, latest ${fmt(values[values.length - 1], selected)}${u}`);
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
  loadDevice();
  setInterval(showUptime, 1000);
})();
