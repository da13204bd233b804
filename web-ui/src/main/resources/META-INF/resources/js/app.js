// The chat page: connects the conversations (IndexedDB), the thread, the settings panel, the token
// inspector, the pipeline view and the WebSocket.
// Protocol (README): the page sends {type:"chat"} and {type:"cancel"}; the server answers start, one
// token frame per sampled token (with logprobs when asked), then done — or error.

import { ApiError, loadServerInfo } from './api.js';
import { Connection } from './connection.js';
import { newReplyData, Thread } from './conversation.js';
import { ConversationsPanel } from './conversations-panel.js';
import { Inspector } from './inspector.js';
import { PipelineView } from './pipeline.js';
import { SettingsPanel } from './settings-panel.js';
import { effectiveChain, loadSettings, requestFields, saveSettings } from './settings.js';
import {
  ConversationStore, conversationSettings, exportJson, newConversation, newId, parseExport,
} from './store.js';
import { errorInWords, modelFacts } from './words.js';

const $ = (id) => document.getElementById(id);
const WIDE = window.matchMedia('(min-width: 1100px)');
/** Candidates per token the page asks for (the inspector's list). */
const TOP_LOGPROBS = 10;

const settings = loadSettings();
const store = new ConversationStore();
const connection = new Connection(settings.apiKey);
const panel = new SettingsPanel(settings, onSettingsChange);

let server = null;          // {models, plugins, generation} once loaded
let infoProblem = null;     // null, or {kind: 'loading'|'auth'|'failed'|'unreachable', message}
let running = null;         // the generation in flight: {id, frame, stopping}
// New chat cancels a running reply; the server takes the next chat once that one's done arrives
// (one generation per connection), so a chat sent meanwhile waits for it here.
let draining = null;        // id of a cancelled generation whose done has not arrived
let queued = null;          // a chat frame waiting for it
let logprobs = true;        // false once the server refused the logprobs field (a server without it)
let ids = 0;
let countdown = null;
let conversations = [];     // every stored conversation, newest first
let current = null;         // the conversation shown

const thread = new Thread($('conversation'), $('welcome'), {
  regenerate, edit, continueReply, pipeline: openPipeline, changed: persist,
  inspect: (reply, index, anchor, pin) => inspector.show(reply, index, anchor, pin),
  canContinue,
});
const inspector = new Inspector($('inspector'), { openPipeline });
const pipelineView = new PipelineView($('pipeline-dialog'), () => settings.apiKey);
const list = new ConversationsPanel({
  open: openConversation, create: newChat, rename, remove, exportAll, importFile,
});

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
    liveReply()?.interrupt(running.stopping ? 'stopped; the connection was lost' : 'the connection to the server was lost');
    endRunning();
  }
  // A handshake that never opened may be a refused key: the HTTP API says which.
  if (!e.detail.opened) refreshInfo();
});

$('connection').addEventListener('click', () => connection.retryNow());

function liveReply() {
  return thread.live?.reply ?? null;
}

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
      liveReply()?.started(frame);
      break;
    case 'token':
      liveReply()?.append(frame);
      speak(typeof frame.text === 'string' ? frame.text : '');
      break;
    case 'done':
      liveReply()?.done(frame);
      speak('', true);
      endRunning();
      break;
    default:
      break;
  }
});

function onErrorFrame(frame) {
  // A cancel that crossed the reply's done on the wire: nothing is wrong.
  if (frame.code === 'not_running') return;
  if (running && frame.id === running.id && frame.param === 'logprobs' && running.frame.logprobs != null) {
    // A server without token probabilities: ask again without them (the inspector then says so).
    logprobs = false;
    delete running.frame.logprobs;
    running.frame.id = nextId();
    running.id = running.frame.id;
    if (!connection.send(running.frame)) {
      liveReply()?.interrupt('not connected');
      endRunning();
    }
    return;
  }
  const words = errorInWords(frame);
  if (running && (frame.id === running.id || frame.id == null)) {
    liveReply()?.fail(words);
    endRunning();
  } else {
    thread.addProblem(words);
  }
  if (frame.code === 'model_not_found') refreshInfo();
}

// ---- the live region: the reply read out in sentences, not token by token ----------------------

let speech = '';
let spoken = 0;
function speak(text, end = false) {
  speech += text;
  const now = Date.now();
  const sentence = /[.!?\n]\s*$/.test(speech);
  if (end || (speech.trim() && sentence && now - spoken > 1500) || speech.length > 400) {
    const out = `${speech.trim()}${end ? ' (end of reply)' : ''}`;
    if (out.trim()) $('live').textContent = out;
    speech = '';
    spoken = now;
  }
}

// ---- sending, regenerating, editing, continuing, stopping ---------------------------------------

function nextId() {
  ids += 1;
  return `web-${Date.now().toString(36)}-${ids}`;
}

function serverInfo() {
  return server ?? { models: [], plugins: {}, generation: null };
}

function withSystem(messages) {
  return settings.system.trim() ? [{ role: 'system', content: settings.system }, ...messages] : messages;
}

/**
 * Sends a chat frame with the current settings and streams its reply into the Reply that {@code place}
 * makes (a new turn, a new version, or more of an existing reply).
 */
function generate(fields, place) {
  if (running || !connection.open) {
    showConnection();
    return false;
  }
  const info = serverInfo();
  const frame = { type: 'chat', id: nextId(), ...fields, ...requestFields(settings, info) };
  if (fields.stop) frame.stop = fields.stop;
  if (logprobs) frame.logprobs = TOP_LOGPROBS;
  const model = panel.currentModel()?.name ?? 'model';
  const request = { ...frame };
  delete request.type;
  delete request.id;
  delete request.logprobs;
  place(newReplyData(model, request, effectiveChain(settings, info)));
  running = { id: frame.id, frame, stopping: false };
  speech = '';
  if (draining) {
    queued = frame;
  } else if (!connection.send(frame)) {
    liveReply()?.interrupt('not connected');
    endRunning();
    return false;
  }
  setBusy(true);
  return true;
}

function ensureCurrent() {
  if (!conversations.includes(current)) conversations.unshift(current);
}

function send() {
  const input = $('input');
  const text = input.value;
  if (running || text.trim() === '') return;
  if (!connection.open) {
    showConnection();
    return;
  }
  ensureCurrent();
  thread.addUser(text, settings.mode);
  const fields = settings.mode === 'complete' ? { prompt: text } : { messages: withSystem(thread.messages()) };
  if (generate(fields, (data) => thread.addReply(data))) {
    input.value = '';
    fitInput();
  }
  persist();
}

/** The request that produced assistant turn {@code index}: the turns before it, as chat or as text. */
function requestFor(index) {
  const user = thread.conv.turns[index - 1];
  if (user?.role === 'user' && user.mode === 'complete') return { prompt: user.text };
  return { messages: withSystem(thread.messages(index)) };
}

function regenerate(index) {
  if (running) return;
  generate(requestFor(index), (data) => thread.addVersion(index, data));
  persist();
}

function edit(index, text) {
  if (running || !connection.open) {
    showConnection();
    return;
  }
  thread.editUser(index, text);
  const turn = thread.conv.turns[index];
  const fields = turn.mode === 'complete' ? { prompt: text } : { messages: withSystem(thread.messages(index + 1)) };
  generate(fields, (data) => thread.addReply(data));
  persist();
  $('input').focus();
}

/**
 * Whether a reply can be continued: text continuation always; a chat reply when the model has a chat
 * format (the server then continues the assistant's turn: continue_final_message).
 */
function canContinue(index) {
  const user = thread.conv.turns[index - 1];
  if (user?.mode === 'complete') return true;
  return panel.currentModel()?.chat_format != null;
}

function continueReply(index) {
  if (running || !canContinue(index)) return;
  const turn = thread.conv.turns[index];
  const reply = turn.versions[turn.current].reply;
  const base = requestFor(index);
  const fields = base.prompt != null ? { prompt: base.prompt + reply.text }
    : { messages: [...base.messages, { role: 'assistant', content: reply.text }], continue_final_message: true };
  if (!connection.open || running) return;
  const info = serverInfo();
  const frame = { type: 'chat', id: nextId(), ...fields, ...requestFields(settings, info) };
  if (logprobs) frame.logprobs = TOP_LOGPROBS;
  reply.continued = true;
  thread.resume(index);
  running = { id: frame.id, frame, stopping: false };
  if (!connection.send(frame)) {
    liveReply()?.interrupt('not connected');
    endRunning();
    return;
  }
  setBusy(true);
}

function stop() {
  if (!running || running.stopping) return;
  if (queued && queued.id === running.id) {
    // Never sent (it waited for a cancelled reply to end): nothing ran.
    queued = null;
    liveReply()?.done({ finish_reason: 'cancelled', usage: { completion_tokens: 0 } });
    endRunning();
    return;
  }
  running.stopping = true;
  $('stop').disabled = true;
  if (!connection.send({ type: 'cancel', id: running.id })) {
    liveReply()?.interrupt('stopped; not connected');
    endRunning();
  }
}

function endRunning() {
  running = null;
  thread.endLive();
  persist();
  setBusy(false);
}

function setBusy(busy) {
  $('send').hidden = busy;
  $('stop').hidden = !busy;
  $('stop').disabled = false;
  $('composer').setAttribute('aria-busy', String(busy));
  if (!busy && (document.activeElement === document.body || document.activeElement?.id === 'stop')) $('input').focus();
}

/** Cancels the reply in flight (New chat, switching conversation). */
function abandonRunning() {
  if (!running) return;
  if (queued) {
    queued = null;   // never sent: nothing to cancel
  } else {
    connection.send({ type: 'cancel', id: running.id });
    draining = running.id;
  }
  liveReply()?.interrupt('stopped: another conversation was opened');
  running = null;
  thread.live = null;
  persist(current);
  setBusy(false);
}

function openPipeline(index, step) {
  const turn = thread.conv.turns[index];
  const reply = turn.versions[turn.current].reply;
  const req = reply.request ?? {};
  const body = {};
  for (const k of ['model', 'messages', 'prompt', 'sampling']) if (req[k] != null) body[k] = req[k];
  if (body.messages == null && body.prompt == null) Object.assign(body, requestFor(index));
  const continuation = reply.steps.slice(0, step).map((s) => s.id).filter((id) => id >= 0);
  if (continuation.length) body.continuation = continuation;
  if (req.seed != null) body.seed = req.seed;
  const title = step === 0 ? `The first token of the reply by ${reply.model}, with the settings it was sent with.`
    : `Token ${step + 1} of the reply by ${reply.model}: the prompt and the reply's first ${step} tokens, with the settings it was sent with.`;
  pipelineView.open(body, title);
}

// ---- conversations -----------------------------------------------------------------------------

async function persist(conv = current) {
  if (!conv || conv.turns.length === 0) return;
  conv.updated = Date.now();
  conv.settings = conv === current ? conversationSettings(settings) : conv.settings;
  ensureCurrent();
  conversations.sort((a, b) => b.updated - a.updated);
  list.set(conversations, current?.id);
  try {
    await store.put(conv);
  } catch {
    $('conv-status').textContent = 'Conversations cannot be kept in this browser (storage is off or full).';
  }
}

function show(conv) {
  current = conv;
  const keep = { apiKey: settings.apiKey, panelOpen: settings.panelOpen, sidebarOpen: settings.sidebarOpen };
  Object.assign(settings, conversationSettings(conv.settings), keep);
  panel.render();
  showModel();
  thread.show(conv);
  list.set(conversations, conv.id);
}

function openConversation(id) {
  const conv = conversations.find((c) => c.id === id);
  if (!conv || conv === current) return;
  abandonRunning();
  show(conv);
  if (!WIDE.matches) openSidebar(false);
  $('input').focus();
}

function newChat() {
  abandonRunning();
  // A new conversation starts from the settings in force (saved as the defaults for new ones).
  show(newConversation(settings));
  $('input').focus();
}

function rename(id, title) {
  const conv = conversations.find((c) => c.id === id);
  if (!conv) return;
  conv.title = title;
  persist(conv);
}

async function remove(id) {
  const conv = conversations.find((c) => c.id === id);
  if (!conv) return;
  if (conv === current) abandonRunning();
  conversations = conversations.filter((c) => c !== conv);
  try {
    await store.delete(id);
  } catch {
    // Not stored (storage off): gone from the list all the same.
  }
  $('conv-status').textContent = `Deleted “${conv.title || 'New conversation'}”.`;
  if (conv === current) show(conversations[0] ?? newConversation(settings));
  else list.set(conversations, current.id);
  $('conv-new').focus();
}

function exportAll() {
  const blob = new Blob([exportJson(conversations)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `rill-conversations-${new Date().toISOString().slice(0, 10)}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  $('conv-status').textContent = `Exported ${conversations.length} conversation${conversations.length === 1 ? '' : 's'}.`;
}

async function importFile(file) {
  let parsed;
  try {
    parsed = parseExport(await file.text());
  } catch (e) {
    $('conv-status').textContent = `Not imported: ${e.message}.`;
    return;
  }
  for (const conv of parsed.conversations) {
    if (conversations.some((c) => c.id === conv.id)) conv.id = newId();
    conversations.push(conv);
    await persist(conv);
  }
  const n = parsed.conversations.length;
  $('conv-status').textContent = `Imported ${n} conversation${n === 1 ? '' : 's'}${parsed.skipped ? `; ${parsed.skipped} could not be read` : ''}.`;
  if (n) openConversation(parsed.conversations[0].id);
}

// ---- settings ----------------------------------------------------------------------------------

function onSettingsChange(reason) {
  saveSettings(settings);
  if (reason === 'apiKey') {
    if (running) {
      liveReply()?.interrupt('the API key changed');
      endRunning();
    }
    infoProblem = null;
    showNotice(null);
    connection.setApiKey(settings.apiKey);
    refreshInfo();
    return;
  }
  if (reason === 'model' || reason === 'reset') showModel();
  // The conversation remembers its model and settings.
  if (current && current.turns.length) persist();
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

function openSidebar(open, remember = true) {
  $('sidebar').hidden = !open;
  $('sidebar-toggle').setAttribute('aria-expanded', String(open));
  $('app').classList.toggle('with-sidebar', open);
  if (remember) {
    settings.sidebarOpen = open;
    saveSettings(settings);
  }
}

$('settings-toggle').addEventListener('click', () => {
  const open = $('settings').hidden;
  openSettings(open, open && !WIDE.matches ? 'settings-close' : null);
});
$('settings-close').addEventListener('click', () => {
  openSettings(false);
  $('settings-toggle').focus();
});
$('sidebar-toggle').addEventListener('click', () => {
  const open = $('sidebar').hidden;
  openSidebar(open);
  if (open) $('conv-search').focus();
});
$('model-chip').addEventListener('click', () => openSettings(true, 'model'));
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || WIDE.matches || $('pipeline-dialog').open) return;
  // On a narrow screen the panels cover the chat; Escape closes them.
  if (!$('settings').hidden) {
    openSettings(false);
    $('settings-toggle').focus();
  } else if (!$('sidebar').hidden) {
    openSidebar(false);
    $('sidebar-toggle').focus();
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
  } else if (e.key === 'Escape' && running) {
    e.preventDefault();
    stop();
  }
});
$('input').addEventListener('input', fitInput);
$('stop').addEventListener('click', stop);
$('new-chat').addEventListener('click', newChat);

// ---- start -------------------------------------------------------------------------------------

async function start() {
  try {
    conversations = await store.all();
  } catch {
    conversations = [];
    $('conv-status').textContent = 'Conversations cannot be kept in this browser (storage is off).';
  }
  // A reply cut off by a reload is kept as far as it got.
  for (const c of conversations) {
    for (const t of c.turns) {
      if (t.role !== 'assistant') continue;
      for (const v of t.versions) {
        if (v.reply.state !== 'streaming') continue;
        v.reply.state = 'interrupted';
        v.reply.error = 'the page was reloaded';
      }
    }
  }
  show(conversations[0] ?? newConversation(settings));
  openSettings(settings.panelOpen ?? WIDE.matches, null, false);
  openSidebar(settings.sidebarOpen ?? WIDE.matches, false);
  showConnection();
  connection.connect();
  refreshInfo();
  $('input').focus();
}

start();
