// Entry point: connects, follows one interaction at a time by id and seq, and routes each
// server event to the whiteboard, the step list or the controls.

import { tokenSource, uuid4 } from "./auth.js";
import { Connection } from "./connection.js";
import { Controls } from "./controls.js";
import { errorMessage, errorText, UI } from "./i18n.js";
import { StepList } from "./steps.js";
import { pickFormat, VoiceRecorder } from "./voice.js";
import { Whiteboard } from "./whiteboard.js";

const MAX_QUESTION_CHARS = 1000;
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || "";
const devTokenUrl = meta("guia-dev-token-url");

const ui = new Controls();
const board = new Whiteboard(document.getElementById("board"), document.getElementById("board-math"));
const steps = new StepList(document.getElementById("steps"));
const conn = new Connection(tokenSource(devTokenUrl), {
  onTokenError: () => ui.showError(UI.noToken),
});
const voice = new VoiceRecorder(conn, { onError: (code) => ui.showError(errorMessage(code)) });

/** What the page follows: one interaction, the last seq shown, and its phase. */
const state = {
  interactionId: null,
  awaiting: false, // a question was sent and its ack has not come back yet
  lastSeq: -1,
  phase: "idle",
  offered: null, // active_interaction offered for resuming after a reconnect
};

function setPhase(phase) {
  state.phase = phase;
  ui.setPhase(phase, { connected: conn.connected, recording: voice.recording });
}

function follow(interactionId) {
  state.interactionId = interactionId;
  state.lastSeq = -1;
  ui.setLastSeq(state.lastSeq, interactionId);
}

function newExplanation() {
  board.reset();
  steps.reset();
  ui.clearError();
  ui.showOffer(false);
  ui.setAsked("");
  state.offered = null;
  follow(null);
}

/** Is this event part of the interaction on screen? Adopts it if the ack was lost. */
function ours(p) {
  if (!p || typeof p !== "object") return false;
  if (state.interactionId === null && state.awaiting && p.interaction_id) {
    follow(p.interaction_id);
  }
  return p.interaction_id === state.interactionId;
}

/** For events with a seq: ours, and not already shown. Records the seq. */
function fresh(p) {
  if (!ours(p) || !Number.isInteger(p.seq) || p.seq <= state.lastSeq) return false;
  state.lastSeq = p.seq;
  ui.setLastSeq(p.seq, state.interactionId);
  return true;
}

function onQuestionAck(err, ack) {
  state.awaiting = false;
  if (err) {
    ui.showError(UI.timeout);
    ui.setStatus("");
    setPhase("idle");
    return;
  }
  if (!ack.ok) {
    ui.showError(errorText(ack.error));
    ui.setStatus("");
    setPhase("idle");
    return;
  }
  if (state.interactionId !== ack.interaction_id) follow(ack.interaction_id);
}

function ask(raw) {
  const question = String(raw ?? "").trim();
  if (!question) return ui.showError(errorMessage("question_empty"));
  if (question.length > MAX_QUESTION_CHARS) return ui.showError(errorMessage("question_too_long"));
  newExplanation();
  state.awaiting = true;
  ui.setStatus(UI.sending, { busy: true });
  setPhase("waiting");
  conn.request(
    "ask_question",
    { question, request_id: uuid4(), context: { language: "es" } },
    onQuestionAck,
  );
}

function pause() {
  if (!state.interactionId) return;
  conn.request("pause_explanation", { interaction_id: state.interactionId }, (err, ack) => {
    if (!err && ack.ok) {
      setPhase("paused");
      ui.setStatus(UI.paused);
    }
  });
}

function resume(afterSeq = state.lastSeq) {
  if (!state.interactionId) return;
  ui.showOffer(false);
  const payload = { interaction_id: state.interactionId, after_seq: afterSeq };
  conn.request("resume_explanation", payload, (err, ack) => {
    if (!err && ack.ok) {
      setPhase(state.lastSeq >= 0 ? "streaming" : "waiting");
      ui.setStatus("");
    }
  });
}

function stop() {
  if (!state.interactionId) return;
  conn.request("stop_explanation", { interaction_id: state.interactionId }, (err, ack) => {
    if (!err && ack.ok) {
      setPhase("stopped");
      ui.setStatus(UI.stopped);
    }
  });
}

async function toggleMic() {
  ui.clearError();
  if (voice.recording) {
    newExplanation();
    state.awaiting = true;
    ui.setStatus(UI.transcribing, { busy: true });
    setPhase("waiting");
    const extra = { request_id: uuid4() };
    // Development servers accept a typed transcript, so the voice path works without a
    // transcription service: whatever is in the question box is sent along.
    const typed = ui.question.value.trim();
    if (devTokenUrl && typed) extra.transcript = typed;
    await voice.finish(onQuestionAck, extra);
    if (state.awaiting && voice.failed) {
      state.awaiting = false;
      ui.setStatus("");
      setPhase("idle");
    }
    return;
  }
  try {
    await voice.start();
    ui.setStatus(UI.recording, { busy: true });
  } catch (err) {
    if (err.reason === "denied") ui.showError(UI.micDenied);
    else if (err.reason === "unsupported") ui.showError(UI.micUnsupported);
    // a refused voice_start also emits `error`, shown by its handler
  }
  setPhase(state.phase);
}

// --- connection events --------------------------------------------------------------

conn.on("connect", () => {
  ui.setConnection(UI.connected, true);
  setPhase(state.phase);
});

conn.on("disconnect", (reason) => {
  if (reason === "io server disconnect") ui.showError(UI.takenOver);
  ui.setConnection(reason === "io client disconnect" ? "" : UI.reconnecting, false);
  setPhase(state.phase);
});

conn.on("connect_error", (err) => {
  ui.setConnection(UI.reconnecting, false);
  // A refused connection is not retried by socket.io-client: tell the student why.
  if (err?.message === "unauthorized" || err?.data?.code === "unauthorized") {
    ui.showError(errorMessage("unauthorized"));
    ui.setConnection("", false);
  }
});

conn.on("session_ready", (p) => {
  conn.rememberSession(p.session_id);
  ui.setCredits(p.credits);
  ui.clearError();
  const active = p.active_interaction;
  if (!active) {
    // Nothing to resume: whatever was streaming before the drop is over.
    if (state.phase === "streaming" || state.phase === "waiting") setPhase("idle");
    return;
  }
  if (active.interaction_id !== state.interactionId) {
    // A reload of this tab: nothing of it is on screen, so resuming replays it from seq 0.
    newExplanation();
    follow(active.interaction_id);
  }
  if (active.paused) {
    state.offered = active;
    setPhase("paused");
    ui.setStatus(UI.paused);
    ui.showOffer(true);
  }
});

conn.on("credits_updated", (p) => ui.setCredits(p?.balance));

conn.on("waiting_phrase", (p) => {
  if (ours(p) && (state.phase === "waiting" || state.phase === "idle")) {
    ui.setStatus(p.text, { busy: true });
  }
});

conn.on("explanation_start", (p) => {
  if (!fresh(p)) return;
  ui.setStatus("");
  ui.setAsked(p.question);
  if (Number.isFinite(p.credits_remaining)) ui.setCredits(p.credits_remaining);
  setPhase("streaming");
});

conn.on("step_start", (p) => fresh(p) && steps.start(p));
conn.on("content_chunk", (p) => fresh(p) && steps.chunk(p));
conn.on("canvas_command", (p) => fresh(p) && board.apply(p.command));
conn.on("step_complete", (p) => fresh(p) && steps.complete(p));

conn.on("explanation_complete", (p) => {
  if (!fresh(p)) return;
  setPhase("complete");
  ui.setStatus(UI.complete);
});

conn.on("explanation_paused", (p) => {
  if (!ours(p)) return;
  setPhase("paused");
  ui.setStatus(UI.paused);
});

conn.on("explanation_resumed", (p) => {
  if (!ours(p)) return;
  ui.showOffer(false);
  setPhase(state.lastSeq >= 0 ? "streaming" : "waiting");
  ui.setStatus("");
});

conn.on("explanation_stopped", (p) => {
  if (!ours(p)) return;
  steps.interrupt();
  setPhase("stopped");
  ui.setStatus(UI.stopped);
});

conn.on("transcription_complete", (p) => {
  if (p?.text) ui.setStatus(`${UI.heard} ${p.text}`, { busy: true });
});

conn.on("error", (p) => {
  ui.showError(errorText(p));
  const mine = p?.interaction_id && p.interaction_id === state.interactionId;
  if (mine) steps.interrupt();
  if (mine || (state.awaiting && !p?.interaction_id) || p?.voice_id) {
    ui.setStatus("");
    if (state.phase !== "complete") setPhase("idle");
  }
});

// --- start ------------------------------------------------------------------------

ui.bind({
  onAsk: ask,
  onPause: pause,
  onResume: () => resume(),
  onStop: stop,
  onMic: toggleMic,
  onOfferResume: () => resume(),
  onOfferDismiss: () => {
    ui.showOffer(false);
    stop();
  },
});
ui.setMicAvailable(pickFormat() !== null);
setPhase("idle");
ui.setConnection(UI.connecting, false);
conn.connect();
