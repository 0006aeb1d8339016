import { randomBytes } from 'node:crypto';

/** Prefixes of API.md: a pasted id names its table. */
export const idPrefixes = {
  user: 'usr', product: 'prd', source: 'src', plan: 'pln', order: 'ord', payment: 'pay', license: 'lic',
  activation: 'act', apiKey: 'key', download: 'dl', ticket: 'tkt', message: 'msg', ad: 'ad', event: 'evt',
  audit: 'aud', referral: 'ref', commission: 'com', session: 'ses', account: 'acc', verification: 'vrf',
  mail: 'mail', flag: 'flg', category: 'cat', orderItem: 'oit', orderEvent: 'oev', coupon: 'cpn', redemption: 'rdm',
  endpoint: 'ep', serviceToken: 'stk', credential: 'crd',
} as const;

export type IdKind = keyof typeof idPrefixes;

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `newId('license')` → `lic_…`: 20 random base-36 characters (~103 bits). */
export function newId(kind: IdKind): string {
  const bytes = randomBytes(20);
  let out = '';
  for (const b of bytes) out += alphabet[b % 36];
  return `${idPrefixes[kind]}_${out}`;
}
