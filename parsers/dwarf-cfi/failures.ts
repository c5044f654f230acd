/**
 * Named reasons why one CIE/FDE (or one row of it) could not be used. Corrupt or unsupported CFI is
 * counted per reason, never thrown (style S4): only a section whose header cannot be read at all
 * raises UnwindInfoError.
 */
export const CFI_ENTRY_FAILURES = [
  /** An entry's length runs past the section end (or the section ends mid-header). */
  'truncatedEntry',
  /** An FDE's CIE pointer is outside the section or points at something that is not a CIE. */
  'badCiePointer',
  /** CIE version or augmentation we cannot parse (no 'z' to skip unknown augmentation data). */
  'unsupportedCie',
  /** A pointer in an encoding we cannot evaluate (aligned, funcrel, missing base, bad indirect). */
  'badPointerEncoding',
  /** pc range negative, empty, or absurdly large (> 256 MiB for one function). */
  'absurdRange',
  /** The FDE overlaps one already accepted (same section, or an .eh_frame FDE for .debug_frame). */
  'overlappingFde',
] as const

export const CFI_PROGRAM_FAILURES = [
  /** DW_CFA_* opcode not in DWARF 5 / GNU extensions (or an architecture one meaningless on x86-64). */
  'unknownOpcode',
  /** An instruction's operands run past the end of the CIE/FDE. */
  'truncatedInstructions',
  /** DW_CFA_remember_state nested deeper than we allow (corrupt input). */
  'stateStackOverflow',
  /** DW_CFA_restore_state with nothing remembered. */
  'restoreWithoutRemember',
  /** DW_CFA_set_loc moving backwards, or to an unreadable address. */
  'badSetLoc',
  /** DW_CFA_advance_loc* / set_loc in the CIE's initial instructions. */
  'advanceInCie',
] as const

export type CfiEntryFailure = (typeof CFI_ENTRY_FAILURES)[number]
export type CfiProgramFailure = (typeof CFI_PROGRAM_FAILURES)[number]
export type CfiFailure = CfiEntryFailure | CfiProgramFailure

export type CfiFailureCounts = Record<CfiFailure, number>

export function newCfiFailureCounts(): CfiFailureCounts {
  const c = {} as CfiFailureCounts
  for (const k of CFI_ENTRY_FAILURES) c[k] = 0
  for (const k of CFI_PROGRAM_FAILURES) c[k] = 0
  return c
}
