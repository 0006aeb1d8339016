DROP INDEX "api_usage_events_key_idx";--> statement-breakpoint
DROP INDEX "api_usage_events_created_idx";--> statement-breakpoint
CREATE INDEX "api_usage_events_created_brin" ON "api_usage_events" USING brin ("created_at");