/**
 * The [vdso] image a recording's samples ran in. It is not a file on disk: perf keeps a copy in
 * its build-id cache ([vdso]/<build-id>/vdso there: perf-buildid-cache.ts) when it records, and
 * on the machine and kernel that recorded, our own process maps the very same image, which we
 * copy out of /proc/self/mem. Either way the image must carry the recorded build-id (when one is known).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ElfFile } from '../../parsers/elf/elf-file.js'
import { perfCachedCopy } from './perf-buildid-cache.js'

/** The vDSO is one or two pages; anything larger in /proc/self/maps is not what we expect. */
const MAX_VDSO_BYTES = 1 << 20

export function findVdsoImage(buildId: string | undefined, cacheDir: string): string | undefined {
  if (buildId) {
    const cached = perfCachedCopy('[vdso]', buildId, 'vdso')
    if (cached && existsSync(cached)) return cached
    const ours = join(cacheDir, `vdso-${buildId}.so`)
    if (existsSync(ours)) return ours
  }
  const image = readOwnVdso()
  if (!image) return undefined
  let id: string | undefined
  try {
    id = ElfFile.parse(image, '[vdso]').buildId
  } catch {
    return undefined
  }
  if (buildId && id !== buildId) return undefined
  const path = join(cacheDir, `vdso-${id ?? 'unknown'}.so`)
  try {
    mkdirSync(cacheDir, { recursive: true })
    writeFileSync(path + '.tmp', image)
    renameSync(path + '.tmp', path)
  } catch {
    return undefined
  }
  return path
}

function readOwnVdso(): Uint8Array | undefined {
  let maps: string
  try {
    maps = readFileSync('/proc/self/maps', 'utf8')
  } catch {
    return undefined
  }
  const m = /^([0-9a-f]+)-([0-9a-f]+) .*\[vdso\]$/m.exec(maps)
  if (!m) return undefined
  const start = parseInt(m[1]!, 16)
  const len = parseInt(m[2]!, 16) - start
  if (!(len > 0 && len <= MAX_VDSO_BYTES)) return undefined
  const buf = new Uint8Array(len)
  let fd: number | undefined
  try {
    fd = openSync('/proc/self/mem', 'r')
    return readSync(fd, buf, 0, len, start) === len ? buf : undefined
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
