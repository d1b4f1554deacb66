import type * as vscode from 'vscode';
import type { Logger } from '../stream/logger';

/** Adapts a LogOutputChannel to the core's Logger (the core never sees VS Code). */
export function channelLogger(ch: vscode.LogOutputChannel): Logger {
  return {
    debug: (m) => ch.debug(m),
    info: (m) => ch.info(m),
    warn: (m) => ch.warn(m),
    error: (m) => ch.error(m),
  };
}
