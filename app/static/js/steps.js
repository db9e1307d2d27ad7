// The step list: one item per `step_start`, its text growing chunk by chunk. Server text
// goes in as text (textContent); `math` steps are typeset with KaTeX once they parse.

import { UI } from "./i18n.js";
import { latexParses, renderLatex } from "./whiteboard.js";

export class StepList {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    this.list = list;
    this.steps = new Map();
  }

  reset() {
    this.steps.clear();
    this.list.replaceChildren();
  }

  start({ step_index: index, title, type }) {
    this.steps.get(index)?.item.remove();
    const item = document.createElement("li");
    item.className = `step step-${type === "math" ? "math" : "text"} streaming`;
    item.dataset.stepIndex = String(index);
    const heading = document.createElement("h3");
    heading.className = "step-title";
    heading.textContent = title;
    const body = document.createElement("div");
    body.className = "step-body";
    item.append(heading, body);
    // Keep DOM order by step index even if a step is re-sent.
    const after = [...this.list.children].find((li) => Number(li.dataset.stepIndex) > index);
    this.list.insertBefore(item, after ?? null);
    this.steps.set(index, { item, body, type, text: "", lastChunk: -1 });
    item.scrollIntoView?.({ block: "nearest" });
  }

  chunk({ step_index: index, chunk_index: chunkIndex, text }) {
    const step = this.steps.get(index);
    if (!step || chunkIndex <= step.lastChunk) return; // unknown step or already shown
    step.lastChunk = chunkIndex;
    step.text += text;
    if (step.type === "math") {
      if (latexParses(step.text)) renderLatex(step.body, step.text, true);
      else step.body.textContent = step.text;
    } else {
      step.body.append(document.createTextNode(text));
    }
  }

  complete({ step_index: index }) {
    const step = this.steps.get(index);
    if (!step) return;
    step.item.classList.remove("streaming");
    step.item.classList.add("done");
    if (step.type === "math" && step.text) renderLatex(step.body, step.text, true);
  }

  /**
   * The explanation ended early (Detener, an error): a step that was still arriving is
   * marked as cut, so a half-streamed formula ("f(x)=x³+2" of x³+2x) never looks finished.
   */
  interrupt() {
    for (const step of this.steps.values()) {
      if (!step.item.classList.contains("streaming")) continue;
      step.item.classList.remove("streaming");
      step.item.classList.add("cut");
      const note = document.createElement("p");
      note.className = "step-cut";
      note.textContent = UI.stepCut;
      step.item.append(note);
    }
  }

  /** Titles shown, in order (handy for tests and accessibility checks). */
  titles() {
    return [...this.list.querySelectorAll(".step-title")].map((h) => h.textContent);
  }
}
