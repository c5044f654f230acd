/**
 * Warnings that concern the whole run (a missing binary, a build-id mismatch), reported once per
 * subject and printed by the CLI as single stderr lines.
 */
export class Diagnostics {
  private readonly seen = new Set<string>()
  readonly warnings: string[] = []
  /** Called with each new warning as it happens (the CLI prints it). */
  onWarning: ((line: string) => void) | undefined

  warnOnce(key: string, line: string): void {
    if (this.seen.has(key)) return
    this.seen.add(key)
    this.warnings.push(line)
    this.onWarning?.(line)
  }
}
