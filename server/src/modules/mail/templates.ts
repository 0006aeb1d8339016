import type { OutgoingMail } from '../../adapters/email/index.js';

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

interface Message {
  to: string;
  subject: string;
  heading: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  footer?: string;
}

/** One plain, accessible layout for every transactional email, with a text twin. */
export function renderMail(message: Message): OutgoingMail {
  const paragraphs = message.paragraphs.map((p) => `<p style="margin:0 0 16px">${escapeHtml(p)}</p>`).join('');
  const action = message.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(message.action.url)}" style="background:#16a34a;color:#fff;` +
      `padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(message.action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#555;overflow-wrap:anywhere">Or paste this link into your browser: ${escapeHtml(message.action.url)}</p>`
    : '';
  const footer = escapeHtml(message.footer ?? 'You received this email because of your account at Mintreu.');
  const html =
    `<!doctype html><html><body style="margin:0;background:#f4f4f5;font-family:system-ui,sans-serif;color:#18181b">` +
    `<div style="max-width:560px;margin:0 auto;padding:32px 24px"><div style="background:#fff;border-radius:8px;padding:32px">` +
    `<h1 style="margin:0 0 16px;font-size:22px">${escapeHtml(message.heading)}</h1>${paragraphs}${action}</div>` +
    `<p style="font-size:12px;color:#71717a;text-align:center">${footer}</p></div></body></html>`;
  const text = [
    message.heading,
    '',
    ...message.paragraphs.flatMap((p) => [p, '']),
    ...(message.action ? [`${message.action.label}: ${message.action.url}`, ''] : []),
    message.footer ?? 'You received this email because of your account at Mintreu.',
  ].join('\n');
  return { to: message.to, subject: message.subject, html, text };
}
