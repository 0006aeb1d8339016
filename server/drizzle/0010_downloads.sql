CREATE TABLE "download_logs" (
	"id" text PRIMARY KEY NOT NULL,
	"event" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"token_id" text,
	"product_id" text NOT NULL,
	"source_id" text,
	"user_id" text,
	"license_id" text,
	"delivery" text,
	"range_start" bigint,
	"bytes_expected" bigint,
	"bytes_sent" bigint,
	"ip" text NOT NULL,
	"user_agent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "download_logs_event_valid" CHECK ("download_logs"."event" in ('initiate','redeem')),
	CONSTRAINT "download_logs_status_valid" CHECK ("download_logs"."status" in ('granted','started','completed','denied','failed'))
);
--> statement-breakpoint
CREATE TABLE "download_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"product_id" text NOT NULL,
	"source_id" text NOT NULL,
	"user_id" text,
	"license_id" text,
	"ip" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"uses" integer DEFAULT 0 NOT NULL,
	"max_uses" integer NOT NULL,
	"first_used_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"counted" boolean DEFAULT false NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoke_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "download_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "download_tokens_uses_valid" CHECK ("download_tokens"."uses" >= 0 and "download_tokens"."max_uses" >= 1)
);
--> statement-breakpoint
ALTER TABLE "download_logs" ADD CONSTRAINT "download_logs_token_id_download_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."download_tokens"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_logs" ADD CONSTRAINT "download_logs_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_logs" ADD CONSTRAINT "download_logs_source_id_product_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."product_sources"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_logs" ADD CONSTRAINT "download_logs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_logs" ADD CONSTRAINT "download_logs_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_tokens" ADD CONSTRAINT "download_tokens_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_tokens" ADD CONSTRAINT "download_tokens_source_id_product_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."product_sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_tokens" ADD CONSTRAINT "download_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "download_tokens" ADD CONSTRAINT "download_tokens_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "download_logs_created_idx" ON "download_logs" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "download_logs_product_created_idx" ON "download_logs" USING btree ("product_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "download_logs_user_created_idx" ON "download_logs" USING btree ("user_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "download_tokens_license_created_idx" ON "download_tokens" USING btree ("license_id","created_at");--> statement-breakpoint
CREATE INDEX "download_tokens_ip_created_idx" ON "download_tokens" USING btree ("ip","created_at");--> statement-breakpoint
CREATE INDEX "download_tokens_uncounted_idx" ON "download_tokens" USING btree ("product_id") WHERE "download_tokens"."first_used_at" is not null and not "download_tokens"."counted";