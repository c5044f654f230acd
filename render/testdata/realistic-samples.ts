/**
 * A larger, plausible profile for the docs screenshot and the large-profile browser test: an nginx
 * master/workers serving TLS, a node.js server with JIT frames, and gzip. Weights are made up; the
 * shapes (syscall paths, libcrypto without unwind tables, BPF trampolines) are the real ones.
 */
import type { FrameKind, ProfileMeta, Reliability, ResolvedFrame, ResolvedSample } from '../model.js'

type Spec = [symbol: string, dso: string, kind?: FrameKind, reliability?: Reliability]

const NGINX = '/usr/sbin/nginx'
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6'
const SSL = '/usr/lib/x86_64-linux-gnu/libssl.so.3'
const CRYPTO = '/usr/lib/x86_64-linux-gnu/libcrypto.so.3'
const NODE = '/usr/bin/node'
const GZIP = '/usr/bin/gzip'
const K = '[kernel.kallsyms]'

const u = (s: string, dso: string, kind: FrameKind = 'user', r: Reliability = 'reliable'): Spec => [s, dso, kind, r]
const k = (s: string, r: Reliability = 'reliable'): Spec => [s, K, 'kernel', r]
const j = (s: string): Spec => [s, '[JIT] tid 3400', 'jit']

const SYSCALL = [k('entry_SYSCALL_64_after_hwframe'), k('do_syscall_64')]
const NGX_WORKER = [u('__libc_start_main', LIBC), u('main', NGINX), u('ngx_master_process_cycle', NGINX), u('ngx_start_worker_processes', NGINX), u('ngx_spawn_process', NGINX), u('ngx_worker_process_cycle', NGINX), u('ngx_process_events_and_timers', NGINX)]
const NGX_HTTP = [...NGX_WORKER, u('ngx_epoll_process_events', NGINX), u('ngx_http_process_request', NGINX), u('ngx_http_handler', NGINX), u('ngx_http_core_run_phases', NGINX)]
const NODE_LOOP = [u('__libc_start_main', LIBC), u('node::Start', NODE), u('node::NodeMainInstance::Run', NODE), u('uv_run', NODE), u('uv__io_poll', NODE), u('node::StreamBase::ReadStart', NODE), u('v8::internal::Execution::Call', NODE), j('Builtin: JSEntry')]

/** [weight, comm, root-first frames]. */
const PATHS: Array<[number, string, Spec[]]> = [
  [9, 'nginx', [...NGX_WORKER, u('ngx_epoll_process_events', NGINX), u('epoll_wait', LIBC), ...SYSCALL, k('__x64_sys_epoll_wait'), k('do_epoll_wait'), k('ep_poll'), k('schedule_hrtimeout_range')]],
  [14, 'nginx', [...NGX_HTTP, u('ngx_http_static_handler', NGINX), u('ngx_open_cached_file', NGINX), u('open64', LIBC), ...SYSCALL, k('__x64_sys_openat'), k('do_sys_openat2'), k('do_filp_open'), k('path_openat'), k('link_path_walk')]],
  [10, 'nginx', [...NGX_HTTP, u('ngx_http_output_filter', NGINX), u('ngx_http_write_filter', NGINX), u('ngx_ssl_send_chain', NGINX), u('SSL_write', SSL), u('ssl3_write_bytes', SSL), u('tls_write_records', SSL), u('EVP_EncryptUpdate', CRYPTO, 'user', 'fp-guess'), u('aesni_gcm_encrypt', CRYPTO, 'user', 'fp-guess')]],
  [6, 'nginx', [...NGX_HTTP, u('ngx_http_output_filter', NGINX), u('ngx_http_write_filter', NGINX), u('ngx_ssl_send_chain', NGINX), u('SSL_write', SSL), u('ssl3_write_bytes', SSL), u('tls_write_records', SSL), u('ssl3_cbc_digest_record', SSL, 'user', 'below-guess'), u('sha256_block_data_order_avx2', CRYPTO, 'user', 'fp-guess')]],
  [12, 'nginx', [...NGX_HTTP, u('ngx_http_output_filter', NGINX), u('ngx_http_write_filter', NGINX), u('ngx_ssl_send_chain', NGINX), u('SSL_write', SSL), u('ssl3_write_bytes', SSL), u('BIO_write', CRYPTO), u('sock_write', CRYPTO), u('write', LIBC), ...SYSCALL, k('ksys_write'), k('vfs_write'), k('sock_write_iter'), k('tcp_sendmsg'), k('tcp_sendmsg_locked'), k('tcp_push'), k('__tcp_transmit_skb'), k('ip_queue_xmit'), k('ip_finish_output2'), k('__dev_queue_xmit')]],
  [4, 'nginx', [...NGX_HTTP, u('ngx_http_log_handler', NGINX), u('ngx_write_fd', NGINX), u('write', LIBC), ...SYSCALL, k('ksys_write'), k('vfs_write'), k('bpf_trampoline_6442_0', 'kernel-bpf'), k('ext4_file_write_iter')]],
  [5, 'nginx', [...NGX_HTTP, u('ngx_http_parse_request_line', NGINX)]],
  [3, 'nginx', [...NGX_HTTP, u('ngx_http_parse_header_line', NGINX)]],
  [15, 'node', [...NODE_LOOP, j('LazyCompile: *handleRequest /srv/app/server.js:42'), j('LazyCompile: *render /srv/app/views.js:17'), j('Builtin: JSON.stringify'), u('v8::internal::JsonStringifier::Serialize_', NODE)]],
  [8, 'node', [...NODE_LOOP, j('LazyCompile: *handleRequest /srv/app/server.js:42'), j('LazyCompile: *query /srv/app/db.js:88'), j('Builtin: ArrayMap'), j('LazyCompile: *rowToObject /srv/app/db.js:12')]],
  [5, 'node', [...NODE_LOOP, j('LazyCompile: *handleRequest /srv/app/server.js:42'), j('LazyCompile: *render /srv/app/views.js:17'), u('v8::internal::Heap::CollectGarbage', NODE), u('v8::internal::MarkCompactCollector::CollectGarbage', NODE)]],
  [4, 'node', [...NODE_LOOP, j('LazyCompile: *handleRequest /srv/app/server.js:42'), u('node::crypto::Hash::HashUpdate', NODE), u('EVP_DigestUpdate', CRYPTO), u('sha256_block_data_order_avx2', CRYPTO, 'user', 'fp-guess')]],
  [3, 'node', [u('[unknown]', NODE, 'unknown', 'fp-guess'), j('Builtin: InterpreterEntryTrampoline'), j('LazyCompile: ~loadConfig /srv/app/config.js:5')]],
  [6, 'gzip', [u('__libc_start_main', LIBC), u('main', GZIP), u('treat_file', GZIP), u('zip', GZIP), u('deflate', GZIP), u('longest_match', GZIP)]],
  [3, 'gzip', [u('__libc_start_main', LIBC), u('main', GZIP), u('treat_file', GZIP), u('zip', GZIP), u('deflate', GZIP), u('fill_window', GZIP), u('read', LIBC), ...SYSCALL, k('ksys_read'), k('vfs_read'), k('filemap_read'), k('copy_page_to_iter')]],
  [2, 'swapper', [k('secondary_startup_64_no_verify'), k('start_secondary'), k('cpu_startup_entry'), k('do_idle'), k('cpuidle_enter_state'), k('intel_idle')]],
]

const THREADS: Record<string, Array<[number, number]>> = {
  nginx: [[1200, 1201], [1200, 1202], [1200, 1203]],
  node: [[3400, 3400], [3400, 3407]],
  gzip: [[5100, 5100]],
  swapper: [[0, 0]],
}

function frame(spec: Spec, i: number): ResolvedFrame {
  const [symbol, dso, kind = 'user', reliability = 'reliable'] = spec
  const addr = kind === 'kernel' ? -0x7e000000 + i * 0x40 : 0x400000 + i * 0x40
  return { addr, relAddr: addr, symbol: symbol === '[unknown]' ? undefined : symbol, symOffset: 0x10, dso, kind, reliability }
}

/** `count` samples drawn from PATHS by weight, with some truncated below a random depth. */
export function realisticSamples(count = 20_000): ResolvedSample[] {
  let seed = 42
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  const stacks = PATHS.map(([w, comm, specs]) => ({ w, comm, frames: specs.map(frame).reverse() }))
  const totalW = stacks.reduce((a, s) => a + s.w, 0)
  const out: ResolvedSample[] = []
  for (let i = 0; i < count; i++) {
    let r = rand() * totalW
    const s = stacks.find((x) => (r -= x.w) < 0) ?? stacks[0]!
    const threads = THREADS[s.comm]!
    const [pid, tid] = threads[Math.floor(rand() * threads.length)]!
    const truncate = rand() < 0.03
    const frames = truncate ? s.frames.slice(0, Math.max(1, s.frames.length - 3)) : s.frames
    const unreliable = frames.some((f) => f.reliability !== 'reliable')
    out.push({ pid, tid, comm: s.comm, cpu: i % 8, time: 5_000_000_000_000 + i * 250_000, period: 250_000, eventName: 'cpu-clock', frames, rooted: !truncate && !unreliable, stackTruncated: truncate, fakeRegs: false })
  }
  return out
}

export function realisticMeta(count = 20_000): ProfileMeta {
  return {
    hostname: 'web-03',
    osRelease: '6.8.0-45-generic',
    arch: 'x86_64',
    cmdline: 'perf record -F 4000 -a --call-graph dwarf -e cpu-clock -- sleep 5',
    events: ['cpu-clock'],
    firstTime: 5_000_000_000_000,
    lastTime: 5_000_000_000_000 + count * 250_000,
    lostSamples: 0,
  }
}
