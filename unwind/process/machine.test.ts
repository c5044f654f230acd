import { describe, expect, it } from 'vitest'
import { RecordType, type CommRecord } from '../../parsers/perf-data/types.js'
import { Machine } from './machine.js'

describe('Machine threads', () => {
  it('knows the idle task as perf does (swapper), and other unannounced threads as :tid', () => {
    const m = new Machine()
    expect(m.thread(0, 0).comm).toBe('swapper')
    const comm: CommRecord = { type: RecordType.COMM, misc: 0, offset: 0, pid: 4242, tid: 4242, comm: 'node', exec: false, sampleId: {} as CommRecord['sampleId'] }
    m.handle(comm)
    expect(m.thread(4242, 4242).comm).toBe('node')
    // Not the leader's comm (perf's thread__new): the sample of a thread already detached from its
    // pid while exiting has tid -1 and its process's pid, and perf prints it ":-1".
    expect(m.thread(-1, 4242).comm).toBe(':-1')
    expect(m.thread(4243, 4242).comm).toBe(':4243')
  })
})
