import { describe, expect, it } from 'vitest'
import { escapeHtml, inlineScriptText, jsonForScript } from './html-escape.js'
import { renderFlamegraphHtml } from './flamegraph-html.js'
import { HOSTILE_IMG, HOSTILE_SCRIPT, fixtureMeta, fixtureSamples } from './testdata/fixture-samples.js'

describe('HTML escaping', () => {
  it('makes JSON unable to leave its script element', () => {
    const tricky = { s: HOSTILE_SCRIPT, c: '<!-- & \u2028\u2029 >' }
    const text = jsonForScript(tricky)
    expect(text).not.toMatch(/[<>&\u2028\u2029]/)
    expect(JSON.parse(text)).toEqual(tricky)
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
    expect(inlineScriptText('var s = "</SCRIPT>"')).toBe('var s = "<\\/SCRIPT>"')
    expect(() => inlineScriptText('x = "<!--"')).toThrow()
  })

  it('puts recorded names only inside the JSON payload, escaped', () => {
    const meta = { ...fixtureMeta(), hostname: '<b>host</b>' }
    const html = renderFlamegraphHtml(fixtureSamples(), meta)
    expect(html).not.toContain(HOSTILE_IMG)
    expect(html).not.toContain(HOSTILE_SCRIPT)
    expect(html).not.toContain('<b>host</b>')
    expect(html).toContain('<title>Flame graph: cycles on &lt;b&gt;host&lt;/b&gt;</title>')
    // Exactly our four script elements, all closed where we closed them.
    expect(html.match(/<script/g)!.length).toBe(4)
    expect(html.match(/<\/script>/g)!.length).toBe(4)
    expect(html).not.toMatch(/<(script|link)[^>]+src=/)
    const json = html.slice(html.indexOf('id="perf-orc-data">') + 19, html.indexOf('</script>'))
    const payload = JSON.parse(json) as { frames: { names: string[] } }
    expect(payload.frames.names).toContain(HOSTILE_IMG)
    expect(payload.frames.names).toContain('? ' + HOSTILE_SCRIPT)
  })

  it('renders an empty profile', () => {
    expect(renderFlamegraphHtml([], { events: [], lostSamples: 0 })).toContain('"views"')
  })
})
