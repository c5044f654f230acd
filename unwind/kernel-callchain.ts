/**
 * Fix-ups for kernel callchains as recorded by perf (the sample's PERF_SAMPLE_CALLCHAIN).
 *
 * Duplicated first kernel entry (doc §5.2): from v5.2 (83f44ae0f8af "perf/x86: Always store
 * regs->ip in perf_callchain_kernel()", on top of d15d356887e7's skip-SP start) until the revert
 * 6d08340d1e35 (Jiri Olsa, Nov 2025, first in v6.18, backported to some stable trees),
 * perf_callchain_kernel() stored regs->ip and then, for fake regs (tracepoints, software events:
 * flags without X86_EFLAGS_FIXED), unwound with first_frame = regs->sp, whose first reported
 * return address is regs->ip again. The chain then reads
 *     PERF_CONTEXT_KERNEL, X, X, callers of X..., [PERF_CONTEXT_USER, ...]
 * e.g. `bprm_execve+1767` twice for tracepoint:sched:sched_process_exec.
 */
import type { Addr } from '../parsers/common/addr.js'

/** BPF/trampoline marking lives with the frame buffer; re-exported for callchain users. */

/** (__u64)-128 as an Addr (signed interpretation). */
export const PERF_CONTEXT_KERNEL: Addr = -128
export const PERF_CONTEXT_USER: Addr = -512

/**
 * "major.minor[.patch][-…]" within 5.2 .. 6.17 (inclusive). Stable kernels of that range that
 * took the revert are still reported as affected; dropDuplicatedFirstKernelEntry() only acts when
 * the two entries are actually equal, so that costs nothing.
 */
export function isDuplicateFirstEntryKernel(osRelease: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(osRelease.trim())
  if (m === null) return false
  const v = Number(m[1]) * 1000 + Number(m[2])
  return v >= 5002 && v <= 6017
}

/**
 * Remove the duplicated first kernel entry in place. Acts only when: the release is affected,
 * callchain[0] is PERF_CONTEXT_KERNEL, callchain[1] === callchain[2] (the stored regs->ip and the
 * unwinder's first return address), and `fakeRegs` is not false (pass isFakeRegs(REGS_INTR) when
 * the sample has intr regs; undefined = unknown, decided by the equality alone). It drops
 * callchain[2] by shifting the rest left (copyWithin: no allocation).
 * Returns the new length (== `length` when nothing was dropped).
 */
export function dropDuplicatedFirstKernelEntry(
  callchain: Float64Array,
  osRelease: string,
  length: number = callchain.length,
  fakeRegs?: boolean,
): number {
  const n = Math.min(length, callchain.length)
  if (fakeRegs === false || n < 3) return n
  if (callchain[0] !== PERF_CONTEXT_KERNEL || callchain[1] !== callchain[2]) return n
  if (!isDuplicateFirstEntryKernel(osRelease)) return n
  callchain.copyWithin(2, 3, n)
  return n - 1
}
