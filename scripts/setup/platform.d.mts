// Types for platform.mjs, so the TypeScript unit tests can import it.
export interface Need { why: string; packages: string[] }
export const NEEDS: Record<'browser' | 'tls' | 'nativeBuild', Need>;
export type BrowserChoice = { executablePath?: string; channel?: string; label: string } | { missing: string };
export function selectBrowser(probe: { platform: string; env: Record<string, string | undefined>; exists: (p: string) => boolean }): BrowserChoice;
export function selectIntegrationRunner(probe: { platform: string; env: Record<string, string | undefined> }): 'electron' | 'code-server';
export function osFamily(osRelease: string): string;
export interface SystemProbe { platform: string; osRelease: string; isRoot: boolean; hasApt: boolean; installed: (pkg: string) => boolean; browserFound: boolean }
export type SystemPlan = { action: 'ok' } | { action: 'install'; packages: string[]; reasons: string[]; command: string[] } | { action: 'fail'; message: string };
export function planSystemSetup(purposes: string[], probe: SystemProbe): SystemPlan;
export function cleanNpmEnv(env: Record<string, string | undefined>): Record<string, string>;
