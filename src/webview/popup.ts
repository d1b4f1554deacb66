import { h } from './dom';

export interface MenuItem { label: string; checked?: boolean; onSelect(): void }

/**
 * A small dropdown menu (role=menu) under a button: arrow keys move, Enter or
 * Space picks, Escape or a click elsewhere closes. Plain DOM: see README for
 * why not @vscode-elements.
 */
export function openMenu(anchor: HTMLElement, items: MenuItem[], label: string): void {
  document.querySelector('.menu')?.remove();
  const menu = h('div', { class: 'menu', role: 'menu', 'aria-label': label });
  const els = items.map((it) => {
    const role = it.checked === undefined ? 'menuitem' : 'menuitemcheckbox';
    const el = h('div', { class: 'menu-item', role, tabindex: -1, 'aria-checked': it.checked === undefined ? undefined : String(it.checked) },
      h('span', { class: `codicon ${it.checked ? 'codicon-check' : 'codicon-blank'}`, 'aria-hidden': 'true' }), h('span', { text: it.label }));
    el.addEventListener('click', (e) => { e.stopPropagation(); close(); it.onSelect(); });
    return el;
  });
  menu.append(...els);
  const r = anchor.getBoundingClientRect();
  menu.style.left = `${Math.max(0, Math.min(r.left, window.innerWidth - 220))}px`;
  menu.style.top = `${r.bottom + 2}px`;
  document.body.append(menu);
  anchor.setAttribute('aria-expanded', 'true');
  let i = 0;
  els[0]?.focus();
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); anchor.focus(); }
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      i = (i + (e.key === 'ArrowDown' ? 1 : els.length - 1)) % els.length;
      els[i]!.focus();
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      (document.activeElement as HTMLElement | null)?.click();
    } else if (e.key === 'Tab') close();
  };
  const onDown = (e: MouseEvent) => { if (!menu.contains(e.target as Node)) close(); };
  menu.addEventListener('keydown', onKey);
  setTimeout(() => document.addEventListener('mousedown', onDown), 0);
  function close(): void {
    menu.remove();
    anchor.setAttribute('aria-expanded', 'false');
    document.removeEventListener('mousedown', onDown);
  }
}
