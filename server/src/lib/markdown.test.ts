import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.js';

describe('renderMarkdown', () => {
  it('renders GitHub-flavoured markdown', () => {
    const html = renderMarkdown('# Title\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n\n```ts\nconst a = 1\n```');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<table>');
    expect(html).toContain('<code class="language-ts">');
    expect(html).toMatch(/<input[^>]*disabled[^>]*type="checkbox"/);
  });

  it('removes scripts, event handlers, iframes and dangerous URLs', () => {
    const html = renderMarkdown(
      [
        '<script>alert(1)</script>',
        '<img src="x" onerror="alert(2)">',
        '<iframe src="https://evil.example"></iframe>',
        '[click](javascript:alert(3))',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">data</a>',
        '<div style="background:url(javascript:alert(4))">styled</div>',
        '<svg><script>alert(5)</script></svg>',
        '<input type="text" value="phish">',
        '<form action="https://evil.example"><button>go</button></form>',
      ].join('\n\n'),
    );
    for (const bad of ['<script', 'onerror', '<iframe', 'javascript:', 'data:text', 'style=', '<svg', 'type="text"', '<form', '<button']) {
      expect(html, bad).not.toContain(bad);
    }
    expect(html).toContain('styled');
  });

  it('opens external links safely', () => {
    const html = renderMarkdown('[docs](https://docs.example.com)');
    expect(html.trim()).toBe('<p><a href="https://docs.example.com" rel="nofollow noopener noreferrer" target="_blank">docs</a></p>');
  });

  it('renders nothing for empty input', () => {
    expect(renderMarkdown(null)).toBe('');
    expect(renderMarkdown('')).toBe('');
  });
});
