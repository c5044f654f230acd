/**
 * Putting recorded text (symbol names, command lines) into HTML without it ever becoming markup.
 * Data goes into <script type="application/json"> and is read back with textContent + JSON.parse;
 * the page then writes it with textContent only. The escapes below make the JSON unable to close the
 * script element (`</script>`), open a comment (`<!--`), or break a JS parser (U+2028/2029).
 */

/** JSON text safe to place between <script type="application/json"> and </script>. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/** Text for element content or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/**
 * A vendored script made safe to inline: `</script` (any case) would end the element early. In
 * valid JS it can only sit inside a string, regex or comment, where `<\/` means the same thing.
 * (d3 7.9.2 and d3-flame-graph 5.0.0 contain none; this is for future versions.)
 */
export function inlineScriptText(js: string): string {
  // "<!--" could start the script-data escape state; no safe generic rewrite exists, so refuse.
  if (js.includes('<!--')) throw new Error('refusing to inline a script that contains "<!--"')
  return js.replace(/<\/(script)/gi, '<\\/$1')
}
