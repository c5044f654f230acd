/**
 * Emulates perf's ordered-events queue (tools/perf/util/ordered-events.c) for FINISHED_ROUND:
 * perf record drains every CPU's ring buffer once per pass and writes FINISHED_ROUND after it.
 * Each CPU's stream is in time order, but CPUs interleave, so a record of pass n+1 may be older
 * than one of pass n. What is safe to release at the end of pass n+1:
 *
 *        pass n        pass n+1      pass n+2
 *   ---|------------|-------------|------------|--->
 *      ^ prevMax = max time seen when pass n ended
 *   at the end of pass n+1 everything with time <= prevMax is complete; release it, sorted.
 *   then prevMax = curMax (the max of everything seen so far).
 *
 * Equal times keep arrival order (perf's queue is stable). Memory is bounded by what is pending:
 * about two rounds of records. No perf types here: keys are numbers, values anything.
 */
export class RoundSorter<V> {
  private keys: number[] = []
  private seqs: number[] = []
  private values: V[] = []
  private seq = 0
  private prevMax = Number.NEGATIVE_INFINITY
  private curMax = Number.NEGATIVE_INFINITY

  get pending(): number {
    return this.values.length
  }

  insert(key: number, value: V): void {
    this.keys.push(key)
    this.seqs.push(this.seq++)
    this.values.push(value)
    if (key > this.curMax) this.curMax = key
  }

  /** End of a round: emit, in (key, arrival) order, everything with key <= the previous max. */
  finishRound(emit: (value: V) => void): void {
    this.release(this.prevMax, emit)
    this.prevMax = this.curMax
  }

  /** End of the stream: emit everything still pending, sorted. */
  finish(emit: (value: V) => void): void {
    this.release(Number.POSITIVE_INFINITY, emit)
  }

  private release(limit: number, emit: (value: V) => void): void {
    const n = this.keys.length
    const out: number[] = []
    const keepKeys: number[] = [], keepSeqs: number[] = [], keepValues: V[] = []
    for (let i = 0; i < n; i++) {
      if (this.keys[i]! <= limit) out.push(i)
      else {
        keepKeys.push(this.keys[i]!)
        keepSeqs.push(this.seqs[i]!)
        keepValues.push(this.values[i]!)
      }
    }
    if (out.length === 0) return
    const keys = this.keys, seqs = this.seqs, values = this.values
    out.sort((a, b) => keys[a]! - keys[b]! || seqs[a]! - seqs[b]!)
    this.keys = keepKeys
    this.seqs = keepSeqs
    this.values = keepValues
    for (const i of out) emit(values[i]!)
  }
}
