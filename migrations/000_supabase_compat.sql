-- What Supabase provides, created only where it is missing, so the same
-- migrations run on Supabase and on plain PostgreSQL (tests, self-hosting).
-- Every step checks first: on Supabase this file changes nothing.

-- Roles used by PostgREST / Supabase and by the RLS policies.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END
$$;

-- A non-superuser owner needs membership to `SET ROLE` in tests; Supabase's
-- postgres user already has it. Never fail here: it only matters for tests.
DO $$
DECLARE
  r text;
BEGIN
  IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
      IF NOT pg_catalog.pg_has_role(current_user, r, 'MEMBER') THEN
        BEGIN
          EXECUTE pg_catalog.format('GRANT %I TO %I', r, current_user);
        EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
          RAISE NOTICE 'could not grant % to %', r, current_user;
        END;
      END IF;
    END LOOP;
  END IF;
END
$$;

-- gen_random_uuid() is core since PostgreSQL 13; older servers need pgcrypto.
DO $$
BEGIN
  IF pg_catalog.to_regprocedure('gen_random_uuid()') IS NULL THEN
    CREATE EXTENSION IF NOT EXISTS pgcrypto;
  END IF;
END
$$;

-- The auth schema, a minimal auth.users and the helpers the policies call.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'auth') THEN
    CREATE SCHEMA auth;
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
  END IF;

  IF pg_catalog.to_regclass('auth.users') IS NULL THEN
    CREATE TABLE auth.users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text,
      raw_user_meta_data jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  END IF;

  -- Same definitions as Supabase: settings read back as '' after a commit,
  -- hence nullif(..., '').
  IF pg_catalog.to_regprocedure('auth.uid()') IS NULL THEN
    CREATE FUNCTION auth.uid() RETURNS uuid
      LANGUAGE sql STABLE
      AS $fn$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $fn$;
  END IF;

  IF pg_catalog.to_regprocedure('auth.role()') IS NULL THEN
    CREATE FUNCTION auth.role() RETURNS text
      LANGUAGE sql STABLE
      AS $fn$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.role', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
      $fn$;
  END IF;

  IF pg_catalog.to_regprocedure('auth.jwt()') IS NULL THEN
    CREATE FUNCTION auth.jwt() RETURNS jsonb
      LANGUAGE sql STABLE
      AS $fn$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
      $fn$;
  END IF;
END
$$;
