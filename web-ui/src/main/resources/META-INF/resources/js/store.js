// Conversations kept in the browser (IndexedDB, one record per conversation), and their JSON export
// format. Anything read back (storage or an imported file) is checked: a malformed record is skipped,
// never allowed to break the page.

const DB_NAME = 'rill';
const STORE = 'conversations';
export const EXPORT_FORMAT = 'rill.conversations';

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class ConversationStore {
  #db = null;

  async open() {
    if (this.#db) return this.#db;
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' });
    };
    this.#db = await request(open);
    // Another tab deleting or upgrading the database: let it (this page opens it again when needed).
    this.#db.onversionchange = () => {
      this.#db?.close();
      this.#db = null;
    };
    return this.#db;
  }

  async #store(mode) {
    return (await this.open()).transaction(STORE, mode).objectStore(STORE);
  }

  /** Every conversation, newest first. */
  async all() {
    const rows = await request((await this.#store('readonly')).getAll());
    return rows.map(checkConversation).filter(Boolean).sort((a, b) => b.updated - a.updated);
  }

  async put(conversation) {
    await request((await this.#store('readwrite')).put(JSON.parse(JSON.stringify(conversation))));
  }

  async delete(id) {
    await request((await this.#store('readwrite')).delete(id));
  }
}

export function newId() {
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function newConversation(settings) {
  const now = Date.now();
  return { id: newId(), title: '', created: now, updated: now, settings: conversationSettings(settings), turns: [] };
}

/** The part of the settings a conversation remembers (not the API key, not the panel's state). */
export function conversationSettings(s) {
  return {
    model: s.model ?? null, mode: s.mode ?? 'chat', system: s.system ?? '', chain: s.chain ? [...s.chain] : null,
    params: { ...(s.params ?? {}) }, maxTokens: s.maxTokens ?? null, seed: s.seed ?? null,
  };
}

const str = (v) => typeof v === 'string';
const num = (v) => typeof v === 'number' && Number.isFinite(v);

/** A stored or imported conversation with anything malformed dropped, or null when it is not one. */
export function checkConversation(c) {
  if (!c || typeof c !== 'object' || !str(c.id) || !Array.isArray(c.turns)) return null;
  const turns = [];
  for (const t of c.turns) {
    const turn = checkTurn(t);
    if (turn) turns.push(turn);
  }
  return {
    id: c.id, title: str(c.title) ? c.title : '', created: num(c.created) ? c.created : Date.now(),
    updated: num(c.updated) ? c.updated : Date.now(),
    settings: c.settings && typeof c.settings === 'object' ? conversationSettings(c.settings) : conversationSettings({}),
    turns,
  };
}

function checkTurn(t) {
  if (!t || typeof t !== 'object') return null;
  if (t.role === 'user' && str(t.text)) return { role: 'user', text: t.text, mode: t.mode === 'complete' ? 'complete' : 'chat' };
  if (t.role !== 'assistant' || !Array.isArray(t.versions)) return null;
  const versions = [];
  for (const v of t.versions) {
    const reply = checkReply(v?.reply);
    if (!reply) continue;
    versions.push({ reply, after: Array.isArray(v.after) ? v.after.map(checkTurn).filter(Boolean) : [] });
  }
  if (versions.length === 0) return null;
  const current = Number.isInteger(t.current) && t.current >= 0 && t.current < versions.length ? t.current : versions.length - 1;
  return { role: 'assistant', versions, current };
}

function checkReply(r) {
  if (!r || typeof r !== 'object' || !str(r.text)) return null;
  const steps = Array.isArray(r.steps) ? r.steps.filter((s) => s && Number.isInteger(s.id) && str(s.text)).map((s) => ({
    id: s.id, text: s.text,
    logprob: num(s.logprob) ? s.logprob : null,
    top: Array.isArray(s.top) ? s.top.filter((c) => c && Number.isInteger(c.id) && str(c.text) && num(c.logprob))
      .map((c) => ({ id: c.id, text: c.text, logprob: c.logprob })) : null,
  })) : [];
  return {
    model: str(r.model) ? r.model : 'model', text: r.text, tokens: Number.isInteger(r.tokens) ? r.tokens : steps.length,
    state: ['done', 'stopped', 'error', 'interrupted'].includes(r.state) ? r.state : 'interrupted',
    finish: str(r.finish) ? r.finish : null, usage: r.usage && typeof r.usage === 'object' ? r.usage : null,
    timings: r.timings && typeof r.timings === 'object' ? r.timings : null, dropped: Number.isInteger(r.dropped) ? r.dropped : 0,
    error: str(r.error) ? r.error : null, chain: Array.isArray(r.chain) && r.chain.every(str) ? r.chain : null,
    request: r.request && typeof r.request === 'object' ? r.request : null,
    steps,
  };
}

/** The export file's content. */
export function exportJson(conversations) {
  return JSON.stringify({ format: EXPORT_FORMAT, version: 1, exported: new Date().toISOString(), conversations }, null, 2);
}

/**
 * The conversations of an export file.
 * @returns {{conversations: object[], skipped: number}}
 * @throws Error with a sentence for the user when the file is not an export
 */
export function parseExport(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error('the file is not JSON');
  }
  const list = Array.isArray(data) ? data : data?.format === EXPORT_FORMAT ? data.conversations : null;
  if (!Array.isArray(list)) throw new Error(`the file is not a Rill conversations export (expected "format": "${EXPORT_FORMAT}")`);
  const conversations = list.map(checkConversation).filter(Boolean);
  return { conversations, skipped: list.length - conversations.length };
}
