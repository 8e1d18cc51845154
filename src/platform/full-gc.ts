import type { Logger } from '../core/ports.ts';

type V8Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
let gc: V8Gc | null | undefined; // undefined = not asked yet, null = V8 gave none

/**
 * V8's fullest garbage collection, the one it runs when memory runs out ("last resort": mark-compacts
 * until nothing more is freed, old pages released to the system). Node offers `gc()` only under
 * --expose-gc, and that flag is part of the hash V8 checks every code cache against (the single
 * executable's and Node's own for its builtins): so it is on only while one new context is made,
 * whose global holds `gc`, and off again at once. Returns false where V8 gave no `gc`.
 */
export function fullGc(): boolean {
  if (gc === undefined) {
    // Both loaded before the flag changes: a builtin compiled meanwhile would miss its code cache.
    const v8 = process.getBuiltinModule('node:v8');
    const vm = process.getBuiltinModule('node:vm');
    v8.setFlagsFromString('--expose-gc');
    try {
      const found: unknown = vm.runInNewContext('typeof gc === "function" ? gc : null');
      gc = typeof found === 'function' ? (found as V8Gc) : null;
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
  }
  if (gc === null) return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}

/** fullGc(), with the V8 heap's size before and after as a debug line. */
export function fullGcLogged(logger: Logger): void {
  const heapMb = () => (process.getBuiltinModule('node:v8').getHeapStatistics().total_heap_size / 2 ** 20).toFixed(1);
  const before = heapMb();
  if (fullGc()) logger.debug(`memory: a full GC after a quiet period; V8 heap ${before} → ${heapMb()} MB`);
}
