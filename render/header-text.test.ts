import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
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

  it('lists build ids', async () => {
    const r = await openPerfData(files[0]!)
    expect(r.file.buildIds.length).toBeGreaterThan(0)
    expect(formatHeader(r.file)).toMatch(/# build id : [0-9a-f]{40} \S+/)
    await r.close()
  })
})
