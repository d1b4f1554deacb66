/**
 * Disposal without VS Code (vscode-hexeditor's `src/dispose.ts` is the model):
 * the session and the host layer both use it, and `vscode.Disposable` fits
 * `IDisposable` structurally, so host code registers VS Code objects directly.
 */

/** Anything that can be let go of: `vscode.Disposable`, a timer, a listener. */
export interface IDisposable {
  dispose(): unknown;
}

/** Wraps a function (a listener remover, a clearInterval) as a disposable that runs it once. */
export function toDisposable(fn: () => unknown): IDisposable {
  let done = false;
  return { dispose: () => { if (!done) { done = true; fn(); } } };
}

/** Disposes each in order and empties the list, so a second call does nothing. */
export function disposeAll(list: IDisposable[]): void {
  for (const d of list.splice(0)) d.dispose();
}

/**
 * Base for things that own disposables for their whole lifetime: `register()`
 * them, and `dispose()` lets go of all of them once. Registering after
 * disposal disposes at once, so nothing outlives its owner.
 */
export abstract class Disposable implements IDisposable {
  private disposedFlag = false;
  private readonly owned: IDisposable[] = [];

  /** True once dispose() has run. */
  protected get isDisposed(): boolean { return this.disposedFlag; }

  protected register<T extends IDisposable>(d: T): T {
    if (this.disposedFlag) d.dispose();
    else this.owned.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    disposeAll(this.owned);
  }
}
