// The whiteboard: draws the protocol's canvas commands on a 1280x720 logical board,
// scaled to the element's size and sharp on high-density screens. `math` commands are
// typeset by KaTeX into an overlay positioned over the canvas (same logical coordinates).

export const BOARD_WIDTH = 1280;
export const BOARD_HEIGHT = 720;

const INK = "#1f2937";
const PAPER = "#ffffff";
const HIGHLIGHT = "#fde047";
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const DEFAULT_TEXT_SIZE = 28;
const DEFAULT_WIDTH = 3;

export class Whiteboard {
  /**
   * @param {HTMLCanvasElement} canvas sized by CSS (16:9); the backing store follows it
   * @param {HTMLElement} overlay absolutely positioned over the canvas, for math
   */
  constructor(canvas, overlay) {
    this.canvas = canvas;
    this.overlay = overlay;
    this.ctx = canvas.getContext("2d");
    this.commands = [];
    this.resize();
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => this.resize()).observe(canvas);
    }
    // Zooming changes devicePixelRatio and fires `resize`.
    window.addEventListener("resize", () => this.resize());
  }

  /** Match the backing store to the displayed size x devicePixelRatio, then redraw. */
  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(rect.width * dpr));
    const height = Math.max(1, Math.round(rect.height * dpr));
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const cssScale = rect.width > 0 ? rect.width / BOARD_WIDTH : 1;
    this.overlay.style.setProperty("--board-scale", String(cssScale));
    this.redraw();
  }

  /** Apply one canvas command as received from `canvas_command`. */
  apply(command) {
    if (!command || typeof command !== "object") return;
    if (command.op === "clear") {
      this.reset();
      return;
    }
    this.commands.push(command);
    if (command.op === "math") this.placeMath(command);
    else this.draw(command);
  }

  /** Blank board (a new question, or a `clear` command). */
  reset() {
    this.commands = [];
    this.overlay.replaceChildren();
    this.redraw();
  }

  redraw() {
    const { ctx, canvas } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(canvas.width / BOARD_WIDTH, 0, 0, canvas.height / BOARD_HEIGHT, 0, 0);
    for (const command of this.commands) {
      if (command.op !== "math") this.draw(command);
    }
  }

  draw(c) {
    const ctx = this.ctx;
    ctx.save();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = c.color || INK;
    ctx.lineWidth = c.width || DEFAULT_WIDTH;
    switch (c.op) {
      case "text":
        this.drawText(c);
        break;
      case "line":
        ctx.beginPath();
        ctx.moveTo(c.x1, c.y1);
        ctx.lineTo(c.x2, c.y2);
        ctx.stroke();
        break;
      case "arrow":
        this.drawArrow(c);
        break;
      case "rect":
        if (c.fill) {
          ctx.fillStyle = c.fill;
          ctx.fillRect(c.x, c.y, c.w, c.h);
        }
        if (c.color || !c.fill) {
          ctx.lineWidth = DEFAULT_WIDTH;
          ctx.strokeRect(c.x, c.y, c.w, c.h);
        }
        break;
      case "circle":
        ctx.beginPath();
        ctx.arc(c.x, c.y, c.r, 0, Math.PI * 2);
        if (c.fill) {
          ctx.fillStyle = c.fill;
          ctx.fill();
        }
        if (c.color || !c.fill) {
          ctx.lineWidth = DEFAULT_WIDTH;
          ctx.stroke();
        }
        break;
      case "path":
        if (Array.isArray(c.points) && c.points.length > 1) {
          ctx.beginPath();
          ctx.moveTo(c.points[0][0], c.points[0][1]);
          for (const [x, y] of c.points.slice(1)) ctx.lineTo(x, y);
          ctx.stroke();
        }
        break;
      case "highlight":
        // Marker-style: multiply keeps what is underneath readable.
        ctx.globalCompositeOperation = "multiply";
        ctx.globalAlpha = 0.45;
        ctx.fillStyle = c.color || HIGHLIGHT;
        ctx.fillRect(c.x, c.y, c.w, c.h);
        break;
      default:
        break; // the server never sends other ops; ignore rather than fail
    }
    ctx.restore();
  }

  /**
   * Text is anchored at (left, vertical middle) of its first line, as the seeded answers
   * lay it out; "\n" starts a new line below.
   */
  drawText(c) {
    const ctx = this.ctx;
    const size = c.size || DEFAULT_TEXT_SIZE;
    ctx.fillStyle = c.color || INK;
    ctx.font = `${size}px ${FONT}`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "left";
    String(c.text)
      .split("\n")
      .forEach((line, i) => ctx.fillText(line, c.x, c.y + i * size * 1.25));
  }

  drawArrow(c) {
    const ctx = this.ctx;
    const width = c.width || DEFAULT_WIDTH;
    const angle = Math.atan2(c.y2 - c.y1, c.x2 - c.x1);
    const head = Math.max(12, width * 4);
    ctx.beginPath();
    ctx.moveTo(c.x1, c.y1);
    // Stop the shaft inside the head so a thick line does not poke through its tip.
    ctx.lineTo(c.x2 - Math.cos(angle) * head * 0.6, c.y2 - Math.sin(angle) * head * 0.6);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(c.x2, c.y2);
    ctx.lineTo(c.x2 - head * Math.cos(angle - Math.PI / 7), c.y2 - head * Math.sin(angle - Math.PI / 7));
    ctx.lineTo(c.x2 - head * Math.cos(angle + Math.PI / 7), c.y2 - head * Math.sin(angle + Math.PI / 7));
    ctx.closePath();
    ctx.fillStyle = c.color || INK;
    ctx.fill();
  }

  /** Typeset LaTeX with KaTeX into the overlay: left edge at x, vertical middle at y. */
  placeMath(c) {
    const el = document.createElement("div");
    el.className = "board-math";
    el.style.left = `${(c.x / BOARD_WIDTH) * 100}%`;
    el.style.top = `${(c.y / BOARD_HEIGHT) * 100}%`;
    el.style.setProperty("--size", String(c.size || DEFAULT_TEXT_SIZE));
    el.style.color = c.color || INK;
    renderLatex(el, c.latex, false);
    this.overlay.append(el);
  }
}

/**
 * KaTeX into `el` (trust off, errors shown as red source rather than thrown); plain text
 * if KaTeX is missing. This is the only place the client inserts generated markup.
 */
export function renderLatex(el, latex, displayMode) {
  const katex = window.katex;
  if (!katex) {
    el.textContent = latex;
    return;
  }
  katex.render(String(latex), el, { displayMode, throwOnError: false, trust: false, strict: "ignore" });
}

/** True when `latex` parses (used to avoid showing half-streamed formulas as errors). */
export function latexParses(latex) {
  const katex = window.katex;
  if (!katex) return false;
  try {
    katex.renderToString(String(latex), { throwOnError: true, trust: false, strict: "ignore" });
    return true;
  } catch {
    return false;
  }
}
