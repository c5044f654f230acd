/**
 * C++ names as perf prints them (libiberty without DMGL_PARAMS). The peer is `c++filt -p -i`:
 * the same libiberty call. It is checked over every C++ code symbol of the node binary running
 * this test and of libstdc++, and rule by rule on real manglings.
 */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { demangle } from './demangle.js'

const cxxfilt = (names: string[]): string[] =>
  execFileSync('c++filt', ['-p', '-i'], { input: names.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 }).split('\n').slice(0, names.length)

/** Mangled names of the code symbols (t/T/w/W/i) nm lists in `file`, without symbol versions. */
function codeSymbols(file: string, dynamic: boolean): string[] {
  const out = execFileSync('nm', [...(dynamic ? ['-D'] : []), '--defined-only', file], { encoding: 'utf8', maxBuffer: 1 << 28 })
  const names = new Set<string>()
  for (const line of out.split('\n')) {
    const [, type, name] = line.split(' ')
    if (name?.startsWith('_Z') && /^[tTwWi]$/.test(type ?? '')) names.add(name.replace(/@.*/, ''))
  }
  return [...names]
}

describe('C++ names as perf prints them', () => {
  it('agree with c++filt -p -i on the code symbols of node and libstdc++', () => {
    const names = [...codeSymbols(process.execPath, false), ...codeSymbols('/usr/lib/x86_64-linux-gnu/libstdc++.so.6', true)]
    expect(names.length).toBeGreaterThan(20_000)
    const want = cxxfilt(names)
    const differ = names.flatMap((n, i) => (demangle(n) === want[i] ? [] : [`${n}\n  ours: ${demangle(n)}\n  c++filt: ${want[i]}`]))
    // What is left are cpp_demangle's own slips (a substitution resolved to the wrong component,
    // a lambda's signature printed twice): 49 of 70,401 when this was written.
    expect(differ.length / names.length, differ.slice(0, 5).join('\n')).toBeLessThan(0.001)
  })

  it.each([
    ['no parameters, no qualifiers, no clone suffix', '_ZNK2v88internal4Heap4sizeEv.cold'],
    ['a template function loses its return type', '_ZN2v84base11SmallVectorINS_8internal6HandleINS2_6ObjectEEELm16ESaIS5_EE4GrowEm'],
    ['names nested in the function keep their parameters', '_ZZN4node23WorkerThreadsTaskRunner20DelayedTaskScheduler5StartEvENUlPvE_4_FUNES2_'],
    ['integer literals take suffixes', '_ZNK2v88internal8compiler10turboshaft9FloatTypeILm64EE6is_setEv'],
    ['a leading anonymous namespace', '_ZN12_GLOBAL__N_111gInclusionsE'],
    ['a thunk keeps its signature', '_ZThn104_N4node7UDPWrap10OnSendDoneEPNS_7ReqWrapI13uv_udp_send_sEEi'],
    ['a virtual thunk', '_ZTv0_n24_N2v84base18CheckMessageStreamD0Ev'],
    ['std::ostream before a destructor is written out', '_ZNSoD2Ev'],
    ['std::istream elsewhere is not', '_ZNSi4syncEv'],
    ['a function address as template argument', '_ZN4node10StreamBase8JSMethodIXadL_ZNS0_10ReadStopJSERKN2v820FunctionCallbackInfoINS2_5ValueEEEEEEvS7_'],
    ['a function type as template argument', '_ZNSt17_Function_handlerIFvN2v88internal13InternalIndexEEZNS1_12_GLOBAL__N_124PrintHashMapContentsFullINS1_14ObjectHashTableEEEvRSoT_EUlS2_E_E9_M_invokeERKSt9_Any_dataOS2_'],
    ['an empty pack', '_ZZSt9call_onceIRFvvEJEEvRSt9once_flagOT_DpOT0_ENUlvE0_4_FUNEv'],
    ['operator<< with template arguments', '_ZN2v88internal7LogFile14MessageBuilderlsIPKcEERS2_T_'],
    ['a transaction clone keeps its signature', '_ZGTtNKSt11logic_error4whatEv'],
    ['an enable_if return type cpp_demangle cannot read', '_ZSt9__fill_a1IPllEN9__gnu_cxx11__enable_ifIXsrSt11__is_scalarIT0_E7__valueEvE6__typeET_S8_RKS4_'],
  ])('%s', (_what, mangled) => {
    expect(demangle(mangled)).toBe(cxxfilt([mangled])[0])
  })

  it('demangles a PLT stub\'s symbol and keeps its "@plt", as perf names synthesized stubs', () => {
    expect(demangle('_Znam@plt')).toBe(`${cxxfilt(['_Znam'])[0]}@plt`)
    expect(demangle('_ZSt18_Rb_tree_incrementPKSt18_Rb_tree_node_base@plt')).toBe('std::_Rb_tree_increment@plt')
    expect(demangle('memcpy@plt')).toBe('memcpy@plt')
  })

  it('leaves what is not mangled, or cannot be demangled, as it is', () => {
    expect(demangle('main')).toBe('main')
    expect(demangle('_Znotmangled')).toBe('_Znotmangled')
  })
})
