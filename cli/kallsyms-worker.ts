/**
 * Worker thread entry: reads and scans one kallsyms file (workerData.path) and posts the
 * KallsymsScan back, its buffers transferred, not copied. See kallsyms-loader.ts.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { readKallsymsScan } from '../unwind/symbols/kallsyms.js'

const scan = readKallsymsScan((workerData as { path: string }).path)
if (scan) {
  // readFileSync may hand out a slice of a shared pool buffer: transfer only a buffer of our own.
  const own = scan.bytes.byteOffset === 0 && scan.bytes.byteLength === scan.bytes.buffer.byteLength
  if (!own) scan.bytes = new Uint8Array(scan.bytes)
  const buffers = [scan.bytes, scan.start, scan.nameStart, scan.nameEnd, scan.bind, scan.order, scan.size].map((a) => a.buffer as ArrayBuffer)
  parentPort?.postMessage(scan, buffers)
} else parentPort?.postMessage(undefined)
