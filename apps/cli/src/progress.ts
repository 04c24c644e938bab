import type { ProgressEvent } from '@altclip/core';
import { type Options, Presets, SingleBar } from 'cli-progress';

/** Progress bars on stderr, so stdout stays clean for results; silent when stderr is not a terminal. */
export class Progress {
  private downloadBar?: SingleBar;
  private downloadItem?: string;
  private readonly options: Options;

  constructor(readonly enabled: boolean) {
    this.options = {
      stream: process.stderr,
      // A hidden cursor would stay hidden after Ctrl-C.
      hideCursor: false,
      etaBuffer: 50,
      // Off a terminal cli-progress writes nothing; keep it that way (logs stay readable).
      noTTYOutput: false,
    };
  }

  /** Model file downloads (hub ids): one bar per file, in megabytes. */
  download(event: ProgressEvent): void {
    if (!this.enabled || event.stage !== 'download' || !event.total) return;
    if (this.downloadItem !== event.item) {
      this.downloadBar?.stop();
      this.downloadItem = event.item;
      this.downloadBar = new SingleBar(
        { ...this.options, format: `download ${event.item} [{bar}] {percentage}% {value}/{total} MB` },
        Presets.shades_classic,
      );
      this.downloadBar.start(megabytes(event.total), 0);
    }
    this.downloadBar?.update(megabytes(event.loaded));
  }

  downloadsDone(): void {
    this.downloadBar?.stop();
    this.downloadBar = undefined;
  }

  /** A bar over `total` items that starts at `done` (resumed work). */
  items(label: string, total: number, done: number): ItemBar {
    if (!this.enabled) return { increment() {}, stop() {} };
    const bar = new SingleBar(
      { ...this.options, format: `${label} [{bar}] {value}/{total} | {percentage}% | ETA {eta_formatted}` },
      Presets.shades_classic,
    );
    bar.start(total, done);
    return { increment: (count) => bar.increment(count), stop: () => bar.stop() };
  }
}

export interface ItemBar {
  increment(count: number): void;
  stop(): void;
}

function megabytes(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}
