-- Curated answers carry the exam area and topic they were written for: the
-- answer bank (migrations/answer_bank/<area>.json, loaded by `flask --app app
-- seed`) fills them; answers the engines store leave them null.
-- RLS is unchanged: predefined_answers keeps the row level security and the
-- read-for-authenticated policy of 001, and the table grants cover new columns.

ALTER TABLE public.predefined_answers ADD COLUMN IF NOT EXISTS area text;
ALTER TABLE public.predefined_answers ADD COLUMN IF NOT EXISTS topic text;
