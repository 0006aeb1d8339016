import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Security headers, computed once at start-up and applied with one `reply.headers()` per request:
 * they never vary per request, and running helmet's middleware on the hot path cost a fifth of
 * GET /api/status's CPU. See docs/decisions/0003-security-headers-once.md.
 *
 * `api` is for JSON responses (OWASP REST guidance: nothing may frame, render or sniff them);
 * `document` is helmet's full set for the HTML pages the web app renders.
 */
export function securityHeaders(options: { https: boolean; razorpay?: boolean }): { api: Record<string, string>; document: Record<string, string> } {
  const hsts: Record<string, string> = options.https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {};
  return {
    api: {
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
      ...hsts,
    },
    document: documentHeaders(options),
  };
}

/** Razorpay's Checkout.js runs from its own origin and opens its payment form in a frame from another. */
const razorpayScript = ['https://checkout.razorpay.com'];
const razorpayFrames = ['https://api.razorpay.com', 'https://checkout.razorpay.com'];

function documentHeaders(options: { https: boolean; razorpay?: boolean }): Record<string, string> {
  const razorpay = options.razorpay === true;
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // Nuxt inlines its payload and colour-mode scripts during SSR.
        scriptSrc: ["'self'", "'unsafe-inline'", ...(razorpay ? razorpayScript : [])],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // Product images may live on any web host the seller names.
        imgSrc: ["'self'", 'data:', 'blob:', 'https:', 'http:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", ...(razorpay ? razorpayFrames : [])],
        frameSrc: ["'self'", ...(razorpay ? razorpayFrames : [])],
        frameAncestors: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    strictTransportSecurity: options.https,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}
