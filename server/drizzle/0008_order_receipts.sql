ALTER TABLE "orders" ADD COLUMN "receipt_sent_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "orders_receipt_due_idx" ON "orders" USING btree ("fulfilled_at") WHERE "orders"."status" = 'fulfilled' and "orders"."receipt_sent_at" is null;--> statement-breakpoint
-- Orders fulfilled before receipts were tracked already had theirs: never send them again.
UPDATE "orders" SET "receipt_sent_at" = "fulfilled_at" WHERE "status" = 'fulfilled';
