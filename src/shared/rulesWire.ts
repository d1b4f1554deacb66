/**
 * The tracking-rule results that travel with each hit to the webview
 * (issue 13), and their validator. Kept apart from protocol.ts so the
 * protocol module only wires it in.
 */
import { hasOwn, isRecord } from '../analytics/recordAccess';
import type { HitRuleResult, RuleFailure } from '../analytics/rules/checker';

/** Bounds of what a hit may carry (the checker stays far below them). */
export const RULES_WIRE_LIMITS = { failures: 50, passed: 500, text: 1000 } as const;

const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= RULES_WIRE_LIMITS.text;

function isFailure(v: unknown): v is RuleFailure {
  return isRecord(v) && isText(v.rule) && isText(v.kind) && (v.severity === 'error' || v.severity === 'warning' || v.severity === 'info')
    && isText(v.field) && isText(v.value) && isText(v.message);
}

const isTextList = (v: unknown, max: number): v is string[] => Array.isArray(v) && v.length <= max && v.every(isText);

/** Strict shape check of a hit's `rules`. */
export function isHitRuleResult(v: unknown): v is HitRuleResult {
  return isRecord(v) && hasOwn.call(v, 'failed') && Array.isArray(v.failed) && v.failed.length <= RULES_WIRE_LIMITS.failures && v.failed.every(isFailure)
    && isTextList(v.passed, RULES_WIRE_LIMITS.passed) && isTextList(v.waiting, RULES_WIRE_LIMITS.passed);
}

/** A copy for the wire (the host's object keeps changing: a trigger that expires gains a 'missing' failure). */
export function wireRules(r: HitRuleResult): HitRuleResult {
  return { failed: r.failed.slice(0, RULES_WIRE_LIMITS.failures), passed: r.passed.slice(0, RULES_WIRE_LIMITS.passed), waiting: r.waiting.slice(0, RULES_WIRE_LIMITS.passed) };
}
