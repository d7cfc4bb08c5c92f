// sensor-server dashboard: live values over Server-Sent Events (/events), a chart of recent
// history (/api/history) drawn on a <canvas>, the device panel kept current from /api/device.
// No libraries, no inline code (the page's CSP forbids it), no external requests. Without this
// script the server-rendered values still show.
'use strict';

(() => {
  const RETRY_MIN = 2000;  // ms before re-opening an EventSource the browser gave up on
  const RETRY_MAX = 30000;
  const OFFLINE_AFTER = 15000;  // ms of failed reconnects before the status says "offline"
  const DEVICE_EVERY = 30000;   // ms between /api/device reads (DHCP may change the address)

  const $ = (id) => document.getElementById(id);

  // A quantity is any finite number whose key carries a unit suffix ("temperature_c"). What it
  // is (label, unit, decimals) comes with the server-rendered cards, or from /api/quantities for
  // one that appears later.
  const isQuantity = (key, v) => key !== 'ts' && /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/i.test(key) &&
    typeof v === 'number' && Number.isFinite(v);
  const meta = new Map();    // key -> { label, unit, decimals }
  const unitOf = (key) => (meta.get(key) || {}).unit || '';
  const labelOf = (key) => (meta.get(key) || {}).label || key;
  const decimalsOf = (key) => (meta.get(key) || {}).decimals ?? 2;
  // Temperatures in the unit the user chose: the server always sends °C.
  const celsius = (key) => unitOf(key) === '°C';
  const shown = (key, v) => (fahrenheit && celsius(key) ? v * 9 / 5 + 32 : v);
  const unitShown = (key) => (fahrenheit && celsius(key) ? '°F' : unitOf(key));
  const alertsOf = (key) => alerts.filter((a) => a.key === key);

  // Numbers in the browser's locale, with the quantity's fixed decimals (no 19.6 / 19.61 jumps).
  const formats = new Map();
  const fmt = (v, key) => num(typeof v === 'number' ? shown(key, v) : v, decimalsOf(key));
  function num(v, d) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    d = Math.max(0, Math.min(6, d));
    if (!formats.has(d)) {
      formats.set(d, new Intl.NumberFormat(undefined, { minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: 'min2' }));
    }
    const text = formats.get(d).format(v);
    return /^-[0.,\s]*$/.test(text) ? text.slice(1) : text;  // never "-0.0"
  }
  const timeFmt = (t, seconds = true) => new Date(t).toLocaleTimeString([], seconds
    ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
  function span(ms) {
    const s = ms / 1000;
    if (s < 120) return `${Math.round(s)} s`;
    if (s < 7200) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${num(s / 3600, 1)} h`;
    return `${num(s / 86400, 1)} days`;
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
  const keep = parseInt($('history').dataset.keep, 10) || 300;  // --history: as many as the server keeps
  let latest = -Infinity;    // ts of the reading shown on the cards
  const keys = [];           // quantities seen, in display order
  const cards = new Map();   // key -> { card, num }
  // Choices kept in the browser (localStorage may be disabled: then they last as long as the page).
  const stored = (name) => { try { return localStorage.getItem(name); } catch { return null; } };
  const store = (name, value) => { try { localStorage.setItem(name, value); } catch { /* ignore */ } };
  let chosen = stored('sensor.chart') === null ? null : stored('sensor.chart').split(',').filter(Boolean);
  let range = (Number(stored('sensor.range')) || 300) * 1000;  // ms of history charted
  let fahrenheit = stored('sensor.temperature') === 'F';       // °C or °F for temperatures
  // --alert rules the server checks ("temperature_c>30"): marked on the cards and the chart.
  const alerts = ($('history').dataset.alerts || '').split(';').map((text) => {
    const m = /^([a-z0-9_]+)(>=|<=|>|<)(-?[\d.e+-]+)$/i.exec(text);
    return m && { text, key: m[1], op: m[2], value: Number(m[3]) };
  }).filter(Boolean);
  const broken = (a, v) => (a.op === '>' ? v > a.value : a.op === '<' ? v < a.value : a.op === '>=' ? v >= a.value : v <= a.value);
  const intervalMs = (parseFloat($('interval_s').textContent) || 1) * 1000;

  for (const card of document.querySelectorAll('#cards .card[data-q]')) {
    const key = card.dataset.q;
    cards.set(key, { card, num: $(key) });
    meta.set(key, { label: card.querySelector('.label').textContent.trim(), unit: card.dataset.unit || '',
      decimals: parseInt(card.dataset.decimals, 10) });
  }

  function addCard(key) {
    const card = document.createElement('article');
    card.className = 'card';
    card.dataset.q = key;
    card.dataset.tone = String(cards.size % 4);  // colours for extra quantities (style.css)
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
    loadQuantities();
  }

  // What quantities the server did not render are (a sensor that added one since).
  let quantitiesAsked = false;
  async function loadQuantities() {
    if (quantitiesAsked) return;
    quantitiesAsked = true;
    try {
      const res = await fetch('/api/quantities', { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      for (const [key, q] of Object.entries(body || {})) {
        if (!q || typeof q.label !== 'string') continue;
        meta.set(key, { label: q.label, unit: q.unit || '', decimals: q.decimals });
        const c = cards.get(key);
        if (!c) continue;
        c.card.querySelector('.label').textContent = q.label;
        const unit = c.card.querySelector('.unit');
        if (unit) unit.textContent = q.unit;
      }
      buildPicker();
    } catch (err) {
      console.warn('quantities:', err);
    }
  }

  // Registers new quantities (card, chart choice); known ones first, others as they appear.
  function learnKeys(r) {
    let changed = false;
    for (const [key, v] of Object.entries(r)) {
      if (!isQuantity(key, v)) continue;
      if (keys.includes(key)) continue;
      keys.push(key);
      changed = true;
      if (!cards.has(key)) addCard(key);
    }
    if (!changed) return;
    const order = [...cards.keys()];  // the cards' order, which is the server's
    keys.sort((a, b) => order.indexOf(a) - order.indexOf(b));
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

  let current = null;        // the reading on the cards
  function show(r) {
    current = r;
    $('cards').classList.remove('stale');
    for (const [key, { num: el, card }] of cards) {
      el.textContent = fmt(r[key], key);
      const on = typeof r[key] === 'number' && alertsOf(key).some((a) => broken(a, r[key]));
      if (on) card.dataset.alert = 'on';
      else delete card.dataset.alert;
    }
    const el = $('ts');
    const d = new Date(r.ts);
    const today = d.toDateString() === new Date().toDateString();
    el.textContent = today ? timeFmt(d) : d.toLocaleString();
    el.dateTime = d.toISOString();
    el.title = d.toISOString();
  }

  // The °C/°F switch: the cards' units, values and chart follow it; the choice is remembered.
  function applyTemperatureUnit() {
    for (const [key, { card }] of cards) {
      const unit = card.querySelector('.unit');
      if (unit && celsius(key)) unit.textContent = unitShown(key);
    }
    const button = $('temp-unit');
    button.textContent = fahrenheit ? '°F' : '°C';
    button.setAttribute('aria-label', `Temperature unit: ${fahrenheit ? 'Fahrenheit' : 'Celsius'}. Switch`);
    if (current) show(current);
    drawSoon();
  }
  $('temp-unit').addEventListener('click', () => {
    fahrenheit = !fahrenheit;
    store('sensor.temperature', fahrenheit ? 'F' : 'C');
    applyTemperatureUnit();
  });

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
    for (const key of ['hostname', 'ip', 'netmask', 'gateway', 'dns', 'sensor', 'platform', 'version']) {
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
    if (heap) $('free_heap').textContent = `${num(d.free_heap_bytes / 1024, 1)} KiB`;
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
    setStatus(downSince ? 'reconnecting' : 'connecting');
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
      $('cards').classList.add('stale');  // at once: the values shown may be old from now on
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
  addEventListener('offline', () => { setStatus('offline'); $('cards').classList.add('stale'); });
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
      ingest(list);
    } catch (err) {
      console.warn('history:', err);
      drawSoon();
    }
  }

  // ---- chart: small multiples (one row per chosen quantity) over the chosen time range ----
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
    for (const el of pick.querySelectorAll('input, label')) el.remove();
    for (const key of keys) {
      const input = pick.appendChild(document.createElement('input'));
      input.type = 'checkbox';
      input.id = 'pick-' + key;
      input.value = key;
      input.checked = shownKeys().includes(key);
      const label = pick.appendChild(document.createElement('label'));
      label.htmlFor = input.id;
      label.textContent = labelOf(key);
    }
    pick.hidden = keys.length < 2;
    drawSoon();
  }
  // The quantities charted: the user's choice (kept across reloads), or all of them.
  const shownKeys = () => (chosen ? keys.filter((k) => chosen.includes(k)) : keys);
  $('pick').addEventListener('change', () => {
    chosen = [...$('pick').querySelectorAll('input:checked')].map((i) => i.value);
    store('sensor.chart', chosen.join(','));
    drawSoon();
  });
  for (const input of $('range').querySelectorAll('input')) input.checked = Number(input.value) * 1000 === range;
  $('range').addEventListener('change', (e) => {
    range = Number(e.target.value) * 1000;
    store('sensor.range', e.target.value);
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

  // Time ticks on round local times, at most n of them but at least two where the span allows:
  // five minutes on a phone get 2-3 labels, not one.
  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  function timeTicks(t0, t1, n) {
    const off = new Date(t0).getTimezoneOffset() * 60000;  // align to local minutes/hours
    const at = (step) => {
      const ticks = [];
      for (let t = Math.ceil((t0 - off) / step) * step + off; t <= t1; t += step) ticks.push(t);
      return { ticks, step };
    };
    let previous = null;
    for (const s of TIME_STEPS) {
      const found = at(s * 1000);
      if (found.ticks.length <= n) {
        return found.ticks.length < 2 && previous && previous.ticks.length <= n + 1 ? previous : found;
      }
      previous = found;
    }
    return at(86400000 * Math.ceil((t1 - t0) / 864e5 / n));
  }

  // A colour variable as the canvas can use it: the variables hold light-dark(...) pairs, which
  // only an element's computed colour resolves (to "rgb(r, g, b)") for the scheme in force.
  const probe = document.createElement('i');
  probe.hidden = true;
  function cssVar(el, name) {
    probe.style.color = `var(${name})`;
    el.appendChild(probe);
    const color = getComputedStyle(probe).color;
    probe.remove();
    return color;
  }
  function withAlpha(color, a) {
    const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
    return m ? `rgba(${m[1]},${m[2]},${m[3]},${a})` : color;
  }

  const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const ROW = 150;  // CSS pixels per quantity when several are charted

  function draw() {
    const box = canvas.parentElement;
    const chartKeys = shownKeys();
    box.classList.toggle('multi', chartKeys.length > 1);
    if (chartKeys.length > 1) box.style.height = `${chartKeys.length * ROW + 26}px`;
    else box.style.removeProperty('height');
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
      surface: cssVar(root, '--surface'), border: cssVar(root, '--border'), bad: cssVar(root, '--bad'),
    };
    ctx.font = FONT;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';

    // The range ends at the latest reading; a lone reading still gets ten intervals of axis.
    const t1 = points.length ? points[points.length - 1].ts : 0;
    const t0 = t1 - Math.max(range, Math.min(range, 10 * intervalMs));
    const pts = points.filter((p) => p.ts >= t0);
    if (!pts.length || !chartKeys.length) {
      ctx.fillStyle = colors.muted;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(pts.length ? 'Choose a quantity to chart' : 'Waiting for readings…', w / 2, h / 2);
      $('stats').textContent = '';
      return;
    }
    const bottom = 26, right = 14, top = 4;
    const rowH = (h - bottom - top) / chartKeys.length;
    const rows = chartKeys.map((key, i) => layoutRow(key, pts, top + i * rowH, rowH, chartKeys.length > 1));
    const left = Math.ceil(Math.max(...rows.flatMap((r) => r.labels.map((s) => ctx.measureText(s).width)))) + 12;
    const c = { w, h, left, right, pw: w - left - right, t0, t1, bottom,
      X: (t) => left + ((t - t0) / (t1 - t0)) * (w - left - right) };
    for (const row of rows) {
      row.color = cards.has(row.key) ? cssVar(cards.get(row.key).card, '--q') : cssVar(root, '--accent');
      drawRow(c, row, colors);
    }
    drawTimeAxis(c, rows, colors);
    drawMarker(c, rows, colors);
    summarize(rows, pts);
  }

  // One quantity's band: round ticks around its values (in the unit shown), its own y scale.
  function layoutRow(key, pts, y, height, titled) {
    const rp = pts.filter((p) => isQuantity(key, p[key]));
    const values = rp.map((p) => shown(key, p[key]));
    const limits = alertsOf(key).map((a) => shown(key, a.value));
    let lo = Math.min(...values, ...limits), hi = Math.max(...values, ...limits);
    if (!values.length) { lo = 0; hi = 1; }
    if (hi - lo < 1e-6) { const pad = Math.max(Math.abs(lo) * 0.002, 0.5); lo -= pad; hi += pad; }
    const plotTop = y + (titled ? 20 : 6), ph = height - (titled ? 28 : 12);
    const { ticks, decimals } = niceTicks(lo, hi, Math.max(2, Math.round(ph / 55)));
    lo = ticks[0];
    hi = ticks[ticks.length - 1];
    return {
      key, rp, values, y, top: plotTop, ph, titled, ticks, labels: ticks.map((v) => num(v, decimals)),
      Y: (v) => plotTop + ((hi - v) / (hi - lo)) * ph,
    };
  }

  function drawRow(c, row, colors) {
    ctx.lineWidth = 1;
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    row.ticks.forEach((v, i) => {
      const y = Math.round(row.Y(v)) + 0.5;  // +0.5: a 1px line on a pixel, not across two
      ctx.beginPath();
      ctx.moveTo(c.left, y);
      ctx.lineTo(c.w - c.right, y);
      ctx.stroke();
      ctx.fillText(row.labels[i], c.left - 8, y);
    });
    if (row.titled) {
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillStyle = colors.text;
      ctx.font = '600 ' + FONT;
      const unit = unitShown(row.key);
      ctx.fillText(labelOf(row.key) + (unit ? ` (${unit})` : ''), c.left, row.y + 2);
      ctx.font = FONT;
    }
    // Alert thresholds: a dashed line in the "bad" colour.
    for (const a of alertsOf(row.key)) {
      const y = Math.round(row.Y(shown(row.key, a.value))) + 0.5;
      ctx.save();
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = colors.bad;
      ctx.beginPath();
      ctx.moveTo(c.left, y);
      ctx.lineTo(c.w - c.right, y);
      ctx.stroke();
      ctx.restore();
    }
    if (row.rp.length) drawSeries(c, row);
  }

  // Time labels, as many as fit; seconds only when the ticks are less than a minute apart.
  function drawTimeAxis(c, rows, colors) {
    const base = c.h - c.bottom;
    const fit = (seconds) => Math.max(1, Math.floor(c.pw / (ctx.measureText(timeFmt(c.t1, seconds)).width + 16)));
    let { ticks, step } = timeTicks(c.t0, c.t1, fit(false));
    if (step < 60000) ({ ticks, step } = timeTicks(c.t0, c.t1, fit(true)));
    const seconds = step < 60000;
    canvas.dataset.timeLabels = String(ticks.length);  // how many the axis shows (tests read it)
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.muted;
    ctx.lineWidth = 1;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    for (const t of ticks) {
      const x = Math.round(c.X(t)) + 0.5;
      const s = timeFmt(t, seconds);
      const half = ctx.measureText(s).width / 2;
      ctx.beginPath();
      ctx.moveTo(x, base);
      ctx.lineTo(x, base + 4);
      ctx.stroke();
      ctx.fillText(s, Math.min(Math.max(x, half), c.w - half), c.h - 6);
    }
  }

  // The line with a fading fill, broken where readings are missing (server down, sensor error).
  function drawSeries(c, row) {
    const pts = row.rp;
    const steps = [];
    for (let i = 1; i < pts.length; i++) steps.push(pts[i].ts - pts[i - 1].ts);
    steps.sort((a, b) => a - b);
    const maxGap = 3 * Math.max(intervalMs, steps.length ? steps[steps.length >> 1] : 0);
    const runs = [[0]];
    for (let i = 1; i < pts.length; i++) {
      if (pts[i].ts - pts[i - 1].ts > maxGap) runs.push([]);
      runs[runs.length - 1].push(i);
    }
    const fill = ctx.createLinearGradient(0, row.top, 0, row.top + row.ph);
    fill.addColorStop(0, withAlpha(row.color, 0.22));
    fill.addColorStop(1, withAlpha(row.color, 0));
    for (const run of runs) {
      ctx.beginPath();
      run.forEach((k, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, c.X(pts[k].ts), row.Y(row.values[k])));
      ctx.strokeStyle = row.color;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.lineTo(c.X(pts[run[run.length - 1]].ts), row.top + row.ph);
      ctx.lineTo(c.X(pts[run[0]].ts), row.top + row.ph);
      ctx.closePath();
      ctx.fillStyle = fill;
      ctx.fill();
    }
  }

  // A dot on each row's latest reading, or on the reading nearest the pointer with a label of
  // every charted value at that time.
  function drawMarker(c, rows, colors) {
    const t = hoverX === null ? c.t1 : c.t0 + ((hoverX - c.left) / c.pw) * (c.t1 - c.t0);
    const lines = [];
    let x = null, y = c.h;
    for (const row of rows) {
      if (!row.rp.length) continue;
      let k = row.rp.length - 1;
      if (hoverX !== null) {
        k = 0;
        row.rp.forEach((p, i) => { if (Math.abs(p.ts - t) < Math.abs(row.rp[k].ts - t)) k = i; });
      }
      const p = row.rp[k];
      x = c.X(p.ts);
      const py = row.Y(row.values[k]);
      y = Math.min(y, py);
      ctx.beginPath();
      ctx.arc(x, py, 4, 0, 2 * Math.PI);
      ctx.fillStyle = row.color;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = colors.surface;
      ctx.stroke();
      const unit = unitShown(row.key);
      lines.push({ text: (rows.length > 1 ? labelOf(row.key) + ' ' : '') + num(row.values[k], decimalsOf(row.key)) +
        (unit ? ' ' + unit : ''), ts: p.ts });
    }
    if (hoverX === null || x === null) return;
    ctx.strokeStyle = colors.muted;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(Math.round(x) + 0.5, rows[0].top);
    ctx.lineTo(Math.round(x) + 0.5, c.h - c.bottom);
    ctx.stroke();
    lines.push({ text: timeFmt(lines[0].ts), muted: true });
    ctx.font = '600 ' + FONT;
    const bw = Math.max(...lines.map((l) => ctx.measureText(l.text).width)) + 16;
    const bh = 8 + 15 * lines.length;
    const bx = x + 10 + bw > c.w - c.right ? x - 10 - bw : x + 10;
    const by = Math.min(Math.max(y - bh / 2, 0), c.h - c.bottom - bh);
    ctx.fillStyle = colors.surface;
    ctx.strokeStyle = colors.border;
    ctx.beginPath();
    if (ctx.roundRect) ctx.roundRect(bx, by, bw, bh, 6);
    else ctx.rect(bx, by, bw, bh);
    ctx.fill();
    ctx.stroke();
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    lines.forEach((l, i) => {
      ctx.font = (l.muted ? '' : '600 ') + FONT;
      ctx.fillStyle = l.muted ? colors.muted : colors.text;
      ctx.fillText(l.text, bx + 8, by + 16 + 15 * i);
    });
    ctx.font = FONT;
  }

  // The line under the chart, and the chart's text alternative for screen readers.
  function summarize(rows, pts) {
    const range = span(pts[pts.length - 1].ts - pts[0].ts);
    const stats = $('stats');
    stats.replaceChildren();
    const spoken = [];
    for (const row of rows) {
      if (!row.values.length) continue;
      const d = decimalsOf(row.key);
      const u = unitShown(row.key) ? ' ' + unitShown(row.key) : '';
      const min = Math.min(...row.values), max = Math.max(...row.values);
      const avg = row.values.reduce((a, b) => a + b, 0) / row.values.length;
      const line = stats.appendChild(document.createElement('span'));
      line.className = 'stat';
      if (rows.length > 1) line.append(labelOf(row.key) + ': ');
      [['min', min, d], ['avg', avg, d + 1], ['max', max, d]].forEach(([name, v, dd], i) => {
        line.append(`${i ? ' · ' : ''}${name} `);
        line.appendChild(document.createElement('b')).textContent = num(v, dd) + u;
      });
      spoken.push(`${labelOf(row.key)} between ${num(min, d)} and ${num(max, d)}${u}, latest ${num(row.values[row.values.length - 1], d)}${u}`);
    }
    stats.append(`${pts.length} reading${pts.length === 1 ? '' : 's'} over ${range}`);
    canvas.setAttribute('aria-label', `The last ${range}: ${spoken.join('; ')}`);
  }

  canvas.addEventListener('pointermove', (e) => { hoverX = e.offsetX; drawSoon(); });
  canvas.addEventListener('pointerleave', () => { hoverX = null; drawSoon(); });
  if (window.ResizeObserver) new ResizeObserver(drawSoon).observe(canvas);
  addEventListener('resize', drawSoon);  // also catches a devicePixelRatio change (zoom)
  matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', drawSoon);

  // The light/dark switch: the system's scheme, light or dark, in turn; the choice is remembered.
  const THEMES = ['auto', 'light', 'dark'];
  let theme = THEMES.includes(stored('sensor.theme')) ? stored('sensor.theme') : 'auto';
  function applyTheme() {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    const button = $('theme');
    button.textContent = { auto: '◐ Auto', light: '☀ Light', dark: '☾ Dark' }[theme];
    button.setAttribute('aria-label', `Colour scheme: ${theme === 'auto' ? 'as the system' : theme}. Switch`);
    drawSoon();
  }
  $('theme').addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    store('sensor.theme', theme);
    applyTheme();
  });

  // ---- start ----
  $('history').hidden = false;
  $('prefs').hidden = false;
  if (fahrenheit) applyTemperatureUnit();
  applyTheme();
  buildPicker();
  connect();
  loadHistory();
  loadDevice();
  setInterval(showUptime, 1000);
})();
