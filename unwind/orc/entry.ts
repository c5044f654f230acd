/**
 * The one internal ORC entry form every source compiles into (kernel .orc_unwind of any version,
 * DWARF CFI, SFrame). Register and type numbers are those of orc_types.h for v6.4..v7.0
 * (registers unchanged since v4.14): older and newer on-disk encodings are normalised on read.
 *
 *   prev_sp = <sp_reg> + sp_offset           (PREV_SP is the DWARF CFA)
 *   prev_bp = *(prev_sp + bp_offset) when bp_reg == PREV_SP, unchanged when UNDEFINED, ...
 *   prev_ip = *(prev_sp - 8) for CALL frames; REGS/REGS_PARTIAL frames read a pt_regs / iret frame;
 *             <ra_reg> for RA_REG frames (ours, not the kernel's: see OrcType.RA_REG).
 */
export const OrcReg = {
  UNDEFINED: 0,
  PREV_SP: 1,
  DX: 2,
  DI: 3,
  BP: 4,
  SP: 5,
  R10: 6,
  R13: 7,
  BP_INDIRECT: 8,
  SP_INDIRECT: 9,
  AX: 10,
} as const
export type OrcRegNum = (typeof OrcReg)[keyof typeof OrcReg]

export const OrcType = {
  UNDEFINED: 0,
  END_OF_STACK: 1,
  CALL: 2,
  REGS: 3,
  REGS_PARTIAL: 4,
  /**
   * perf-orc's own type, never in a kernel table (orc_types.h stops at 4): DWARF's "RA in register
   * N". prev_ip = <ra_reg>, prev_sp = CFA, so it can only be applied where that register is known:
   * at the sampled frame, or just above a signal frame. glibc's __vfork pops its return address
   * into rdi across the syscall, and shells spend their time there.
   */
  RA_REG: 5,
} as const
export type OrcTypeNum = (typeof OrcType)[keyof typeof OrcType]

/** Bytes of one entry in the kernel's packed layout; our typed-array form uses the same 6. */
export const ORC_ENTRY_BYTES = 6

/** A decoded entry, for building tables and for tests; the hot path reads the typed arrays. */
export interface OrcEntry {
  spReg: number
  spOffset: number
  bpReg: number
  bpOffset: number
  type: number
  signal: boolean
  /** RA_REG only: the OrcReg register holding the return address (DI for __vfork). */
  raReg?: number
}
