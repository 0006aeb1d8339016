import { WebhookVerificationError } from './types.js';

type Headers = Record<string, string | string[] | undefined>;

/**
 * One header's value, whatever the case of its name (Node lower-cases them; tests and other callers may not).
 * A repeated signature header is refused rather than guessed at: a proxy that duplicates it is misconfigured.
 */
export function headerValue(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const values = Object.entries(headers)
    .filter(([key, value]) => key.toLowerCase() === wanted && value !== undefined)
    .flatMap(([, value]) => (Array.isArray(value) ? value : [value as string]));
  if (values.length > 1) throw new WebhookVerificationError(`more than one ${name} header`);
  const value = values[0]?.trim();
  return value ? value : undefined;
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** Zod's findings as one line for the inbox's record: `data.amount: Invalid input…; data.currency: …`. */
export function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }, prefix?: string): string {
  return error.issues
    .map((issue) => `${[prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}
