import * as vscode from 'vscode';
import type { Credentials } from '../session/streamService';
import { IMS_DEFAULTS } from '../session/settings';

const TOKEN_KEY = 'liveStream.accessToken';
const SECRET_KEY = 'liveStream.clientSecret';
const RELAY_PASSWORD_KEY = 'liveStream.relay.password';

/**
 * Credentials live in VS Code's SecretStorage (the OS keychain), never in
 * settings: only the non-secret client id and scopes are settings.
 */
export class CredentialStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  private config(): vscode.WorkspaceConfiguration { return vscode.workspace.getConfiguration('liveStream'); }

  async get(): Promise<Credentials | undefined> {
    const method = this.config().get<string>('auth.method', 'accessToken');
    if (method === 'clientCredentials') {
      const clientId = this.config().get<string>('auth.clientId', '').trim();
      const clientSecret = await this.secrets.get(SECRET_KEY);
      return clientId && clientSecret ? { kind: 'clientCredentials', clientId, clientSecret } : undefined;
    }
    const token = await this.secrets.get(TOKEN_KEY);
    return token ? { kind: 'accessToken', token } : undefined;
  }

  async has(): Promise<boolean> {
    return !!(await this.secrets.get(TOKEN_KEY)) || !!(await this.secrets.get(SECRET_KEY));
  }

  async clear(): Promise<void> {
    await this.secrets.delete(TOKEN_KEY);
    await this.secrets.delete(SECRET_KEY);
    await this.secrets.delete(RELAY_PASSWORD_KEY);
  }

  /** Stores a pasted access token (tests and the guided flow use this). */
  async setAccessToken(token: string): Promise<void> {
    await this.secrets.store(TOKEN_KEY, token.trim());
    await this.config().update('auth.method', 'accessToken', vscode.ConfigurationTarget.Global);
  }

  async setClientCredentials(clientId: string, clientSecret: string, scopes: string): Promise<void> {
    await this.secrets.store(SECRET_KEY, clientSecret.trim());
    const c = this.config();
    await c.update('auth.method', 'clientCredentials', vscode.ConfigurationTarget.Global);
    await c.update('auth.clientId', clientId.trim(), vscode.ConfigurationTarget.Global);
    if (scopes.trim() && scopes.trim() !== IMS_DEFAULTS.scopes) await c.update('auth.scopes', scopes.trim(), vscode.ConfigurationTarget.Global);
  }

  /** The team relay's Redis password (liveStream.source: relay). */
  relayPassword(): Thenable<string | undefined> { return this.secrets.get(RELAY_PASSWORD_KEY); }

  /** Asks for the team relay's Redis password; an empty answer removes it. Returns false when cancelled. */
  async setRelayPasswordInteractively(): Promise<boolean> {
    const pw = await vscode.window.showInputBox({
      title: 'Live Stream: Team Relay (Redis) Password',
      prompt: 'The password (or ACL user\'s password) of the relay\'s Redis; stored in VS Code secret storage, never in settings. Leave empty to remove it.',
      password: true, ignoreFocusOut: true,
    });
    if (pw === undefined) return false;
    await this.setRelayPassword(pw);
    return true;
  }

  async setRelayPassword(pw: string): Promise<void> {
    if (pw) await this.secrets.store(RELAY_PASSWORD_KEY, pw); else await this.secrets.delete(RELAY_PASSWORD_KEY);
  }

  /** The guided quick input. Returns false when the user cancelled. */
  async setInteractively(): Promise<boolean> {
    const pick = await vscode.window.showQuickPick([
      { label: '$(key) Access token', description: 'paste a token from the Adobe Developer Console', value: 'accessToken' as const },
      { label: '$(server) Client credentials', description: 'OAuth server-to-server: client id + client secret', value: 'clientCredentials' as const },
    ], { title: 'Live Stream: Set Credentials (1/2)', placeHolder: 'How do you authenticate to Live Stream?', ignoreFocusOut: true });
    if (!pick) return false;
    if (pick.value === 'accessToken') {
      const token = await vscode.window.showInputBox({
        title: 'Live Stream: Set Credentials (2/2)', prompt: 'Access token (stored in VS Code secret storage, never in settings)',
        password: true, ignoreFocusOut: true,
        validateInput: (v) => (v.trim().length < 8 ? 'That is too short to be an access token.' : /\s/.test(v.trim()) ? 'An access token has no spaces.' : undefined),
      });
      if (!token) return false;
      await this.setAccessToken(token.replace(/^Bearer\s+/i, ''));
      return true;
    }
    const clientId = await vscode.window.showInputBox({
      title: 'Live Stream: Set Credentials (2/4)', prompt: 'Client id (API key): not a secret, saved in settings',
      value: this.config().get<string>('auth.clientId', ''), ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'The client id is required.'),
    });
    if (!clientId) return false;
    const secret = await vscode.window.showInputBox({
      title: 'Live Stream: Set Credentials (3/4)', prompt: 'Client secret (stored in VS Code secret storage, never in settings)',
      password: true, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'The client secret is required.'),
    });
    if (!secret) return false;
    const scopes = await vscode.window.showInputBox({
      title: 'Live Stream: Set Credentials (4/4)', prompt: 'OAuth scopes, comma-separated', value: this.config().get<string>('auth.scopes', IMS_DEFAULTS.scopes), ignoreFocusOut: true,
    });
    if (scopes === undefined) return false;
    await this.setClientCredentials(clientId, secret, scopes);
    return true;
  }
}
