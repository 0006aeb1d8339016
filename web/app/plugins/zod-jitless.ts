import { z } from 'zod'

// zod probes for `new Function` to speed up parsing; our CSP forbids eval, so the probe would
// be reported as a violation in every browser. Parse without it.
export default defineNuxtPlugin(() => {
  z.config({ jitless: true })
})
