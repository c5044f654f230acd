/**
 * Open an ELF file that may be compressed as distributions ship kernel modules: NAME.ko.xz
 * (Debian 12's 6.12 kernels, Fedora), .ko.zst (Ubuntu, Arch), .ko.gz. A compressed file is
 * recognised by its magic, not its name, decompressed whole into memory (modules are a few MB),
 * and parsed from there; anything else is opened lazily from disk as usual.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import { createRequire } from 'node:module'
import { gunzipSync } from 'node:zlib'
import { ElfError } from '../common/errors.js'
import { zstdDecompress } from '../common/zstd.js'
import { ElfFile } from './elf-file.js'

const MAGICS: ReadonlyArray<{ name: string; magic: readonly number[]; decompress: (b: Uint8Array) => Uint8Array }> = [
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], decompress: (b) => xzDecompress(b) },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], decompress: (b) => zstdDecompress(b) },
  { name: 'gzip', magic: [0x1f, 0x8b], decompress: (b) => gunzipSync(b) },
]

/** @napi-rs/lzma is a native addon: loaded on the first .xz file, not on every start. */
function xzDecompress(b: Uint8Array): Uint8Array {
  const lzma = createRequire(import.meta.url)('@napi-rs/lzma') as typeof import('@napi-rs/lzma')
  return lzma.xz.decompressSync(b)
}

/**
 * Kernel files and ORC dumps need every section whole, so a section past the end of the file is
 * an error here, as objtool makes it. (Symbolization opens binaries with ElfFile.open, which
 * keeps the other sections of such a file.)
 */
export function openElf(path: string): ElfFile {
  const elf = openAnyElf(path)
  const bad = elf.damagedSections[0]
  if (bad) throw new ElfError(`${path}: ${bad.what} runs past the end of the file`, bad.headerOffset)
  return elf
}

function openAnyElf(path: string): ElfFile {
  const head = Buffer.alloc(6)
  const fd = openSync(path, 'r')
  let n: number
  try {
    n = readSync(fd, head, 0, head.length, 0)
  } finally {
    closeSync(fd)
  }
  const format = MAGICS.find((f) => n >= f.magic.length && f.magic.every((b, i) => head[i] === b))
  if (format === undefined) return ElfFile.open(path)
  let bytes: Uint8Array
  try {
    bytes = format.decompress(readFileSync(path))
  } catch (e) {
    throw new ElfError(`${path}: cannot decompress its ${format.name} data (${(e as Error).message})`, 0)
  }
  return ElfFile.parse(bytes, path)
}
