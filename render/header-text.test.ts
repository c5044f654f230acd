import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFileSync, rmSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { openPerfData } from '../parsers/perf-data/reader.js'
import { fixtureFiles, makeTempDir, record } from '../parsers/perf-data/testing/recordings.js'
import { formatHeader } from './header-text.js'

let dir: string
const files: string[] = []

beforeAll(() => {
  dir = makeTempDir()
  files.push(record(dir, 'fp.data', ['-F', '999', '-g']))
  files.push(record(dir, 'z.data', ['-z', '-e', 'cpu-clock', '-e', 'task-clock', '-F', '999', '--call-graph', 'dwarf']))
  files.push(record(dir, 'tp.data', ['-e', 'sched:sched_switch', '-a', '--intr-regs']))
  files.push(record(dir, 'mono.data', ['-k', 'mono', '-F', '999'])) // CLOCKID + CLOCK_DATA
  files.push(...fixtureFiles().filter((f) => !f.includes('pipe')))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function perfHeader(file: string): string[] {
  return execFileSync('perf', ['report', '--header-only', '-i', file], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString().split('\n')
}

describe('formatHeader', () => {
  it('prints what perf report --header-only prints', async () => {
    for (const file of files) {
      const r = await openPerfData(file)
      const ours = formatHeader(r.file).split('\n').filter((l) => !l.startsWith('# build id :'))
      expect(ours, file).toEqual(perfHeader(file))
      for await (const _ of r.records()) break
    }
  })

  it('prints the capture time as perf does, in whole seconds, for a file written just before a second ends', async () => {
    // Node's Stats.mtime is rounded to the nearest ms: :02.9996 became :03 (a fresh-clone CI run).
    const file = join(dir, 'late.data')
    copyFileSync(files[0]!, file)
    utimesSync(file, 1764655982.9996, 1764655982.9996)
    const r = await openPerfData(file)
    const captured = (lines: string[]): string | undefined => lines.find((l) => l.startsWith('# captured on'))
    expect(captured(formatHeader(r.file).split('\n'))).toBe(captured(perfHeader(file)))
    expect(captured(perfHeader(file))).toMatch(/:02 2025$/)
    await r.close()
  })

  it('lists build ids', async () => {
    const r = await openPerfData(files[0]!)
    expect(r.file.buildIds.length).toBeGreaterThan(0)
    expect(formatHeader(r.file)).toMatch(/# build id : [0-9a-f]{40} \S+/)
    await r.close()
  })
})
