/**
 * The events of a hit (`events.<name>`, top level and per product): display
 * order and totals. Adobe's named commerce events are listed here once.
 */
import { addDec, decText, eventTotal, parseDec, type Dec } from './decimals';
import { isRecord, nonEmpty, own, type Rec } from './recordAccess';

/** Adobe's named commerce events, in Adobe's spelling and funnel order. */
export const COMMERCE_EVENTS = ['purchase', 'scAdd', 'scView', 'prodView', 'scCheckout', 'scRemove', 'scOpen'] as const;
const COMMERCE_ORDER: readonly string[] = COMMERCE_EVENTS.map((e) => e.toLowerCase());

/** Adobe's spelling of a named commerce event by its lower-cased name ('scadd' → 'scAdd'). */
export const COMMERCE_BY_LOWER: ReadonlyMap<string, string> = new Map(COMMERCE_EVENTS.map((e) => [e.toLowerCase(), e]));

/** Sort key: commerce events in funnel order, then eventN numerically, then others by name. */
function eventOrder(a: string, b: string): number {
  const rank = (k: string): [number, number, string] => {
    const l = k.toLowerCase();
    const c = COMMERCE_ORDER.indexOf(l);
    if (c >= 0) return [0, c, l];
    const m = /^event(\d{1,9})$/.exec(l);
    if (m) return [1, Number(m[1]), l];
    return [2, 0, l];
  };
  const [a0, a1, a2] = rank(a), [b0, b1, b2] = rank(b);
  return a0 - b0 || a1 - b1 || (a2 < b2 ? -1 : a2 > b2 ? 1 : 0);
}

/** Events of one events object (top-level or product) in display order, with their totals. */
export function eventsOf(events: unknown, max: number): { name: string; value: string; entries: number; unique: string }[] {
  if (!isRecord(events)) return [];
  const names = Object.keys(events);
  names.sort(eventOrder);
  const out = [];
  for (const name of names) {
    if (out.length >= max) break;
    const t = eventTotal(events[name]);
    if (t.entries > 0 || nonEmpty(events[name])) out.push({ name, ...t });
  }
  return out;
}

/**
 * "purchase, event1=3, event61": top-level events then product-level ones not
 * already listed (summed over products); a value of 1 is implied.
 */
export function eventsText(data: Rec, maxNames = 10_000): string {
  const values = new Map<string, string>();
  for (const e of eventsOf(own(data, 'events'), maxNames)) values.set(e.name, e.value);
  const products = own(data, 'products');
  if (Array.isArray(products)) {
    const fromProducts = new Map<string, Dec | null>();
    for (const p of products.slice(0, 1000)) {
      if (!isRecord(p)) continue;
      const ev = own(p, 'events');
      if (!isRecord(ev)) continue;
      for (const name of Object.keys(ev)) {
        if (values.has(name)) continue;
        // null: present in some product but without a usable value.
        const d = parseDec(eventTotal(ev[name]).value);
        const prev = fromProducts.get(name);
        if (d) fromProducts.set(name, prev ? addDec(prev, d) : d);
        else if (prev === undefined) fromProducts.set(name, null);
      }
    }
    const names = [...fromProducts.keys()].sort(eventOrder);
    for (const name of names) {
      const d = fromProducts.get(name);
      values.set(name, d ? decText(d) : '');
    }
  }
  const names = [...values.keys()].sort(eventOrder);
  const parts: string[] = [];
  for (const name of names) {
    if (parts.length >= maxNames) { parts.push(`… +${names.length - maxNames}`); break; }
    const v = values.get(name) ?? '';
    parts.push(v === '' || v === '1' ? name : `${name}=${v}`);
  }
  return parts.join(', ');
}
