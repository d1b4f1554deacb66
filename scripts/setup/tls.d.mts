export function makeLoopbackCert(dir?: string): { dir: string; keyPath: string; certPath: string; key: string; cert: string };
