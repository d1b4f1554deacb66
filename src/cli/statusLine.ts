import { escapeControls } from '../shared/escapeControls';

/**
 * A one-line status at the bottom of a terminal, redrawn every second. Only
 * used when stderr is a TTY, never when piped.
 */
export class StatusLine {
  private shown = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly tty: NodeJS.WriteStream, private readonly render: () => string) {
    this.timer = setInterval(() => this.redraw(), 1000);
    this.timer.unref();
    this.redraw();
  }

  clear(): void {
    if (this.shown) { this.tty.write('\r\x1b[2K'); this.shown = false; }
  }

  redraw(): void {
    const cols = this.tty.columns || 80;
    // Escaped before our own sequences are added: the rendered text may carry server text.
    const text = escapeControls(this.render()).slice(0, cols - 1);
    this.tty.write(`\r\x1b[2K\x1b[2m${text}\x1b[0m`);
    this.shown = true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.clear();
  }
}
