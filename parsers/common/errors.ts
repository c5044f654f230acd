/**
 * Typed errors for every input layer. Each carries where the fault is (a file offset or an address)
 * so the CLI can print one line: "<file>: <what> at offset 0x…". The hot paths never throw; they
 * count. These are thrown only at structure edges (headers, sections, record framing).
 */
export class PerfOrcError extends Error {
  constructor(message: string) {
    super(message)
    // Keep instanceof working when compiled to ES2022 classes and when re-thrown across modules.
    Object.setPrototypeOf(this, new.target.prototype)
    this.name = new.target.name
  }
}

/** "0x…"; an offset computed from a damaged u64 may be huge or not finite, and says so. */
function offsetHex(offset: number): string {
  return Number.isSafeInteger(offset) && offset >= 0 ? `0x${offset.toString(16)}` : `${offset} (not a file offset)`
}

/** Malformed or truncated perf.data (file or pipe); `offset` is the byte offset in the stream. */
export class PerfDataError extends PerfOrcError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offsetHex(offset)}`)
  }
}

/** Malformed ELF file; `offset` is the byte offset in that file. */
export class ElfError extends PerfOrcError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offsetHex(offset)}`)
  }
}

/** Malformed call-frame information (.eh_frame, .debug_frame, .sframe, .orc_unwind). */
export class UnwindInfoError extends PerfOrcError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offsetHex(offset)}`)
  }
}

/** A problem with what the user asked for (bad option, unwritable output, unknown format). */
export class UsageError extends PerfOrcError {}
