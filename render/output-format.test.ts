import { describe, expect, it } from 'vitest'
import { formatFromPath, pickOutputFormat } from './output-format.js'
import { UsageError } from '../parsers/common/errors.js'

describe('output format', () => {
  it('picks the format from the extension, most specific first', () => {
    expect(formatFromPath('out.html')).toBe('html')
    expect(formatFromPath('a/b.speedscope.json')).toBe('speedscope')
    expect(formatFromPath('x.json')).toBe('json')
    expect(formatFromPath('x.folded')).toBe('folded')
    expect(formatFromPath('x.PB.GZ')).toBe('pprof')
    expect(formatFromPath('x.txt')).toBe('text')
    expect(formatFromPath('x.svg')).toBeUndefined()
  })

  it('lets --format win, defaults stdout to text, rejects unknown with UsageError', () => {
    expect(pickOutputFormat({ output: 'x.txt', format: 'json' })).toBe('json')
    expect(pickOutputFormat({ format: 'collapsed' })).toBe('folded')
    expect(pickOutputFormat({})).toBe('text')
    expect(pickOutputFormat({ output: '-' })).toBe('text')
    expect(() => pickOutputFormat({ output: 'x.svg' })).toThrow(UsageError)
    expect(() => pickOutputFormat({ format: 'svg' })).toThrow(/unknown --format "svg"/)
  })
})
