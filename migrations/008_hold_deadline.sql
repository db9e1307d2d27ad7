-- The credit hold carries the time it must be done by, so the server can run it
-- alone in autocommit (one round trip instead of BEGIN, the hold, COMMIT) without
-- ever charging a student it told nothing was charged.
--
-- The server cuts a statement that gets no answer by its deadline and answers
-- `service_unavailable`. A frozen database still takes the statement into its
-- socket buffer and runs it once it thaws; alone, that run would commit. With
-- p_not_after, a run that finishes its writes past that time raises instead
-- (query_canceled, 57014) and the statement, its own transaction, rolls back. The
-- check is the function's last step, after every lock it waited for. The server
-- sends half its statement deadline, so the database's clock may lag its own by
-- up to that much. A NULL p_not_after checks nothing (callers of 007's signature).
--
-- Service role only, like the functions of 004 and 007.

DROP FUNCTION IF EXISTS public.add_interaction_with_hold(jsonb, integer, text, text);

CREATE OR REPLACE FUNCTION public.add_interaction_with_hold(
  p_interaction jsonb,
  p_credits integer,
  p_action_type text,
  p_idempotency_key text,
  p_not_after timestamptz DEFAULT NULL
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
  IF p_not_after IS NOT NULL AND clock_timestamp() > p_not_after THEN
    RAISE EXCEPTION 'add_interaction_with_hold: past its deadline (%), nothing held',
      p_not_after USING ERRCODE = '57014';
  END IF;
  RETURN QUERY SELECT v_change.status, v_change.balance, v_change.ledger_id;
END
$$;

REVOKE EXECUTE ON FUNCTION public.add_interaction_with_hold(jsonb, integer, text, text, timestamptz)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.add_interaction_with_hold(jsonb, integer, text, text, timestamptz)
  TO service_role;
