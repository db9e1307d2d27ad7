// Every sentence the student reads, in Spanish, and the protocol's error codes mapped to them.
// Server text (titles, content, waiting phrases) is shown as sent; only codes are translated.

export const ERROR_MESSAGES = Object.freeze({
  unauthorized: "No pudimos verificar tu sesión. Vuelve a iniciar sesión e inténtalo de nuevo.",
  invalid_payload: "La solicitud no es válida. Recarga la página e inténtalo de nuevo.",
  question_empty: "Escribe una pregunta antes de enviarla.",
  question_too_long: "Tu pregunta es demasiado larga: usa como máximo 1000 caracteres.",
  rate_limited: "Hiciste muchas preguntas seguidas. Espera un momento antes de preguntar otra vez.",
  insufficient_credits: "No tienes créditos suficientes para esta pregunta.",
  not_found: "Esa explicación ya no está disponible.",
  generation_failed: "No pudimos preparar la explicación. Inténtalo de nuevo; no se te cobró.",
  ai_unavailable:
    "Por ahora no podemos responder preguntas nuevas de este tipo. Prueba con otra pregunta.",
  audio_invalid: "No pudimos leer la grabación. Vuelve a grabar tu pregunta.",
  audio_too_large: "La grabación es demasiado larga. Haz una pregunta más corta.",
  transcription_failed: "No entendimos el audio. Inténtalo de nuevo o escribe tu pregunta.",
  internal_error: "Algo salió mal de nuestro lado. Inténtalo de nuevo en un momento.",
  service_unavailable:
    "El servicio no está disponible por un momento. Vuelve a intentarlo en unos segundos.",
});

export const UI = Object.freeze({
  connecting: "Conectando…",
  connected: "Conectado",
  reconnecting: "Se perdió la conexión. Reintentando…",
  takenOver: "Tu sesión se abrió en otra pestaña o dispositivo. Recarga para usarla aquí.",
  noToken: "No hay una sesión iniciada. Inicia sesión para usar el tutor.",
  timeout: "El servidor no respondió a tiempo. Inténtalo de nuevo.",
  sending: "Enviando tu pregunta…",
  paused: "Explicación en pausa.",
  stopped: "Explicación detenida.",
  stepCut: "Paso incompleto: la explicación se detuvo aquí.",
  complete: "Explicación terminada.",
  resumeOffer: "Tienes una explicación en pausa. ¿Quieres continuarla?",
  micUnsupported: "Tu navegador no permite grabar audio en esta página.",
  micDenied: "No tenemos permiso para usar el micrófono.",
  recording: "Grabando… pulsa de nuevo para enviar.",
  transcribing: "Procesando tu audio…",
  heard: "Entendimos:",
  micStart: "Hablar",
  micStop: "Enviar audio",
  credits: "Créditos",
});

// Codes whose server message is written for the student (the offline tutor's refusal names
// what it can solve, with examples close to the question): shown as sent when present.
const SERVER_WORDED = new Set(["ai_unavailable"]);

/** What to show for an `error` payload or an ack's `error`: the server's own sentence for
 * the codes above, otherwise the Spanish sentence for the code. */
export function errorText(error) {
  const message = typeof error?.message === "string" ? error.message.trim() : "";
  if (SERVER_WORDED.has(error?.code) && message) return message;
  return errorMessage(error?.code, error?.retry_after);
}

/** The Spanish sentence for a protocol error code (unknown codes get the generic one). */
export function errorMessage(code, retryAfter) {
  const text = ERROR_MESSAGES[code] ?? ERROR_MESSAGES.internal_error;
  if (code === "rate_limited" && Number.isFinite(retryAfter) && retryAfter > 0) {
    const unit = retryAfter === 1 ? "segundo" : "segundos";
    return `Hiciste muchas preguntas seguidas. Espera ${retryAfter} ${unit} antes de preguntar otra vez.`;
  }
  return text;
}
