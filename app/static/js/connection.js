// The Socket.IO connection: token and session id in `auth` on every (re)connect,
// acknowledged requests with a timeout, and the session id kept per browser tab.

import { io } from "../vendor/socket.io/socket.io.esm.min.js";

const SESSION_KEY = "guia.session_id";
const ACK_TIMEOUT_MS = 20000;

function loadSessionId() {
  try {
    return sessionStorage.getItem(SESSION_KEY);
  } catch {
    return null;
  }
}

export class Connection {
  /**
   * @param {() => Promise<string>} getToken called before every connection attempt
   * @param {{onTokenError?: (err: Error) => void}} options
   */
  constructor(getToken, { onTokenError } = {}) {
    this.sessionId = loadSessionId();
    this.socket = io({
      autoConnect: false,
      // Websocket only: a connection then stays on one server process, so several
      // processes or instances need no sticky routing (see the README's scale-out).
      transports: ["websocket"],
      auth: (cb) => {
        getToken()
          .then((token) => cb(this.sessionId ? { token, session_id: this.sessionId } : { token }))
          .catch((err) => {
            onTokenError?.(err);
            cb({});
          });
      },
    });
  }

  connect() {
    this.socket.connect();
  }

  get connected() {
    return this.socket.connected;
  }

  /** Remember the server's session id so a reconnect (or a reload of this tab) resumes it. */
  rememberSession(sessionId) {
    this.sessionId = sessionId;
    try {
      sessionStorage.setItem(SESSION_KEY, sessionId);
    } catch {
      /* ignore */
    }
  }

  on(event, handler) {
    this.socket.on(event, handler);
  }

  /**
   * Emit with an acknowledgement. The callback runs synchronously when the ack packet is
   * decoded, before any later packet of the same batch, so the interaction id it carries
   * is known before that interaction's first event is handled.
   * @param {(err: Error|null, ack: object|null) => void} onAck
   */
  request(event, payload, onAck = () => {}) {
    this.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => {
      if (err) onAck(err, null);
      else onAck(null, ack ?? { ok: false, error: { code: "internal_error" } });
    });
  }
}
