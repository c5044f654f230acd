/**
 * Where a kernel ELF file says which kernel it belongs to, for picking the ORC layout when there
 * is no .orc_header:
 *   - modules: `.modinfo` holds NUL-separated "key=value" strings; "vermagic=6.1.0-47-cloud-amd64 SMP …"
 *     starts with the release (modpost writes VERMAGIC_STRING = UTS_RELEASE " " flags);
 *   - vmlinux: the boot banner `linux_banner` in .rodata, "Linux version 6.1.0-47-cloud-amd64 (…".
 */
import type { ElfFile } from '../elf/elf-file.js'

const latin1 = new TextDecoder('latin1')

/** The kernel release a module or vmlinux was built for, or undefined when it does not say. */
export function findKernelRelease(elf: ElfFile): string | undefined {
  return vermagicRelease(elf) ?? bannerRelease(elf)
}

/** First word of .modinfo's vermagic= string. */
export function vermagicRelease(elf: ElfFile): string | undefined {
  const sec = elf.section('.modinfo')
  if (!sec) return undefined
  for (const kv of latin1.decode(elf.sectionData(sec)).split('\0')) {
    if (kv.startsWith('vermagic=')) return kv.slice('vermagic='.length).split(' ')[0] || undefined
  }
  return undefined
}

/** Release from the "Linux version X …" banner in .rodata (vmlinux). */
export function bannerRelease(elf: ElfFile): string | undefined {
  const sec = elf.section('.rodata')
  if (!sec) return undefined
  const data = elf.sectionData(sec)
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const needle = 'Linux version '
  // The banner is followed by " (builder@host)"; a bare "Linux version " elsewhere is a format string.
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) {
    const tail = latin1.decode(buf.subarray(at + needle.length, at + needle.length + 80))
    const m = /^(\d+\.\d+[^\s\0]*) \(/.exec(tail)
    if (m) return m[1]
  }
  return undefined
}
