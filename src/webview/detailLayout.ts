/**
 * Where the detail pane sits: beside the table, or under it when the panel is
 * narrow; hidden or shown; its size, dragged on the splitter or moved with the
 * arrow keys. Size and visibility are UI state (saved with setState).
 */
import type { UiState } from './uiState';

/** Below this width the detail pane moves under the table. */
const STACK_BELOW_PX = 720;

export interface DetailLayoutParts {
  /** Holds the table, the splitter and the detail pane. */
  main: HTMLElement;
  splitter: HTMLElement;
  detail: HTMLElement;
  ui: UiState;
  saveUi(): void;
}

export class DetailLayout {
  private stacked = false;

  constructor(private readonly p: DetailLayoutParts) {
    new ResizeObserver(() => {
      const s = p.main.clientWidth < STACK_BELOW_PX;
      if (s !== this.stacked) { this.stacked = s; this.apply(); }
    }).observe(p.main);
    this.wireSplitter();
  }

  /** Puts the layout in line with the UI state. */
  apply(): void {
    const { main, splitter, detail, ui } = this.p;
    main.classList.toggle('stacked', this.stacked);
    main.classList.toggle('detail-hidden', ui.detailHidden);
    splitter.hidden = ui.detailHidden;
    detail.hidden = ui.detailHidden;
    splitter.setAttribute('aria-orientation', this.stacked ? 'horizontal' : 'vertical');
    main.style.setProperty('--detail-size', `${ui.detailSize}px`);
  }

  private wireSplitter(): void {
    const { main, splitter, ui } = this.p;
    splitter.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      splitter.setPointerCapture(e.pointerId);
      const start = this.stacked ? e.clientY : e.clientX;
      const startSize = ui.detailSize;
      const move = (ev: PointerEvent) => {
        const delta = (this.stacked ? ev.clientY : ev.clientX) - start;
        ui.detailSize = this.clamp(startSize - delta);
        main.style.setProperty('--detail-size', `${ui.detailSize}px`);
      };
      const up = () => {
        splitter.removeEventListener('pointermove', move);
        splitter.removeEventListener('pointerup', up);
        this.p.saveUi();
      };
      splitter.addEventListener('pointermove', move);
      splitter.addEventListener('pointerup', up);
    });
    splitter.addEventListener('keydown', (e) => {
      const grow = this.stacked ? 'ArrowUp' : 'ArrowLeft';
      const shrink = this.stacked ? 'ArrowDown' : 'ArrowRight';
      if (e.key !== grow && e.key !== shrink) return;
      e.preventDefault();
      ui.detailSize = this.clamp(ui.detailSize + (e.key === grow ? 24 : -24));
      this.apply();
      this.p.saveUi();
    });
  }

  private clamp(px: number): number {
    const max = (this.stacked ? this.p.main.clientHeight : this.p.main.clientWidth) - 120;
    return Math.round(Math.max(160, Math.min(Math.max(160, max), px)));
  }
}
