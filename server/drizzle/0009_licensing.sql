CREATE TABLE "lease_signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_key_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "license_activations" (
	"id" text PRIMARY KEY NOT NULL,
	"license_id" text NOT NULL,
	"name" text NOT NULL,
	"fingerprint" text,
	"domain" text,
	"identity" text NOT NULL,
	"uses_seat" boolean NOT NULL,
	"ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_validated_at" timestamp with time zone,
	"released_at" timestamp with time zone,
	"released_by" text,
	CONSTRAINT "license_activations_released_by_valid" CHECK ("license_activations"."released_by" is null or "license_activations"."released_by" in ('owner','admin','software','reset'))
);
--> statement-breakpoint
CREATE TABLE "license_release_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"license_id" text NOT NULL,
	"user_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "license_release_requests_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "license_validations" (
	"license_id" text NOT NULL,
	"activation_id" text DEFAULT '' NOT NULL,
	"code" text NOT NULL,
	"ip" text DEFAULT '' NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "license_validations_license_id_hour_activation_id_code_ip_pk" PRIMARY KEY("license_id","hour","activation_id","code","ip")
);
--> statement-breakpoint
ALTER TABLE "license_activations" ADD CONSTRAINT "license_activations_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "license_release_requests" ADD CONSTRAINT "license_release_requests_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "license_release_requests" ADD CONSTRAINT "license_release_requests_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "license_validations" ADD CONSTRAINT "license_validations_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "lease_signing_keys_one_current_uq" ON "lease_signing_keys" USING btree ((true)) WHERE "lease_signing_keys"."retired_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "license_activations_live_identity_uq" ON "license_activations" USING btree ("license_id","identity") WHERE "license_activations"."released_at" is null;--> statement-breakpoint
CREATE INDEX "license_activations_license_idx" ON "license_activations" USING btree ("license_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "license_activations_released_idx" ON "license_activations" USING btree ("license_id","released_at") WHERE "license_activations"."released_at" is not null;--> statement-breakpoint
CREATE INDEX "license_validations_hour_idx" ON "license_validations" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "licenses_key_hint_idx" ON "licenses" USING btree ("key_hint");--> statement-breakpoint
CREATE INDEX "licenses_email_idx" ON "licenses" USING btree ("email");