-- The semantic answer cache (app/answer_cache/): each stored answer keeps the vector
-- of its question's canonical text and the model that made it (a vector of another
-- model is recomputed at start), and each interaction served by a semantic hit keeps
-- the stored question it matched and their cosine similarity.
-- The vector is a plain real[] so this migration needs no extension; where pgvector
-- exists, `flask db upgrade` also adds a vector(N) column generated from it and an
-- HNSW index (app/repositories/sql/pgvector.py), and skips that with a log line
-- otherwise. RLS is unchanged: the tables keep the policies of 001.

ALTER TABLE public.predefined_answers ADD COLUMN IF NOT EXISTS embedding real[];
ALTER TABLE public.predefined_answers ADD COLUMN IF NOT EXISTS embedding_model text;
ALTER TABLE public.interaction_history ADD COLUMN IF NOT EXISTS matched_question text;
ALTER TABLE public.interaction_history ADD COLUMN IF NOT EXISTS similarity double precision;
