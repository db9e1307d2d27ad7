-- Credits: one atomic, idempotent, ledgered balance change, also callable as a
-- Supabase RPC with the service role. Granted to service_role only: a SECURITY
-- DEFINER function that takes a user id would otherwise let anyone debit anyone.

CREATE OR REPLACE FUNCTION public.apply_credit_change(
  p_user_id uuid,
  p_credits integer,
  p_action_type text,
  p_idempotency_key text,
  p_interaction_id uuid DEFAULT NULL
)
RETURNS TABLE (status text, balance integer, ledger_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
  v_ledger_id bigint;
  v_balance integer;
BEGIN
  IF p_user_id IS NULL THEN
    RAISE EXCEPTION 'apply_credit_change: p_user_id is required' USING ERRCODE = '22023';
  END IF;
  IF p_credits IS NULL OR p_credits = 0 THEN
    RAISE EXCEPTION 'apply_credit_change: p_credits must be non-zero' USING ERRCODE = '22023';
  END IF;
  IF p_idempotency_key IS NULL OR p_idempotency_key = '' THEN
    RAISE EXCEPTION 'apply_credit_change: p_idempotency_key is required' USING ERRCODE = '22023';
  END IF;

  -- 1. Claim the idempotency key. A concurrent holder of the same key makes
  --    this wait; if it commits, nothing comes back: the change already happened.
  INSERT INTO public.credit_usage
    (user_id, credits, action_type, interaction_id, idempotency_key, balance_after)
  VALUES (p_user_id, p_credits, p_action_type, p_interaction_id, p_idempotency_key, 0)
  ON CONFLICT (user_id, idempotency_key) DO NOTHING
  RETURNING id INTO v_ledger_id;

  IF v_ledger_id IS NULL THEN
    SELECT p.credits INTO v_balance FROM public.profiles p WHERE p.id = p_user_id;
    SELECT c.id INTO v_ledger_id FROM public.credit_usage c
      WHERE c.user_id = p_user_id AND c.idempotency_key = p_idempotency_key;
    RETURN QUERY SELECT 'duplicate'::text, v_balance, v_ledger_id;
    RETURN;
  END IF;

  -- 2. Move the balance. Under READ COMMITTED the WHERE is re-checked after a
  --    concurrent update commits, so the balance never goes below zero.
  UPDATE public.profiles AS p
    SET credits = p.credits - p_credits, updated_at = now()
    WHERE p.id = p_user_id AND p.credits - p_credits >= 0
    RETURNING p.credits INTO v_balance;

  IF NOT FOUND THEN
    DELETE FROM public.credit_usage c WHERE c.id = v_ledger_id;
    SELECT p.credits INTO v_balance FROM public.profiles p WHERE p.id = p_user_id;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'no_profile'::text, NULL::integer, NULL::bigint;
    ELSE
      RETURN QUERY SELECT 'insufficient'::text, v_balance, NULL::bigint;
    END IF;
    RETURN;
  END IF;

  -- 3. Record the balance this change left.
  UPDATE public.credit_usage c SET balance_after = v_balance WHERE c.id = v_ledger_id;
  RETURN QUERY SELECT 'applied'::text, v_balance, v_ledger_id;
END
$$;

CREATE OR REPLACE FUNCTION public.ensure_profile(
  p_user_id uuid,
  p_email text,
  p_opening_credits integer,
  p_idempotency_key text DEFAULT 'signup'
)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_made boolean;
BEGIN
  INSERT INTO public.profiles (id, email, credits)
  VALUES (p_user_id, p_email, 0)
  ON CONFLICT (id) DO NOTHING;
  v_made := FOUND;

  -- The opening balance is a ledger row like any other change.
  IF v_made AND coalesce(p_opening_credits, 0) > 0 THEN
    PERFORM public.apply_credit_change(
      p_user_id, -p_opening_credits, 'grant', p_idempotency_key, NULL
    );
  END IF;
  RETURN v_made;
END
$$;

REVOKE EXECUTE ON FUNCTION public.apply_credit_change(uuid, integer, text, text, uuid)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.apply_credit_change(uuid, integer, text, text, uuid)
  TO service_role;

REVOKE EXECUTE ON FUNCTION public.ensure_profile(uuid, text, integer, text)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.ensure_profile(uuid, text, integer, text)
  TO service_role;
