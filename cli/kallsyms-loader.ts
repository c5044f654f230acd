/**
 * Kernel symbols loaded off the main thread. Reading /proc/kallsyms (~40 ms of kernel time) and
 * scanning its 120k lines (~60-90 ms cold) run in a worker thread while the main thread starts
 * on the samples; the pipeline waits for the worker only at the first sample with a kernel
 * address. Should a kernel address need a name before that wait (an address the pipeline did not
 * foresee), the file is read synchronously instead, as it would be without the worker.
 */
import { Worker } from 'node:worker_threads'
import { kallsymsFromScan, loadKallsyms, type Kallsyms, type KallsymsScan } from '../unwind/symbols/kallsyms.js'

export class KallsymsLoader {
  private worker: Worker | undefined
  private readonly result: Promise<KallsymsScan | undefined>
  private scan: KallsymsScan | undefined
  private symbols: Kallsyms | undefined
  /** The worker's answer has arrived (or there is no worker): get() will not block. */
  settled = false
  /** Where get()'s symbols came from: the worker's scan, or a synchronous read of the file. */
  source: 'worker' | 'file' | undefined

  constructor(readonly path: string) {
    let worker: Worker | undefined
    try {
      worker = new Worker(new URL('./kallsyms-worker.js', import.meta.url), { workerData: { path } })
      worker.unref() // never keeps the process alive
    } catch {
      worker = undefined // no worker file next to us: get() reads synchronously
    }
    this.worker = worker
    this.result = new Promise((resolve) => {
      if (!worker) return resolve(undefined)
      worker.once('message', (scan: KallsymsScan | undefined) => resolve(scan))
      worker.once('error', () => resolve(undefined))
      worker.once('exit', () => resolve(undefined))
    })
  }

  /** Wait for the worker's scan. */
  async settle(): Promise<void> {
    this.scan = await this.result
    this.settled = true
    this.close()
  }

  /** The kernel symbols (built once); read synchronously when the worker has not answered. */
  get(): Kallsyms | undefined {
    if (this.symbols) return this.symbols
    if (this.scan) {
      this.symbols = kallsymsFromScan(this.scan)
      this.source = 'worker'
    } else {
      this.close()
      this.symbols = loadKallsyms(this.path)
      this.source = 'file'
    }
    this.scan = undefined
    return this.symbols
  }

  /** Stop the worker if it still runs. */
  close(): void {
    void this.worker?.terminate()
    this.worker = undefined
  }
}
