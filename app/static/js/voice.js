// Microphone questions: MediaRecorder (webm or ogg/opus) streamed as base64 `voice_chunk`s,
// one at a time and in order (the server may handle concurrent events out of order).

const FORMATS = [
  ["audio/webm;codecs=opus", "webm"],
  ["audio/webm", "webm"],
  ["audio/ogg;codecs=opus", "ogg"],
  ["audio/ogg", "ogg"],
];
const TIMESLICE_MS = 1000;

export function pickFormat() {
  if (typeof MediaRecorder === "undefined" || !navigator.mediaDevices?.getUserMedia) return null;
  for (const [mimeType, format] of FORMATS) {
    if (MediaRecorder.isTypeSupported(mimeType)) return { mimeType, format };
  }
  return null;
}

function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export class VoiceRecorder {
  /**
   * @param {import("./connection.js").Connection} conn
   * @param {{onError: (code: string|null, text?: string) => void}} hooks
   */
  constructor(conn, { onError }) {
    this.conn = conn;
    this.onError = onError;
    this.recorder = null;
    this.voiceId = null;
    this.seq = 0;
    this.queue = Promise.resolve();
    this.failed = false;
  }

  get recording() {
    return this.recorder !== null;
  }

  /** Ask for the microphone, open a clip with `voice_start`, and start sending chunks. */
  async start() {
    const chosen = pickFormat();
    if (!chosen) throw Object.assign(new Error("unsupported"), { reason: "unsupported" });
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      throw Object.assign(new Error("denied"), { reason: "denied", cause: err });
    }
    const ack = await this.ack("voice_start", { format: chosen.format, language: "es" });
    if (!ack.ok) {
      stream.getTracks().forEach((t) => t.stop());
      throw Object.assign(new Error("voice_start"), { reason: "server" });
    }
    this.voiceId = ack.voice_id;
    this.seq = 0;
    this.failed = false;
    this.queue = Promise.resolve();
    this.recorder = new MediaRecorder(stream, { mimeType: chosen.mimeType });
    this.recorder.addEventListener("dataavailable", (e) => {
      if (e.data && e.data.size > 0) this.enqueue(e.data);
    });
    this.recorder.start(TIMESLICE_MS);
  }

  enqueue(blob) {
    this.queue = this.queue.then(async () => {
      if (this.failed) return;
      const data = toBase64(await blob.arrayBuffer());
      const ack = await this.ack("voice_chunk", { voice_id: this.voiceId, seq: this.seq, data });
      if (ack.ok) this.seq += 1;
      else this.failed = true; // the server also sent `error`, which is what the student sees
    });
  }

  /**
   * Stop recording, wait for every chunk to be acknowledged, then `voice_complete`.
   * @param {(err: Error|null, ack: object|null) => void} onAck called synchronously on the
   *   ack packet (see Connection.request)
   * @param {{transcript?: string, request_id?: string}} extra
   */
  async finish(onAck, extra = {}) {
    const recorder = this.recorder;
    this.recorder = null;
    if (!recorder) return;
    const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve, { once: true }));
    recorder.stop();
    recorder.stream.getTracks().forEach((t) => t.stop());
    await stopped;
    await this.queue;
    if (this.failed) return;
    this.conn.request("voice_complete", { voice_id: this.voiceId, ...extra }, onAck);
  }

  ack(event, payload) {
    return new Promise((resolve) => {
      this.conn.request(event, payload, (err, ack) =>
        resolve(err ? { ok: false, error: { code: "timeout" } } : ack),
      );
    });
  }
}
