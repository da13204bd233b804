// The WebSocket to /ws/chat: opens it, passes the API key the way browsers can (subprotocol, or
// query parameter for keys with other characters), and reopens it by itself when it drops, with a
// growing delay. Emits 'state' ({state, retryIn}) and 'frame' (a parsed server message).

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
// Characters the server accepts in a key carried as a subprotocol.
const TOKEN_KEY = /^[A-Za-z0-9\-._~]+$/;

export function socketUrl(apiKey, base = window.location.href) {
  const url = new URL('ws/chat', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (apiKey && !TOKEN_KEY.test(apiKey)) url.searchParams.set('api_key', apiKey);
  return url.toString();
}

export function socketProtocols(apiKey) {
  return apiKey && TOKEN_KEY.test(apiKey) ? ['rill', `rill-key.${apiKey}`] : [];
}

export class Connection extends EventTarget {
  #apiKey = '';
  #socket = null;
  #attempt = 0;
  #timer = null;
  #paused = false;
  state = 'idle';
  /** When the next attempt starts (ms since the epoch), while closed. */
  retryAt = null;

  constructor(apiKey) {
    super();
    this.#apiKey = apiKey ?? '';
    window.addEventListener('online', () => this.retryNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.state === 'closed') this.retryNow();
    });
  }

  get open() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  connect() {
    this.#clearTimer();
    this.#paused = false;
    if (this.#socket && this.#socket.readyState <= WebSocket.OPEN) return;
    let socket;
    try {
      socket = new WebSocket(socketUrl(this.#apiKey), socketProtocols(this.#apiKey));
    } catch (e) {
      this.#emitState('closed', null, String(e.message ?? e));
      return;
    }
    this.#socket = socket;
    this.#emitState('connecting');
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      this.#attempt = 0;
      this.#emitState('open');
    });
    socket.addEventListener('message', (e) => {
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object') this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
    });
    socket.addEventListener('close', (e) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.dispatchEvent(new CustomEvent('lost', { detail: { opened, code: e.code } }));
      if (this.#paused) {
        this.#emitState('paused');
        return;
      }
      const delay = RETRY_DELAYS_MS[Math.min(this.#attempt, RETRY_DELAYS_MS.length - 1)];
      this.#attempt++;
      // A little jitter, so that many pages do not return to a restarted server in the same instant.
      const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
      this.#timer = setTimeout(() => this.connect(), wait);
      this.#emitState('closed', Date.now() + wait);
    });
  }

  /** Stops reconnecting (e.g. the key was refused) until {@link retryNow} or a new key. */
  pause() {
    this.#paused = true;
    this.#clearTimer();
    if (!this.#socket) this.#emitState('paused');
  }

  retryNow() {
    if (this.state === 'open' || this.state === 'connecting') return;
    this.#attempt = 0;
    this.connect();
  }

  setApiKey(key) {
    if (key === this.#apiKey) return;
    this.#apiKey = key ?? '';
    this.#attempt = 0;
    const old = this.#socket;
    this.#socket = null;
    if (old) old.close(1000, 'new API key');
    this.connect();
  }

  /** Sends a message; false when the socket is not open. */
  send(message) {
    if (!this.open) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  #clearTimer() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #emitState(state, retryAt = null, reason = null) {
    this.state = state;
    this.retryAt = retryAt;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, retryAt, reason } }));
  }
}
