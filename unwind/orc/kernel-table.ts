/**
 * OrcTables from kernel ORC data (parsers/kernel-orc): a vmlinux at its link addresses, or a module
 * whose sections the loader placed at given addresses (/sys/module/NAME/sections/.text, …).
 *
 * Sorted by address with the weak section terminators (type UNDEFINED) first on ties, as
 * unwind_module_init's orc_sort_cmp does, so the rightmost-duplicate lookup finds the real entry.
 * Kernel tables keep `undefinedIsGap = false`: landing on a terminator stops the unwind.
 */
import type { Addr } from '../../parsers/common/addr.js'
import type { KernelOrc } from '../../parsers/kernel-orc/kernel-orc.js'
import { OrcType } from './entry.js'
import { OrcTable } from './table.js'

/** Load address per section name, e.g. { '.text': X, '.init.text': Y, '.text.unlikely': Z }. */
export type SectionPlacement = ReadonlyMap<string, Addr> | Readonly<Record<string, Addr>>

export interface ModuleTableResult {
  table: OrcTable
  /** Entries dropped because their section has no load address (freed .init.text, .exit.text …). */
  unplaced: number
  /** Section names that had entries but no placement. */
  unplacedSections: string[]
}

/** A vmlinux (or any linked image): the addresses are already absolute. */
export function buildVmlinuxOrcTable(orc: KernelOrc): OrcTable {
  if (orc.relocatable) throw new Error(`${orc.file} is relocatable: use buildModuleOrcTable with section addresses`)
  const keep = new Uint32Array(orc.length)
  for (let i = 0; i < keep.length; i++) keep[i] = i
  return tableFrom(orc, keep, orc.ips)
}

/** A module loaded with each text section at `placement[name]`. */
export function buildModuleOrcTable(orc: KernelOrc, placement: SectionPlacement): ModuleTableResult {
  const lookup = placementLookup(placement)
  const base = new Float64Array(orc.sectionNames.length).fill(NaN)
  orc.sectionNames.forEach((name, s) => {
    const a = lookup(name)
    if (a !== undefined) base[s] = a
  })
  const abs = new Float64Array(orc.length)
  const kept: number[] = []
  const missing = new Set<string>()
  for (let i = 0; i < orc.length; i++) {
    const s = orc.sectionOf[i]!
    // Linked images handed in here keep their absolute addresses.
    const b = s < 0 ? 0 : base[s]!
    if (Number.isNaN(b)) {
      missing.add(orc.sectionNames[s] ?? String(s))
      continue
    }
    abs[i] = b + orc.ips[i]!
    kept.push(i)
  }
  return {
    table: tableFrom(orc, Uint32Array.from(kept), abs),
    unplaced: orc.length - kept.length,
    unplacedSections: [...missing].sort(),
  }
}

function placementLookup(p: SectionPlacement): (name: string) => Addr | undefined {
  if (p instanceof Map) return (name) => p.get(name)
  const rec = p as Readonly<Record<string, Addr>>
  return (name) => (Object.prototype.hasOwnProperty.call(rec, name) ? rec[name] : undefined)
}

/** Sort the kept entry indexes by address (terminators first on ties) and fill typed arrays. */
function tableFrom(orc: KernelOrc, keep: Uint32Array, abs: Float64Array): OrcTable {
  const n = keep.length
  const spOffset = new Int16Array(n)
  const bpOffset = new Int16Array(n)
  const regs = new Uint8Array(n)
  const typeSignal = new Uint8Array(n)
  const weak = new Uint8Array(orc.length)
  const entries = new Array<ReturnType<KernelOrc['entry']>>(orc.length)
  for (const i of keep) {
    const e = orc.entry(i)
    entries[i] = e
    weak[i] = e.type === OrcType.UNDEFINED ? 0 : 1
  }
  // Stable on full ties (file order), so identical input always gives the identical table.
  const order = Array.from(keep).sort((a, b) => abs[a]! - abs[b]! || weak[a]! - weak[b]! || a - b)
  const ips = new Float64Array(n)
  order.forEach((i, k) => {
    const e = entries[i]!
    ips[k] = abs[i]!
    spOffset[k] = e.spOffset
    bpOffset[k] = e.bpOffset
    regs[k] = (e.spReg & 15) | ((e.bpReg & 15) << 4)
    typeSignal[k] = (e.type & 7) | (e.signal ? 8 : 0)
  })
  const table = new OrcTable(ips, spOffset, bpOffset, regs, typeSignal)
  table.undefinedIsGap = false
  return table
}
