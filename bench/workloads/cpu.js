// CPU-bound JavaScript workload for `perf record --call-graph dwarf -- node --perf-basic-prof`.
//
//   node --perf-basic-prof bench/workloads/cpu.js [SECONDS]     (default 6)
//
// Runs a fixed rotation of kernels for SECONDS of wall time: JSON round-trips, regex scans,
// sorting with a JS comparator, object churn (allocation + GC), and deep recursion. Each kernel
// is its own named function a few calls deep, so samples land in many different JIT frames
// (interpreter, baseline and optimized code) on top of the V8 and libc frames below them.
'use strict'

const seconds = Number(process.argv[2] ?? 6)
if (!(seconds > 0)) {
  process.stderr.write(`cpu.js: SECONDS must be a positive number, got "${process.argv[2]}"\n`)
  process.exit(64)
}

// Deterministic pseudo-random numbers (xorshift32), so every run does the same work.
let seed = 0x2545f491
function rand() {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) / 0x100000000
}

function makeRecord(i) {
  return {
    id: i,
    name: `item-${i}-${Math.floor(rand() * 1e6).toString(36)}`,
    tags: ['alpha', 'beta', 'gamma', 'delta'].filter(() => rand() < 0.5),
    score: rand() * 1000,
    nested: { a: i % 7, b: [i, i * 2, i * 3], c: rand() < 0.5 ? null : 'x'.repeat(i % 13) },
  }
}

function jsonRoundTrip(n) {
  const rows = []
  for (let i = 0; i < n; i++) rows.push(makeRecord(i))
  const text = JSON.stringify(rows)
  const back = JSON.parse(text)
  let sum = 0
  for (const r of back) sum += r.nested.b[2] + r.tags.length
  return sum + text.length
}

const LOG_LINE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z \[(\w+)\] ([\w.-]+): (.*)$/
function makeLogLine(i) {
  const level = ['INFO', 'WARN', 'DEBUG', 'ERROR'][i & 3]
  return `2024-03-${String(1 + (i % 28)).padStart(2, '0')}T12:${String(i % 60).padStart(2, '0')}:07.${String(i % 1000).padStart(3, '0')}Z [${level}] svc.mod-${i % 17}: request ${i} took ${(rand() * 90).toFixed(2)} ms`
}

function regexScan(n) {
  let hits = 0
  let words = 0
  for (let i = 0; i < n; i++) {
    const line = makeLogLine(i)
    const m = LOG_LINE.exec(line)
    if (m && m[8] !== 'DEBUG') hits++
    words += line.replace(/[aeiou]/g, '').split(/\s+/).length
  }
  return hits + words
}

function byScoreThenName(a, b) {
  return a.score - b.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

function sortKernel(n) {
  const rows = []
  for (let i = 0; i < n; i++) rows.push({ score: Math.floor(rand() * 100), name: `n${Math.floor(rand() * 1e5)}` })
  rows.sort(byScoreThenName)
  const nums = Float64Array.from({ length: n * 4 }, rand)
  nums.sort()
  return rows[0].score + nums[0]
}

class Node3 {
  constructor(value, left, right) {
    this.value = value
    this.left = left
    this.right = right
  }
}

function buildTree(depth) {
  if (depth === 0) return new Node3(rand(), null, null)
  return new Node3(rand(), buildTree(depth - 1), buildTree(depth - 1))
}

function sumTree(t) {
  return t === null ? 0 : t.value + sumTree(t.left) + sumTree(t.right)
}

function objectChurn(rounds) {
  let total = 0
  for (let r = 0; r < rounds; r++) {
    const m = new Map()
    for (let i = 0; i < 2000; i++) m.set(`k${i % 500}`, { i, arr: new Array(8).fill(i) })
    for (const v of m.values()) total += v.arr.length
    total += sumTree(buildTree(10))
  }
  return total
}

function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2)
}

function ackermannish(m, n) {
  if (m === 0) return n + 1
  if (n === 0) return ackermannish(m - 1, 1)
  return ackermannish(m - 1, ackermannish(m, n - 1))
}

function recursion() {
  return fib(22) + ackermannish(2, 200)
}

function round(i) {
  switch (i % 5) {
    case 0:
      return jsonRoundTrip(1500)
    case 1:
      return regexScan(4000)
    case 2:
      return sortKernel(6000)
    case 3:
      return objectChurn(3)
    default:
      return recursion()
  }
}

function main() {
  const deadline = Date.now() + seconds * 1000
  let checksum = 0
  let rounds = 0
  while (Date.now() < deadline) checksum = (checksum + round(rounds++)) % 1e9
  process.stdout.write(`cpu.js: ${rounds} rounds in ${seconds} s, checksum ${Math.round(checksum)}\n`)
}

main()
