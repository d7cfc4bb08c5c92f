// The fleet page: a card per device, kept current from /fleet/events (an `event: device` per
// device at once, then one per change). No framework, no CDN: served by sensor-server itself.
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const cards = new Map();   // device prefix -> its card element
  const devices = new Map(); // device prefix -> its latest state
  const UNITS = { temperature_c: '°C', humidity_pct: '%', pressure_hpa: 'hPa' };

  function label(name) {
    return name.replace(/_(c|pct|hpa|bytes|s)$/, '').replace(/_/g, ' ');
  }

  function unit(name) {
    if (UNITS[name]) return UNITS[name];
    const m = /_([a-z]+)$/.exec(name);
    return m ? m[1] : '';
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function card(prefix) {
    let node = cards.get(prefix);
    if (node) return node;
    node = element('article', 'card device-card');
    node.dataset.device = prefix;
    const head = element('div', 'device-head');
    head.append(element('h3', 'label', prefix), element('span', 'device-status'));
    node.append(head, element('dl', 'quantities'), element('p', 'seen'));
    // Sorted by prefix, as /api/fleet lists them.
    const after = [...cards.keys()].sort().find((other) => other > prefix);
    $('devices').insertBefore(node, after ? cards.get(after) : null);
    cards.set(prefix, node);
    return node;
  }

  function seenText(ms) {
    if (ms === null) return 'never heard from';
    return 'last message ' + new Date(ms).toLocaleTimeString();
  }

  function show(device) {
    devices.set(device.device, device);
    const node = card(device.device);
    node.dataset.status = device.status;
    node.querySelector('.device-status').textContent = device.status;
    const list = node.querySelector('.quantities');
    list.replaceChildren();
    for (const [name, value] of Object.entries(device.reading || {})) {
      if (name === 'ts') continue;
      const row = element('div');
      const text = typeof value === 'number' ? String(Math.round(value * 100) / 100) : String(value);
      row.append(element('dt', '', label(name)), element('dd', '', text + (unit(name) ? ' ' + unit(name) : '')));
      list.append(row);
    }
    if (!device.reading) list.append(element('div', '', 'no reading yet'));
    node.querySelector('.seen').textContent = seenText(device.last_seen_ms);
    $('empty').hidden = true;
    $('count').textContent = String(devices.size);
    $('online').textContent = String([...devices.values()].filter((d) => d.status === 'online').length);
  }

  function setStatus(state) {
    $('status').textContent = state;
    $('status-pill').dataset.state = state;
  }

  // EventSource reconnects by itself (the stream says retry: 2000) and the server sends every
  // device again on a new connection, so the page catches up after a break.
  const source = new EventSource('/fleet/events');
  source.onopen = () => setStatus('live');
  source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting');
  source.addEventListener('device', (e) => {
    try {
      show(JSON.parse(e.data));
    } catch (err) {
      console.warn('fleet:', err);
    }
  });
})();
