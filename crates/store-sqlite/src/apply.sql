-- Transitions' writes, many in one statement and one commit: the writer
-- (crate::apply) inserts a batch of change documents
-- (naxian_store::change_document, each with its place `n` in the batch)
-- into the view `transition`, whose trigger writes each one's rows. The rows
-- are what the engine decided; what is checked here are the atomic guards
-- only: the directory's generation, the instance's revision, a start's
-- unique key, each closed task still open. A change that fails one is
-- refused on its own: its code goes to `refusal`, it writes nothing, and the
-- changes after it in the batch go on; the writer reads the refusals back.
--
-- Created on the writer connection when it opens (crate::apply::install),
-- in its temporary schema: the connection's own, gone with it, so a release
-- always writes with its own trigger.
CREATE TEMP TABLE refusal (n INTEGER PRIMARY KEY, code TEXT NOT NULL);

CREATE TEMP VIEW transition (document) AS SELECT NULL;

CREATE TEMP TRIGGER transition INSTEAD OF INSERT ON transition
BEGIN
    -- The guards, before any write; the first to fail is the change's refusal.
    INSERT OR IGNORE INTO refusal (n, code)
    SELECT NEW.document ->> '$.n', 'directory_moved'
     WHERE NEW.document ->> '$.expected_generation' IS NOT NULL
       AND NEW.document ->> '$.expected_generation' IS NOT (SELECT generation FROM directory_generation WHERE id = 1);
    INSERT OR IGNORE INTO refusal (n, code)
    SELECT NEW.document ->> '$.n', 'revision'
     WHERE NEW.document ->> '$.expected_revision' IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM instances WHERE id = NEW.document ->> '$.instance.id'
                                                 AND revision = NEW.document ->> '$.expected_revision');
    INSERT OR IGNORE INTO refusal (n, code)
    SELECT NEW.document ->> '$.n', 'unique_key'
     WHERE NEW.document ->> '$.expected_revision' IS NULL AND NEW.document ->> '$.unique_key' IS NOT NULL
       AND EXISTS (SELECT 1 FROM instances WHERE unique_key = NEW.document ->> '$.unique_key');
    INSERT OR IGNORE INTO refusal (n, code)
    SELECT NEW.document ->> '$.n', 'task_done'
     WHERE json_array_length(NEW.document, '$.close') <>
           (SELECT count(*) FROM tasks
             WHERE status = 'open' AND id IN (SELECT value ->> 'task_id' FROM json_each(NEW.document, '$.close')));
    -- A refused change writes nothing; the statement goes on with the next.
    SELECT RAISE(IGNORE) WHERE EXISTS (SELECT 1 FROM refusal WHERE n = NEW.document ->> '$.n');
    UPDATE instances SET step = NEW.document ->> '$.instance.step', status = NEW.document ->> '$.instance.status',
           outcome = NEW.document ->> '$.instance.outcome', data = NEW.document -> '$.instance.data',
           completed = NEW.document -> '$.instance.completed', revision = revision + 1,
           audit_seq = NEW.document ->> '$.history.seq', audit_head = NEW.document ->> '$.history.hash', updated_at = NEW.document ->> '$.at'
     WHERE id = NEW.document ->> '$.instance.id' AND revision = NEW.document ->> '$.expected_revision';
    INSERT INTO instances (id, workflow, version, step, status, outcome, data, creator, org_unit, org_path,
                           completed, revision, audit_seq, audit_head, created_at, updated_at, unique_key)
    SELECT NEW.document ->> '$.instance.id', NEW.document ->> '$.instance.workflow', NEW.document ->> '$.instance.version',
           NEW.document ->> '$.instance.step', NEW.document ->> '$.instance.status', NEW.document ->> '$.instance.outcome',
           NEW.document -> '$.instance.data', NEW.document ->> '$.instance.creator', NEW.document ->> '$.instance.org_unit',
           NEW.document ->> '$.instance.org_path', NEW.document -> '$.instance.completed', 1, NEW.document ->> '$.history.seq',
           NEW.document ->> '$.history.hash', NEW.document ->> '$.at', NEW.document ->> '$.at', NEW.document ->> '$.unique_key'
     WHERE NEW.document ->> '$.expected_revision' IS NULL;
    UPDATE tasks SET status = x.status, action = x.action, comment = x.comment, actor = x.actor,
           on_behalf_of = x.on_behalf_of, completed_at = NEW.document ->> '$.at'
      FROM (SELECT value ->> 'task_id' AS task_id, value ->> 'status' AS status, value ->> 'action' AS action,
                   value ->> 'comment' AS comment, value ->> 'actor' AS actor,
                   value ->> 'on_behalf_of' AS on_behalf_of
              FROM json_each(NEW.document, '$.close')) AS x
     WHERE tasks.id = x.task_id AND tasks.status = 'open';
    UPDATE timers SET status = 'cancelled'
     WHERE status = 'pending' AND task_id IN (SELECT value FROM json_each(NEW.document, '$.cancel_timers_of'));
    INSERT INTO tasks (id, instance_id, step, assignee_key, role, unit, unit_path, user_login, status, created_at, due_at)
    SELECT value ->> 'id', value ->> 'instance_id', value ->> 'step', value ->> 'assignee_key', value ->> 'role',
           value ->> 'unit', value ->> 'unit_path', value ->> 'user_login', 'open', value ->> 'created_at',
           value ->> 'due_at'
      FROM json_each(NEW.document, '$.open');
    INSERT INTO history (instance_id, seq, at, actor, step, action, comment, note, on_behalf_of, prev_hash, hash)
    SELECT NEW.document ->> '$.history.instance_id', NEW.document ->> '$.history.seq', NEW.document ->> '$.history.at', NEW.document ->> '$.history.actor',
           NEW.document ->> '$.history.step', NEW.document ->> '$.history.action', NEW.document ->> '$.history.comment', NEW.document ->> '$.history.note',
           NEW.document ->> '$.history.on_behalf_of', NEW.document ->> '$.history.prev_hash', NEW.document ->> '$.history.hash';
    INSERT INTO data_versions (instance_id, seq, data)
    SELECT NEW.document ->> '$.instance.id', NEW.document ->> '$.history.seq', NEW.document -> '$.instance.data'
     WHERE NEW.document ->> '$.keep_version';
    INSERT INTO members (org_unit, name, sector, post, mode, since, term_end, instance_id, chief, created_at)
    SELECT value ->> 'org_unit', value ->> 'name', value ->> 'sector', value ->> 'post', value ->> 'mode',
           value ->> 'since', value ->> 'term_end', value ->> 'instance_id', value ->> 'chief', NEW.document ->> '$.at'
      FROM json_each(NEW.document, '$.members');
    INSERT INTO bodies (org_unit, term_start, term_end, congress_date, updated_at)
    SELECT value ->> 'org_unit', value ->> 'term_start', value ->> 'term_end', value ->> 'congress_date',
           NEW.document ->> '$.at'
      FROM json_each(NEW.document, '$.bodies') WHERE true
    ON CONFLICT (org_unit) DO UPDATE SET term_start = excluded.term_start, term_end = excluded.term_end,
       congress_date = excluded.congress_date, updated_at = excluded.updated_at;
    INSERT INTO timers (id, instance_id, task_id, kind, fire_at, later)
    SELECT value ->> 'id', value ->> 'instance_id', value ->> 'task_id', value ->> 'kind', value ->> 'fire_at',
           value -> 'later'
      FROM json_each(NEW.document, '$.timers');
    INSERT INTO outbox (id, dedupe_key, recipients, template, params, next_attempt_at, created_at)
    SELECT value ->> 'id', value ->> 'dedupe_key', value -> 'recipients', value ->> 'template', value -> 'params',
           value ->> 'created_at', value ->> 'created_at'
      FROM json_each(NEW.document, '$.outbox') WHERE true
        ON CONFLICT (dedupe_key) DO NOTHING;
    INSERT INTO notices (id, login, dedupe_key, template, params, instance_id, task_id, created_at)
    SELECT value ->> 'id', value ->> 'notice_for', value ->> 'dedupe_key', value ->> 'template', value -> 'params',
           value ->> 'instance_id', value ->> 'task_id', value ->> 'created_at'
      FROM json_each(NEW.document, '$.outbox') WHERE value ->> 'notice_for' IS NOT NULL
        ON CONFLICT (dedupe_key) DO NOTHING;
    UPDATE idempotency SET status = NEW.document ->> '$.idempotency.status', body = NEW.document ->> '$.idempotency.body'
     WHERE login = NEW.document ->> '$.idempotency.login' AND key = NEW.document ->> '$.idempotency.key';
END;
