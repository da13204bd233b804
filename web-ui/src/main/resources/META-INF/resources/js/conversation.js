// The conversation: its turns (kept in localStorage so a reload keeps the chat) and their view.
// Every piece of model or user text goes into the page as a Text node, never as markup: whatever a
// model writes (say "<img src=x onerror=...>") is shown as those characters and nothing runs.

import { finishInWords, formatMs, formatRate } from './words.js';

const STORAGE_KEY = 'rill.conversation.v1';
const MAX_STORED_CHARS = 2_000_000;

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

export class Conversation {
  /** @type {Array<object>} */
  turns = [];

  constructor(log, welcome) {
    this.log = log;
    this.welcome = welcome;
    this.stickToBottom = true;
    log.addEventListener('scroll', () => {
      this.stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    }, { passive: true });
  }

  restore() {
    let stored = null;
    try {
      stored = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? 'null');
    } catch {
      stored = null;
    }
    if (!Array.isArray(stored)) return;
    for (const t of stored) {
      if (!t || typeof t.text !== 'string') continue;
      if (t.role === 'user') this.addUser(t.text, t.mode);
      else if (t.role === 'assistant') {
        // A reply cut off by a reload is kept as far as it got.
        const reply = this.addReply(t.model, t);
        if (t.state === 'streaming') reply.interrupt('the page was reloaded');
      }
    }
    this.scrollToEnd(true);
  }

  save() {
    const turns = this.turns.map((t) => (t.role === 'user' ? { role: 'user', text: t.text, mode: t.mode } : t.reply.toJSON()));
    let json = JSON.stringify(turns);
    // Keep the newest turns if the chat outgrows what storage should hold.
    while (json.length > MAX_STORED_CHARS && turns.length > 1) {
      turns.shift();
      json = JSON.stringify(turns);
    }
    try {
      window.localStorage.setItem(STORAGE_KEY, json);
    } catch {
      // Storage full or disabled: the chat lasts as long as the page.
    }
  }

  clear() {
    this.turns = [];
    for (const child of [...this.log.children]) if (child !== this.welcome) child.remove();
    this.welcome.hidden = false;
    this.stickToBottom = true;
    this.save();
  }

  /** The turns a chat request carries: user messages and the non-empty replies to them. */
  messages() {
    const out = [];
    for (const t of this.turns) {
      if (t.role === 'user') out.push({ role: 'user', content: t.text });
      else if (t.reply.text && t.reply.state !== 'error') out.push({ role: 'assistant', content: t.reply.text });
    }
    return out;
  }

  addUser(text, mode = 'chat') {
    const article = el('article', 'turn user');
    article.dataset.mode = mode;
    article.append(el('div', 'who', mode === 'complete' ? 'Prompt' : 'You'), el('div', 'text', text));
    this.#append(article);
    this.turns.push({ role: 'user', text, mode });
  }

  addReply(model, restored = null) {
    const reply = new Reply(model, restored);
    reply.onPaint = () => this.scrollToEnd();
    this.#append(reply.element);
    this.turns.push({ role: 'assistant', reply });
    return reply;
  }

  /** A problem that belongs to no reply (e.g. the server refused a message it could not read). */
  addProblem(message) {
    const article = el('article', 'turn problem');
    article.setAttribute('role', 'alert');
    article.append(el('div', 'text', message));
    this.#append(article);
  }

  scrollToEnd(force = false) {
    if (force || this.stickToBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  #append(element) {
    this.welcome.hidden = true;
    this.log.append(element);
    this.scrollToEnd(true);
    this.stickToBottom = true;
  }
}

/**
 * One reply: grows token by token, then shows its figures and why it ended. Tokens can arrive
 * faster than a screen refreshes (thousands a second from a small model); they are painted once per
 * animation frame, so the page stays responsive however fast the model is.
 */
export class Reply {
  onPaint = null;
  #pending = '';
  #frame = 0;

  constructor(model, restored) {
    this.model = model ?? 'model';
    this.text = '';
    this.tokens = 0;
    this.state = 'streaming';
    this.finish = null;
    this.usage = null;
    this.timings = null;
    this.dropped = 0;
    this.error = null;

    this.element = el('article', 'turn assistant');
    this.element.setAttribute('aria-busy', 'true');
    const who = el('div', 'who', this.model);
    this.body = el('div', 'text');
    this.textNode = document.createTextNode('');
    this.caret = el('span', 'caret');
    this.caret.setAttribute('aria-hidden', 'true');
    this.body.append(this.textNode, this.caret);
    this.note = el('div', 'note');
    this.note.hidden = true;
    this.meta = el('div', 'meta');
    this.element.append(who, this.body, this.note, this.meta);
    this.#render();

    if (restored) {
      this.append(restored.text ?? '', 0);
      this.tokens = restored.tokens ?? 0;
      this.dropped = restored.dropped ?? 0;
      this.#showDropped();
      if (restored.state === 'error') this.fail(restored.error ?? 'the reply failed');
      else if (restored.state === 'interrupted') this.interrupt(restored.error ?? 'the connection was lost');
      else if (restored.state !== 'streaming') this.done({ finish_reason: restored.finish, usage: restored.usage, timings: restored.timings });
    }
  }

  started(frame) {
    this.dropped = frame.dropped_messages ?? 0;
    this.#showDropped();
  }

  /** Adds the text of one token frame (may be empty while the server holds back a possible stop string). */
  append(text, tokens = 1) {
    if (text) {
      this.#pending += text;
      this.text += text;
    }
    this.tokens += tokens;
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#paint());
  }

  #paint() {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    if (this.#pending) {
      this.textNode.appendData(this.#pending);
      this.#pending = '';
    }
    if (this.state === 'streaming') {
      const live = this.meta.querySelector('[data-field="tokens"] .value');
      if (live) live.textContent = `${this.tokens} tokens…`;
    }
    this.onPaint?.();
  }

  done(frame) {
    this.finish = frame.finish_reason ?? null;
    this.usage = frame.usage ?? null;
    this.timings = frame.timings ?? null;
    if (this.usage?.completion_tokens != null) this.tokens = this.usage.completion_tokens;
    this.state = this.finish === 'cancelled' ? 'stopped' : 'done';
    this.#end();
  }

  fail(message) {
    this.state = 'error';
    this.error = message;
    this.note.textContent = message;
    this.note.hidden = false;
    this.note.setAttribute('role', 'alert');
    this.#end();
  }

  interrupt(reason) {
    this.state = 'interrupted';
    this.error = reason;
    this.#end();
  }

  toJSON() {
    return {
      role: 'assistant', model: this.model, text: this.text, tokens: this.tokens, state: this.state,
      finish: this.finish, usage: this.usage, timings: this.timings, dropped: this.dropped, error: this.error,
    };
  }

  #end() {
    this.#paint();
    this.caret.remove();
    this.element.setAttribute('aria-busy', 'false');
    this.#render();
  }

  #showDropped() {
    if (this.dropped > 0 && this.state !== 'error') {
      this.note.textContent = `${this.dropped} earlier message${this.dropped === 1 ? ' was' : 's were'} left out to fit the model's context.`;
      this.note.hidden = false;
    }
  }

  #render() {
    this.element.dataset.state = this.state;
    this.body.classList.toggle('empty', this.text === '' && this.state !== 'streaming');
    const items = [];
    const item = (field, label, value, title) => {
      const span = el('span', 'figure');
      span.dataset.field = field;
      span.title = title;
      if (label) span.append(el('span', 'label', label));
      span.append(el('span', 'value', value));
      items.push(span);
    };
    if (this.state === 'streaming') {
      item('tokens', null, `${this.tokens} tokens…`, 'tokens received so far');
    } else {
      if (this.timings) {
        item('ttft', 'first token', formatMs(this.timings.ttft_ms), 'time from sending to the first token, queueing included');
        item('speed', null, `${formatRate(this.timings.tokens_per_s)} tokens/s`, 'generation speed after the first token');
      }
      item('tokens', null, `${this.tokens} token${this.tokens === 1 ? '' : 's'}`, 'tokens the model generated');
      const finish = this.state === 'interrupted' ? `interrupted: ${this.error}`
        : this.state === 'error' ? 'failed' : finishInWords(this.finish);
      item('finish', null, finish, 'why the reply ended');
    }
    this.meta.replaceChildren(...items);
  }
}
