-- Whom a delegate stood for when they completed a task (代理): the part is
-- that person's, for the rules that ask who approved (auto_pass), and it is
-- in that person's done list beside the delegate's.
ALTER TABLE tasks ADD COLUMN on_behalf_of TEXT;
CREATE INDEX tasks_on_behalf_of ON tasks (on_behalf_of, completed_at) WHERE on_behalf_of IS NOT NULL;
