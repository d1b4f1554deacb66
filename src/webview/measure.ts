/** Times a unit of work as a User Timing measure (the bench reads these); one entry per name is kept. */
export function measure<T>(name: string, fn: () => T): T {
  performance.clearMarks(name);
  performance.clearMeasures(name);
  performance.mark(name);
  try { return fn(); } finally { performance.measure(name, name); }
}
