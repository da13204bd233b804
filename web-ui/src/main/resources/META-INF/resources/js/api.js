// Rill's HTTP API as the page needs it: the models, plugins and generation defaults the settings
// panel is built from.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function getJson(path, apiKey, payload = undefined) {
  const headers = { Accept: 'application/json' };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, payload === undefined ? { headers, cache: 'no-store' }
      : { method: 'POST', headers, cache: 'no-store', body: JSON.stringify(payload) });
  } catch (e) {
    throw new ApiError(0, 'network', `the server cannot be reached (${e.message})`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy's error page, for instance.
  }
  if (!response.ok) {
    const err = body?.error;
    throw new ApiError(response.status, err?.code ?? String(response.status), err?.message ?? `HTTP ${response.status} from ${path}`);
  }
  return body;
}

/**
 * Everything the settings panel shows: {models, plugins, generation}. Paths are relative to the
 * page, so the page also works behind a proxy that serves Rill under a path prefix.
 */
export async function loadServerInfo(apiKey) {
  const [models, plugins, generation] = await Promise.all([
    getJson('api/models', apiKey),
    getJson('api/plugins', apiKey),
    getJson('api/generation', apiKey),
  ]);
  return { models, plugins, generation };
}

/** One generation step laid open (POST /api/pipeline): prompt tokens, logits before and after each sampler, the draw. */
export function loadPipeline(apiKey, request) {
  return getJson('api/pipeline', apiKey, request);
}
