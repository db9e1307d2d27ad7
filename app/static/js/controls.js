// The page's controls and status surfaces: question form, pause/resume/stop, microphone,
// credit balance, status line, error banner and the resume offer. No protocol logic here:
// main.js decides, this module only shows and reports clicks.

import { UI } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export class Controls {
  constructor() {
    this.root = $("app");
    this.form = $("ask-form");
    this.question = $("question");
    this.askButton = $("ask");
    this.micButton = $("mic");
    this.pauseButton = $("pause");
    this.resumeButton = $("resume");
    this.stopButton = $("stop");
    this.credits = $("credits");
    this.connection = $("connection");
    this.status = $("status");
    this.asked = $("asked");
    this.error = $("error");
    this.errorText = $("error-text");
    this.offer = $("resume-offer");
    $("error-close").addEventListener("click", () => this.clearError());
  }

  /** Wire the student's actions to handlers. */
  bind({ onAsk, onPause, onResume, onStop, onMic, onOfferResume, onOfferDismiss }) {
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      onAsk(this.question.value);
    });
    this.question.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.pauseButton.addEventListener("click", onPause);
    this.resumeButton.addEventListener("click", onResume);
    this.stopButton.addEventListener("click", onStop);
    this.micButton.addEventListener("click", onMic);
    $("offer-resume").addEventListener("click", onOfferResume);
    $("offer-dismiss").addEventListener("click", onOfferDismiss);
  }

  /**
   * Reflect the explanation's phase: idle | waiting | streaming | paused | complete | stopped.
   * Pause works while waiting too (the server holds the stream until resume).
   */
  setPhase(phase, { connected, recording }) {
    this.root.dataset.phase = phase;
    const active = phase === "waiting" || phase === "streaming";
    this.pauseButton.disabled = !connected || !active;
    this.resumeButton.disabled = !connected || phase !== "paused";
    this.stopButton.disabled = !connected || !(active || phase === "paused");
    this.askButton.disabled = !connected || recording;
    this.micButton.disabled = !connected || (!recording && !this.micAvailable);
    this.micButton.setAttribute("aria-pressed", String(recording));
    this.micButton.textContent = recording ? UI.micStop : UI.micStart;
    this.micButton.classList.toggle("recording", recording);
  }

  setMicAvailable(available) {
    this.micAvailable = available;
    if (!available) this.micButton.title = UI.micUnsupported;
  }

  setConnection(text, online) {
    this.connection.textContent = text;
    this.connection.classList.toggle("online", online);
  }

  setCredits(balance) {
    if (Number.isFinite(balance)) this.credits.textContent = String(balance);
  }

  setStatus(text, { busy = false } = {}) {
    this.status.textContent = text;
    this.status.classList.toggle("busy", busy);
  }

  setAsked(question) {
    this.asked.textContent = question;
  }

  setLastSeq(seq, interactionId) {
    this.root.dataset.lastSeq = String(seq);
    this.root.dataset.interactionId = interactionId ?? "";
  }

  showError(text) {
    this.errorText.textContent = text;
    this.error.hidden = false;
  }

  clearError() {
    this.error.hidden = true;
    this.errorText.textContent = "";
  }

  showOffer(show) {
    this.offer.hidden = !show;
  }
}
