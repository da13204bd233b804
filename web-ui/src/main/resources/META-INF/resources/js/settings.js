// The user's settings: kept in localStorage, checked against the ranges the server publishes, and
// turned into the fields of each chat request. Only what the user changed is stored and sent, so a
// value the operator configured on the server stays in force until the user overrides it.

const STORAGE_KEY = 'rill.settings.v1';

/** A fresh settings object: everything "as the server has it". */
export function defaultSettings() {
  return {
    model: null,          // null: the server's default model
    mode: 'chat',         // 'chat' (messages) or 'complete' (raw prompt)
    system: '',
    chain: null,          // null: the server's chain; else sampler names in order
    params: {},           // sampler parameter overrides, name -> value
    maxTokens: null,      // null: the server's default
    seed: null,           // null: random
    apiKey: '',
    panelOpen: null,      // null: open on wide screens only
    sidebarOpen: null,    // the conversations list; null: open on wide screens only
  };
}

/** The stored settings, with anything malformed dropped (a bad value must not break the page). */
export function loadSettings(storage = window.localStorage) {
  const s = defaultSettings();
  let raw;
  try {
    raw = JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null');
  } catch {
    raw = null;
  }
  if (!raw || typeof raw !== 'object') return s;
  if (typeof raw.model === 'string' && raw.model) s.model = raw.model;
  if (raw.mode === 'chat' || raw.mode === 'complete') s.mode = raw.mode;
  if (typeof raw.system === 'string') s.system = raw.system;
  if (Array.isArray(raw.chain) && raw.chain.length && raw.chain.every((n) => typeof n === 'string')) s.chain = raw.chain;
  if (raw.params && typeof raw.params === 'object' && !Array.isArray(raw.params)) {
    for (const [k, v] of Object.entries(raw.params)) {
      if (['number', 'string', 'boolean'].includes(typeof v)) s.params[k] = v;
    }
  }
  if (Number.isSafeInteger(raw.maxTokens) && raw.maxTokens > 0) s.maxTokens = raw.maxTokens;
  if (Number.isSafeInteger(raw.seed)) s.seed = raw.seed;
  if (typeof raw.apiKey === 'string') s.apiKey = raw.apiKey;
  if (typeof raw.panelOpen === 'boolean') s.panelOpen = raw.panelOpen;
  if (typeof raw.sidebarOpen === 'boolean') s.sidebarOpen = raw.sidebarOpen;
  return s;
}

export function saveSettings(settings, storage = window.localStorage) {
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Storage full or disabled (private mode): settings then last as long as the page.
  }
}

/** The range of a numeric parameter as the server writes it, e.g. "[0, 10]" or "(0, 1]". */
export function rangeText(spec) {
  if (spec.range) return spec.range;
  if (spec.min == null && spec.max == null) return '';
  return `${spec.min_exclusive ? '(' : '['}${fmtBound(spec.min)}, ${fmtBound(spec.max)}]`;
}

function fmtBound(v) {
  const n = Number(v);
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/**
 * Checks a value typed for a sampler parameter against its declaration (type, min, max, choices).
 * @returns {{ok: true, value: any} | {ok: false, message: string}}
 */
export function checkParam(spec, raw) {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (spec.type) {
    case 'int':
    case 'float': {
      if (text === '' || text == null) return { ok: false, message: 'enter a number' };
      const v = typeof text === 'number' ? text : Number(text);
      if (!Number.isFinite(v)) return { ok: false, message: `“${raw}” is not a number` };
      if (spec.type === 'int' && !Number.isInteger(v)) return { ok: false, message: 'must be a whole number' };
      const min = spec.min == null ? -Infinity : Number(spec.min);
      const max = spec.max == null ? Infinity : Number(spec.max);
      if ((spec.min_exclusive ? v <= min : v < min) || v > max) {
        return { ok: false, message: `must be in ${rangeText(spec)}` };
      }
      return { ok: true, value: v };
    }
    case 'bool':
      if (typeof text === 'boolean') return { ok: true, value: text };
      if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
      return { ok: false, message: 'must be true or false' };
    case 'choice':
      return (spec.choices ?? []).includes(text) ? { ok: true, value: text } : { ok: false, message: `must be one of ${(spec.choices ?? []).join(', ')}` };
    default:
      return { ok: true, value: String(raw ?? '') };
  }
}

/** Max tokens: a whole number from 1 to the server's limit. */
export function checkMaxTokens(raw, limit) {
  const text = String(raw ?? '').trim();
  const v = Number(text);
  if (text === '' || !Number.isInteger(v)) return { ok: false, message: 'enter a whole number' };
  if (v < 1 || (limit && v > limit)) return { ok: false, message: `must be from 1 to ${limit}` };
  return { ok: true, value: v };
}

/** Seed: empty (random) or a whole number JavaScript holds exactly. */
export function checkSeed(raw) {
  const text = String(raw ?? '').trim();
  if (text === '') return { ok: true, value: null };
  if (!/^-?\d+$/.test(text)) return { ok: false, message: 'a whole number, or empty for random' };
  const v = Number(text);
  if (!Number.isSafeInteger(v)) return { ok: false, message: `at most ${Number.MAX_SAFE_INTEGER} in size` };
  return { ok: true, value: v };
}

/** The chain a request runs: the user's, else the server's. */
export function effectiveChain(settings, server) {
  return settings.chain ?? server.generation?.sampling?.chain ?? [];
}

/** Parameter declarations of the samplers in a chain, each name once (samplers may share one, e.g. min_keep). */
export function chainParams(chain, samplers) {
  const seen = new Set();
  const out = [];
  for (const name of chain) {
    const sampler = samplers.find((s) => s.name === name);
    if (!sampler) continue;
    for (const p of sampler.parameters ?? []) {
      if (seen.has(p.name)) continue;
      seen.add(p.name);
      out.push({ sampler: name, spec: p });
    }
  }
  return out;
}

/** The value a parameter has when the user leaves it alone: the server's configured value, else the sampler's default. */
export function serverDefault(spec, server) {
  const configured = server.generation?.sampling?.params?.[spec.name];
  return configured !== undefined ? configured : spec.default;
}

/**
 * The request fields the settings contribute: model, sampling (chain and overridden parameters of
 * that chain), max_tokens, seed. Overrides for samplers outside the chain are kept but not sent.
 */
export function requestFields(settings, server) {
  const fields = {};
  if (settings.model && server.models?.some((m) => m.name === settings.model)) fields.model = settings.model;
  const sampling = {};
  if (settings.chain) sampling.chain = [...settings.chain];
  const samplers = server.plugins?.sampler ?? [];
  for (const { spec } of chainParams(effectiveChain(settings, server), samplers)) {
    if (!(spec.name in settings.params)) continue;
    const checked = checkParam(spec, settings.params[spec.name]);
    if (checked.ok) sampling[spec.name] = checked.value;
  }
  if (Object.keys(sampling).length) fields.sampling = sampling;
  if (settings.maxTokens != null) fields.max_tokens = settings.maxTokens;
  if (settings.seed != null) fields.seed = settings.seed;
  return fields;
}
