/**
 * Tracking rules in the panel (issue 13): the Rules column, the data behind
 * the "Violations" chip (`is:violation`, `rule:<id>/<kind>`) and the detail
 * pane's list of rules passed and failed.
 *
 * The webview does not check rules itself: the host checks every hit as it
 * arrives (src/host/rulesDiagnostics.ts, the one place that sees every hit
 * and owns the Problems panel) and each hit carries its results
 * (`Hit.rules`). Filtering on them runs here, in the filter, like any term.
 */
import type { HitRuleResult, RuleFailure } from '../analytics/rules/checker';
import { KIND_LABEL } from '../analytics/rules/checker';
import type { Hit } from '../shared/model';
import { h } from './dom';
import { revealInvisible } from './format';

/** Results by hit data object: the filter tests data, not hits. Weak, so rows dropped are forgotten. */
const byData = new WeakMap<object, HitRuleResult>();

/** Records the results of arriving hits (snapshot or batch). */
export function noteRules(hits: readonly Hit[]): void {
  for (const hit of hits) if (hit.rules) byData.set(hit.data, hit.rules);
}

/** For `compileFilter`'s `ruleFailures`: what `is:violation` and `rule:` read. */
export function ruleFailuresOf(data: Record<string, unknown>): readonly RuleFailure[] | undefined {
  return byData.get(data)?.failed;
}

const SEVERITY_RANK = { error: 3, warning: 2, info: 1 } as const;

function worst(failed: readonly RuleFailure[]): RuleFailure['severity'] {
  let best: RuleFailure['severity'] = 'info';
  for (const f of failed) if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[best]) best = f.severity;
  return best;
}

function failureLine(f: RuleFailure): string {
  const what = f.kind === 'expect' ? 'failed' : (KIND_LABEL[f.kind] ?? f.kind).toLowerCase();
  return `${f.rule}: ${what}${f.field ? ` · ${f.field} = ${f.value}` : f.value ? ` · ${f.value}` : ''}`;
}

/** The Rules cell of a row: "✗ 2" (worst severity as its class), "✓ 4", "⏳" while an expected hit is awaited, '' without rules. */
export function rulesCell(hit: Hit): { text: string; title: string; cls?: string } {
  const r = hit.rules;
  if (!r) return { text: '', title: 'No tracking rules were checked for this hit' };
  if (r.failed.length) {
    const title = revealInvisible(r.failed.slice(0, 10).map(failureLine).join('\n') + (r.failed.length > 10 ? `\n… ${r.failed.length - 10} more` : '')).slice(0, 2000);
    return { text: `✗ ${r.failed.length}`, title, cls: `rules-${worst(r.failed)}` };
  }
  if (r.waiting.length) return { text: `⏳ ${r.passed.length}`, title: `Passed ${r.passed.length} rules; awaiting a hit for ${r.waiting.join(', ')}`, cls: 'rules-waiting' };
  return { text: `✓ ${r.passed.length}`, title: `Passed ${r.passed.length} rule${r.passed.length === 1 ? '' : 's'}: ${r.passed.join(', ')}`, cls: 'rules-pass' };
}

/** The detail pane's "Tracking rules" group: each failed rule with the exact field and value, then awaited and passed ones. */
export function rulesSection(hit: Hit): HTMLElement | undefined {
  const r = hit.rules;
  if (!r) return undefined;
  const items: HTMLElement[] = [];
  for (const f of r.failed) {
    items.push(h('li', { class: `rule-item rule-failed rules-${f.severity}`, 'data-rule': f.rule, 'data-kind': f.kind },
      h('span', { class: 'rule-mark', text: '✗', 'aria-label': `failed (${f.severity})` }),
      h('span', { class: 'rule-id', text: revealInvisible(f.rule) }),
      h('span', { class: 'rule-kind muted', text: KIND_LABEL[f.kind] ?? f.kind }),
      h('span', { class: 'rule-why', text: revealInvisible(f.field ? `${f.field} = ${f.value}` : f.value) }),
      h('span', { class: 'rule-message muted', text: revealInvisible(f.message) })));
  }
  for (const id of r.waiting) {
    items.push(h('li', { class: 'rule-item rule-waiting', 'data-rule': id },
      h('span', { class: 'rule-mark', text: '⏳', 'aria-label': 'awaiting' }), h('span', { class: 'rule-id', text: revealInvisible(id) }),
      h('span', { class: 'rule-kind muted', text: 'awaiting the expected hit of this visitor' })));
  }
  for (const id of r.passed) {
    items.push(h('li', { class: 'rule-item rule-passed', 'data-rule': id },
      h('span', { class: 'rule-mark', text: '✓', 'aria-label': 'passed' }), h('span', { class: 'rule-id', text: revealInvisible(id) })));
  }
  const count = `${r.failed.length} failed · ${r.passed.length} passed`;
  return h('details', { class: 'group rules-group', open: true, 'data-group': 'rules' },
    h('summary', {}, h('span', { class: 'group-title', text: 'Tracking rules' }), h('span', { class: 'muted count', text: ` ${count}` })),
    items.length ? h('ul', { class: 'rule-list' }, ...items) : h('p', { class: 'muted', text: 'No rule applies to this hit.' }));
}
