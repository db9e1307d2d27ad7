// Where the access token comes from: a development token from this server, or the
// Supabase session of the app that embeds the page (see docs/web-client.md).

const DEV_USER_KEY = "guia.dev_user_id";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A random v4 UUID; works outside secure contexts too (crypto.randomUUID does not). */
export function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The development user of this browser: one stable id kept in localStorage. */
export function devUserId() {
  let id = null;
  try {
    id = localStorage.getItem(DEV_USER_KEY);
  } catch {
    /* storage disabled: a new user per page load */
  }
  if (!id || !UUID_RE.test(id)) {
    id = uuid4();
    try {
      localStorage.setItem(DEV_USER_KEY, id);
    } catch {
      /* ignore */
    }
  }
  return id;
}

async function devToken(url) {
  const query = new URLSearchParams({ user_id: devUserId() });
  const res = await fetch(`${url}?${query}`, { cache: "no-store", credentials: "same-origin" });
  if (!res.ok) throw new Error(`dev token: HTTP ${res.status}`);
  const body = await res.json();
  return body.token;
}

async function supabaseToken() {
  const given = window.GUIA_SUPABASE_TOKEN;
  if (typeof given === "function") return await given();
  if (typeof given === "string" && given) return given;
  const client = window.GUIA_SUPABASE;
  if (client?.auth?.getSession) {
    const { data } = await client.auth.getSession();
    const token = data?.session?.access_token;
    if (token) return token;
  }
  throw new Error("no Supabase session");
}

/**
 * A function returning a fresh token on every call (each connection attempt asks again,
 * so reconnects after a token expiry pick up the refreshed one).
 */
export function tokenSource(devTokenUrl) {
  return devTokenUrl ? () => devToken(devTokenUrl) : supabaseToken;
}
