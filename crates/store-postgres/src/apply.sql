-- A transition's write: every row of the change document
-- (naxian_store::change_document) in one statement, one round trip. The rows
-- are what the engine decided; what is checked here are the atomic guards
-- only: the instance's revision and the directory's generation (refused
-- with SQLSTATE NX409 and NX410), and each closed task still open (NX409).
--
-- Installed by crate::apply::install when the store connects, under a name
-- carrying a hash of this text ({name}), so that replicas of two releases
-- on one database each call their own.
CREATE FUNCTION {name}(c jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i jsonb := c->'instance';
    h jsonb := c->'history';
    at timestamptz := (c->>'at')::timestamptz;
    g bigint := (c->>'expected_generation')::bigint;
    closing record;
BEGIN
    IF jsonb_typeof(c->'expected_revision') = 'number' THEN
        UPDATE instances SET step = i->>'step', status = i->>'status', outcome = i->>'outcome',
               data = i->'data', completed = i->'completed', revision = revision + 1,
               audit_seq = (h->>'seq')::bigint, audit_head = h->>'hash', updated_at = at
         WHERE id = i->>'id' AND revision = (c->>'expected_revision')::bigint
           AND (g IS NULL OR g = (SELECT generation FROM directory_generation WHERE id = 1));
        IF NOT FOUND THEN
            IF g IS NOT NULL AND g IS DISTINCT FROM (SELECT generation FROM directory_generation WHERE id = 1) THEN
                RAISE EXCEPTION 'the directory changed after the instance was read: decide again'
                      USING ERRCODE = 'NX410';
            END IF;
            RAISE EXCEPTION 'the instance changed under you: reload and retry' USING ERRCODE = 'NX409';
        END IF;
    ELSE
        IF g IS NOT NULL AND g IS DISTINCT FROM (SELECT generation FROM directory_generation WHERE id = 1) THEN
            RAISE EXCEPTION 'the directory changed after the start was decided: decide again'
                  USING ERRCODE = 'NX410';
        END IF;
        INSERT INTO instances (id, workflow, version, step, status, outcome, data, creator, org_unit, org_path,
                               completed, revision, audit_seq, audit_head, created_at, updated_at, unique_key)
        VALUES (i->>'id', i->>'workflow', (i->>'version')::bigint, i->>'step', i->>'status', i->>'outcome',
                i->'data', i->>'creator', i->>'org_unit', i->>'org_path', i->'completed', 1,
                (h->>'seq')::bigint, h->>'hash', at, at, c->>'unique_key');
    END IF;

    FOR closing IN SELECT * FROM jsonb_to_recordset(c->'close')
                 AS r (task_id text, status text, action text, comment text, actor text, on_behalf_of text) LOOP
        UPDATE tasks SET status = closing.status, action = closing.action, comment = closing.comment,
               actor = closing.actor, on_behalf_of = closing.on_behalf_of, completed_at = at
         WHERE id = closing.task_id AND status IS NOT DISTINCT FROM 'open';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'the task is already done' USING ERRCODE = 'NX409';
        END IF;
    END LOOP;

    IF jsonb_array_length(c->'cancel_timers_of') > 0 THEN
        UPDATE timers SET status = 'cancelled'
         WHERE status = 'pending' AND task_id IN (SELECT jsonb_array_elements_text(c->'cancel_timers_of'));
    END IF;

    IF jsonb_array_length(c->'open') > 0 THEN
        INSERT INTO tasks (id, instance_id, step, assignee_key, role, unit, unit_path, user_login, status, created_at, due_at)
        SELECT x.id, x.instance_id, x.step, x.assignee_key, x.role, x.unit, x.unit_path, x.user_login, 'open',
               x.created_at, x.due_at
          FROM jsonb_to_recordset(c->'open') AS x (id text, instance_id text, step text, assignee_key text, role text,
                                                   unit text, unit_path text, user_login text, created_at timestamptz,
                                                   due_at timestamptz);
    END IF;

    INSERT INTO history (instance_id, seq, at, actor, step, action, comment, note, on_behalf_of, prev_hash, hash)
    VALUES (h->>'instance_id', (h->>'seq')::bigint, (h->>'at')::timestamptz, h->>'actor', h->>'step',
            h->>'action', h->>'comment', h->>'note', h->>'on_behalf_of', h->>'prev_hash', h->>'hash');

    IF (c->>'keep_version')::boolean THEN
        INSERT INTO data_versions (instance_id, seq, data)
        VALUES (i->>'id', (h->>'seq')::bigint, i->'data');
    END IF;

    IF jsonb_array_length(c->'members') > 0 THEN
        INSERT INTO members (org_unit, name, sector, post, mode, since, term_end, instance_id, chief, created_at)
        SELECT x.org_unit, x.name, x.sector, x.post, x.mode, x.since, x.term_end, x.instance_id, x.chief, at
          FROM jsonb_to_recordset(c->'members') AS x (org_unit text, name text, sector text, post text, mode text,
                                                      since date, term_end date, instance_id text, chief boolean);
    END IF;

    IF jsonb_array_length(c->'bodies') > 0 THEN
        INSERT INTO bodies (org_unit, term_start, term_end, congress_date, updated_at)
        SELECT x.org_unit, x.term_start, x.term_end, x.congress_date, at
          FROM jsonb_to_recordset(c->'bodies') AS x (org_unit text, term_start date, term_end date,
                                                     congress_date date)
        ON CONFLICT (org_unit) DO UPDATE SET term_start = excluded.term_start, term_end = excluded.term_end,
           congress_date = excluded.congress_date, updated_at = excluded.updated_at;
    END IF;

    IF jsonb_array_length(c->'timers') > 0 THEN
        INSERT INTO timers (id, instance_id, task_id, kind, fire_at, later)
        SELECT x.id, x.instance_id, x.task_id, x.kind, x.fire_at, x.later
          FROM jsonb_to_recordset(c->'timers') AS x (id text, instance_id text, task_id text, kind text,
                                                     fire_at timestamptz, later jsonb);
    END IF;

    IF jsonb_array_length(c->'outbox') > 0 THEN
        INSERT INTO outbox (id, dedupe_key, recipients, template, params, next_attempt_at, created_at)
        SELECT x.id, x.dedupe_key, x.recipients, x.template, x.params, x.created_at, x.created_at
          FROM jsonb_to_recordset(c->'outbox') AS x (id text, dedupe_key text, recipients jsonb, template text,
                                                     params jsonb, created_at timestamptz)
            ON CONFLICT (dedupe_key) DO NOTHING;
        INSERT INTO notices (id, login, dedupe_key, template, params, instance_id, task_id, created_at)
        SELECT x.id, x.notice_for, x.dedupe_key, x.template, x.params, x.instance_id, x.task_id, x.created_at
          FROM jsonb_to_recordset(c->'outbox') AS x (id text, notice_for text, dedupe_key text, template text,
                                                     params jsonb, instance_id text, task_id text,
                                                     created_at timestamptz)
         WHERE x.notice_for IS NOT NULL
            ON CONFLICT (dedupe_key) DO NOTHING;
    END IF;
END
$$;
