// The chat page: connects the conversation, the settings panel and the WebSocket.
// Protocol (server/README.md): the page sends {type:"chat"} and {type:"cancel"}; the server answers
// start, one token frame per sampled token, then done — or error.

import { ApiError, loadServerInfo } from './api.js';
import { Connection } from './connection.js';
import { Conversation } from './conversation.js';
import { SettingsPanel } from './settings-panel.js';
import { loadSettings, requestFields, saveSettings } from './settings.js';
import { errorInWords, modelFacts } from './words.js';

const $ = (id) => document.getElementById(id);
const WIDE = window.matchMedia('(min-width: 1100px)');

const settings = loadSettings();
const conversation = new Conversation($('conversation'), $('welcome'));
const panel = new SettingsPanel(settings, onSettingsChange);
const connection = new Connection(settings.apiKey);

let server = null;          // {models, plugins, generation} once loaded
let infoProblem = null;     // null, or {kind: 'loading'|'auth'|'failed'|'unreachable', message}
let running = null;         // the generation in flight: {id, reply, stopping}
// New chat cancels a running reply; the server takes the next chat once that one's done arrives
// (one generation per connection), so a chat sent meanwhile waits for it here.
let draining = null;        // id of a cancelled generation whose done has not arrived
let queued = null;          // a chat frame waiting for it
let ids = 0;
let countdown = null;

// ---- server facts ----------------------------------------------------------------------------

let refreshing = null;
let retryInfo = null;

function refreshInfo() {
  if (refreshing) return refreshing;
  clearTimeout(retryInfo);
  refreshing = loadServerInfo(settings.apiKey).then((info) => {
    server = info;
    infoProblem = null;
    panel.setServer(server);
    showModel();
    showNotice(null);
  }, (e) => {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 401) {
      infoProblem = { kind: 'auth', message: settings.apiKey ? 'The API key was refused.' : 'This server needs an API key.' };
      showNotice(`${infoProblem.message} Enter it in Settings → Access.`);
      connection.pause();
      openSettings(true, 'api-key');
    } else if (e.status === 503 && /loading/.test(e.message)) {
      infoProblem = { kind: 'loading', message: 'Model loading…' };
      retryInfo = setTimeout(refreshInfo, 1000);
    } else if (e.status === 503) {
      infoProblem = { kind: 'failed', message: 'No model' };
      showNotice(`The server could not load a model: ${e.message}`);
    } else {
      infoProblem = { kind: 'unreachable', message: 'Server unreachable' };
    }
  }).finally(() => {
    refreshing = null;
    showConnection();
  });
  return refreshing;
}

function showModel() {
  const model = panel.currentModel();
  $('model-chip-name').textContent = model ? model.name : '…';
  $('welcome-title').textContent = model ? `Chat with ${model.name}` : 'Rill';
  $('welcome-facts').textContent = model ? modelFacts(model) : '';
}

// ---- connection --------------------------------------------------------------------------------

function showConnection() {
  const state = connection.state;
  let shown;
  let text;
  if (state === 'open') {
    if (infoProblem?.kind === 'loading') [shown, text] = ['waiting', 'Model loading…'];
    else if (infoProblem?.kind === 'failed') [shown, text] = ['down', 'No model loaded'];
    else [shown, text] = ['up', 'Connected'];
  } else if (state === 'connecting' || state === 'idle') {
    [shown, text] = ['waiting', 'Connecting…'];
  } else if (state === 'paused') {
    [shown, text] = ['down', infoProblem?.kind === 'auth' ? 'API key needed' : 'Disconnected'];
  } else {
    const seconds = Math.max(0, Math.ceil((connection.retryAt - Date.now()) / 1000));
    [shown, text] = ['down', infoProblem?.kind === 'auth' ? 'API key needed' : `Disconnected · retrying${seconds ? ` in ${seconds} s` : '…'}`];
  }
  const indicator = $('connection');
  indicator.dataset.state = shown;
  indicator.title = state === 'open' ? 'Connected to the server' : 'Not connected. Click to try again now.';
  if ($('connection-text').textContent !== text) $('connection-text').textContent = text;
  const canSend = state === 'open' && infoProblem?.kind !== 'failed';
  $('send').disabled = !canSend;
  $('composer-hint').textContent = canSend ? '' : state === 'paused' && infoProblem?.kind === 'auth'
    ? 'Waiting for an API key (Settings → Access).'
    : 'Not connected to the server yet; you can send once the connection is back.';
}

connection.addEventListener('state', (e) => {
  clearInterval(countdown);
  if (e.detail.state === 'closed') countdown = setInterval(showConnection, 1000);
  if (e.detail.state === 'open') refreshInfo();
  showConnection();
});

connection.addEventListener('lost', (e) => {
  draining = null;
  queued = null;
  if (running) {
    running.reply.interrupt(running.stopping ? 'stopped; the connection was lost' : 'the connection to the server was lost');
    endRunning();
  }
  // A handshake that never opened may be a refused key: the HTTP API says which.
  if (!e.detail.opened) refreshInfo();
});

$('connection').addEventListener('click', () => connection.retryNow());

connection.addEventListener('frame', (e) => {
  const frame = e.detail;
  if (draining && frame.id === draining && (frame.type === 'done' || frame.type === 'error')) {
    draining = null;
    if (queued) connection.send(queued);
    queued = null;
    return;
  }
  if (frame.type === 'error') {
    onErrorFrame(frame);
    return;
  }
  if (!running || frame.id !== running.id) return;
  switch (frame.type) {
    case 'start':
      running.reply.started(frame);
      break;
    case 'token':
      running.reply.append(typeof frame.text === 'string' ? frame.text : '');
      break;
    case 'done':
      running.reply.done(frame);
      endRunning();
      break;
    default:
      break;
  }
});

function onErrorFrame(frame) {
  // A cancel that crossed the reply's done on the wire: nothing is wrong.
  if (frame.code === 'not_running') return;
  const words = errorInWords(frame);
  if (running && (frame.id === running.id || frame.id == null)) {
    running.reply.fail(words);
    endRunning();
  } else {
    conversation.addProblem(words);
  }
  if (frame.code === 'model_not_found') refreshInfo();
}

// ---- sending and stopping ----------------------------------------------------------------------

function nextId() {
  ids += 1;
  return `web-${Date.now().toString(36)}-${ids}`;
}

function send() {
  const input = $('input');
  const text = input.value;
  if (running || text.trim() === '') return;
  if (!connection.open) {
    showConnection();
    return;
  }
  const info = server ?? { models: [], plugins: {}, generation: null };
  const frame = { type: 'chat', id: nextId() };
  if (settings.mode === 'complete') {
    frame.prompt = text;
  } else {
    const messages = [];
    if (settings.system.trim()) messages.push({ role: 'system', content: settings.system });
    messages.push(...conversation.messages(), { role: 'user', content: text });
    frame.messages = messages;
  }
  Object.assign(frame, requestFields(settings, info));
  conversation.addUser(text, settings.mode);
  const reply = conversation.addReply(panel.currentModel()?.name ?? 'model');
  running = { id: frame.id, reply, stopping: false };
  if (draining) {
    queued = frame;
  } else if (!connection.send(frame)) {
    reply.interrupt('not connected');
    endRunning();
    return;
  }
  input.value = '';
  fitInput();
  setBusy(true);
}

function stop() {
  if (!running || running.stopping) return;
  if (queued && queued.id === running.id) {
    // Never sent (it waited for a cancelled reply to end): nothing ran.
    queued = null;
    running.reply.done({ finish_reason: 'cancelled', usage: { completion_tokens: 0 } });
    endRunning();
    return;
  }
  running.stopping = true;
  $('stop').disabled = true;
  if (!connection.send({ type: 'cancel', id: running.id })) {
    running.reply.interrupt('stopped; not connected');
    endRunning();
  }
}

function endRunning() {
  running = null;
  conversation.save();
  setBusy(false);
}

function setBusy(busy) {
  $('send').hidden = busy;
  $('stop').hidden = !busy;
  $('stop').disabled = false;
  $('composer').setAttribute('aria-busy', String(busy));
  if (!busy && document.activeElement === document.body) $('input').focus();
}

function newChat() {
  if (running) {
    if (queued) {
      queued = null;   // never sent: nothing to cancel
    } else {
      connection.send({ type: 'cancel', id: running.id });
      draining = running.id;
    }
    running = null;
    setBusy(false);
  }
  conversation.clear();
  $('input').focus();
}

// ---- settings ----------------------------------------------------------------------------------

function onSettingsChange(reason) {
  saveSettings(settings);
  if (reason === 'apiKey') {
    if (running) {
      running.reply.interrupt('the API key changed');
      endRunning();
    }
    infoProblem = null;
    showNotice(null);
    connection.setApiKey(settings.apiKey);
    refreshInfo();
  }
  if (reason === 'model' || reason === 'reset') showModel();
}

function openSettings(open, focusId = null, remember = true) {
  const aside = $('settings');
  aside.hidden = !open;
  $('settings-toggle').setAttribute('aria-expanded', String(open));
  $('app').classList.toggle('with-settings', open);
  if (remember) {
    settings.panelOpen = open;
    saveSettings(settings);
  }
  if (open && focusId) $(focusId)?.focus();
}

$('settings-toggle').addEventListener('click', () => {
  const open = $('settings').hidden;
  openSettings(open, open && !WIDE.matches ? 'settings-close' : null);
});
$('settings-close').addEventListener('click', () => {
  openSettings(false);
  $('settings-toggle').focus();
});
$('model-chip').addEventListener('click', () => openSettings(true, 'model'));
document.addEventListener('keydown', (e) => {
  // On a narrow screen the panel covers the chat; Escape closes it.
  if (e.key === 'Escape' && !$('settings').hidden && !WIDE.matches) {
    openSettings(false);
    $('settings-toggle').focus();
  }
});

function showNotice(message) {
  const notice = $('notice');
  notice.hidden = !message;
  notice.textContent = message ?? '';
}

// ---- composer ----------------------------------------------------------------------------------

function fitInput() {
  const input = $('input');
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 220)}px`;
}

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});
$('input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
$('input').addEventListener('input', fitInput);
$('stop').addEventListener('click', stop);
$('new-chat').addEventListener('click', newChat);

// ---- start -------------------------------------------------------------------------------------

conversation.restore();
openSettings(settings.panelOpen ?? WIDE.matches, null, false);
panel.render();
showConnection();
connection.connect();
refreshInfo();
$('input').focus();
