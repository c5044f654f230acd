/** Help: `-h` is `--help`, as in perf and most tools, for the command list and for each command. */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const CLI = join(import.meta.dirname, '..', 'dist/perf-orc.mjs')

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('node', [CLI, ...args], { encoding: 'utf8' })
}

describe('help', () => {
  it('-h and --help print the same command list and exit 0', () => {
    const long = run(['--help'])
    const short = run(['-h'])
    expect(long.status).toBe(0)
    expect(short.status).toBe(0)
    expect(long.stdout).toContain('perf-orc script [file]')
    expect(short.stdout).toBe(long.stdout)
  })

  it('-h after a command prints that command\'s options', () => {
    const r = run(['script', '-h'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('--symfs')
    expect(r.stdout).toBe(run(['script', '--help']).stdout)
  })
})
