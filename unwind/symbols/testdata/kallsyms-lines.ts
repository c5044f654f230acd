/**
 * kallsyms lines as the kernel prints them, in address order, for the kallsyms readers' tests:
 * aliases at one address (perf keeps the last listed), a data symbol between code symbols, and
 * perf's relocation reference symbols.
 */
export const KERNEL_ORDERED_LINES = [
  'ffffffff81000000 T srso_alias_untrain_ret',
  'ffffffff81000000 T _stext',
  'ffffffff81000000 T _text',
  'ffffffff81001000 t helper',
  'ffffffff81002000 D some_data',
  'ffffffff812fc970 T __ia32_sys_rt_sigreturn',
  'ffffffff812fc970 T __x64_sys_rt_sigreturn',
]
