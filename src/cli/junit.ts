/**
 * JUnit XML for `check`: one test case per rule (built-ins too), a failure for
 * each rule that fails the check (error severity violated, or an expected hit
 * that never arrived), the other violations' counts in `system-out`. Every text comes from hits or a workspace file, so it
 * is escaped, and characters XML 1.0 cannot hold at all are written as
 * visible `\uXXXX` escapes instead of making the file unreadable.
 */
import type { RuleTally } from '../analytics/rules/checker';
import { describeTally } from '../analytics/rules/checker';
import type { Severity } from '../analytics/rules/ruleFile';

/** Escapes text for an XML attribute or element; replaces characters XML 1.0 forbids. */
export function xmlText(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { out += s[i]! + s[i + 1]!; i++; continue; }
    const ch = s[i]!;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (c === 0x9) out += '&#9;';
    else if (c === 0xa) out += '&#10;';
    else if (c === 0xd) out += '&#13;';
    else if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

export interface JunitRule { id: string; severity: Severity; message: string; withinMs?: number }

export interface JunitInput {
  rulesFile: string;
  rules: JunitRule[];
  /** Rules reported as failures (error-severity rules violated, any rule whose expected hit never arrived); the others' violations go to system-out. */
  failing: ReadonlySet<string>;
  tallies: RuleTally[];
  hitsChecked: number;
  seconds: number;
  timestamp: Date;
}

export function junitXml(r: JunitInput): string {
  const byRule = new Map<string, RuleTally[]>();
  for (const t of r.tallies) {
    const list = byRule.get(t.rule) ?? [];
    list.push(t);
    byRule.set(t.rule, list);
  }
  const failed = r.rules.filter((x) => r.failing.has(x.id)).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="livestream-rules" tests="${r.rules.length}" failures="${failed}" errors="0" time="${r.seconds.toFixed(3)}">`,
    `  <testsuite name="${xmlText(r.rulesFile)}" tests="${r.rules.length}" failures="${failed}" errors="0" skipped="0" time="${r.seconds.toFixed(3)}" timestamp="${r.timestamp.toISOString().replace(/\.\d+Z$/, '')}">`,
    '    <properties>',
    `      <property name="hitsChecked" value="${r.hitsChecked}"/>`,
    '    </properties>',
  ];
  for (const rule of r.rules) {
    const tallies = byRule.get(rule.id) ?? [];
    const head = `    <testcase classname="livestream-rules.${rule.severity}" name="${xmlText(rule.id)}" time="0"`;
    if (tallies.length === 0) { lines.push(`${head}/>`); continue; }
    const detail = tallies.map((t) => `${t.kind}: ${describeTally(t, rule.withinMs)}`).join('\n');
    const count = tallies.reduce((n, t) => n + t.count, 0);
    lines.push(`${head}>`);
    if (r.failing.has(rule.id)) {
      lines.push(`      <failure message="${xmlText(`${count} violation${count === 1 ? '' : 's'}: ${rule.message}`)}" type="${xmlText(tallies.map((t) => t.kind).join(','))}">${xmlText(detail)}</failure>`);
    } else {
      lines.push(`      <system-out>${xmlText(`${rule.severity}: ${detail}`)}</system-out>`);
    }
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
