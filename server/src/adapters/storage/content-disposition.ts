/**
 * `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback for old clients and the
 * exact UTF-8 name for the rest. Quotes, backslashes and control characters never reach the header.
 */
export function contentDisposition(fileName: string): string {
  const clean = fileName.replace(/[\p{Cc}"\\/]/gu, '_').trim() || 'download';
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
