-- The audit log is append-only: no UPDATE, DELETE or TRUNCATE through the application's role.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
--> statement-breakpoint
-- The six kill switches of API.md always exist, released.
INSERT INTO kill_switches (name, engaged) VALUES
  ('payments', false), ('downloads', false), ('licensing', false),
  ('referrals', false), ('ai', false), ('support', false)
ON CONFLICT (name) DO NOTHING;
