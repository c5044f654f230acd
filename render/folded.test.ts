import { describe, expect, it } from 'vitest'
import { foldedLines, renderFolded } from './folded.js'
import { HOSTILE_IMG, HOSTILE_SCRIPT, fixtureSamples } from './testdata/fixture-samples.js'

describe('folded stacks', () => {
  it('writes stackcollapse-perf lines: comm first, root first, sorted, period counts', () => {
    expect(foldedLines(fixtureSamples())).toEqual([
      `app-worker;? [app];? parse;? ${HOSTILE_SCRIPT} 16000`,
      `app-worker;clone3;start_thread;worker;parse;${HOSTILE_IMG} 60000`,
      'app-worker;deep_recursion;deep_recursion;leaf:with:semicolons 8000',
      'app;__libc_start_main;main;compute;hot_loop 40000',
      'app;__libc_start_main;main;compute;memcpy 20000',
      'app;__libc_start_main;main;write_out;write;entry_SYSCALL_64;ksys_write;vfs_write 10000',
      'java;clone3;start_thread;worker;JavaMain;Interpreter;LFoo:::bar 25000',
      'java;clone3;start_thread;worker;LFoo:::bar;asm_exc_page_fault;? bpf_prog_123_trace;handle_mm_fault 6000',
    ])
  })

  it('counts samples, annotates kinds, replaces spaces in comm', () => {
    const samples = fixtureSamples().map((s) => (s.comm === 'java' ? { ...s, comm: 'java main' } : s))
    const text = renderFolded(samples, { weight: 'samples', annotate: true })
    expect(text.endsWith('\n')).toBe(true)
    expect(text).toContain('app;__libc_start_main;main;compute;hot_loop 40\n')
    expect(text).toContain('java_main;clone3;start_thread;worker;LFoo:::bar_[j];asm_exc_page_fault_[k];? bpf_prog_123_trace_[k];handle_mm_fault_[k] 6\n')
    expect(renderFolded([])).toBe('')
  })
})
