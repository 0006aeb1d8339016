CREATE TABLE "api_credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"license_id" text NOT NULL,
	"user_id" text,
	"product_id" text NOT NULL,
	"label" text NOT NULL,
	"sealed" text NOT NULL,
	"hint" text NOT NULL,
	"account_url" text,
	"external_user_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"product_id" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"name" text NOT NULL,
	"weight" integer DEFAULT 1 NOT NULL,
	"plan_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_endpoints_weight_valid" CHECK ("api_endpoints"."weight" between 1 and 100)
);
--> statement-breakpoint
CREATE TABLE "api_quota_alerts" (
	"license_id" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"threshold" integer NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_quota_alerts_license_id_period_start_threshold_pk" PRIMARY KEY("license_id","period_start","threshold")
);
--> statement-breakpoint
CREATE TABLE "api_service_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"product_id" text,
	"created_by" text,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_service_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "api_usage_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key_id" text NOT NULL,
	"license_id" text NOT NULL,
	"product_id" text NOT NULL,
	"environment" text NOT NULL,
	"method" text NOT NULL,
	"endpoint" text NOT NULL,
	"status" integer NOT NULL,
	"cost" integer NOT NULL,
	"latency_ms" integer NOT NULL,
	"bytes_in" bigint NOT NULL,
	"bytes_out" bigint NOT NULL,
	"ip" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_usage_hourly" (
	"key_id" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"endpoint" text NOT NULL,
	"license_id" text NOT NULL,
	"product_id" text NOT NULL,
	"calls" integer NOT NULL,
	"errors" integer NOT NULL,
	"cost" integer NOT NULL,
	"latency_ms_sum" bigint NOT NULL,
	"latency_ms_max" integer NOT NULL,
	"bytes_in" bigint NOT NULL,
	"bytes_out" bigint NOT NULL,
	CONSTRAINT "api_usage_hourly_key_id_hour_endpoint_pk" PRIMARY KEY("key_id","hour","endpoint")
);
--> statement-breakpoint
ALTER TABLE "api_credentials" ADD CONSTRAINT "api_credentials_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_credentials" ADD CONSTRAINT "api_credentials_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_credentials" ADD CONSTRAINT "api_credentials_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_endpoints" ADD CONSTRAINT "api_endpoints_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_quota_alerts" ADD CONSTRAINT "api_quota_alerts_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_service_tokens" ADD CONSTRAINT "api_service_tokens_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_credentials_license_idx" ON "api_credentials" USING btree ("license_id");--> statement-breakpoint
CREATE INDEX "api_credentials_user_idx" ON "api_credentials" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "api_endpoints_product_method_path_uq" ON "api_endpoints" USING btree ("product_id","method","path");--> statement-breakpoint
CREATE INDEX "api_usage_events_license_idx" ON "api_usage_events" USING btree ("license_id","created_at");--> statement-breakpoint
CREATE INDEX "api_usage_events_key_idx" ON "api_usage_events" USING btree ("key_id","created_at");--> statement-breakpoint
CREATE INDEX "api_usage_events_created_idx" ON "api_usage_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "api_usage_hourly_hour_idx" ON "api_usage_hourly" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "api_usage_hourly_license_idx" ON "api_usage_hourly" USING btree ("license_id","hour");