// The thread of one conversation: its turns and their view. A user turn is text; an assistant turn
// holds versions (regenerate adds one; ‹ 2/3 › switches), and each version keeps the turns that
// followed it, so switching versions switches the rest of the thread too. Model text is shown as
// sanitised Markdown (markdown.js), as plain text, or token by token for the inspector; plain text
// and tokens go into the page as Text nodes only.

import { copyText, decorateCode, renderMarkdown } from './markdown.js';
import { finishInWords, formatMs, formatRate } from './words.js';

export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

function button(label, onClick, { className = 'act', aria = null, title = null } = {}) {
  const b = el('button', className, label);
  b.type = 'button';
  if (aria) b.setAttribute('aria-label', aria);
  if (title) b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

/** A fresh reply record (what is stored for one version of an assistant turn). */
export function newReplyData(model, request = null, chain = null) {
  return {
    model: model ?? 'model', text: '', tokens: 0, state: 'streaming', finish: null, usage: null, timings: null,
    dropped: 0, error: null, chain, request, steps: [],
  };
}

/**
 * A token's text for its accessible name: the characters shown, with new lines, tabs and other
 * invisible characters in words (the name must hold the visible text, WCAG 2.5.3, so no escapes).
 */
function spokenToken(text) {
  if (text === '') return '∅ held back, its text came with a later token';
  if (/^ +$/.test(text)) return text.length === 1 ? 'space' : `${text.length} spaces`;
  const named = { '\n': 'new line', '\t': 'tab', '\r': 'carriage return' };
  const words = text.replace(/[\u0000-\u001f\u007f]/g, (c) => ` ${named[c] ?? `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`} `);
  return `“${words.replace(/ {2,}/g, ' ').trim()}”`;
}

export class Thread {
  /** @type {object|null} the conversation record being shown (see store.js) */
  conv = null;
  replyViews = new Map();
  /** The reply being streamed, if any: {turn, reply}. */
  live = null;

  /**
   * @param handlers {regenerate(turn), edit(turn, text), continueReply(turn), inspect(reply, index, anchor), pipeline(turn, stepIndex), changed()}
   */
  constructor(log, welcome, handlers) {
    this.log = log;
    this.welcome = welcome;
    this.handlers = handlers;
    this.views = new WeakMap();   // reply data -> 'formatted' | 'text' | 'tokens'
    this.colour = false;
    this.stickToBottom = true;
    log.addEventListener('scroll', () => {
      this.stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
    }, { passive: true });
  }

  show(conv) {
    this.conv = conv;
    this.live = null;
    this.render();
    this.scrollToEnd(true);
  }

  /** The chat messages of turns [0, upTo): user texts and the current versions' non-failed replies. */
  messages(upTo = this.conv.turns.length) {
    const out = [];
    for (const t of this.conv.turns.slice(0, upTo)) {
      if (t.role === 'user') out.push({ role: 'user', content: t.text });
      else {
        const r = t.versions[t.current].reply;
        if (r.text && r.state !== 'error') out.push({ role: 'assistant', content: r.text });
      }
    }
    return out;
  }

  addUser(text, mode) {
    this.conv.turns.push({ role: 'user', text, mode });
    if (!this.conv.title) this.conv.title = text.trim().split('\n')[0].slice(0, 60);
    this.welcome.hidden = true;
    this.log.append(this.#userView(this.conv.turns.at(-1), this.conv.turns.length - 1));
    this.scrollToEnd(true);
  }

  /** A new assistant turn at the end; returns its live Reply. */
  addReply(data) {
    const turn = { role: 'assistant', versions: [{ reply: data, after: [] }], current: 0 };
    this.conv.turns.push(turn);
    const index = this.conv.turns.length - 1;
    this.live = { turn, reply: null };
    const reply = new Reply(data, this, index);
    this.replyViews.set(index, reply);
    this.live.reply = reply;
    this.welcome.hidden = true;
    this.log.append(reply.element);
    this.#refreshActions();
    this.scrollToEnd(true);
    return reply;
  }

  /** Enables or disables the actions after a reply starts or ends, without redrawing the thread. */
  #refreshActions() {
    for (const reply of this.replyViews.values()) reply.renderActions();
    for (const b of this.log.querySelectorAll('.turn.user .actions button[aria-label="Edit message and resend"]')) b.disabled = this.live != null;
  }

  /** The reply in flight ended. */
  endLive() {
    this.live = null;
    this.#refreshActions();
  }

  /** Another version of assistant turn {@code index}: the turns after it stay with the version they followed. */
  addVersion(index, data) {
    const turn = this.conv.turns[index];
    turn.versions[turn.current].after = this.conv.turns.splice(index + 1);
    turn.versions.push({ reply: data, after: [] });
    turn.current = turn.versions.length - 1;
    return this.#goLive(index);
  }

  /** Streams more into assistant turn {@code index}'s current version (continue). */
  resume(index) {
    const data = this.conv.turns[index].versions[this.conv.turns[index].current].reply;
    data.state = 'streaming';
    data.finish = null;
    return this.#goLive(index);
  }

  setVersion(index, v) {
    const turn = this.conv.turns[index];
    if (v < 0 || v >= turn.versions.length || v === turn.current) return;
    turn.versions[turn.current].after = this.conv.turns.splice(index + 1);
    turn.current = v;
    this.conv.turns.push(...turn.versions[v].after);
    turn.versions[v].after = [];
    this.render();
    this.handlers.changed();
    this.log.querySelector(`[data-turn="${index}"] .versions .count`)?.focus();
  }

  /** Replaces user turn {@code index}'s text and drops every turn after it. */
  editUser(index, text) {
    this.conv.turns[index].text = text;
    this.conv.turns.splice(index + 1);
    this.render();
  }

  #goLive(index) {
    this.render();
    const turn = this.conv.turns[index];
    const reply = this.replyViews.get(index);
    this.live = { turn, reply };
    this.scrollToEnd(true);
    return reply;
  }

  render() {
    for (const child of [...this.log.children]) if (child !== this.welcome) child.remove();
    this.replyViews = new Map();
    const turns = this.conv?.turns ?? [];
    this.welcome.hidden = turns.length > 0;
    turns.forEach((t, i) => {
      if (t.role === 'user') this.log.append(this.#userView(t, i));
      else {
        const reply = new Reply(t.versions[t.current].reply, this, i);
        this.replyViews.set(i, reply);
        this.log.append(reply.element);
        if (this.live?.turn === t) this.live.reply = reply;
      }
    });
  }

  #userView(turn, index) {
    const article = el('article', 'turn user');
    article.dataset.mode = turn.mode;
    article.dataset.turn = String(index);
    const text = el('div', 'text', turn.text);
    const actions = el('div', 'actions');
    actions.setAttribute('role', 'toolbar');
    actions.setAttribute('aria-label', 'Message actions');
    const copy = button('Copy', () => copyText(turn.text, copy), { aria: 'Copy message' });
    const edit = button('Edit', () => this.#startEdit(article, turn, index), { aria: 'Edit message and resend' });
    edit.disabled = this.live != null;
    actions.append(copy, edit);
    article.append(el('div', 'who', turn.mode === 'complete' ? 'Prompt' : 'You'), text, actions);
    return article;
  }

  #startEdit(article, turn, index) {
    const form = el('form', 'edit');
    const label = el('label', 'visually-hidden', 'Edit message');
    const area = el('textarea');
    area.id = `edit-${index}`;
    label.htmlFor = area.id;
    area.value = turn.text;
    area.rows = Math.min(10, Math.max(2, turn.text.split('\n').length));
    const send = el('button', 'act primary', 'Save & send');
    send.type = 'submit';
    const cancel = button('Cancel', () => {
      this.render();
      this.log.querySelector(`[data-turn="${index}"] .actions button:nth-child(2)`)?.focus();
    });
    const hint = el('p', 'hint', 'Sending drops the replies after this message.');
    form.append(label, area, el('div', 'edit-buttons', null), hint);
    form.querySelector('.edit-buttons').append(send, cancel);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (area.value.trim()) this.handlers.edit(index, area.value);
    });
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') cancel.click();
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    article.querySelector('.text').replaceWith(form);
    article.querySelector('.actions').hidden = true;
    area.focus();
  }

  /** How a reply is shown: a chat reply as Markdown, a text continuation as the text it is, unless the user chose. */
  viewOf(data) {
    return this.views.get(data) ?? (data.request?.prompt != null ? 'text' : 'formatted');
  }

  setView(index, data, view) {
    this.views.set(data, view);
    const reply = this.replyViews.get(index);
    reply?.repaintBody();
    reply?.renderActions();
  }

  scrollToEnd(force = false) {
    if (force || this.stickToBottom) this.log.scrollTop = this.log.scrollHeight;
  }

  /** A problem that belongs to no reply (e.g. the server refused a message it could not read). */
  addProblem(message) {
    const article = el('article', 'turn problem');
    article.setAttribute('role', 'alert');
    article.append(el('div', 'text', message));
    this.welcome.hidden = true;
    this.log.append(article);
    this.scrollToEnd(true);
  }
}

/**
 * The view of one reply version. While it streams, tokens can arrive faster than a screen refreshes;
 * they are painted at most once per animation frame, and the Markdown at most every 80 ms.
 */
export class Reply {
  onPaint = null;
  #frame = 0;
  #lastMarkdown = 0;
  #markdownTimer = 0;

  constructor(data, thread, index) {
    this.data = data;
    this.thread = thread;
    this.index = index;
    this.element = el('article', 'turn assistant');
    this.element.dataset.turn = String(index);
    this.element.setAttribute('aria-busy', String(data.state === 'streaming'));
    this.body = el('div', 'text');
    this.caret = el('span', 'caret');
    this.caret.setAttribute('aria-hidden', 'true');
    this.note = el('div', 'note');
    this.note.hidden = true;
    this.meta = el('div', 'meta');
    this.actions = el('div', 'actions');
    this.actions.setAttribute('role', 'toolbar');
    this.actions.setAttribute('aria-label', 'Reply actions');
    this.element.append(el('div', 'who', data.model), this.body, this.note, this.meta, this.actions);
    this.repaintBody();
    this.#showNote();
    this.#render();
    this.renderActions();
  }

  started(frame) {
    this.data.dropped = frame.dropped_messages ?? 0;
    this.#showNote();
  }

  /** One token frame: its text (may be empty while the server holds back a possible stop string) and logprobs, if sent. */
  append(frame) {
    const text = typeof frame.text === 'string' ? frame.text : '';
    this.data.text += text;
    this.data.tokens += 1;
    const step = { id: Number.isInteger(frame.token_id) ? frame.token_id : -1, text, logprob: null, top: null };
    if (typeof frame.logprob === 'number') step.logprob = frame.logprob;
    if (Array.isArray(frame.top_logprobs)) {
      step.top = frame.top_logprobs.filter((c) => c && Number.isInteger(c.token_id) && typeof c.logprob === 'number')
        .map((c) => ({ id: c.token_id, text: typeof c.text === 'string' ? c.text : '', logprob: c.logprob }));
    }
    this.data.steps.push(step);
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#paint());
  }

  #paint() {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    const now = performance.now();
    const view = this.thread.viewOf(this.data);
    if (view !== 'formatted' || this.data.state !== 'streaming' || now - this.#lastMarkdown > 80) {
      this.repaintBody();
    } else if (!this.#markdownTimer) {
      this.#markdownTimer = setTimeout(() => {
        this.#markdownTimer = 0;
        this.#paint();
      }, 80);
    }
    if (this.data.state === 'streaming') {
      const live = this.meta.querySelector('[data-field="tokens"] .value');
      if (live) live.textContent = `${this.data.tokens} tokens…`;
    }
    this.thread.scrollToEnd();
    this.onPaint?.();
  }

  /** Draws the text in the reply's view: formatted Markdown, plain text, or tokens. */
  repaintBody() {
    this.#lastMarkdown = performance.now();
    const view = this.thread.viewOf(this.data);
    const d = this.data;
    this.body.className = `text view-${view}`;
    this.body.classList.toggle('empty', d.text === '' && d.state !== 'streaming');
    this.body.removeAttribute('role');
    this.body.removeAttribute('aria-label');
    if (view === 'formatted') {
      const frag = renderMarkdown(d.text);
      const holder = el('div', 'markdown');
      holder.append(frag);
      decorateCode(holder);
      this.body.replaceChildren(...holder.childNodes);
    } else if (view === 'text') {
      this.body.replaceChildren(document.createTextNode(d.text));
    } else {
      this.#tokens();
    }
    if (d.state === 'streaming') this.body.append(this.caret);
  }

  #tokens() {
    const d = this.data;
    this.body.classList.toggle('colour', this.thread.colour);
    this.body.setAttribute('role', 'group');
    this.body.setAttribute('aria-label', `Tokens of the reply (${d.steps.length}); arrow keys move, Enter shows the candidates`);
    const spans = d.steps.map((s, i) => {
      const span = el('span', 'tok');
      span.dataset.index = String(i);
      span.tabIndex = i === 0 ? 0 : -1;
      span.setAttribute('role', 'button');
      const p = s.logprob != null ? Math.exp(s.logprob) : null;
      span.setAttribute('aria-label', `token ${i + 1}: ${spokenToken(s.text)}${p != null ? `, probability ${(p * 100).toFixed(1)}%` : ''}`);
      if (s.text === '') {
        span.classList.add('held');
        span.textContent = '∅';
        span.title = 'held back: its text arrived with a later token';
      } else {
        span.textContent = s.text;
      }
      if (p != null) span.style.setProperty('--p', p.toFixed(3));
      return span;
    });
    this.body.replaceChildren(...spans);
    const show = (span, pin) => this.thread.handlers.inspect(this, Number(span.dataset.index), span, pin);
    this.body.onmouseover = (e) => {
      const span = e.target.closest?.('.tok');
      if (span) show(span, false);
    };
    this.body.onfocusin = (e) => {
      const span = e.target.closest?.('.tok');
      if (span) show(span, false);
    };
    this.body.onclick = (e) => {
      const span = e.target.closest?.('.tok');
      if (span) show(span, true);
    };
    this.body.onkeydown = (e) => {
      const span = e.target.closest?.('.tok');
      if (!span) return;
      const i = Number(span.dataset.index);
      const move = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity }[e.key];
      if (move != null) {
        e.preventDefault();
        const next = Math.max(0, Math.min(spans.length - 1, i + move));
        span.tabIndex = -1;
        spans[next].tabIndex = 0;
        spans[next].focus();
      } else if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        show(span, true);
      }
    };
  }

  done(frame) {
    const d = this.data;
    d.finish = frame.finish_reason ?? null;
    d.usage = frame.usage ?? null;
    d.timings = frame.timings ?? null;
    if (d.usage?.completion_tokens != null && !d.continued) d.tokens = d.usage.completion_tokens;
    d.state = d.finish === 'cancelled' ? 'stopped' : 'done';
    this.#end();
  }

  fail(message) {
    this.data.state = 'error';
    this.data.error = message;
    this.#end();
  }

  interrupt(reason) {
    this.data.state = 'interrupted';
    this.data.error = reason;
    this.#end();
  }

  #end() {
    clearTimeout(this.#markdownTimer);
    this.#markdownTimer = 0;
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.element.setAttribute('aria-busy', 'false');
    this.repaintBody();
    this.#showNote();
    this.#render();
    this.renderActions();
    this.thread.scrollToEnd();
  }

  #showNote() {
    const d = this.data;
    if (d.state === 'error') {
      this.note.textContent = d.error;
      this.note.hidden = false;
      this.note.setAttribute('role', 'alert');
    } else if (d.dropped > 0) {
      this.note.textContent = `${d.dropped} earlier message${d.dropped === 1 ? ' was' : 's were'} left out to fit the model's context.`;
      this.note.hidden = false;
    }
  }

  #render() {
    const d = this.data;
    this.element.dataset.state = d.state;
    const items = [];
    const item = (field, label, value, title) => {
      const span = el('span', 'figure');
      span.dataset.field = field;
      span.title = title;
      if (label) span.append(el('span', 'label', label));
      span.append(el('span', 'value', value));
      items.push(span);
    };
    if (d.state === 'streaming') {
      item('tokens', null, `${d.tokens} tokens…`, 'tokens received so far');
    } else {
      if (d.timings) {
        item('ttft', 'first token', formatMs(d.timings.ttft_ms), 'time from sending to the first token, queueing included');
        item('speed', null, `${formatRate(d.timings.tokens_per_s)} tokens/s`, 'generation speed after the first token');
      }
      item('tokens', null, `${d.tokens} token${d.tokens === 1 ? '' : 's'}`, 'tokens the model generated');
      const finish = d.state === 'interrupted' ? `interrupted: ${d.error}` : d.state === 'error' ? 'failed' : finishInWords(d.finish);
      item('finish', null, finish, 'why the reply ended');
    }
    this.meta.replaceChildren(...items);
  }

  renderActions() {
    const d = this.data;
    const thread = this.thread;
    const turn = thread.conv.turns[this.index];
    const busy = thread.live != null;
    const items = [];
    if (turn.versions.length > 1) {
      const group = el('span', 'versions');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', 'Versions');
      const prev = button('‹', () => thread.setVersion(this.index, turn.current - 1), { className: 'act mini-act', aria: 'Previous version' });
      const next = button('›', () => thread.setVersion(this.index, turn.current + 1), { className: 'act mini-act', aria: 'Next version' });
      prev.disabled = busy || turn.current === 0;
      next.disabled = busy || turn.current === turn.versions.length - 1;
      const count = el('span', 'count', `${turn.current + 1}/${turn.versions.length}`);
      count.tabIndex = -1;
      count.setAttribute('aria-label', `version ${turn.current + 1} of ${turn.versions.length}`);
      group.append(prev, count, next);
      items.push(group);
    }
    if (d.state === 'streaming') {
      this.actions.replaceChildren(...items);
      return;
    }
    const copy = button('Copy', () => copyText(d.text, copy), { aria: 'Copy reply' });
    const regenerate = button('Regenerate', () => thread.handlers.regenerate(this.index), { aria: 'Regenerate reply' });
    regenerate.disabled = busy;
    items.push(copy, regenerate);
    if (d.finish === 'length' && d.state === 'done' && thread.handlers.canContinue(this.index)) {
      const more = button('Continue', () => thread.handlers.continueReply(this.index), { aria: 'Continue reply' });
      more.disabled = busy;
      items.push(more);
    }
    const pipeline = button('Pipeline', () => thread.handlers.pipeline(this.index, 0), {
      aria: 'Open the first step of this reply in the pipeline view', title: 'logits → samplers → draw for the first token',
    });
    items.push(pipeline);
    const views = el('span', 'views');
    views.setAttribute('role', 'group');
    views.setAttribute('aria-label', 'Show as');
    for (const [view, label] of [['formatted', 'Formatted'], ['text', 'Raw text'], ['tokens', 'Tokens']]) {
      const b = button(label, () => thread.setView(this.index, d, view), { className: 'act seg' });
      b.setAttribute('aria-pressed', String(thread.viewOf(d) === view));
      b.dataset.view = view;
      views.append(b);
    }
    items.push(views);
    if (thread.viewOf(d) === 'tokens') {
      const colour = button('Colour by probability', () => {
        thread.colour = !thread.colour;
        this.repaintBody();
        this.renderActions();
      }, { className: 'act seg' });
      colour.setAttribute('aria-pressed', String(thread.colour));
      items.push(colour);
    }
    this.actions.replaceChildren(...items);
  }
}
