// The token inspector: for one token of a reply, the best candidates at that step with their
// probabilities (the server's logprobs, taken after the sampler chain), which one was drawn, and the
// chain that made the distribution. Hover or focus shows it; a click, Enter or Space pins it (focus
// moves in, Escape closes and gives the focus back to the token).

import { el } from './conversation.js';

export function visible(text) {
  return text.replace(/ /g, '␠').replace(/\n/g, '↵').replace(/\t/g, '⇥') || '∅';
}

export function percent(p) {
  if (p >= 0.995) return `${(p * 100).toFixed(1)}%`;
  if (p >= 0.001) return `${(p * 100).toFixed(2)}%`;
  return p > 0 ? `${(p * 100).toExponential(1)}%` : '0%';
}

export class Inspector {
  constructor(popover, { openPipeline }) {
    this.popover = popover;
    this.openPipeline = openPipeline;
    this.anchor = null;
    this.pinned = false;
    popover.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        this.close(true);
      }
    });
    document.addEventListener('mouseover', (e) => {
      if (this.pinned || !this.anchor) return;
      if (!e.target.closest?.('.tok') && !popover.contains(e.target)) this.close(false);
    });
    document.addEventListener('focusin', (e) => {
      if (!this.anchor || popover.contains(e.target) || e.target.closest?.('.tok')) return;
      this.close(false);
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.anchor && !this.pinned) this.close(false);
    });
  }

  /** Shows token {@code index} of {@code reply} next to {@code anchor}; {@code pin} moves the focus in. */
  show(reply, index, anchor, pin) {
    const step = reply.data.steps[index];
    if (!step) return;
    if (this.anchor && this.anchor !== anchor) this.anchor.removeAttribute('aria-describedby');
    this.anchor = anchor;
    this.pinned = pin;
    anchor.setAttribute('aria-describedby', this.popover.id);
    this.popover.replaceChildren(...this.#content(reply, index, step));
    this.popover.hidden = false;
    this.#place(anchor);
    if (pin) this.popover.querySelector('button')?.focus();
  }

  close(returnFocus) {
    const anchor = this.anchor;
    this.popover.hidden = true;
    this.anchor = null;
    this.pinned = false;
    if (anchor) {
      anchor.removeAttribute('aria-describedby');
      if (returnFocus) anchor.focus();
    }
  }

  #content(reply, index, step) {
    const out = [];
    const head = el('div', 'insp-head');
    head.append(el('strong', 'insp-token', visible(step.text)), el('span', 'insp-id', ` token ${index + 1} · id ${step.id}`));
    out.push(head);
    const p = step.logprob != null ? Math.exp(step.logprob) : null;
    if (step.top == null || step.top.length === 0) {
      out.push(el('p', 'insp-none', 'No candidates were recorded for this token: the server did not send logprobs for this reply.'));
    } else {
      const table = el('table', 'insp-table');
      const caption = el('caption', null, 'Candidates at this step (probabilities after the sampler chain)');
      const headRow = el('tr');
      for (const h of ['#', 'token', 'probability', '']) headRow.append(el('th', null, h));
      headRow.lastChild.append(el('span', 'visually-hidden', 'drawn'));
      const thead = el('thead');
      thead.append(headRow);
      const tbody = el('tbody');
      let drawnShown = false;
      step.top.forEach((c, i) => {
        const row = el('tr');
        const prob = Math.exp(c.logprob);
        const drawn = c.id === step.id;
        drawnShown ||= drawn;
        if (drawn) row.className = 'drawn';
        row.dataset.p = String(prob);
        const bar = el('span', 'bar');
        bar.style.setProperty('--w', `${Math.max(0.5, prob * 100).toFixed(1)}%`);
        const probCell = el('td', 'prob');
        probCell.append(bar, el('span', 'pct', percent(prob)));
        row.append(el('td', 'rank', String(i + 1)), el('td', 'cand', visible(c.text)), probCell, el('td', 'mark', drawn ? 'drawn' : ''));
        row.title = `id ${c.id}, logprob ${c.logprob.toFixed(4)}`;
        tbody.append(row);
      });
      table.append(caption, thead, tbody);
      out.push(table);
      const sum = step.top.reduce((a, c) => a + Math.exp(c.logprob), 0);
      const facts = [`these ${step.top.length} hold ${percent(sum)}`];
      if (!drawnShown && p != null) facts.push(`the drawn token (${visible(step.text)}) had ${percent(p)}, below them`);
      out.push(el('p', 'insp-sum', facts.join('; ')));
    }
    const chain = reply.data.chain;
    out.push(el('p', 'insp-chain', `Sampler chain: ${chain?.length ? chain.join(' → ') : 'the server\'s'}`));
    const buttons = el('div', 'insp-buttons');
    const pipeline = el('button', 'act', 'Open this step in the pipeline');
    pipeline.type = 'button';
    pipeline.addEventListener('click', () => {
      this.close(false);
      this.openPipeline(reply.index, index);
    });
    const close = el('button', 'act', 'Close');
    close.type = 'button';
    close.addEventListener('click', () => this.close(true));
    buttons.append(pipeline, close);
    out.push(buttons);
    return out;
  }

  #place(anchor) {
    const r = anchor.getBoundingClientRect();
    const pop = this.popover;
    const width = Math.min(360, window.innerWidth - 16);
    let left = Math.min(Math.max(8, r.left), window.innerWidth - width - 8);
    let top = r.bottom + 6;
    pop.style.width = `${width}px`;
    pop.style.left = `${left}px`;
    pop.style.top = `${top}px`;
    const h = pop.getBoundingClientRect().height;
    if (top + h > window.innerHeight - 8 && r.top - h - 6 > 8) top = r.top - h - 6;
    pop.style.top = `${Math.max(8, top)}px`;
  }
}
