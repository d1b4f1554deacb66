// Types for the parts of provision.mjs the unit tests use.
export const NODE_VERSION: string;
export const CODE_SERVER_VERSION: string;
export function npmEnvFor(base: Record<string, string | undefined>, opts?: { nodeBinDir?: string; nodedir?: string }): Record<string, string>;
