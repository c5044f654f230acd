/** Small byte helpers shared by the ELF readers. */

const utf8 = new TextDecoder('utf-8', { fatal: false })

export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength)
}

/** NUL-terminated string at `off` of `b`, never reading past its end. */
export function cstring(b: Uint8Array, off: number): string {
  if (!(off < b.length)) return ''
  let e = off
  let ascii = true
  for (; e < b.length; e++) {
    const c = b[e]!
    if (c === 0) break
    if (c >= 0x80) ascii = false
  }
  // Short ASCII names (nearly all symbols) are cheaper to build directly than through TextDecoder.
  if (ascii && e - off <= 256) return String.fromCharCode.apply(null, b.subarray(off, e) as unknown as number[])
  return utf8.decode(b.subarray(off, e))
}

