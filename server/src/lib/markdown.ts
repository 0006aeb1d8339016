import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

/**
 * Markdown from sellers (product descriptions, later ticket replies) → HTML that is safe to inject.
 * One renderer for the storefront and the admin preview, so what the admin sees is what buyers get.
 * Raw HTML in the markdown is allowed through marked and then cut down by the sanitiser's allow-list.
 */
const marked = new Marked({ gfm: true, breaks: false, async: false });

const policy: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'kbd', 'samp',
    'strong', 'b', 'em', 'i', 'del', 's', 'sup', 'sub', 'mark', 'small',
    'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'a', 'img', 'figure', 'figcaption',
    'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'details', 'summary', 'input',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
    code: ['class'],
    th: ['align'],
    td: ['align'],
    ol: ['start'],
    input: ['type', 'checked', 'disabled'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  allowedClasses: { code: [/^language-[\w-]+$/] },
  // Task-list checkboxes only, and never interactive.
  exclusiveFilter: (frame) => frame.tag === 'input' && frame.attribs.type !== 'checkbox',
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, rel: 'nofollow noopener noreferrer', ...(isExternal(attribs.href) ? { target: '_blank' } : {}) },
    }),
    img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, loading: 'lazy' } }),
    input: (tagName, attribs) => ({ tagName, attribs: { ...attribs, disabled: '' } }),
  },
};

const isExternal = (href: string | undefined) => Boolean(href && /^https?:\/\//i.test(href));

export function renderMarkdown(markdown: string | null | undefined): string {
  if (!markdown) return '';
  return sanitizeHtml(marked.parse(markdown) as string, policy);
}
