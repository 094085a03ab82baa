// Paternoster live view: a playground on /v1/completions and a picture of the engine's batches fed
// by /v1/engine/steps. Both are server-sent events read with fetch (not EventSource) so that an API
// key can go in the Authorization header.
'use strict';

const $ = (id) => document.getElementById(id);
const live = $('live');
const keyInput = $('api-key');
keyInput.value = localStorage.getItem('paternoster.apiKey') || '';
keyInput.addEventListener('change', () => { localStorage.setItem('paternoster.apiKey', keyInput.value); connectSteps(); });

function headers() {
  const h = { 'Content-Type': 'application/json' };
  if (keyInput.value) h['Authorization'] = 'Bearer ' + keyInput.value;
  return h;
}

/** Reads an SSE response body, calling onEvent(eventName, dataString) per event. */
async function readSse(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(name, data.join('\n'));
    }
  }
}

// ------------------------------------------------------------------ playground

let controllers = [];

async function complete(prompt, show) {
  const ctrl = new AbortController();
  controllers.push(ctrl);
  $('stop').disabled = false;
  const body = {
    prompt, stream: true, stream_options: { include_usage: true },
    max_tokens: Number($('max-tokens').value) || 64,
    temperature: Number($('temperature').value),
  };
  const t0 = performance.now();
  let first = 0, text = '';
  try {
    const res = await fetch('/v1/completions', { method: 'POST', headers: headers(), body: JSON.stringify(body), signal: ctrl.signal });
    if (!res.ok) {
      const err = await res.json().catch(() => ({ error: { message: res.statusText } }));
      if (show) $('answer-meta').textContent = `HTTP ${res.status}: ${err.error && err.error.message}`;
      return;
    }
    await readSse(res, (name, data) => {
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data);
      if (chunk.error) { if (show) $('answer-meta').textContent = chunk.error.message; return; }
      for (const c of chunk.choices || []) {
        if (!first && c.text) first = performance.now();
        text += c.text || '';
        if (show) $('answer').textContent = prompt + text;
        if (show && c.finish_reason) $('answer-meta').textContent = `finish_reason: ${c.finish_reason}`;
      }
      if (chunk.usage && show) {
        const secs = (performance.now() - t0) / 1000;
        $('answer-meta').textContent += ` · ${chunk.usage.completion_tokens} tokens in ${secs.toFixed(2)} s` +
          (first ? ` · first token after ${((first - t0) / 1000).toFixed(2)} s` : '');
      }
    });
  } catch (e) {
    if (show && e.name !== 'AbortError') $('answer-meta').textContent = String(e);
  } finally {
    controllers = controllers.filter((c) => c !== ctrl);
    $('stop').disabled = controllers.length === 0;
  }
}

$('send').addEventListener('click', () => {
  $('answer').textContent = $('prompt').value;
  $('answer-meta').textContent = '';
  complete($('prompt').value, true);
});
$('burst').addEventListener('click', (e) => {
  if (e.target.tagName === 'INPUT') return;
  const n = Math.max(2, Math.min(64, Number($('burst-n').value) || 6));
  $('answer').textContent = $('prompt').value;
  $('answer-meta').textContent = '';
  for (let i = 0; i < n; i++) complete($('prompt').value, i === 0);
});
$('stop').addEventListener('click', () => controllers.forEach((c) => c.abort())); // the server aborts them too

// ------------------------------------------------------------------ live view

const STEPS_SHOWN = 120;
const lanesCanvas = $('lanes');
const tpsCanvas = $('tps');
let steps = [];               // the last STEPS_SHOWN steps: {step, batch:[{id, kind, tokens}]}
const laneOf = new Map();     // request id -> lane number
const lastSeen = new Map();   // request id -> last step it was in
let tpsHistory = [];          // {t, prefill, decode}
let maxBatch = 0, stepsSeen = 0, maxLanes = 0;

function assignLanes(step) {
  for (const b of step.batch) {
    lastSeen.set(b.id, step.step);
    if (!laneOf.has(b.id)) {
      const used = new Set(laneOf.values());
      let lane = 0;
      while (used.has(lane)) lane++;
      laneOf.set(b.id, lane);
    }
  }
}

function releaseLanes(finished, currentStep) {
  for (const id of finished) {
    for (const key of [...laneOf.keys()]) if (key === id || key.startsWith(id + '#')) laneOf.delete(key);
  }
  // Requests that left without a finish notice (aborted while preempted...) free their lane too.
  for (const [id, s] of lastSeen) {
    if (currentStep - s > STEPS_SHOWN) { laneOf.delete(id); lastSeen.delete(id); }
  }
}

function drawLanes() {
  const ctx = lanesCanvas.getContext('2d');
  const W = lanesCanvas.width, H = lanesCanvas.height;
  ctx.clearRect(0, 0, W, H);
  const ids = new Set();
  for (const s of steps) for (const b of s.batch) ids.add(b.id);
  const lanes = Math.max(1, ...[...ids].map((id) => (laneOf.get(id) ?? 0) + 1));
  const labelW = 90, rowH = Math.max(6, Math.min(22, (H - 16) / lanes)), colW = (W - labelW) / STEPS_SHOWN;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  const labelled = new Set();
  steps.forEach((s, i) => {
    const x = labelW + i * colW;
    for (const b of s.batch) {
      const lane = laneOf.get(b.id);
      if (lane === undefined) continue;
      const y = 4 + lane * rowH;
      ctx.fillStyle = b.kind === 'prefill' ? '#f0a13a' : '#4aa3ff';
      ctx.fillRect(x + 0.5, y + 1, Math.max(1, colW - 1), rowH - 2);
    }
  });
  // Label each lane with the request currently on it (short id).
  for (const [id, lane] of laneOf) {
    if (!ids.has(id) || labelled.has(lane)) continue;
    labelled.add(lane);
    ctx.fillStyle = '#8b96a3';
    ctx.fillText('…' + id.slice(-6), 4, 4 + lane * rowH + rowH / 2);
  }
  if (steps.length) {
    ctx.fillStyle = '#56606b';
    ctx.fillText('step ' + steps[0].step, labelW, H - 6);
    ctx.textAlign = 'right';
    ctx.fillText('step ' + steps[steps.length - 1].step, W - 2, H - 6);
    ctx.textAlign = 'left';
  }
  live.dataset.lanes = String(labelled.size);
  maxLanes = Math.max(maxLanes, labelled.size);
  live.dataset.maxLanes = String(maxLanes);
}

function drawTps() {
  const ctx = tpsCanvas.getContext('2d');
  const W = tpsCanvas.width, H = tpsCanvas.height;
  ctx.clearRect(0, 0, W, H);
  if (tpsHistory.length < 2) return;
  const max = Math.max(1, ...tpsHistory.map((p) => p.prefill + p.decode));
  const n = tpsHistory.length;
  const series = [['#f0a13a', (p) => p.prefill + p.decode], ['#4aa3ff', (p) => p.decode]];
  for (const [color, f] of series) {
    ctx.beginPath();
    tpsHistory.forEach((p, i) => {
      const x = (i / (n - 1)) * W, y = H - 4 - (f(p) / max) * (H - 20);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.stroke();
  }
  ctx.fillStyle = '#8b96a3';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(max.toFixed(0) + ' tok/s', 4, 12);
}

function onUpdate(u) {
  for (const s of u.steps) {
    assignLanes(s);
    steps.push(s);
    stepsSeen++;
    maxBatch = Math.max(maxBatch, s.batch.length);
  }
  if (steps.length > STEPS_SHOWN) steps = steps.slice(steps.length - STEPS_SHOWN);
  const e = u.engine;
  releaseLanes(u.finished, e.steps);
  $('step-counter').textContent = e.steps;
  $('running').textContent = e.running;
  $('waiting').textContent = e.waiting;
  $('preemptions').textContent = e.preemptions_total;
  $('prefix-hits').textContent = (e.prefix_cache_hit_rate * 100).toFixed(0) + '%';
  const last = u.steps[u.steps.length - 1];
  if (last) {
    const pre = last.batch.filter((b) => b.kind === 'prefill').length;
    $('batch-now').textContent = `${last.batch.length} (${last.batch.length - pre}d+${pre}p)`;
  }
  const q = $('queue');
  q.replaceChildren(...Array.from({ length: Math.min(e.waiting, 200) }, () => document.createElement('i')));
  const pct = (x) => (100 * x / Math.max(1, e.kv_pages_total)).toFixed(2) + '%';
  $('kv-used').style.width = pct(e.kv_pages_used);
  $('kv-cached').style.width = pct(e.kv_pages_cached);
  $('kv-free').style.width = pct(e.kv_pages_free);
  $('kv-text').textContent = `${e.kv_pages_used} used · ${e.kv_pages_cached} cached · ${e.kv_pages_free} free of ${e.kv_pages_total} pages (${e.page_size} tokens each)`;
  tpsHistory.push({ t: u.time_ms, prefill: u.prefill_tokens_per_s, decode: u.decode_tokens_per_s });
  if (tpsHistory.length > 300) tpsHistory.shift();
  $('tps-text').textContent = `decode ${u.decode_tokens_per_s.toFixed(0)} tok/s · prefill ${u.prefill_tokens_per_s.toFixed(0)} tok/s`;
  live.dataset.stepsSeen = String(stepsSeen);
  live.dataset.maxBatch = String(maxBatch);
  drawLanes();
  drawTps();
}

let stepsCtrl = null;
async function connectSteps() {
  if (stepsCtrl) stepsCtrl.abort();
  const ctrl = new AbortController();
  stepsCtrl = ctrl;
  const conn = $('conn');
  try {
    const res = await fetch('/v1/engine/steps', { headers: headers(), signal: ctrl.signal });
    if (!res.ok) {
      conn.className = 'pill off';
      conn.textContent = res.status === 401 ? 'API key needed' : res.status === 503 ? 'loading…' : 'HTTP ' + res.status;
    } else {
      conn.className = 'pill on';
      conn.textContent = 'live';
      await readSse(res, (name, data) => { if (name === 'update') onUpdate(JSON.parse(data)); });
    }
  } catch (e) {
    if (e.name === 'AbortError') return;
  }
  if (stepsCtrl !== ctrl) return;
  conn.className = 'pill off';
  conn.textContent = 'reconnecting…';
  setTimeout(connectSteps, 1000);
}

connectSteps();
