// The side list of conversations: new, open, rename, delete, search by text, export and import.

import { el } from './conversation.js';

const $ = (id) => document.getElementById(id);

export class ConversationsPanel {
  /** @param handlers {open(id), create(), rename(id, title), remove(id), exportAll(), importFile(file)} */
  constructor(handlers) {
    this.handlers = handlers;
    this.list = [];
    this.currentId = null;
    $('conv-new').addEventListener('click', () => handlers.create());
    $('conv-search').addEventListener('input', () => this.render());
    $('conv-export').addEventListener('click', () => handlers.exportAll());
    $('conv-import').addEventListener('click', () => $('conv-import-file').click());
    $('conv-import-file').addEventListener('change', (e) => {
      const file = e.target.files?.[0];
      if (file) handlers.importFile(file);
      e.target.value = '';
    });
  }

  set(list, currentId) {
    this.list = list;
    this.currentId = currentId;
    this.render();
  }

  render() {
    const query = $('conv-search').value.trim().toLowerCase();
    const shown = query ? this.list.filter((c) => matches(c, query)) : this.list;
    const ul = $('conv-list');
    ul.replaceChildren(...shown.map((c) => this.#item(c)));
    $('conv-empty').hidden = shown.length > 0;
    $('conv-empty').textContent = query ? 'No conversation contains that text.' : 'No conversations yet.';
  }

  #item(c) {
    const li = el('li', 'conv');
    li.dataset.id = c.id;
    const current = c.id === this.currentId;
    const open = el('button', 'conv-open', c.title || 'New conversation');
    open.type = 'button';
    if (current) open.setAttribute('aria-current', 'true');
    open.title = `${c.title || 'New conversation'} · ${c.settings.model ?? 'default model'} · ${new Date(c.updated).toLocaleString()}`;
    open.addEventListener('click', () => this.handlers.open(c.id));
    const rename = el('button', 'mini', '✎');
    rename.type = 'button';
    rename.setAttribute('aria-label', `Rename ${c.title || 'conversation'}`);
    rename.title = 'Rename';
    rename.addEventListener('click', () => this.#rename(li, c));
    const remove = el('button', 'mini', '✕');
    remove.type = 'button';
    remove.setAttribute('aria-label', `Delete ${c.title || 'conversation'}`);
    remove.title = 'Delete';
    remove.addEventListener('click', () => {
      if (window.confirm(`Delete “${c.title || 'New conversation'}”? This cannot be undone.`)) this.handlers.remove(c.id);
    });
    li.append(open, rename, remove);
    return li;
  }

  #rename(li, c) {
    const form = el('form', 'conv-rename');
    const input = el('input');
    input.type = 'text';
    input.value = c.title;
    input.setAttribute('aria-label', 'New name');
    input.maxLength = 200;
    form.append(input);
    const done = (save) => {
      if (save && input.value.trim()) this.handlers.rename(c.id, input.value.trim());
      else this.render();
      document.querySelector(`#conv-list [data-id="${c.id}"] .conv-open`)?.focus();
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      done(true);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        done(false);
      }
    });
    input.addEventListener('blur', () => { if (form.isConnected) done(true); });
    li.replaceChildren(form);
    input.focus();
    input.select();
  }
}

function matches(c, query) {
  if (c.title.toLowerCase().includes(query)) return true;
  const texts = [];
  const walk = (turns) => {
    for (const t of turns) {
      if (t.role === 'user') texts.push(t.text);
      else for (const v of t.versions) {
        texts.push(v.reply.text);
        walk(v.after);
      }
    }
  };
  walk(c.turns);
  return texts.some((t) => t.toLowerCase().includes(query));
}
