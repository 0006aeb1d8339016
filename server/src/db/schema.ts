/** Every table, for drizzle-kit and the typed client. Each module owns its own tables.ts. */
export * from '../modules/auth/tables.js';
export * from '../modules/mail/tables.js';
export * from '../lib/config-tables.js';
export * from '../lib/audit-tables.js';
export * from '../modules/catalog/tables.js';
export * from '../modules/checkout/tables.js';
export * from '../modules/payments/tables.js';
export * from '../modules/licensing/tables.js';
export * from '../modules/api-access/tables.js';
export * from '../modules/downloads/tables.js';
