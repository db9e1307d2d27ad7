-- The tables of docs/schema.md for the embedded SQLite backend (no RLS, no
-- functions: the server is the only client). uuid and timestamps are TEXT
-- (canonical lower-case uuid; ISO 8601 UTC 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00',
-- the same fixed width the repositories write, so text order is time order);
-- jsonb is TEXT. Safe to run at every start-up.

CREATE TABLE IF NOT EXISTS subscriptions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  monthly_credits INTEGER NOT NULL CHECK (monthly_credits >= 0),
  price_mxn NUMERIC NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now'))
);

CREATE TABLE IF NOT EXISTS profiles (
  id TEXT PRIMARY KEY,
  email TEXT,
  credits INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),
  subscription_id TEXT DEFAULT 'free' REFERENCES subscriptions (id),
  subscription_renews_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now'))
);

CREATE TABLE IF NOT EXISTS predefined_answers (
  id TEXT PRIMARY KEY DEFAULT (
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
    || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2)
    || '-' || lower(hex(randomblob(6)))
  ),
  question_hash TEXT NOT NULL UNIQUE,
  normalized_question TEXT NOT NULL,
  question TEXT NOT NULL,
  answer TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT 'seed' CHECK (source IN ('seed', 'offline', 'openai', 'admin')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')),
  area TEXT,
  topic TEXT,
  embedding BLOB,
  embedding_model TEXT
);

CREATE TABLE IF NOT EXISTS interaction_history (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  session_id TEXT,
  question TEXT NOT NULL,
  question_hash TEXT,
  answer_id TEXT REFERENCES predefined_answers (id) ON DELETE SET NULL,
  source TEXT CHECK (source IN ('cache', 'generated')),
  status TEXT NOT NULL DEFAULT 'streaming'
    CHECK (status IN ('streaming', 'completed', 'stopped', 'failed')),
  input_type TEXT NOT NULL DEFAULT 'text' CHECK (input_type IN ('text', 'voice')),
  credits_charged INTEGER NOT NULL DEFAULT 0,
  request_id TEXT,
  engine TEXT,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  error_code TEXT,
  first_event_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')),
  completed_at TEXT,
  matched_question TEXT,
  similarity REAL
);

CREATE TABLE IF NOT EXISTS voice_interactions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  interaction_id TEXT REFERENCES interaction_history (id) ON DELETE SET NULL,
  format TEXT NOT NULL CHECK (format IN ('webm', 'ogg', 'wav', 'mp3', 'm4a')),
  bytes INTEGER NOT NULL DEFAULT 0,
  duration_s REAL,
  transcript TEXT,
  status TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'transcribed', 'failed')),
  error_code TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now'))
);

CREATE TABLE IF NOT EXISTS credit_usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  credits INTEGER NOT NULL CHECK (credits <> 0),
  action_type TEXT NOT NULL CHECK (action_type IN (
    'question_cached', 'question_generated', 'voice', 'refund', 'grant', 'subscription_renewal'
  )),
  interaction_id TEXT,
  idempotency_key TEXT NOT NULL,
  balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')),
  UNIQUE (user_id, idempotency_key)
);

CREATE INDEX IF NOT EXISTS interaction_history_user_created_idx
  ON interaction_history (user_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS voice_interactions_user_created_idx
  ON voice_interactions (user_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS credit_usage_user_id_idx
  ON credit_usage (user_id, id DESC);
CREATE INDEX IF NOT EXISTS credit_usage_interaction_idx
  ON credit_usage (interaction_id) WHERE interaction_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS interaction_history_status_created_idx
  ON interaction_history (status, created_at);
CREATE INDEX IF NOT EXISTS interaction_history_user_request_idx
  ON interaction_history (user_id, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS interaction_history_answer_idx
  ON interaction_history (answer_id) WHERE answer_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS voice_interactions_interaction_idx
  ON voice_interactions (interaction_id) WHERE interaction_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS profiles_subscription_idx
  ON profiles (subscription_id);
