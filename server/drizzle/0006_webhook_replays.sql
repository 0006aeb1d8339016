ALTER TABLE "webhook_events" ADD COLUMN "replayed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "replayed_from" text;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "replay_note" text;