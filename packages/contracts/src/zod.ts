// The zod every contract (and every form of the web app) builds its schemas with.
//
// In browsers, parse without zod's JIT: building an object schema probes `new Function`, our CSP forbids eval, and
// the caught probe is still reported as a CSP violation. This must run before the first schema is built, which is
// why schema modules import `z` from here (contracts' index.ts imports it first). Servers keep the JIT: zod's
// config is process-wide (globalThis), and the API parses every request body with it.
import { z } from 'zod'

if ('window' in globalThis) z.config({ jitless: true })

export { z }
