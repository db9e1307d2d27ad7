-- The six tables of docs/schema.md, with row level security.
-- Clients (anon / authenticated) may only read; every write goes through the
-- server (table owner or service_role) and the credit functions of 004.

CREATE TABLE IF NOT EXISTS public.subscriptions (
  id text PRIMARY KEY,
  name text NOT NULL,
  monthly_credits integer NOT NULL CHECK (monthly_credits >= 0),
  price_mxn numeric(10, 2) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- id = auth.users.id, but no FK: the server also makes profiles on first sight.
CREATE TABLE IF NOT EXISTS public.profiles (
  id uuid PRIMARY KEY,
  email text,
  credits integer NOT NULL DEFAULT 0 CHECK (credits >= 0),
  subscription_id text DEFAULT 'free' REFERENCES public.subscriptions (id),
  subscription_renews_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.predefined_answers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  question_hash text NOT NULL UNIQUE,
  normalized_question text NOT NULL,
  question text NOT NULL,
  answer jsonb NOT NULL,
  source text NOT NULL DEFAULT 'seed' CHECK (source IN ('seed', 'offline', 'openai', 'admin')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.interaction_history (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  session_id text,
  question text NOT NULL,
  question_hash text,
  answer_id uuid REFERENCES public.predefined_answers (id) ON DELETE SET NULL,
  source text CHECK (source IN ('cache', 'generated')),
  status text NOT NULL DEFAULT 'streaming'
    CHECK (status IN ('streaming', 'completed', 'stopped', 'failed')),
  input_type text NOT NULL DEFAULT 'text' CHECK (input_type IN ('text', 'voice')),
  credits_charged integer NOT NULL DEFAULT 0,
  request_id text,
  engine text,
  prompt_tokens integer,
  completion_tokens integer,
  error_code text,
  first_event_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

CREATE TABLE IF NOT EXISTS public.voice_interactions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  interaction_id uuid REFERENCES public.interaction_history (id) ON DELETE SET NULL,
  format text NOT NULL CHECK (format IN ('webm', 'ogg', 'wav', 'mp3', 'm4a')),
  bytes integer NOT NULL DEFAULT 0,
  duration_s double precision,
  transcript text,
  status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'transcribed', 'failed')),
  error_code text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The ledger: every balance change is one row, so
-- profiles.credits = -SUM(credit_usage.credits) for every user.
CREATE TABLE IF NOT EXISTS public.credit_usage (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id uuid NOT NULL,
  credits integer NOT NULL CHECK (credits <> 0),
  action_type text NOT NULL CHECK (action_type IN (
    'question_cached', 'question_generated', 'voice', 'refund', 'grant', 'subscription_renewal'
  )),
  interaction_id uuid,
  idempotency_key text NOT NULL,
  balance_after integer NOT NULL CHECK (balance_after >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, idempotency_key)
);

-- Row level security on every table. Owners and service_role bypass it.
ALTER TABLE public.subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.predefined_answers ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.interaction_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.voice_interactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.credit_usage ENABLE ROW LEVEL SECURITY;

-- `(select auth.uid())` is evaluated once per statement, not once per row.
DROP POLICY IF EXISTS profiles_select_own ON public.profiles;
CREATE POLICY profiles_select_own ON public.profiles
  FOR SELECT TO authenticated USING ((SELECT auth.uid()) = id);

DROP POLICY IF EXISTS interaction_history_select_own ON public.interaction_history;
CREATE POLICY interaction_history_select_own ON public.interaction_history
  FOR SELECT TO authenticated USING ((SELECT auth.uid()) = user_id);

DROP POLICY IF EXISTS voice_interactions_select_own ON public.voice_interactions;
CREATE POLICY voice_interactions_select_own ON public.voice_interactions
  FOR SELECT TO authenticated USING ((SELECT auth.uid()) = user_id);

DROP POLICY IF EXISTS credit_usage_select_own ON public.credit_usage;
CREATE POLICY credit_usage_select_own ON public.credit_usage
  FOR SELECT TO authenticated USING ((SELECT auth.uid()) = user_id);

DROP POLICY IF EXISTS predefined_answers_select_authenticated ON public.predefined_answers;
CREATE POLICY predefined_answers_select_authenticated ON public.predefined_answers
  FOR SELECT TO authenticated USING (true);

DROP POLICY IF EXISTS subscriptions_select_authenticated ON public.subscriptions;
CREATE POLICY subscriptions_select_authenticated ON public.subscriptions
  FOR SELECT TO authenticated USING (true);

-- Privileges: Supabase's default privileges grant ALL on new tables to anon and
-- authenticated; take that back so clients can read (under RLS) and nothing else.
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
REVOKE ALL ON public.subscriptions, public.profiles, public.predefined_answers,
  public.interaction_history, public.voice_interactions, public.credit_usage
  FROM anon, authenticated;
GRANT SELECT ON public.subscriptions, public.profiles, public.predefined_answers,
  public.interaction_history, public.voice_interactions, public.credit_usage
  TO authenticated;
GRANT ALL ON public.subscriptions, public.profiles, public.predefined_answers,
  public.interaction_history, public.voice_interactions, public.credit_usage
  TO service_role;
GRANT USAGE, SELECT ON SEQUENCE public.credit_usage_id_seq TO service_role;

-- A Supabase sign-up makes the profile with the free plan's monthly credits and
-- its opening 'grant' ledger row. public.ensure_profile is defined in 004; a
-- PL/pgSQL body is resolved when it runs, and no user signs up mid-migration.
CREATE OR REPLACE FUNCTION public.handle_new_user()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
  PERFORM public.ensure_profile(
    NEW.id,
    NEW.email,
    coalesce((SELECT s.monthly_credits FROM public.subscriptions s WHERE s.id = 'free'), 0),
    'signup'
  );
  RETURN NEW;
END
$$;

REVOKE EXECUTE ON FUNCTION public.handle_new_user() FROM PUBLIC, anon, authenticated;

DROP TRIGGER IF EXISTS on_auth_user_created ON auth.users;
CREATE TRIGGER on_auth_user_created
  AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
