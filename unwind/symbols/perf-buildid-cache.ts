/**
 * perf's build-id cache: where `perf record` leaves copies of what a recording names, by
 * build-id. The directory is $PERF_BUILDID_DIR, else ~/.debug (perf's buildid.dir default).
 * Named objects without a file of their own sit at DIR/NAME/BUILD-ID/FILE:
 * [kernel.kallsyms]/…/kallsyms, [vdso]/…/vdso.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export function perfBuildIdDir(): string {
  return process.env['PERF_BUILDID_DIR'] || join(homedir(), '.debug')
}

/** DIR/NAME/BUILD-ID/FILE, or undefined for a build-id that is not plain hex (never a path). */
export function perfCachedCopy(name: string, buildId: string | undefined, file: string): string | undefined {
  return buildId && /^[0-9a-f]+$/.test(buildId) ? join(perfBuildIdDir(), name, buildId, file) : undefined
}
