/**
 * cpp_demangle's rendering of an Itanium C++ name, rewritten the way perf prints it.
 *
 * perf demangles with libiberty's cplus_demangle and without DMGL_PARAMS (unless -v). The
 * top-level function then loses its parameter list, its cv/ref qualifiers, its clone suffixes and,
 * for a template function, its return type. Names nested inside it keep theirs:
 * "f()::{lambda(int)#1}::_FUN". Special names (thunks, guard variables, transaction clones)
 * keep everything. libiberty also spells some things differently from cpp_demangle: integer
 * literals, empty packs, thunks, std::string before a constructor or destructor.
 *
 * The oracle is `c++filt -p -i` (no parameters, no verbose expansions), the same libiberty call.
 * perf-style.test.ts compares against it over every C++ code symbol of node and libstdc++, and
 * cli/script-vs-perf.test.ts compares with perf itself on a C++ program.
 */

/** perf's name for `mangled`, given cpp_demangle's `full` rendering of it. */
export function perfStyle(mangled: string, full: string): string {
  const s = withoutCloneSuffixes(libibertySpelling(full))
  if (mangled.startsWith('_ZT') || mangled.startsWith('_ZG')) return specialName(s)
  return functionTypeSpacing(templateFunctionArgs(withoutTopLevelSignature(s)))
}

/** " [clone .cold]", " [clone .constprop.0]": libiberty reads clone suffixes only with DMGL_PARAMS. */
function withoutCloneSuffixes(full: string): string {
  let s = full
  while (s.endsWith(']')) {
    const i = s.lastIndexOf(' [clone ')
    if (i < 0) break
    s = s.slice(0, i)
  }
  return s
}

/** Integer literal types libiberty prints as suffixes (d_print_comp, D_PRINT_*): (unsigned long)4 is 4ul. */
const LITERAL_SUFFIX: Record<string, string> = {
  int: '', 'unsigned int': 'u', long: 'l', 'unsigned long': 'ul', 'long long': 'll', 'unsigned long long': 'ull',
}

/**
 * The standard abbreviations (Ss, Si, So, Sd) print short ("std::ostream"), except in front of a
 * constructor or destructor, where libiberty writes them out and names the template:
 * "std::basic_ostream<char, std::char_traits<char> >::~basic_ostream".
 */
const ABBREVIATIONS: Record<string, string> = {
  string: 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >',
  istream: 'std::basic_istream<char, std::char_traits<char> >',
  ostream: 'std::basic_ostream<char, std::char_traits<char> >',
  iostream: 'std::basic_iostream<char, std::char_traits<char> >',
}

function libibertySpelling(full: string): string {
  return full
    .replaceAll(', >', '>') // an empty pack prints as nothing, not as ", "
    .replace(/, &{0,2}\)/g, ')') // an empty pack (of forwarding references) ending a parameter list
    .replaceAll('(&&)', '()')
    .replace(/(?<![\w$])_GLOBAL__N_\w*/g, '(anonymous namespace)') // cpp_demangle leaves a leading one
    .replace(/\((unsigned long long|unsigned long|unsigned int|long long|long|int)\)(-?\d+)/g, (_, t: string, n: string) => n + LITERAL_SUFFIX[t]!)
    // cpp_demangle writes Si and Sd out everywhere and Ss and So nowhere.
    .replace(/std::basic_(i|io)stream<char, std::char_traits<char> >(?!::~?basic_\1stream(?!\w))/g, 'std::$1stream')
    .replace(/(?<![\w:])std::(string|istream|ostream|iostream)::(~?)\1(?!\w)/g, (_, n: string, t: string) => `${ABBREVIATIONS[n]!}::${t}basic_${n}`)
}

/** cpp_demangle's "{vtable(X)}" and "{virtual override thunk(...)}" forms, as libiberty words them. */
function specialName(s: string): string {
  const thunk = /^\{virtual override thunk\(\{(offset|virtual offset)\([^)]*\)\}, (.*)\)\}$/.exec(s)
  if (thunk) return `${thunk[1] === 'offset' ? 'non-virtual' : 'virtual'} thunk to ${thunk[2]}`
  const covariant = /^\{virtual override thunk\(\{[^}]*\}, \{[^}]*\}, (.*)\)\}$/.exec(s)
  if (covariant) return `covariant return thunk to ${covariant[1]}`
  const data = /^\{(vtable|vtt|typeinfo|typeinfo name)\((.*)\)\}$/.exec(s)
  if (data) return `${data[1] === 'vtt' ? 'VTT' : data[1]} for ${data[2]}`
  return s
}

const QUALIFIERS = [' const', ' volatile', ' &&', ' &', ' restrict', ' noexcept', ' transaction_safe']

/** "void f<int>(int) const" → "f<int>"; a name that is no function stays as it is. */
function withoutTopLevelSignature(full: string): string {
  const s = withoutQualifiers(full)
  if (!s.endsWith(')')) return s // data, or a local static inside a function: nothing to drop
  const open = matchingOpen(s, s.length - 1)
  return open <= 0 ? s : withoutReturnType(s.slice(0, open))
}

function withoutQualifiers(s: string): string {
  for (let again = true; again; ) {
    again = false
    for (const q of QUALIFIERS) {
      if (s.endsWith(q)) {
        s = s.slice(0, -q.length)
        again = true
      }
    }
  }
  return s
}

/** Index of the '(' that the ')' at `close` closes, or -1. */
function matchingOpen(s: string, close: number): number {
  let depth = 0
  for (let i = close; i >= 0; i--) {
    const c = s.charCodeAt(i)
    if (c === 41) depth++ // ')'
    else if (c === 40 && --depth === 0) return i // '('
  }
  return -1
}

/**
 * "unsigned long f<int>" → "f<int>". Only template functions have their return type mangled, in
 * front of the name; it ends at the last space outside brackets and operator names.
 */
function withoutReturnType(s: string): string {
  if (!s.endsWith('>')) return s
  let depth = 0
  let split = -1
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === 'o' && s.startsWith('operator', i) && (i === 0 || !/\w/.test(s[i - 1]!))) {
      i = skipOperator(s, i + 8) - 1
      continue
    }
    if (c === '(' || c === '<' || c === '[' || c === '{') depth++
    else if (c === ')' || c === '>' || c === ']' || c === '}') depth--
    else if (c === ' ' && depth === 0) split = i
  }
  return split < 0 ? s : s.slice(split + 1)
}

/** Past an operator's spelling after "operator": "<<" and the like (and the space libiberty puts before template args), or " new[]". */
function skipOperator(s: string, i: number): number {
  const rest = s.slice(i)
  const sym = /^(?:<=>|<<=|>>=|->\*|\(\)|\[\]|<<|>>|<=|>=|->|&&|\|\||==|!=|\+\+|--|[-+*/%^&|~!=<>,])( (?=<))?/.exec(rest)
  if (sym) return i + sym[0].length
  const word = /^ (?:new|delete)(?:\[\])?/.exec(rest)
  return word ? i + word[0].length : i
}

/**
 * A function's address as a template argument: libiberty prints "&ns::f" without the parameter
 * list, but "&(ns::f() const)" for a cv-qualified member function.
 */
function templateFunctionArgs(s: string): string {
  let out = ''
  let from = 0
  for (let amp = s.indexOf('&', 0); amp >= 0; amp = s.indexOf('&', amp + 1)) {
    const prev = s[amp - 1]
    if (prev !== '<' && prev !== ' ') continue
    const open = paramsOpen(s, amp)
    const name = s.slice(amp + 1, open)
    if (open < 0 || !/^(?:[\w:~<>]|\(anonymous namespace\))+$/.test(name)) continue
    const close = matchingClose(s, open)
    if (close < 0) continue
    const qual = /^ (?:const|volatile)(?: (?:const|volatile))?/.exec(s.slice(close + 1))?.[0] ?? ''
    const end = close + 1 + qual.length
    if (s[end] !== ',' && s[end] !== '>') continue
    out += s.slice(from, amp) + (qual ? `&(${s.slice(amp + 1, end)})` : `&${name}`)
    from = end
    amp = end - 1
  }
  return out + s.slice(from)
}

/** Index of the ')' that closes the '(' at `open`, or -1. */
function matchingClose(s: string, open: number): number {
  let depth = 0
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 40) depth++
    else if (c === 41 && --depth === 0) return i
  }
  return -1
}

/**
 * A function type as a template argument: libiberty puts a space between its return type and its
 * parameters ("std::function<TNode<Object> ()>", "Object (int)"), which cpp_demangle leaves out
 * after a name. A function name's parameters ("f<int>(int)::{lambda()#1}") are not followed by
 * ',' or '>'.
 */
function functionTypeSpacing(s: string): string {
  let out = ''
  let from = 0
  for (let i = s.indexOf('(', 1); i >= 0; i = s.indexOf('(', i + 1)) {
    if (!/[\w>\]]/.test(s[i - 1]!)) continue
    const close = matchingClose(s, i)
    if (close < 0 || (s[close + 1] !== ',' && s[close + 1] !== '>')) continue
    out += s.slice(from, i) + ' '
    from = i
  }
  return out + s.slice(from)
}

/** The first '(' after `from` that is not "(anonymous namespace)", or -1. */
function paramsOpen(s: string, from: number): number {
  for (let i = s.indexOf('(', from); i >= 0; i = s.indexOf('(', i + 1)) {
    if (!s.startsWith('(anonymous namespace)', i)) return i
  }
  return -1
}
