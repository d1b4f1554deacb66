/**
 * Tiny DOM builder. Text only ever enters the DOM through `textContent` (here
 * and in `setText`), so hit data can never become markup. There is deliberately
 * no way to pass HTML.
 */
type Attrs = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** A codicon (from the copied codicon.css) — decorative, hidden from screen readers. */
export function icon(name: string): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

/** A button with an icon and/or label; `title` doubles as the accessible name for icon-only buttons. */
export function button(opts: { label?: string; icon?: string; title?: string; class?: string; onClick: (ev: MouseEvent) => void }): HTMLButtonElement {
  const b = h('button', { type: 'button', class: opts.class ?? 'btn', title: opts.title, 'aria-label': opts.label ? undefined : opts.title });
  if (opts.icon) b.append(icon(opts.icon));
  if (opts.label) b.append(h('span', { text: opts.label }));
  b.addEventListener('click', opts.onClick);
  return b;
}

/** Sets text only when it changed: row recycling calls this thousands of times per second. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function clear(el: Element): void {
  el.replaceChildren();
}
