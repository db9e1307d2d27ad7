-- One statement for each of the two writes every student waits for: opening a profile
-- on connect (made on first sight, then its balance) and admitting a question (its
-- interaction row and the credit hold). The server runs the profile alone in
-- autocommit (one round trip) and the hold inside its transaction (BEGIN, this,
-- COMMIT: the commit is sent only once the result is back; 008 runs it alone, with
-- the time it must be done by).
-- Service role only, like the functions of 004.

CREATE OR REPLACE FUNCTION public.open_profile(
  p_user_id uuid,
  p_email text,
  p_opening_credits integer,
  p_idempotency_key text DEFAULT 'signup'
)
RETURNS TABLE (made boolean, credits integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_made boolean;
BEGIN
  v_made := public.ensure_profile(p_user_id, p_email, p_opening_credits, p_idempotency_key);
  RETURN QUERY SELECT v_made, p.credits FROM public.profiles p WHERE p.id = p_user_id;
END
$$;

-- p_interaction holds every column of interaction_history (as the repository writes
-- them); the hold is public.apply_credit_change on its id. Either both rows are
-- written or, when the hold is refused (insufficient, no_profile), neither.
CREATE OR REPLACE FUNCTION public.add_interaction_with_hold(
  p_interaction jsonb,
  p_credits integer,
  p_action_type text,
  p_idempotency_key text
)
RETURNS TABLE (status text, balance integer, ledger_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
  v_row public.interaction_history;
  v_change record;
BEGIN
  v_row := jsonb_populate_record(NULL::public.interaction_history, p_interaction);
  IF v_row.id IS NULL OR v_row.user_id IS NULL THEN
    RAISE EXCEPTION 'add_interaction_with_hold: id and user_id are required'
      USING ERRCODE = '22023';
  END IF;
  INSERT INTO public.interaction_history SELECT v_row.*;
  SELECT c.status, c.balance, c.ledger_id INTO v_change
    FROM public.apply_credit_change(
      v_row.user_id, p_credits, p_action_type, p_idempotency_key, v_row.id
    ) c;
  IF v_change.status NOT IN ('applied', 'duplicate') THEN
    DELETE FROM public.interaction_history h WHERE h.id = v_row.id;
  END IF;
  RETURN QUERY SELECT v_change.status, v_change.balance, v_change.ledger_id;
END
$$;

REVOKE EXECUTE ON FUNCTION public.open_profile(uuid, text, integer, text)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.open_profile(uuid, text, integer, text)
  TO service_role;

REVOKE EXECUTE ON FUNCTION public.add_interaction_with_hold(jsonb, integer, text, text)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.add_interaction_with_hold(jsonb, integer, text, text)
  TO service_role;
