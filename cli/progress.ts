/**
 * A progress bar on stderr for runs that take more than a moment, via cli-progress; only when
 * stderr is a terminal (quiet when piped or in CI), and only after the first second.
 */
import { statSync } from 'node:fs'
import cliProgress from 'cli-progress'

const SHOW_AFTER_MS = 1000

export class Progress {
  private bar: cliProgress.SingleBar | undefined
  private readonly started = Date.now()
  private lastUpdate = 0

  private constructor(private readonly total: number) {}

  /** A bar sized by the input file (no bar for pipes, unknown sizes, or a non-TTY stderr). */
  static forFile(path: string): Progress {
    let total = 0
    try {
      if (path !== '-' && process.stderr.isTTY) total = statSync(path).size
    } catch {
      total = 0
    }
    return new Progress(total)
  }

  tick(bytes: number): void {
    if (this.total === 0) return
    const now = Date.now()
    if (now - this.lastUpdate < 100) return
    this.lastUpdate = now
    if (!this.bar) {
      if (now - this.started < SHOW_AFTER_MS) return
      this.bar = new cliProgress.SingleBar(
        { format: 'perf-orc {bar} {percentage}% | {value}/{total} MB', stream: process.stderr, hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
      this.bar.start(Math.ceil(this.total / 1e6), 0)
    }
    this.bar.update(Math.min(Math.ceil(bytes / 1e6), Math.ceil(this.total / 1e6)))
  }

  /** Print a line without tearing the bar. */
  interrupt(print: () => void): void {
    if (!this.bar) return print()
    process.stderr.write('\r\x1b[K')
    print()
  }

  stop(): void {
    this.bar?.stop()
    this.bar = undefined
  }
}
