// The settings panel, built from what the server publishes: its models (/api/models), its samplers
// and their parameters with ranges (/api/plugins), and its configured chain, parameter values and
// limits (/api/generation). Changes are checked, stored and reported through onChange.

import {
  chainParams, checkMaxTokens, checkParam, checkSeed, defaultSettings, effectiveChain, rangeText, serverDefault,
} from './settings.js';
import { modelFacts } from './words.js';

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'className') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children);
  return e;
}

/** A step for a slider over a parameter's range, or null when a slider makes no sense (unbounded, huge). */
function sliderStep(spec) {
  const min = Number(spec.min);
  const max = Number(spec.max);
  if (spec.min == null || spec.max == null || !Number.isFinite(min) || !Number.isFinite(max)) return null;
  const span = max - min;
  if (span <= 0 || span > 1000) return null;
  if (spec.type === 'int') return 1;
  return span <= 2 ? 0.01 : span <= 20 ? 0.05 : 0.5;
}

function display(v) {
  if (v == null) return '';
  if (typeof v === 'number') return String(Math.round(v * 1e6) / 1e6);
  return String(v);
}

export class SettingsPanel {
  /**
   * @param settings the live settings object (mutated in place)
   * @param onChange called with a reason ('model', 'chain', 'param', 'apiKey', 'reset', ...) after each change
   */
  constructor(settings, onChange) {
    this.settings = settings;
    this.onChange = onChange;
    this.server = { models: [], plugins: {}, generation: null };
    this.#wireStatic();
  }

  /** New facts from the server (first load and after every reconnect). */
  setServer(server) {
    this.server = server;
    this.render();
  }

  render() {
    $('chain-status').textContent = '';
    this.#renderModel();
    this.#renderMode();
    this.#renderChain();
    this.#renderParams();
    this.#renderLength();
    $('system').value = this.settings.system;
    $('api-key').value = this.settings.apiKey;
  }

  /** The model requests go to: the chosen one if still served, else the server's default. */
  currentModel() {
    const models = this.server.models ?? [];
    return models.find((m) => m.name === this.settings.model) ?? models.find((m) => m.default) ?? models[0] ?? null;
  }

  #changed(reason) {
    this.onChange(reason);
  }

  #wireStatic() {
    $('model').addEventListener('change', (e) => {
      const chosen = (this.server.models ?? []).find((m) => m.name === e.target.value);
      this.settings.model = !chosen || chosen.default ? null : chosen.name;
      this.#renderModel();
      this.#renderMode();
      this.#changed('model');
    });
    for (const radio of document.querySelectorAll('input[name="mode"]')) {
      radio.addEventListener('change', (e) => {
        if (!e.target.checked) return;
        this.settings.mode = e.target.value;
        this.#renderMode();
        this.#changed('mode');
      });
    }
    $('system').addEventListener('input', (e) => {
      this.settings.system = e.target.value;
      this.#changed('system');
    });
    $('custom-chain').addEventListener('change', (e) => {
      this.settings.chain = e.target.checked ? [...(this.server.generation?.sampling?.chain ?? [])] : null;
      $('chain-status').textContent = '';
      this.#renderChain();
      this.#renderParams();
      this.#changed('chain');
    });
    $('chain-add-button').addEventListener('click', () => {
      const name = $('chain-add').value;
      if (!name || !this.settings.chain) return;
      // A new step goes in before the last one, which usually picks the token (and must stay last).
      const chain = this.settings.chain;
      chain.splice(Math.max(0, chain.length - 1), 0, name);
      this.#renderChain();
      this.#renderParams();
      this.#changed('chain');
      $('chain-add').focus();
    });
    this.seedHint = $('seed-hint').textContent;
    this.#wireSetting('max-tokens', 'maxTokens',
      (raw) => {
        const checked = checkMaxTokens(raw, this.server.generation?.max_tokens?.max);
        // The server's default is no override.
        return checked.ok && checked.value === this.server.generation?.max_tokens?.default ? { ok: true, value: null } : checked;
      },
      () => this.#maxTokensHint());
    this.#wireSetting('seed', 'seed', checkSeed, () => this.seedHint);
    const commitKey = () => {
      const key = $('api-key').value.trim();
      if (key === this.settings.apiKey) return;
      this.settings.apiKey = key;
      this.#changed('apiKey');
    };
    $('api-key').addEventListener('change', commitKey);
    $('api-key-form').addEventListener('submit', (e) => {
      e.preventDefault();
      commitKey();
    });
    $('reset-settings').addEventListener('click', () => {
      const fresh = defaultSettings();
      const keep = { apiKey: this.settings.apiKey, panelOpen: this.settings.panelOpen };
      Object.assign(this.settings, fresh, keep);
      this.render();
      this.#changed('reset');
    });
  }

  /**
   * A field of one setting ({@code key}): each accepted value is stored as it is typed; leaving the
   * field with one that is not accepted puts back the value it had when the field was entered. Its
   * reset button (id-reset) goes back to the server's value (null).
   */
  #wireSetting(id, key, check, normalHint) {
    const input = $(id);
    const hint = $(`${id}-hint`);
    let entered = null;
    input.addEventListener('focus', () => {
      entered = this.settings[key];
    });
    input.addEventListener('input', () => {
      const checked = check(input.value);
      this.#markValidity(input, hint, checked, normalHint());
      if (!checked.ok) return;
      this.settings[key] = checked.value;
      $(`${id}-reset`).hidden = this.settings[key] == null;
      this.#changed(key);
    });
    input.addEventListener('change', () => {
      if (!check(input.value).ok) {
        this.settings[key] = entered;
        this.#changed(key);
      }
      this.#renderLength();
    });
    $(`${id}-reset`).addEventListener('click', () => {
      this.settings[key] = null;
      this.#renderLength();
      this.#changed(key);
      input.focus();
    });
  }

  #renderModel() {
    const select = $('model');
    const models = this.server.models ?? [];
    const current = this.currentModel();
    select.replaceChildren(...models.map((m) => el('option', { value: m.name, text: m.default ? `${m.name} (default)` : m.name })));
    if (current) select.value = current.name;
    select.disabled = models.length === 0;
    const facts = current ? modelFacts(current) : 'No model information yet.';
    const missing = this.settings.model && current && current.name !== this.settings.model
      ? `“${this.settings.model}” is not served any more; using ${current.name}. ` : '';
    $('model-facts').textContent = missing + facts + this.#defaultsFor(current);
  }

  /**
   * The defaults a request to {@code model} gets when it leaves a field out. The server has one set of
   * sampling and length defaults for all its models (/api/generation), and says so; what differs per
   * model is how a chat reply ends, which its chat format decides.
   */
  #defaultsFor(model) {
    const g = this.server.generation;
    if (!g || !model) return '';
    const params = Object.entries(g.sampling.params ?? {}).map(([k, v]) => `${k} ${display(v)}`).join(', ') || 'no configured parameters';
    const ending = model.chat_format == null ? 'it has no chat format, so it only continues text'
      : model.chat_format === 'rill-plain' ? 'a chat reply ends at a blank line (Rill\'s plain chat format)'
        : `a chat reply ends at its end-of-turn token (its chat template, ${model.chat_format})`;
    return ` Defaults in force for it (the server's, the same for every model): chain ${g.sampling.chain.join(' → ')}; ${params}; `
      + `max tokens ${g.max_tokens.default}; ${ending}.`;
  }

  #renderMode() {
    const model = this.currentModel();
    const canChat = !model || model.chat_format != null;
    const mode = this.settings.mode;
    $('mode-chat').checked = mode === 'chat';
    $('mode-complete').checked = mode === 'complete';
    $('system-field').hidden = mode !== 'chat';
    let hint;
    if (mode === 'chat') {
      hint = !canChat
        ? 'This model has no chat format: choose Continue text.'
        : model?.chat_format === 'rill-plain'
          ? 'The conversation is written like a play (USER:, ASSISTANT:) and the model answers as ASSISTANT until a blank line.'
          : `The conversation is sent in the model's chat format${model?.chat_format ? ` (${model.chat_format})` : ''}.`;
    } else {
      hint = 'Your text is continued as it is: no chat format, no earlier turns. Try a speaker name such as “ROMEO:” and a new line.';
    }
    $('mode-hint').textContent = hint;
  }

  #renderChain() {
    const custom = this.settings.chain != null;
    const chain = effectiveChain(this.settings, this.server);
    const samplers = this.server.plugins?.sampler ?? [];
    $('custom-chain').checked = custom;
    $('chain-add-row').hidden = !custom;
    const list = $('chain');
    list.replaceChildren(...chain.map((name, i) => {
      const sampler = samplers.find((s) => s.name === name);
      const item = el('li', { className: 'chain-step', title: sampler?.description ?? 'not installed on the server' },
        el('span', { className: 'chain-name', text: name }));
      if (custom) {
        const controls = el('span', { className: 'chain-controls' });
        const move = (delta, label, symbol) => {
          const b = el('button', { type: 'button', className: 'mini', 'aria-label': `${label} ${name}`, title: label, text: symbol });
          b.disabled = i + delta < 0 || i + delta >= chain.length;
          b.addEventListener('click', () => this.moveStep(i, i + delta, label));
          return b;
        };
        const remove = el('button', { type: 'button', className: 'mini', 'aria-label': `Remove ${name}`, title: 'Remove', text: '✕' });
        remove.disabled = chain.length <= 1;
        remove.addEventListener('click', () => {
          this.settings.chain.splice(i, 1);
          this.#renderChain();
          this.#renderParams();
          this.#changed('chain');
        });
        controls.append(move(-1, 'Move up', '↑'), move(1, 'Move down', '↓'), remove);
        item.append(controls);
        // Drag and drop reorders too (the buttons do the same from the keyboard).
        item.draggable = true;
        item.dataset.index = String(i);
        item.addEventListener('dragstart', (e) => {
          e.dataTransfer.setData('text/plain', String(i));
          e.dataTransfer.effectAllowed = 'move';
          item.classList.add('dragging');
        });
        item.addEventListener('dragend', () => item.classList.remove('dragging'));
        item.addEventListener('dragover', (e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'move';
          item.classList.add('drop-target');
        });
        item.addEventListener('dragleave', () => item.classList.remove('drop-target'));
        item.addEventListener('drop', (e) => {
          e.preventDefault();
          const from = Number(e.dataTransfer.getData('text/plain'));
          if (!Number.isInteger(from) || from === i) return;
          this.moveStep(from, i);
        });
      }
      return item;
    }));
    const add = $('chain-add');
    add.replaceChildren(...samplers.filter((s) => !chain.includes(s.name))
      .map((s) => el('option', { value: s.name, text: s.name, title: s.description })));
    $('chain-add-button').disabled = add.options.length === 0;
    $('chain-hint').textContent = custom
      ? 'Samplers run top to bottom and the last one picks the token (a random draw is added when it does not). Added samplers go in before the last step.'
      : 'The server\'s chain. Tick the box to reorder it or add samplers such as top-k.';
  }

  /**
   * Moves the chain's step at {@code from} to {@code to} (drag and drop, or the ↑ ↓ buttons) and says
   * so. A move made with a button ({@code button} is its label) keeps the focus on that button of the
   * moved step, or on the other one when the step reached an end, so the keyboard can go on moving it.
   */
  moveStep(from, to, button = null) {
    const c = this.settings.chain;
    if (!c || from < 0 || from >= c.length || to < 0 || to >= c.length || from === to) return;
    const [name] = c.splice(from, 1);
    c.splice(to, 0, name);
    this.#renderChain();
    this.#renderParams();
    this.#changed('chain');
    $('chain-status').textContent = `Moved ${name} to place ${to + 1} of ${c.length}.`;
    if (button) {
      const buttons = [...$('chain').querySelectorAll('.chain-step')][to].querySelectorAll('.chain-controls button');
      const same = [...buttons].find((b) => b.getAttribute('aria-label') === `${button} ${name}`);
      (same && !same.disabled ? same : [...buttons].find((b) => !b.disabled))?.focus();
    }
  }

  #renderParams() {
    const container = $('params');
    const samplers = this.server.plugins?.sampler ?? [];
    const params = chainParams(effectiveChain(this.settings, this.server), samplers);
    container.replaceChildren(...params.map(({ sampler, spec }) => this.#paramField(sampler, spec)));
    if (params.length === 0) container.append(el('p', { className: 'hint', text: 'The samplers of this chain take no parameters.' }));
  }

  #paramField(sampler, spec) {
    const id = `param-${spec.name}`;
    const hintId = `${id}-hint`;
    const fallback = serverDefault(spec, this.server);
    const overridden = spec.name in this.settings.params;
    const value = overridden ? this.settings.params[spec.name] : fallback;
    const range = rangeText(spec);
    const hintText = [spec.description, range && `range ${range}`, `default ${display(fallback) || 'none'}`].filter(Boolean).join(' · ');
    const hint = el('p', { className: 'hint', id: hintId, text: hintText });
    const reset = el('button', { type: 'button', className: 'reset', text: 'default', 'aria-label': `Reset ${spec.name} to its default` });
    reset.hidden = !overridden;
    const field = el('div', { className: 'field param' });
    field.dataset.param = spec.name;
    field.dataset.sampler = sampler;
    field.append(el('div', { className: 'param-head' }, el('label', { for: id, text: spec.name }), reset));

    const store = (raw, control) => {
      const checked = checkParam(spec, raw);
      this.#markValidity(control, hint, checked, hintText);
      if (!checked.ok) return false;
      if (checked.value === fallback) delete this.settings.params[spec.name];
      else this.settings.params[spec.name] = checked.value;
      reset.hidden = !(spec.name in this.settings.params);
      this.#changed('param');
      return true;
    };

    let controls;
    if (spec.type === 'choice' || spec.type === 'bool') {
      const choices = spec.type === 'bool' ? ['true', 'false'] : spec.choices ?? [];
      const select = el('select', { id, 'aria-describedby': hintId }, ...choices.map((c) => el('option', { value: c, text: c })));
      select.value = String(value);
      select.addEventListener('change', () => store(select.value, select));
      controls = select;
    } else if (spec.type === 'int' || spec.type === 'float') {
      const number = el('input', {
        type: 'number', id, step: spec.type === 'int' ? '1' : 'any', inputmode: spec.type === 'int' ? 'numeric' : 'decimal',
        'aria-describedby': hintId,
      });
      if (spec.min != null && Number.isFinite(Number(spec.min))) number.min = String(spec.min);
      if (spec.max != null && Number.isFinite(Number(spec.max))) number.max = String(spec.max);
      number.value = display(value);
      const step = sliderStep(spec);
      let slider = null;
      if (step) {
        slider = el('input', { type: 'range', min: String(spec.min), max: String(spec.max), step: String(step), 'aria-label': `${spec.name} slider`, tabindex: '-1' });
        slider.value = String(value ?? spec.min);
        slider.addEventListener('input', () => {
          number.value = slider.value;
          store(slider.value, number);
        });
      }
      // Typing stores each accepted value at once; leaving the field with a value that is not accepted
      // puts back the one in force when the field was entered (not a half-typed one such as the 1 of 11).
      let entered = null;
      number.addEventListener('focus', () => {
        entered = spec.name in this.settings.params ? { value: this.settings.params[spec.name] } : null;
      });
      number.addEventListener('input', () => {
        if (store(number.value, number) && slider) slider.value = number.value;
      });
      number.addEventListener('change', () => {
        if (checkParam(spec, number.value).ok) return;
        if (entered) this.settings.params[spec.name] = entered.value;
        else delete this.settings.params[spec.name];
        const restored = entered ? entered.value : fallback;
        number.value = display(restored);
        if (slider) slider.value = String(restored);
        reset.hidden = !entered;
        this.#markValidity(number, hint, { ok: true }, hintText);
        this.#changed('param');
      });
      controls = slider ? el('div', { className: 'slider-row' }, slider, number) : number;
    } else {
      const text = el('input', { type: 'text', id, 'aria-describedby': hintId, spellcheck: 'false' });
      text.value = value ?? '';
      text.addEventListener('change', () => {
        if (text.value.trim() === '') {
          delete this.settings.params[spec.name];
          reset.hidden = true;
          this.#changed('param');
        } else {
          store(text.value, text);
        }
      });
      controls = text;
    }
    reset.addEventListener('click', () => {
      delete this.settings.params[spec.name];
      this.#changed('param');
      const fresh = this.#paramField(sampler, spec);
      field.replaceWith(fresh);
      fresh.querySelector('input, select')?.focus();
    });
    field.append(controls, hint);
    return field;
  }

  #maxTokensHint() {
    const g = this.server.generation?.max_tokens;
    return g ? `Most tokens in one reply: 1 to ${g.max.toLocaleString('en')}; default ${g.default.toLocaleString('en')}.` : '';
  }

  #renderLength() {
    const g = this.server.generation?.max_tokens;
    const maxTokens = $('max-tokens');
    maxTokens.min = '1';
    if (g) maxTokens.max = String(g.max);
    maxTokens.value = String(this.settings.maxTokens ?? g?.default ?? '');
    this.#markValidity(maxTokens, $('max-tokens-hint'), { ok: true }, this.#maxTokensHint());
    $('max-tokens-reset').hidden = this.settings.maxTokens == null;
    $('seed').value = this.settings.seed == null ? '' : String(this.settings.seed);
    $('seed-reset').hidden = this.settings.seed == null;
    this.#markValidity($('seed'), $('seed-hint'), { ok: true }, this.seedHint);
  }

  #markValidity(control, hint, checked, normalText) {
    if (checked.ok) {
      control.removeAttribute('aria-invalid');
      hint.textContent = normalText;
      hint.classList.remove('invalid');
    } else {
      control.setAttribute('aria-invalid', 'true');
      hint.textContent = `Not accepted: ${checked.message}.`;
      hint.classList.add('invalid');
    }
  }
}
