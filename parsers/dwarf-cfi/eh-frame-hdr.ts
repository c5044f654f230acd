/**
 * .eh_frame_hdr (LSB Core §10.6.2): a header pointing at .eh_frame plus, usually, a sorted binary-
 * search table of (initial_location, fde_address) pairs, both datarel to the header itself.
 *
 *   u8 version (1) | u8 eh_frame_ptr_enc | u8 fde_count_enc | u8 table_enc
 *   eh_frame_ptr   (eh_frame_ptr_enc)
 *   fde_count      (fde_count_enc)          } present unless fde_count_enc / table_enc is omit
 *   table[fde_count] of 2 × table_enc       }
 *
 * With the persistent table cache off, binaries are compiled lazily through this table (binary-tables.ts
 * LazyBinaryTable: find the FDE for a pc, compile only that FDE); it is also used to cross-check the
 * FDE walk.
 */
import { UnwindInfoError } from '../common/errors.js'
import { CfiCursor, DW_EH_PE } from './cursor.js'

export interface EhFrameHdr {
  /** Virtual address of .eh_frame. */
  ehFramePtr: number
  /** Table rows, sorted by initialLoc (empty when the header has no table). */
  initialLoc: Float64Array
  fdeAddr: Float64Array
  /** initialLoc strictly increases (the binary search's premise; a linker writes nothing else). */
  increasing: boolean
}

/** Parse .eh_frame_hdr at virtual address `addr`. Throws UnwindInfoError if the header is unreadable. */
export function parseEhFrameHdr(bytes: Uint8Array, addr: number): EhFrameHdr {
  const cur = new CfiCursor(bytes)
  const version = cur.u8()
  const ptrEnc = cur.u8()
  const countEnc = cur.u8()
  const tableEnc = cur.u8()
  if (cur.bad) throw new UnwindInfoError('.eh_frame_hdr shorter than its 4-byte header', 0)
  if (version !== 1) throw new UnwindInfoError(`.eh_frame_hdr version ${version}, expected 1`, 0)
  const bases = { sectionAddr: addr, data: addr }
  const ehFramePtr = cur.pointer(ptrEnc, bases)
  if (cur.bad) throw new UnwindInfoError(`.eh_frame_hdr eh_frame_ptr unreadable (encoding 0x${ptrEnc.toString(16)})`, 4)
  if (countEnc === DW_EH_PE.omit || tableEnc === DW_EH_PE.omit) {
    return { ehFramePtr, initialLoc: new Float64Array(0), fdeAddr: new Float64Array(0), increasing: true }
  }
  const countPos = cur.pos
  const count = cur.pointer(countEnc, bases)
  // Each row is at least 2 bytes; a count the section cannot hold is a corrupt header.
  if (cur.bad || count * 2 > bytes.byteLength) {
    throw new UnwindInfoError(`.eh_frame_hdr fde_count ${count} does not fit the ${bytes.byteLength}-byte section`, countPos)
  }
  const initialLoc = new Float64Array(count)
  const fdeAddr = new Float64Array(count)
  if (tableEnc === (DW_EH_PE.datarel | DW_EH_PE.sdata4)) {
    // What every linker emits: s32 pairs relative to the header. Read them directly (node's table
    // has 76k rows; the general pointer decoder takes ~10 ms on it).
    const p0 = cur.pos
    if (p0 + count * 8 > bytes.byteLength) throw new UnwindInfoError(`.eh_frame_hdr table row ${Math.floor((bytes.byteLength - p0) / 8)} unreadable`, bytes.byteLength)
    // The order check rides along: one pass over the rows, read once while still cold.
    const v = new DataView(bytes.buffer, bytes.byteOffset + p0, count * 8)
    let increasing = true
    let prev = Number.NEGATIVE_INFINITY
    for (let i = 0; i < count; i++) {
      const loc = addr + v.getInt32(i * 8, true)
      if (!(loc > prev)) increasing = false
      initialLoc[i] = prev = loc
      fdeAddr[i] = addr + v.getInt32(i * 8 + 4, true)
    }
    return { ehFramePtr, initialLoc, fdeAddr, increasing }
  }
  let increasing = true
  for (let i = 0; i < count; i++) {
    initialLoc[i] = cur.pointer(tableEnc, bases)
    fdeAddr[i] = cur.pointer(tableEnc, bases)
    if (cur.bad) throw new UnwindInfoError(`.eh_frame_hdr table row ${i} unreadable`, cur.pos)
    if (i > 0 && !(initialLoc[i]! > initialLoc[i - 1]!)) increasing = false
  }
  return { ehFramePtr, initialLoc, fdeAddr, increasing }
}
