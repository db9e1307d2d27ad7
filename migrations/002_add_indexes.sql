-- Indexes for the policies (user_id), keyset pagination and the server's lookups.

-- History and voice pages: WHERE user_id = ? ORDER BY created_at DESC, id DESC.
CREATE INDEX IF NOT EXISTS interaction_history_user_created_idx
  ON public.interaction_history (user_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS voice_interactions_user_created_idx
  ON public.voice_interactions (user_id, created_at DESC, id DESC);

-- Ledger pages are by id; (user_id, idempotency_key) is already unique.
CREATE INDEX IF NOT EXISTS credit_usage_user_id_idx
  ON public.credit_usage (user_id, id DESC);
CREATE INDEX IF NOT EXISTS credit_usage_interaction_idx
  ON public.credit_usage (interaction_id) WHERE interaction_id IS NOT NULL;

-- Crash leftovers: status = 'streaming' AND created_at < ?.
CREATE INDEX IF NOT EXISTS interaction_history_status_created_idx
  ON public.interaction_history (status, created_at);

-- Repeated request_id lookups per user.
CREATE INDEX IF NOT EXISTS interaction_history_user_request_idx
  ON public.interaction_history (user_id, request_id) WHERE request_id IS NOT NULL;

-- Foreign keys with ON DELETE SET NULL are checked from the referenced side.
CREATE INDEX IF NOT EXISTS interaction_history_answer_idx
  ON public.interaction_history (answer_id) WHERE answer_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS voice_interactions_interaction_idx
  ON public.voice_interactions (interaction_id) WHERE interaction_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS profiles_subscription_idx
  ON public.profiles (subscription_id);
