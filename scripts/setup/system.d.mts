// Types for system.mjs (used by the TypeScript webview test harness).
export class SystemSetupError extends Error {}
export function findBrowser(env?: Record<string, string | undefined>): import('./platform.mjs').BrowserChoice;
export function ensureSystem(purposes: string[]): void;
export function browserLaunchOptions(): { executablePath?: string; channel?: string };
