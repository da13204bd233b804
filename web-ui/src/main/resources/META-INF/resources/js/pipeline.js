// The pipeline view of one generation step (POST /api/pipeline): the prompt's token ids, the model's
// logits, what each sampler of the chain left with its probabilities, and the seeded draw. The seed
// can be changed to draw again from the same distribution.

import { ApiError, loadPipeline } from './api.js';
import { el } from './conversation.js';
import { percent, visible } from './inspector.js';
import { errorInWords } from './words.js';

const $ = (id) => document.getElementById(id);

export class PipelineView {
  constructor(dialog, apiKey) {
    this.dialog = dialog;
    this.apiKey = apiKey;
    this.request = null;
    $('pipeline-close').addEventListener('click', () => dialog.close());
    $('pipeline-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#run();
    });
    $('pipeline-new-seed').addEventListener('click', () => {
      $('pipeline-seed').value = String(Math.floor(Math.random() * 2 ** 31));
      this.#run();
    });
    dialog.addEventListener('close', () => this.returnFocus?.focus?.());
  }

  /** Opens the view for {@code request} (an /api/pipeline body without top), described by {@code title}. */
  open(request, title) {
    this.returnFocus = document.activeElement;
    this.request = request;
    $('pipeline-step').textContent = title;
    $('pipeline-seed').value = request.seed != null ? String(request.seed) : '';
    if (!this.dialog.open) this.dialog.showModal();
    $('pipeline-seed').focus();
    return this.#run();
  }

  async #run() {
    const seedText = $('pipeline-seed').value.trim();
    const body = { ...this.request, top: Number($('pipeline-top').value) };
    delete body.seed;
    if (/^-?\d+$/.test(seedText) && Number.isSafeInteger(Number(seedText))) body.seed = Number(seedText);
    const out = $('pipeline-body');
    out.setAttribute('aria-busy', 'true');
    $('pipeline-status').textContent = 'Running one step…';
    try {
      const r = await loadPipeline(this.apiKey(), body);
      $('pipeline-seed').value = String(r.seed);
      this.#show(r);
      $('pipeline-status').textContent = `Drew “${visible(r.draw.text)}” (id ${r.draw.token_id}) with probability ${percent(r.draw.probability)}, seed ${r.seed}.`;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      out.replaceChildren(el('p', 'notice', errorInWords(e)));
      $('pipeline-status').textContent = 'The step could not be run.';
    } finally {
      out.setAttribute('aria-busy', 'false');
    }
  }

  #show(r) {
    const prompt = el('section', 'pipe-prompt');
    prompt.setAttribute('aria-labelledby', 'pipe-prompt-title');
    const h = el('h3', null, `Prompt: ${r.prompt.count} tokens`);
    h.id = 'pipe-prompt-title';
    if (r.prompt.cropped) h.textContent += ` (the first ${r.prompt.cropped} did not fit the context)`;
    const chips = el('ol', 'chips');
    for (const t of r.prompt.tokens) {
      const li = el('li', 'chip');
      li.append(el('span', 'chip-text', visible(t.text)), el('span', 'chip-id', String(t.token_id)));
      chips.append(li);
    }
    prompt.append(h, chips);

    const stages = el('div', 'pipe-stages');
    r.stages.forEach((s, i) => {
      const sec = el('section', 'pipe-stage');
      const title = el('h3', null, i === 0 ? `${r.model}: logits` : s.sampler);
      title.id = `pipe-stage-${i}`;
      sec.setAttribute('aria-labelledby', title.id);
      const what = i === 0 ? `${s.candidates.toLocaleString('en')} tokens, softmax of the logits`
        : `${s.candidates.toLocaleString('en')} candidate${s.candidates === 1 ? '' : 's'} left`;
      const list = el('ol', 'pipe-list');
      for (const c of s.top) {
        const li = el('li');
        li.dataset.p = String(c.probability);
        if (i === r.stages.length - 1 && c.token_id === r.draw.token_id) li.className = 'drawn';
        const bar = el('span', 'bar');
        bar.style.setProperty('--w', `${Math.max(0.5, c.probability * 100).toFixed(1)}%`);
        li.append(el('span', 'cand', visible(c.text)), bar, el('span', 'pct', percent(c.probability)),
          el('span', 'logit', c.logit == null ? '−∞' : c.logit.toFixed(2)));
        li.title = `id ${c.token_id}`;
        if (li.className === 'drawn') li.append(el('span', 'mark', 'drawn'));
        list.append(li);
      }
      sec.append(title, el('p', 'hint', what), list);
      stages.append(sec);
    });
    const params = Object.entries(r.parameters).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
    $('pipeline-body').replaceChildren(prompt, el('p', 'hint pipe-params', `Chain ${r.chain.join(' → ')}; ${params}`), stages);
  }
}
