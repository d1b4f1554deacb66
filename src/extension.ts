import * as vscode from 'vscode';

// Placeholder wiring; the real service lands with the extension issue.
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('liveStream.showLog', () => undefined));
}

export function deactivate(): void { /* nothing yet */ }
