// Markdown of a reply as the page shows it: marked (CommonMark + GFM tables) turns it into HTML,
// DOMPurify keeps only harmless elements and attributes (no script, no event handlers, no styles, no
// URLs but http(s)/mailto and same-page anchors), highlight.js colours fenced code, and each code
// block gets a copy button. The libraries come from the web-ui module's Maven dependencies, served by
// the app under _static/ (mvnpm) and webjars/ (highlight.js's browser build, loaded by index.html).

import { Marked } from '../_static/marked/lib/marked.esm.js';
import DOMPurify from '../_static/dompurify/dist/purify.es.mjs';

// A second sanitiser without the hook below, for highlight.js's <span class="hljs-..."> markup.
const spansOnly = DOMPurify(window);
const parser = new Marked({ gfm: true, breaks: true, async: false });
// HTML that a model writes is shown as the characters it is, never parsed as markup (and DOMPurify
// below would remove it anyway).
const escapeHtml = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
parser.use({ renderer: { html: (token) => escapeHtml(token.text ?? token.raw ?? '') } });

const PURIFY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'img', 'svg', 'math', 'iframe', 'object', 'embed'],
  FORBID_ATTR: ['style', 'id', 'srcset'],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  RETURN_DOM_FRAGMENT: true,
};

// Links open elsewhere and never send the page's address; the only class kept is a code block's language.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.hasAttribute?.('class')) {
    const lang = node.tagName === 'CODE' ? [...node.classList].find((c) => /^language-[\w+#-]+$/.test(c)) : null;
    if (lang) node.setAttribute('class', lang);
    else node.removeAttribute('class');
  }
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('rel', 'noopener noreferrer nofollow');
    node.setAttribute('target', '_blank');
  }
});

/** Sanitised DOM for a Markdown text (a DocumentFragment). */
export function renderMarkdown(text) {
  return DOMPurify.sanitize(parser.parse(text), PURIFY);
}

/** Highlights the fenced code in {@code root} and gives each block a copy button. */
export function decorateCode(root) {
  for (const pre of root.querySelectorAll('pre')) {
    const code = pre.querySelector('code');
    if (!code) continue;
    const lang = [...code.classList].find((c) => c.startsWith('language-'))?.slice('language-'.length);
    const hljs = window.hljs;
    if (hljs) {
      try {
        const html = lang && hljs.getLanguage(lang)
          ? hljs.highlight(code.textContent, { language: lang, ignoreIllegals: true }).value
          : hljs.highlightAuto(code.textContent).value;
        // highlight.js escapes the code and adds only <span class="hljs-..."> around it; sanitised all the same.
        code.replaceChildren(spansOnly.sanitize(html, { ALLOWED_TAGS: ['span'], ALLOWED_ATTR: ['class'], RETURN_DOM_FRAGMENT: true }));
        code.classList.add('hljs');
      } catch {
        // Unknown language or a highlighter error: the code stays plain text.
      }
    }
    const wrap = document.createElement('div');
    wrap.className = 'code-block';
    const bar = document.createElement('div');
    bar.className = 'code-bar';
    const label = document.createElement('span');
    label.className = 'code-lang';
    label.textContent = lang ?? 'code';
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'copy-code';
    copy.textContent = 'Copy';
    copy.setAttribute('aria-label', `Copy ${lang ?? ''} code`.replace('  ', ' '));
    const source = code.textContent;
    copy.addEventListener('click', () => copyText(source, copy));
    bar.append(label, copy);
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }
}

/** Copies text to the clipboard and says so on {@code button} for a moment. */
export async function copyText(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    // No clipboard permission (e.g. plain http on another host): select-and-copy fallback.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.append(area);
    area.select();
    ok = document.execCommand('copy');
    area.remove();
  }
  if (button) {
    const before = button.textContent;
    button.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => { button.textContent = before; }, 1200);
  }
  return ok;
}
