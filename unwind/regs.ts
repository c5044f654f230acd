/**
 * The register state one unwind walk starts from, reused across samples (S6: one object, plain
 * numeric fields, no per-frame allocation). Values are Addrs (signed interpretation of the u64, see
 * parsers/common/addr.ts), so kernel addresses are small negative numbers.
 *
 * Only the registers ORC can name are kept: ip/sp/bp for every frame, flags/cs for user_mode() and
 * the fake-regs test, and dx/di/r10/r13/ax because an ORC entry may take the CFA from them
 * (ORC_REG_DX/DI/R10/R13/AX; unwind_orc.c get_reg()).
 */
import type { Addr } from '../parsers/common/addr.js'

/** x86-64 struct pt_regs byte offsets (arch/x86/include/asm/ptrace.h; doc §2.1). */
export const PT_REGS = {
  R15: 0, R14: 8, R13: 16, R12: 24, BP: 32, BX: 40, R11: 48, R10: 56, R9: 64, R8: 72, AX: 80,
  CX: 88, DX: 96, SI: 104, DI: 112, ORIG_AX: 120, IP: 128, CS: 136, FLAGS: 144, SP: 152, SS: 160,
  SIZE: 168,
} as const
/** unwind.h: IRET_FRAME_OFFSET = offsetof(pt_regs, ip), IRET_FRAME_SIZE = sizeof(pt_regs) - 128. */
export const IRET_FRAME_OFFSET = 128
export const IRET_FRAME_SIZE = 40

/**
 * x86-64 struct sigcontext (= sigcontext_64, arch/x86/include/uapi/asm/sigcontext.h; glibc's
 * mcontext_t.gregs[REG_*] * 8): r8..r15, di, si, bp, bx, dx, ax, cx, sp, ip, flags, then
 * cs/gs/fs/ss (u16 each), err, trapno, oldmask, cr2, fpstate, reserved1[8]; 256 bytes.
 */
export const SIGCONTEXT = {
  R8: 0, R9: 8, R10: 16, R11: 24, R12: 32, R13: 40, R14: 48, R15: 56, DI: 64, SI: 72, BP: 80,
  BX: 88, DX: 96, AX: 104, CX: 112, SP: 120, IP: 128, FLAGS: 136, CS: 144, SIZE: 256,
} as const
/** offsetof(struct ucontext, uc_mcontext): uc_flags 8 + uc_link 8 + stack_t uc_stack 24. */
export const UCONTEXT_MCONTEXT_OFFSET = 40

/** Bits of UnwindRegs.have. */
export const RegBit = {
  IP: 1 << 0,
  SP: 1 << 1,
  BP: 1 << 2,
  FLAGS: 1 << 3,
  CS: 1 << 4,
  DX: 1 << 5,
  DI: 1 << 6,
  R10: 1 << 7,
  R13: 1 << 8,
  AX: 1 << 9,
} as const

/** perf_event_x86_regs order (arch/x86/include/uapi/asm/perf_regs.h): bit n of sample_regs_*. */
export const PerfRegX86 = {
  AX: 0, BX: 1, CX: 2, DX: 3, SI: 4, DI: 5, BP: 6, SP: 7, IP: 8, FLAGS: 9, CS: 10, SS: 11,
  DS: 12, ES: 13, FS: 14, GS: 15, R8: 16, R9: 17, R10: 18, R11: 19, R12: 20, R13: 21, R14: 22,
  R15: 23,
} as const

export class UnwindRegs {
  ip: Addr = 0
  sp: Addr = 0
  bp: Addr = 0
  flags = 0
  cs = 0
  dx: Addr = 0
  di: Addr = 0
  r10: Addr = 0
  r13: Addr = 0
  ax: Addr = 0
  /** RegBit mask of the fields above that hold a known value. */
  have = 0

  clear(): void {
    this.ip = this.sp = this.bp = this.flags = this.cs = 0
    this.dx = this.di = this.r10 = this.r13 = this.ax = 0
    this.have = 0
  }

  copyFrom(o: UnwindRegs): void {
    this.ip = o.ip
    this.sp = o.sp
    this.bp = o.bp
    this.flags = o.flags
    this.cs = o.cs
    this.dx = o.dx
    this.di = o.di
    this.r10 = o.r10
    this.r13 = o.r13
    this.ax = o.ax
    this.have = o.have
  }

  /** Set ip/sp/bp (and mark them known); the common case in tests and FP starts. */
  set3(ip: Addr, sp: Addr, bp: Addr): this {
    this.clear()
    this.ip = ip
    this.sp = sp
    this.bp = bp
    this.have = RegBit.IP | RegBit.SP | RegBit.BP
    return this
  }
}

/**
 * Fill `out` from a sample's REGS_USER / REGS_INTR block. `values` holds the registers present
 * in the sample (in ascending bit order of the mask); `index[perfRegNo]` is the position of that
 * register in `values`, -1 when the mask did not include it. Registers not present are cleared
 * from `out.have`. Allocates nothing.
 */
export function loadPerfRegs(out: UnwindRegs, values: Float64Array, index: Int8Array): void {
  out.clear()
  let have = 0
  let k = pos(index, values, PerfRegX86.IP)
  if (k >= 0) (out.ip = values[k]!), (have |= RegBit.IP)
  k = pos(index, values, PerfRegX86.SP)
  if (k >= 0) (out.sp = values[k]!), (have |= RegBit.SP)
  k = pos(index, values, PerfRegX86.BP)
  if (k >= 0) (out.bp = values[k]!), (have |= RegBit.BP)
  k = pos(index, values, PerfRegX86.FLAGS)
  if (k >= 0) (out.flags = values[k]!), (have |= RegBit.FLAGS)
  k = pos(index, values, PerfRegX86.CS)
  if (k >= 0) (out.cs = values[k]!), (have |= RegBit.CS)
  k = pos(index, values, PerfRegX86.DX)
  if (k >= 0) (out.dx = values[k]!), (have |= RegBit.DX)
  k = pos(index, values, PerfRegX86.DI)
  if (k >= 0) (out.di = values[k]!), (have |= RegBit.DI)
  k = pos(index, values, PerfRegX86.R10)
  if (k >= 0) (out.r10 = values[k]!), (have |= RegBit.R10)
  k = pos(index, values, PerfRegX86.R13)
  if (k >= 0) (out.r13 = values[k]!), (have |= RegBit.R13)
  k = pos(index, values, PerfRegX86.AX)
  if (k >= 0) (out.ax = values[k]!), (have |= RegBit.AX)
  out.have = have
}

function pos(index: Int8Array, values: Float64Array, reg: number): number {
  const k = reg < index.length ? index[reg]! : -1
  return k >= 0 && k < values.length ? k : -1
}
