// The train page: pick or upload a text (or conversations), choose a tokenizer, positional encoding
// and size from what the server's plugins offer (tiny and small presets), start a job, watch its
// loss curves and samples live over /ws/train, stop it, and chat with the model it made. Jobs run on
// the server: leaving or reloading the page does not stop them, and the page picks a running job up again.

import { drawChart } from './train-chart.js';

const $ = (id) => document.getElementById(id);
const KEY_STORE = 'rill.train.key';
const CHAT_SETTINGS = 'rill.settings.v1';   // the chat page's settings: "Chat with it" selects the model there
const PRESETS = {
  tiny: { tokenizer: 'char', positional: 'learned', 'n-layer': 2, 'n-head': 2, 'n-emb': 64, context: 64, batch: 8, steps: 300, lr: 0.003 },
  small: { tokenizer: 'char', positional: 'learned', 'n-layer': 4, 'n-head': 4, 'n-emb': 128, context: 128, batch: 16, steps: 2000, lr: 0.001 },
};
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

const run = { job: null, steps: 0, train: [], val: [], socket: null, model: null };

class ApiError extends Error {}

function key() {
  return $('key').value.trim();
}

async function api(path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers ?? {}) };
  if (key()) headers.Authorization = `Bearer ${key()}`;
  let response;
  try {
    response = await fetch(path, { ...options, headers, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(`the server cannot be reached (${e.message})`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's page)
  }
  if (!response.ok) throw new ApiError(body?.error?.message ?? `HTTP ${response.status} from ${path}`);
  return body;
}

function notice(message) {
  $('notice').textContent = message ?? '';
  $('notice').hidden = !message;
}

function option(select, value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label ?? value;
  select.append(o);
  return o;
}

async function loadChoices() {
  const [plugins, files, models] = await Promise.all([api('api/plugins'), api('api/train/files'), api('api/models')]);
  const tok = $('tokenizer'), pe = $('positional');
  tok.replaceChildren();
  pe.replaceChildren();
  for (const t of plugins.tokenizer ?? []) if (t.trainable) option(tok, t.name).title = t.description;
  for (const p of plugins.positional_encoding ?? []) option(pe, p.name).title = p.description;
  fillFiles(files);
  const base = $('base');
  base.replaceChildren();
  option(base, '', 'a new model');
  for (const m of models) if (m.info?.architecture === 'gpt') option(base, m.name, `${m.name} (fine-tune or continue)`);
  applyPreset($('preset').value);
}

function fillFiles(files, select) {
  const data = $('data');
  const keep = select ?? data.value;
  data.replaceChildren();
  for (const f of files) option(data, f.name, `${f.name} (${(f.bytes / 1024).toFixed(f.bytes < 10240 ? 1 : 0)} KiB${f.source === 'upload' ? ', uploaded' : ''})`);
  if (keep && files.some((f) => f.name === keep)) data.value = keep;
  dataChanged();
}

function dataChanged() {
  $('sft').checked = $('data').value.toLowerCase().endsWith('.jsonl');
}

function applyPreset(name) {
  const p = PRESETS[name];
  if (!p) return;
  for (const [id, v] of Object.entries(p)) {
    const input = $(id);
    if (input.tagName === 'SELECT' && ![...input.options].some((o) => o.value === v)) continue;
    input.value = v;
  }
}

function baseChanged() {
  $('architecture').hidden = $('base').value !== '';
}

async function upload(file) {
  notice(null);
  if (!file) return;
  const stored = await api(`api/train/files?name=${encodeURIComponent(file.name)}`, {
    method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' },
  });
  fillFiles(await api('api/train/files'), stored.name);
}

function request() {
  const num = (id) => Number($(id).value);
  const r = { data: $('data').value, sft: $('sft').checked, batch: num('batch'), steps: num('steps'), learning_rate: num('lr'), seed: num('seed') };
  if ($('name').value.trim()) r.name = $('name').value.trim();
  if ($('base').value) {
    r.base = $('base').value;
  } else {
    Object.assign(r, { tokenizer: $('tokenizer').value, positional: $('positional').value, n_layer: num('n-layer'),
      n_head: num('n-head'), n_emb: num('n-emb'), context: num('context') });
    if (r.tokenizer === 'bpe') r.vocab_size = num('vocab-size');
  }
  return r;
}

async function start(event) {
  event.preventDefault();
  notice(null);
  $('start').disabled = true;
  try {
    const job = await api('api/train', { method: 'POST', body: JSON.stringify(request()), headers: { 'Content-Type': 'application/json' } });
    follow(job);
  } catch (e) {
    notice(e.message);
    $('start').disabled = false;
  }
}

async function stop() {
  if (!run.job) return;
  $('stop').disabled = true;
  try {
    await api(`api/train/${encodeURIComponent(run.job)}`, { method: 'DELETE' });
  } catch (e) {
    notice(e.message);
  }
}

function socketUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** Shows a job and streams its events until it ends. */
function follow(job) {
  run.socket?.close();
  Object.assign(run, { job: job.id, steps: job.steps, train: [], val: [], model: job.model ?? null });
  $('samples').replaceChildren();
  show(job);
  $('stop').disabled = FINISHED.has(job.state);
  $('start').disabled = !FINISHED.has(job.state);
  if (FINISHED.has(job.state)) return;
  // Browsers cannot set headers on a WebSocket: the key travels as a subprotocol, beside "rill".
  const protocols = key() ? ['rill', `rill-key.${key()}`] : [];
  const socket = new WebSocket(socketUrl(`ws/train?job=${encodeURIComponent(job.id)}`), protocols);
  run.socket = socket;
  socket.addEventListener('message', (m) => onEvent(JSON.parse(m.data)));
  socket.addEventListener('close', () => {
    if (run.socket === socket && !FINISHED.has($('state').dataset.state)) {
      // The job goes on without us: look again shortly.
      setTimeout(() => api(`api/train/${encodeURIComponent(job.id)}`).then(follow).catch((e) => notice(e.message)), 2000);
    }
  });
}

function onEvent(e) {
  switch (e.type) {
    case 'job': show(e); break;
    case 'progress':
      run.train.push([e.step, e.train_loss]);
      progress(e.step, e.steps, e.tokens_per_second, e.eta_seconds);
      redraw();
      break;
    case 'eval':
      run.val.push([e.step, e.val_loss]);
      redraw();
      break;
    case 'sample': addSample(e.step, e.text); break;
    case 'checkpoint': if (e.model) chatLink(e.model); break;
    case 'state': state(e.state, e.error); break;
    case 'error': notice(e.message); break;
    default: break;
  }
}

function show(job) {
  run.train = job.train_curve ?? run.train;
  run.val = job.val_curve ?? run.val;
  run.steps = job.steps;
  state(job.state, job.error);
  progress(job.step ?? 0, job.steps, job.tokens_per_second, job.eta_seconds);
  for (const s of job.samples ?? []) addSample(s.step, s.text);
  if (job.model) chatLink(job.model);
  redraw();
}

function state(name, error) {
  const labels = { queued: 'Queued', running: 'Training', completed: 'Done', failed: 'Failed', cancelled: 'Stopped' };
  $('state').dataset.state = name;
  $('state').textContent = labels[name] ?? name;
  if (error) notice(error);
  if (FINISHED.has(name)) {
    $('stop').disabled = true;
    $('start').disabled = false;
    run.socket?.close();
    run.socket = null;
  } else {
    $('stop').disabled = false;
  }
}

function progress(step, steps, tps, eta) {
  $('progress').max = Math.max(1, steps);
  $('progress').value = step;
  const parts = [`step ${step} / ${steps}`];
  const lastVal = run.val.at(-1)?.[1];
  const lastTrain = run.train.at(-1)?.[1];
  if (Number.isFinite(lastTrain)) parts.push(`train ${lastTrain.toFixed(3)}`);
  if (Number.isFinite(lastVal)) parts.push(`val ${lastVal.toFixed(3)}`);
  if (Number.isFinite(tps)) parts.push(`${Math.round(tps).toLocaleString('en')} tok/s`);
  if (Number.isFinite(eta) && step < steps) parts.push(`ETA ${Math.floor(eta / 60)}:${String(Math.round(eta % 60)).padStart(2, '0')}`);
  $('progress-text').textContent = parts.join(' · ');
}

function redraw() {
  drawChart($('chart'), run.train, run.val, run.steps);
}

function addSample(step, text) {
  const li = document.createElement('li');
  const label = document.createElement('div');
  label.className = 'step';
  label.textContent = `step ${step}`;
  const pre = document.createElement('pre');
  pre.textContent = text;   // model output is only ever text
  li.append(label, pre);
  $('samples').prepend(li);
}

function chatLink(model) {
  run.model = model;
  const link = $('chat-with-it');
  link.href = `./?model=${encodeURIComponent(model)}`;
  link.textContent = `Chat with ${model}`;
  link.hidden = false;
}

/** Selects the model in the chat page's settings, then opens the chat. */
function chatWithIt(event) {
  if (!run.model) return;
  event.preventDefault();
  try {
    const settings = JSON.parse(localStorage.getItem(CHAT_SETTINGS) ?? '{}') ?? {};
    settings.model = run.model;
    if (key() && !settings.apiKey) settings.apiKey = key();
    localStorage.setItem(CHAT_SETTINGS, JSON.stringify(settings));
  } catch {
    // storage disabled: the link's ?model= still says which model
  }
  window.location.href = $('chat-with-it').href;
}

function init() {
  $('key').value = localStorage.getItem(KEY_STORE) ?? '';
  $('key').addEventListener('change', () => {
    localStorage.setItem(KEY_STORE, key());
    refresh();
  });
  $('preset').addEventListener('change', () => applyPreset($('preset').value));
  for (const id of ['tokenizer', 'positional', 'n-layer', 'n-head', 'n-emb', 'context', 'batch', 'steps', 'lr']) {
    $(id).addEventListener('input', () => { $('preset').value = 'custom'; });
  }
  $('data').addEventListener('change', dataChanged);
  $('base').addEventListener('change', baseChanged);
  $('upload').addEventListener('change', () => upload($('upload').files[0]).catch((e) => notice(e.message)));
  $('setup').addEventListener('submit', start);
  $('stop').addEventListener('click', stop);
  $('chat-with-it').addEventListener('click', chatWithIt);
  redraw();
  refresh();
}

/** Loads the choices, and follows a job that is still going (this page was reloaded, or opened elsewhere). */
async function refresh() {
  try {
    await loadChoices();
    notice(null);
    const jobs = await api('api/train');
    const live = jobs.filter((j) => !FINISHED.has(j.state)).at(-1);
    if (live) follow(await api(`api/train/${encodeURIComponent(live.id)}`));
  } catch (e) {
    notice(e.message + (/admin key/.test(e.message) ? ' — enter it under "Admin key".' : ''));
    if (/admin key/.test(e.message)) document.querySelector('details').open = true;
  }
}

init();
