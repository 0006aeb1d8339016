// Schemas and types that the server and the web app both use.
// zod.js first: it configures zod (in browsers) before any schema below is built.
import './zod.js'

export * from './admin.js'
export * from './catalog.js'
export type * from './catalog-types.js'
export * from './commerce.js'
export * from './orders.js'
export type * from './commerce-types.js'
export * from './licensing.js'
export * from './downloads.js'
export * from './api-access.js'
