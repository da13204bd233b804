// What the page says to people: server error codes, finish reasons and figures in plain words.

/** A server `error` frame (or HTTP error) as a sentence for the user; the server's own message follows. */
export function errorInWords({ code, param, message }) {
  const detail = message ? ` (${message})` : '';
  switch (code) {
    case 'invalid_request': {
      const where = param ? settingName(param) : null;
      return where
        ? `The server did not accept the setting “${where}”: ${message}. Change it in Settings.`
        : `The server did not accept the request: ${message}.`;
    }
    case 'model_not_found':
      return `That model is not served (any more). Pick another one in Settings${detail}.`;
    case 'not_ready':
      return 'The model is still loading. Try again in a few seconds.';
    case 'overloaded':
      return 'The server is busy with other conversations right now. Try again in a moment.';
    case 'busy':
      return 'A reply is still being written. Wait for it to finish or press Stop.';
    case 'message_too_large':
      return `This conversation is too long to send in one message. Start a new chat or shorten your message${detail}.`;
    case 'generation_failed':
      return `The model failed while writing the reply${detail}.`;
    case 'invalid_api_key':
      return 'The server needs a valid API key. Enter it in Settings → Access.';
    case 'internal_error':
      return `Something went wrong inside the server${detail}.`;
    case 'invalid_json':
    case 'unknown_type':
    case 'binary_not_supported':
      return `This page and the server do not understand each other; reload the page${detail}.`;
    case 'network':
      return `The server cannot be reached${detail}.`;
    default:
      return message ? `The server reported a problem: ${message}` : 'The server reported a problem.';
  }
}

/** A request field named in an error (e.g. `sampling.top_k`, `max_tokens`) as the settings panel labels it. */
export function settingName(param) {
  if (param.startsWith('sampling.')) {
    const p = param.slice('sampling.'.length);
    return p === 'chain' ? 'Sampler chain' : p;
  }
  if (param === 'max_tokens') return 'Max tokens';
  if (param === 'seed') return 'Seed';
  if (param === 'model') return 'Model';
  if (param.startsWith('messages')) return 'Conversation';
  return param;
}

/** Why a reply ended, in words. */
export function finishInWords(reason) {
  switch (reason) {
    case 'stop': return 'complete';
    case 'length': return 'max tokens reached';
    case 'cancelled': return 'stopped';
    default: return reason ?? 'ended';
  }
}

export function formatMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return '–';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatRate(perSecond) {
  if (perSecond == null || !Number.isFinite(perSecond)) return '–';
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en') : perSecond.toFixed(1);
}

export function formatCount(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(n);
}

/** One line about a model: "112.5k parameters · context 128 · 2 layers · char tokenizer". */
export function modelFacts(model) {
  const i = model?.info ?? {};
  const facts = [];
  if (i.parameters) facts.push(`${formatCount(i.parameters)} parameters`);
  if (i.quantization && i.quantization !== 'F32') facts.push(i.quantization);
  const context = i.max_context ?? i.context_size;
  if (context) facts.push(`context ${context.toLocaleString('en')} tokens`);
  if (i.n_layer) facts.push(`${i.n_layer} layers`);
  if (i.tokenizer) facts.push(`${i.tokenizer} tokenizer`);
  if (i.positional) facts.push(`${i.positional} positions`);
  return facts.join(' · ');
}
